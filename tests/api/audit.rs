//! The hash-chained audit log.

use serde_json::{Value, json};

use crate::helpers::{ADMIN_PASSWORD, OFFICER_PASSWORD, minutes_ago, movement};
use crate::on_both_backends;

async fn entries(app: &crate::helpers::TestApp, admin: &str, query: &str) -> Vec<Value> {
    let page = app
        .get(&format!("/api/v1/audit?limit=500{query}"), Some(admin))
        .await
        .expect(200);
    page.body["items"].as_array().unwrap().clone()
}

on_both_backends! {
    async fn writes_and_reads_of_personal_data_are_logged_with_who_where_and_why(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        let recorded = app
            .send(app.client.post(app.url("/api/v1/movements")).bearer_auth(&officer)
                .header("X-Request-Id", "req-record-1")
                .json(&movement("a-1", "MSU", "entry", &minutes_ago(2), "P1")))
            .await
            .expect(201);
        let id = recorded.body["id"].as_str().unwrap().to_owned();
        app.get(&format!("/api/v1/movements/{id}"), Some(&officer)).await.expect(200);
        app.get("/api/v1/movements?poe=MSU", Some(&officer)).await.expect(200);
        app.post(&format!("/api/v1/movements/{id}/void"), Some(&officer), &json!({"reason": "wrong desk"})).await.expect(200);

        let admin = app.admin_token().await;
        let log = entries(&app, &admin, "").await;
        let record = log.iter().find(|e| e["action"] == "movement.record").unwrap();
        assert_eq!(record["actor"], "officer");
        assert_eq!(record["roles"], "immigration");
        assert_eq!(record["object"], format!("movement:{id}"));
        assert_eq!(record["request_id"], "req-record-1");
        assert_eq!(record["client_addr"], "127.0.0.1");
        for action in ["movement.read", "movement.list", "user.create", "auth.login", "user.bootstrap_admin"] {
            assert!(log.iter().any(|e| e["action"] == action), "{action} missing");
        }
        let void = log.iter().find(|e| e["action"] == "movement.void").unwrap();
        assert_eq!(void["reason"], "wrong desk");

        // Filters and paging.
        let voids = entries(&app, &admin, "&action=movement.void").await;
        assert_eq!(voids.len(), 1);
        let first = app.get("/api/v1/audit?limit=2", Some(&admin)).await.expect(200);
        assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
        let cursor = first.body["next_cursor"].as_i64().unwrap();
        let second = app.get(&format!("/api/v1/audit?limit=2&cursor={cursor}"), Some(&admin)).await.expect(200);
        assert_eq!(second.body["items"][0]["seq"].as_i64().unwrap(), cursor + 1);
        app.get("/api/v1/audit?limit=0", Some(&admin)).await.expect(422);
        app.get("/api/v1/audit", Some(&officer)).await.expect(403);
        app.get("/api/v1/audit/verify", Some(&officer)).await.expect(403);
    }

    async fn verification_finds_the_first_edited_entry(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        for i in 0..3 {
            app.post("/api/v1/movements", Some(&officer), &movement(&format!("t-{i}"), "MSU", "exit", &minutes_ago(5 - i), &format!("Q{i}"))).await.expect(201);
        }
        let admin = app.admin_token().await;
        let before = app.get("/api/v1/audit/verify", Some(&admin)).await.expect(200);
        assert_eq!(before.body["ok"], true);
        let total = before.body["entries"].as_i64().unwrap();
        assert!(total >= 7, "{}", before.text);
        assert_eq!(before.body["first_bad"], Value::Null);

        app.tamper_audit("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 4");
        let after = app.get("/api/v1/audit/verify", Some(&admin)).await.expect(200);
        assert_eq!(after.body["ok"], false);
        assert_eq!(after.body["first_bad"], 4);

        // The command line says the same, and exits non-zero.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_crossings"))
            .args(["audit", "verify"])
            .env("DATABASE_URL", &app.database_url)
            .env("CROSSINGS_CONFIG_DIR", "/nonexistent")
            .env("RUST_LOG", "error")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["first_bad"], 4);
        assert_eq!(report["ok"], false);
    }

    async fn verification_finds_a_deleted_entry(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        app.post("/api/v1/movements", Some(&officer), &movement("d-1", "MSU", "exit", &minutes_ago(1), "R1")).await.expect(201);
        let admin = app.admin_token().await;
        app.tamper_audit("DELETE FROM audit_log WHERE seq = 2");
        let after = app.get("/api/v1/audit/verify", Some(&admin)).await.expect(200);
        assert_eq!(after.body["ok"], false);
        assert_eq!(after.body["first_bad"], 2);
    }

    async fn the_database_refuses_to_change_the_log(app: TestApp) {
        app.admin_token().await;
        assert!(app.try_sql("UPDATE audit_log SET actor = 'x' WHERE seq = 1").is_err());
        assert!(app.try_sql("DELETE FROM audit_log WHERE seq = 1").is_err());
    }

    async fn no_password_secret_or_token_enters_the_log(app: TestApp) {
        let login = app.login("admin", ADMIN_PASSWORD).await.expect(200);
        let admin = login.body["access_token"].as_str().unwrap().to_owned();
        let refresh = login.body["refresh_token"].as_str().unwrap().to_owned();
        let rotated = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": refresh})).await.expect(200);
        app.post("/api/v1/users", Some(&admin), &json!({"username": "secretive", "password": OFFICER_PASSWORD, "role": "police"})).await.expect(201);
        app.login("secretive", "a-wrong-password-typed").await.expect(401);
        let creds = app.post("/api/v1/poe-systems", Some(&admin), &json!({"poe": "MSU"})).await.expect(201);
        let secret = creds.body["client_secret"].as_str().unwrap().to_owned();
        let token = app.post("/api/v1/auth/token", None, &json!({"client_id": creds.body["client_id"], "client_secret": secret})).await.expect(200);

        let everything = app.get("/api/v1/audit?limit=500", Some(&admin)).await.expect(200).text;
        for needle in [
            ADMIN_PASSWORD.to_owned(),
            OFFICER_PASSWORD.to_owned(),
            "a-wrong-password-typed".to_owned(),
            refresh,
            rotated.body["refresh_token"].as_str().unwrap().to_owned(),
            secret,
            admin.clone(),
            token.body["access_token"].as_str().unwrap().to_owned(),
        ] {
            assert!(!everything.contains(&needle), "the audit log holds a secret");
        }
        assert!(everything.contains("auth.login_failed"));
    }
}
