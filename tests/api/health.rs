//! Probes and request ids.

use crate::on_both_backends;

on_both_backends! {
    async fn liveness_and_readiness_answer(app: TestApp) {
        let live = app.get("/health/live", None).await.expect(200);
        assert_eq!(live.body["status"], "live");
        let ready = app.get("/health/ready", None).await.expect(200);
        assert_eq!(ready.body["status"], "ready");
        let expected = match app.backend { crate::helpers::Backend::Sqlite => "sqlite", crate::helpers::Backend::Postgres => "postgres" };
        assert_eq!(ready.body["database"], expected);
    }

    async fn request_ids_are_echoed_or_made(app: TestApp) {
        let made = app.get("/health/live", None).await;
        let id = made.headers["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 36, "a UUID: {id}");
        let echoed = app.send(app.client.get(app.url("/health/live")).header("X-Request-Id", "gate-7.req-42")).await;
        assert_eq!(echoed.headers["x-request-id"], "gate-7.req-42");
        let unsafe_id = app.send(app.client.get(app.url("/health/live")).header("X-Request-Id", "bad id with spaces")).await;
        assert_ne!(unsafe_id.headers["x-request-id"], "bad id with spaces");
    }
}
