//! Account administration.

use serde_json::json;

use crate::helpers::OFFICER_PASSWORD;
use crate::on_both_backends;

on_both_backends! {
    async fn admin_creates_an_officer_who_signs_in(app: TestApp) {
        let admin = app.admin_token().await;
        let created = app.post("/api/v1/users", Some(&admin), &json!({
            "username": "Thabo.M", "password": OFFICER_PASSWORD, "role": "immigration", "poes": ["MSU"]
        })).await.expect(201);
        assert_eq!(created.body["username"], "thabo.m");
        assert_eq!(created.body["roles"], json!(["immigration"]));
        assert_eq!(created.body["poes"], json!(["MSU"]));
        assert_eq!(created.body["active"], true);
        assert!(created.body.get("password_hash").is_none() && !created.text.contains("argon2"));

        let login = app.login("thabo.m", OFFICER_PASSWORD).await.expect(200);
        assert!(login.body["access_token"].is_string());

        let id = created.body["id"].as_str().unwrap();
        let one = app.get(&format!("/api/v1/users/{id}"), Some(&admin)).await.expect(200);
        assert_eq!(one.body["username"], "thabo.m");
        let all = app.get("/api/v1/users", Some(&admin)).await.expect(200);
        assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
    }

    async fn users_hold_several_roles_and_all_posts(app: TestApp) {
        let admin = app.admin_token().await;
        let created = app.post("/api/v1/users", Some(&admin), &json!({
            "username": "small-post", "password": OFFICER_PASSWORD,
            "roles": ["immigration", "police", "lra"], "poes": ["SNP", "MNP"]
        })).await.expect(201);
        assert_eq!(created.body["roles"], json!(["immigration", "police", "lra"]));
        let hq = app.post("/api/v1/users", Some(&admin), &json!({
            "username": "hq-analyst", "password": OFFICER_PASSWORD, "roles": ["analyst"], "poes": ["*"]
        })).await.expect(201);
        assert_eq!(hq.body["poes"], json!(["*"]));
    }

    async fn bad_accounts_are_422_naming_the_field(app: TestApp) {
        let admin = app.admin_token().await;
        let cases = [
            (json!({"username": "shorty", "password": "short", "role": "immigration"}), "password", "fewer than 12 characters"),
            (json!({"username": "samepass1234", "password": "samepass1234", "role": "immigration"}), "password", "password equal to the username"),
            (json!({"username": "x", "password": OFFICER_PASSWORD, "role": "immigration"}), "username", "username too short"),
            (json!({"username": "newuser", "password": OFFICER_PASSWORD, "role": "king"}), "roles", "unknown role"),
            (json!({"username": "newuser", "password": OFFICER_PASSWORD, "role": "poe_system"}), "roles", "poe_system is not a user role"),
            (json!({"username": "newuser", "password": OFFICER_PASSWORD, "roles": []}), "roles", "no role"),
            (json!({"username": "newuser", "password": OFFICER_PASSWORD}), "roles", "role missing"),
            (json!({"username": "newuser", "password": OFFICER_PASSWORD, "role": "immigration", "poes": ["XYZ"]}), "poes[0]", "POE not in the registry"),
            (json!({"username": "newuser", "password": OFFICER_PASSWORD, "role": "immigration", "poes": ["msu"]}), "poes[0]", "lower-case code"),
            (json!({"username": "newuser", "password": OFFICER_PASSWORD, "role": "immigration", "colour": "red"}), "body", "unknown field"),
        ];
        for (body, field, why) in cases {
            let a = app.post("/api/v1/users", Some(&admin), &body).await;
            assert_eq!(a.status.as_u16(), 422, "{why}: {}", a.text);
            assert!(a.error_fields().iter().any(|f| f == field) || (field == "body" && a.text.contains("unknown field")),
                "{why}: expected field {field}, got {}", a.text);
        }
        // Nothing was created.
        let all = app.get("/api/v1/users", Some(&admin)).await.expect(200);
        assert_eq!(all.body["items"].as_array().unwrap().len(), 1);
    }

    async fn a_taken_username_is_409(app: TestApp) {
        let admin = app.admin_token().await;
        let body = json!({"username": "dup", "password": OFFICER_PASSWORD, "role": "analyst"});
        app.post("/api/v1/users", Some(&admin), &body).await.expect(201);
        app.post("/api/v1/users", Some(&admin), &body).await.expect(409);
    }

    async fn patch_changes_roles_postings_and_password(app: TestApp) {
        let admin = app.admin_token().await;
        let created = app.post("/api/v1/users", Some(&admin), &json!({
            "username": "nthabiseng", "password": OFFICER_PASSWORD, "role": "immigration", "poes": ["MSU"]
        })).await.expect(201);
        let id = created.body["id"].as_str().unwrap();
        let patched = app.patch(&format!("/api/v1/users/{id}"), Some(&admin), &json!({
            "roles": ["immigration", "lra"], "poes": ["MPB"], "password": "a-brand-new-password"
        })).await.expect(200);
        assert_eq!(patched.body["roles"], json!(["immigration", "lra"]));
        assert_eq!(patched.body["poes"], json!(["MPB"]));
        app.login("nthabiseng", OFFICER_PASSWORD).await.expect(401);
        app.login("nthabiseng", "a-brand-new-password").await.expect(200);
        app.patch(&format!("/api/v1/users/{id}"), Some(&admin), &json!({"password": "short"})).await.expect(422);
        app.patch("/api/v1/users/00000000-0000-0000-0000-000000000000", Some(&admin), &json!({"active": false})).await.expect(404);
    }

    async fn the_last_active_admin_cannot_be_disabled(app: TestApp) {
        let admin = app.admin_token().await;
        let users = app.get("/api/v1/users", Some(&admin)).await.expect(200);
        let id = users.body["items"][0]["id"].as_str().unwrap().to_owned();
        app.patch(&format!("/api/v1/users/{id}"), Some(&admin), &json!({"active": false})).await.expect(409);
        app.patch(&format!("/api/v1/users/{id}"), Some(&admin), &json!({"roles": ["analyst"]})).await.expect(409);
        // Unchanged.
        app.get("/api/v1/users", Some(&admin)).await.expect(200);
    }

    async fn only_admins_manage_users(app: TestApp) {
        let officer = app.user_token("officer", &["immigration", "police", "lra", "analyst"], &["*"]).await;
        app.get("/api/v1/users", Some(&officer)).await.expect(403);
        app.post("/api/v1/users", Some(&officer), &json!({"username": "x2x", "password": OFFICER_PASSWORD, "role": "admin"})).await.expect(403);
        app.get("/api/v1/users", None).await.expect(401);
    }
}
