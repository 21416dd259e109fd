//! What an operator relies on: TLS, CORS, security headers, metrics.

use serde_json::json;

use crate::helpers::{Backend, minutes_ago, movement, spawn_app_with};
use crate::on_both_backends;

#[actix_web::test]
async fn tls_serves_https_when_a_certificate_is_configured() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, key.cert.pem()).unwrap();
    std::fs::write(&key_path, key.signing_key.serialize_pem()).unwrap();
    let Some(app) = spawn_app_with(Backend::Sqlite, |s| {
        s.tls.cert_path = cert_path.display().to_string();
        s.tls.key_path = key_path.display().to_string();
    })
    .await
    else {
        return;
    };
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(key.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let res = client
        .get(format!("https://localhost:{}/health/live", app.port))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    // Plain HTTP on the TLS port gets nowhere.
    let plain = app
        .client
        .get(format!("http://127.0.0.1:{}/health/live", app.port))
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
}

#[actix_web::test]
async fn a_bad_certificate_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("nothing.pem");
    std::fs::write(&bogus, "not a certificate").unwrap();
    let Some((_db, url)) = crate::helpers::test_database(Backend::Sqlite) else {
        return;
    };
    let mut settings = crate::helpers::test_settings(&url);
    settings.tls.cert_path = bogus.display().to_string();
    settings.tls.key_path = bogus.display().to_string();
    let err = crossings::startup::Application::build(settings)
        .await
        .err()
        .expect("start-up refused");
    assert!(err.to_string().contains("tls"), "{err}");
}

#[actix_web::test]
async fn cors_is_off_unless_origins_are_configured() {
    let Some(closed) = spawn_app_with(Backend::Sqlite, |_| {}).await else {
        return;
    };
    let r = closed
        .send(
            closed
                .client
                .get(closed.url("/health/live"))
                .header("Origin", "https://hq.example"),
        )
        .await;
    assert!(!r.headers.contains_key("access-control-allow-origin"));

    let Some(open) = spawn_app_with(Backend::Sqlite, |s| {
        s.server.cors_allowed_origins = vec!["https://hq.example".to_owned()]
    })
    .await
    else {
        return;
    };
    let ok = open
        .send(
            open.client
                .get(open.url("/health/live"))
                .header("Origin", "https://hq.example"),
        )
        .await;
    assert_eq!(
        ok.headers["access-control-allow-origin"],
        "https://hq.example"
    );
    let preflight = open
        .send(
            open.client
                .request(reqwest::Method::OPTIONS, open.url("/api/v1/movements"))
                .header("Origin", "https://hq.example")
                .header("Access-Control-Request-Method", "POST")
                .header(
                    "Access-Control-Request-Headers",
                    "authorization,content-type",
                ),
        )
        .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    let other = open
        .send(
            open.client
                .get(open.url("/health/live"))
                .header("Origin", "https://evil.example"),
        )
        .await;
    assert!(!other.headers.contains_key("access-control-allow-origin"));
}

on_both_backends! {
    async fn security_headers_are_sent(app: TestApp) {
        let r = app.get("/api/v1/poes", None).await;
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["x-frame-options"], "DENY");
        assert_eq!(r.headers["cache-control"], "no-store");
        let page = app.get("/dashboard/", None).await.expect(200);
        assert!(page.headers["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    }

    async fn metrics_show_requests_movements_rejections_and_failed_logins(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        app.post("/api/v1/movements", Some(&officer), &movement("m-1", "MSU", "entry", &minutes_ago(1), "MET1")).await.expect(201);
        let mut bad = movement("m-2", "MSU", "entry", &minutes_ago(1), "MET2");
        bad["direction"] = json!("up");
        app.post("/api/v1/movements/batch", Some(&officer), &json!({"movements": [bad]})).await.expect(200);
        app.login("officer", "not-the-password").await.expect(401);
        let m = app.metrics().await.expect(200);
        assert!(m.headers["content-type"].to_str().unwrap().starts_with("text/plain"));
        for needle in [
            "crossings_http_requests_total{route=\"/api/v1/movements\",method=\"POST\",status=\"201\"}",
            "crossings_http_request_duration_seconds_bucket",
            "crossings_movements_recorded_total{poe=\"MSU\",direction=\"entry\"}",
            "crossings_movement_items_rejected_total",
            "crossings_login_failures_total",
            "crossings_db_connections{state=\"idle\"}",
            "crossings_db_connections{state=\"in_use\"}",
        ] {
            assert!(m.text.contains(needle), "{needle} missing from /metrics");
        }
    }

    async fn metrics_are_not_on_the_api_port_and_their_labels_are_bounded(app: TestApp) {
        let api = app.get("/metrics", None).await.expect(404);
        assert_eq!(api.headers["content-type"], "application/problem+json");
        for i in 0..50 {
            let method = reqwest::Method::from_bytes(format!("MADEUP{i}").as_bytes()).unwrap();
            app.send(app.client.request(method, app.url(&format!("/made-up-{i}")))).await;
        }
        let m = app.metrics().await.expect(200);
        assert!(m.text.contains("method=\"OTHER\""), "made-up methods share one label");
        assert!(!m.text.contains("MADEUP"));
        assert!(!m.text.contains("made-up-"), "unmatched paths share one route label");
        assert!(m.text.contains("route=\"unmatched\""));
        // Only /metrics and the probes are on the metrics listener.
        let base = app.metrics_address.clone().unwrap();
        let ready = app.send(app.client.get(format!("{base}/health/ready"))).await;
        assert_eq!(ready.status.as_u16(), 200);
        let other = app.send(app.client.get(format!("{base}/api/v1/poes"))).await;
        assert_eq!(other.status.as_u16(), 404);
    }
}
