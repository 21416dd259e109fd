//! Every failure is problem+json with the right status, and changes nothing.

use serde_json::json;

use crate::helpers::{Backend, spawn_app_with};
use crate::on_both_backends;

on_both_backends! {
    async fn malformed_json_is_400(app: TestApp) {
        let admin = app.admin_token().await;
        for body in [&b"{\"username\": "[..], b"not json at all", b"", b"{\"a\":1} {}"] {
            let a = app.post_raw("/api/v1/users", Some(&admin), body.to_vec()).await.expect(400);
            assert_eq!(a.headers["content-type"], "application/problem+json");
            assert_eq!(a.body["status"], 400);
            assert!(a.body["type"].as_str().unwrap().starts_with("urn:crossings:problem:"));
        }
    }

    async fn wrong_types_are_422_naming_the_field(app: TestApp) {
        let admin = app.admin_token().await;
        let a = app.post("/api/v1/users", Some(&admin), &json!({"username": 42, "password": "x", "role": "analyst"})).await.expect(422);
        assert_eq!(a.error_fields(), vec!["username"]);
    }

    async fn unknown_paths_and_methods_are_problems(app: TestApp) {
        let admin = app.admin_token().await;
        let a = app.get("/api/v1/nowhere", Some(&admin)).await.expect(404);
        assert_eq!(a.headers["content-type"], "application/problem+json");
        let b = app.delete("/api/v1/poes", Some(&admin)).await.expect(405);
        assert_eq!(b.headers["content-type"], "application/problem+json");
        assert_eq!(b.headers["allow"], "GET");
        let c = app.delete("/api/v1/users", Some(&admin)).await.expect(405);
        assert_eq!(c.headers["allow"], "GET, POST");
        let d = app.send(app.client.post(app.url("/health/live"))).await.expect(405);
        assert_eq!(d.headers["allow"], "GET");
        assert_eq!(d.headers["content-type"], "application/problem+json");
    }
}

#[actix_web::test]
async fn a_body_over_the_limit_is_413() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |s| s.server.body_limit_bytes = 2048).await
    else {
        return;
    };
    let admin = app.admin_token().await;
    let big = json!({"username": "big", "password": "x".repeat(4096), "role": "analyst"});
    let a = app
        .post("/api/v1/users", Some(&admin), &big)
        .await
        .expect(413);
    assert_eq!(a.headers["content-type"], "application/problem+json");
}

#[actix_web::test]
async fn a_body_over_the_limit_is_a_413_problem_where_the_body_is_read_raw_too() {
    // Recording one movement and signing out read the body themselves (not through the JSON
    // extractor); over the limit they answered actix's plain-text 413.
    let Some(app) = spawn_app_with(Backend::Sqlite, |s| s.server.body_limit_bytes = 2048).await
    else {
        return;
    };
    let gate = app.system_token("MSU").await;
    let admin = app.admin_token().await;
    let big = serde_json::to_vec(&json!({"padding": "x".repeat(4096)})).unwrap();
    for (path, token) in [
        ("/api/v1/movements", Some(gate.as_str())),
        ("/api/v1/auth/logout", Some(admin.as_str())),
        ("/api/v1/auth/logout", None),
    ] {
        let a = app.post_raw(path, token, big.clone()).await.expect(413);
        assert_eq!(
            a.headers["content-type"], "application/problem+json",
            "{path}"
        );
        assert_eq!(a.body["status"], 413, "{path}");
    }
    assert_eq!(app.count("movements"), 0);
}
