//! Registering and revoking POE systems.

use serde_json::json;

use crate::on_both_backends;

on_both_backends! {
    async fn a_secret_is_shown_once_and_a_revoked_system_is_locked_out(app: TestApp) {
        let admin = app.admin_token().await;
        let creds = app.post("/api/v1/poe-systems", Some(&admin), &json!({"poe": "MPB", "label": "reader 2"})).await.expect(201);
        let secret = creds.body["client_secret"].as_str().unwrap().to_owned();
        let id = creds.body["id"].as_str().unwrap().to_owned();
        let listed = app.get("/api/v1/poe-systems", Some(&admin)).await.expect(200);
        assert!(!listed.text.contains(&secret), "the secret is never shown again");
        assert_eq!(listed.body["items"][0]["poe"], "MPB");

        let token = app.post("/api/v1/auth/token", None, &json!({"client_id": creds.body["client_id"], "client_secret": secret})).await.expect(200);
        let access = token.body["access_token"].as_str().unwrap().to_owned();
        // A POE system may do nothing but push movements.
        app.get("/api/v1/poes", Some(&access)).await.expect(403);

        app.delete(&format!("/api/v1/poe-systems/{id}"), Some(&admin)).await.expect(204);
        app.get("/api/v1/poes", Some(&access)).await.expect(401);
        app.post("/api/v1/auth/token", None, &json!({"client_id": creds.body["client_id"], "client_secret": secret})).await.expect(401);
        app.delete("/api/v1/poe-systems/no-such-id", Some(&admin)).await.expect(404);
    }

    async fn a_system_needs_a_known_poe(app: TestApp) {
        let admin = app.admin_token().await;
        let a = app.post("/api/v1/poe-systems", Some(&admin), &json!({"poe": "ZZZ"})).await.expect(422);
        assert_eq!(a.error_fields(), vec!["poe"]);
        app.post("/api/v1/poe-systems", Some(&admin), &json!({"poe": "msu"})).await.expect(422);
    }

    async fn a_label_is_limited_in_characters_not_bytes(app: TestApp) {
        let admin = app.admin_token().await;
        app.post("/api/v1/poe-systems", Some(&admin), &json!({"poe": "MSU", "label": "é".repeat(200)})).await.expect(201);
        let long = app.post("/api/v1/poe-systems", Some(&admin), &json!({"poe": "MSU", "label": "é".repeat(201)})).await.expect(422);
        assert_eq!(long.error_fields(), vec!["label"]);
    }
}
