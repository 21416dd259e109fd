//! Sign-in, tokens, sessions, lockout and rate limits.

use base64::Engine;
use crossings::auth::tokens::{Claims, TokenKeys};
use secrecy::SecretString;
use serde_json::json;

use crate::helpers::{ADMIN_PASSWORD, Backend, OFFICER_PASSWORD, spawn_app_with};
use crate::on_both_backends;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

fn claims_of(token: &str) -> Claims {
    let payload = token.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64");
    serde_json::from_slice(&bytes).expect("claims")
}

on_both_backends! {
    async fn bootstrap_admin_signs_in_and_gets_a_bearer_token(app: TestApp) {
        let a = app.login("admin", ADMIN_PASSWORD).await.expect(200);
        assert_eq!(a.body["token_type"], "Bearer");
        assert_eq!(a.body["expires_in"], 900);
        assert!(a.body["refresh_token"].as_str().is_some_and(|t| t.len() > 30));
        let claims = claims_of(a.body["access_token"].as_str().unwrap());
        assert_eq!(claims.iss, "crossings");
        assert_eq!(claims.aud, "crossings-api");
        assert_eq!(claims.exp - claims.iat, 900);
        assert!(claims.nbf <= claims.iat);
        assert!(!claims.jti.is_empty());
        assert!(claims.sub.starts_with("user:"));
        assert_eq!(claims.roles, vec!["admin"]);
        assert_eq!(claims.poes, vec!["*"]);
    }

    async fn wrong_password_and_unknown_user_get_the_same_401(app: TestApp) {
        let wrong = app.login("admin", "not-the-password").await.expect(401);
        let unknown = app.login("nobody-here", "not-the-password").await.expect(401);
        assert_eq!(wrong.body["detail"], unknown.body["detail"]);
        assert_eq!(wrong.headers["content-type"], "application/problem+json");
    }

    async fn five_failures_lock_the_account_even_for_the_right_password(app: TestApp) {
        app.user_token("lerato", &["immigration"], &["MSU"]).await;
        for _ in 0..4 {
            app.login("lerato", "wrong-password!!").await.expect(401);
        }
        // The fifth failure locks.
        app.login("lerato", "wrong-password!!").await.expect(401);
        let locked = app.login("lerato", OFFICER_PASSWORD).await.expect(429);
        assert!(locked.headers.contains_key("retry-after"));
        // An unknown username locks the same way, so a lock reveals nothing.
        for _ in 0..5 {
            app.login("ghost-user", "wrong-password!!").await.expect(401);
        }
        let ghost = app.login("ghost-user", "wrong-password!!").await.expect(429);
        assert_eq!(ghost.body["detail"], locked.body["detail"]);
        // Other accounts are unaffected.
        app.login("admin", ADMIN_PASSWORD).await.expect(200);
    }

    async fn a_lock_expires_after_the_configured_time(app: TestApp) {
        app.user_token("palesa", &["police"], &["*"]).await;
        for _ in 0..5 {
            app.login("palesa", "wrong-password!!").await.expect(401);
        }
        app.login("palesa", OFFICER_PASSWORD).await.expect(429);
        // Move the lock into the past, as if 15 minutes had gone by.
        app.sql("UPDATE login_failures SET failed_at = '2000-01-01 00:00:00' WHERE username = 'palesa'");
        app.login("palesa", OFFICER_PASSWORD).await.expect(200);
    }

    async fn refresh_rotates_and_a_reused_refresh_token_revokes_the_session(app: TestApp) {
        let first = app.login("admin", ADMIN_PASSWORD).await.expect(200);
        let r1 = first.body["refresh_token"].as_str().unwrap().to_owned();
        let second = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": r1})).await.expect(200);
        let r2 = second.body["refresh_token"].as_str().unwrap().to_owned();
        let access2 = second.body["access_token"].as_str().unwrap().to_owned();
        assert_ne!(r1, r2);
        app.get("/api/v1/users", Some(&access2)).await.expect(200);

        // r1 again: theft suspected, the whole session goes.
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": r1})).await.expect(401);
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": r2})).await.expect(401);
        app.get("/api/v1/users", Some(&access2)).await.expect(401);
        // Other sessions live on.
        app.admin_token().await;
    }

    async fn logout_revokes_the_session(app: TestApp) {
        let a = app.login("admin", ADMIN_PASSWORD).await.expect(200);
        let access = a.body["access_token"].as_str().unwrap().to_owned();
        let refresh = a.body["refresh_token"].as_str().unwrap().to_owned();
        app.post("/api/v1/auth/logout", None, &json!({"refresh_token": refresh})).await.expect(204);
        app.get("/api/v1/users", Some(&access)).await.expect(401);
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": refresh})).await.expect(401);

        // With the access token instead.
        let access = app.admin_token().await;
        let res = app.send(app.client.post(app.url("/api/v1/auth/logout")).bearer_auth(&access)).await;
        assert_eq!(res.status.as_u16(), 204, "{}", res.text);
        app.get("/api/v1/users", Some(&access)).await.expect(401);
    }

    async fn logout_takes_a_null_body_as_no_body(app: TestApp) {
        // The document makes the body optional; `null` is how a JSON client sends none.
        let access = app.admin_token().await;
        app.post("/api/v1/auth/logout", Some(&access), &json!(null)).await.expect(204);
        app.get("/api/v1/users", Some(&access)).await.expect(401);
        app.post("/api/v1/auth/logout", None, &json!(null)).await.expect(401);
        app.post("/api/v1/auth/logout", None, &json!([])).await.expect(422);
    }

    async fn forged_tokens_are_refused(app: TestApp) {
        let token = app.admin_token().await;
        let claims = claims_of(&token);

        // alg: none.
        let payload = token.split('.').nth(1).unwrap();
        let none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), payload);
        app.get("/api/v1/users", Some(&none)).await.expect(401);

        // Edited claims with the old signature.
        let parts: Vec<&str> = token.split('.').collect();
        let mut edited = claims.clone();
        edited.poes = vec!["MSU".into()];
        let edited_payload = b64(&serde_json::to_string(&edited).unwrap());
        app.get("/api/v1/users", Some(&format!("{}.{}.{}", parts[0], edited_payload, parts[2]))).await.expect(401);

        // A well-formed token signed with another key.
        let other = TokenKeys::new(&SecretString::from("some-other-key-some-other-key-1234"), "crossings", "crossings-api", 900).unwrap();
        app.get("/api/v1/users", Some(&other.sign(&claims).unwrap())).await.expect(401);

        // Right key, but expired, wrong issuer, wrong audience, not yet valid.
        let keys = app.state.ctx.auth.keys();
        let now = chrono::Utc::now().timestamp();
        for bad in [
            Claims { exp: now - 3600, iat: now - 4500, nbf: now - 4500, ..claims.clone() },
            Claims { iss: "someone-else".into(), ..claims.clone() },
            Claims { aud: "another-api".into(), ..claims.clone() },
            Claims { nbf: now + 3600, ..claims.clone() },
        ] {
            app.get("/api/v1/users", Some(&keys.sign(&bad).unwrap())).await.expect(401);
        }
        // The same claims, properly signed, still work: the refusals above are the edits.
        app.get("/api/v1/users", Some(&keys.sign(&claims).unwrap())).await.expect(200);

        // Garbage and missing headers.
        app.get("/api/v1/users", Some("not.a.jwt")).await.expect(401);
        app.get("/api/v1/users", None).await.expect(401);
    }

    async fn a_disabled_account_loses_access_at_once(app: TestApp) {
        let admin = app.admin_token().await;
        let officer = app.user_token("mpho", &["admin"], &["*"]).await;
        app.get("/api/v1/users", Some(&officer)).await.expect(200);
        let users = app.get("/api/v1/users", Some(&admin)).await.expect(200);
        let id = users.body["items"].as_array().unwrap().iter()
            .find(|u| u["username"] == "mpho").unwrap()["id"].as_str().unwrap().to_owned();
        app.patch(&format!("/api/v1/users/{id}"), Some(&admin), &json!({"active": false})).await.expect(200);
        app.get("/api/v1/users", Some(&officer)).await.expect(401);
        app.login("mpho", OFFICER_PASSWORD).await.expect(401);
    }

    async fn poe_systems_get_a_token_bound_to_their_poe(app: TestApp) {
        let admin = app.admin_token().await;
        let creds = app.post("/api/v1/poe-systems", Some(&admin), &json!({"poe": "MSU", "label": "e-gate 1"})).await.expect(201);
        let token = app.post("/api/v1/auth/token", None, &json!({
            "client_id": creds.body["client_id"], "client_secret": creds.body["client_secret"]})).await.expect(200);
        let claims = claims_of(token.body["access_token"].as_str().unwrap());
        assert_eq!(claims.roles, vec!["poe_system"]);
        assert_eq!(claims.poes, vec!["MSU"]);
        assert!(token.body.get("refresh_token").is_none());

        app.post("/api/v1/auth/token", None, &json!({
            "client_id": creds.body["client_id"], "client_secret": "wrong"})).await.expect(401);
        app.post("/api/v1/auth/token", None, &json!({
            "client_id": "unknown", "client_secret": creds.body["client_secret"]})).await.expect(401);
    }
}

/// Failed logins from one address are limited; successful ones never count.
#[actix_web::test]
async fn failures_from_one_address_are_rate_limited_but_successes_never_count() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |s| {
        s.auth.address_failure_limit = 3;
    })
    .await
    else {
        return;
    };
    // A shift signing in: many successes from one address are never slowed.
    for _ in 0..10 {
        app.login("admin", ADMIN_PASSWORD).await.expect(200);
    }
    for i in 0..3 {
        app.login(&format!("someone{i}"), "wrong-password!!")
            .await
            .expect(401);
    }
    let limited = app
        .login("someone-else", "wrong-password!!")
        .await
        .expect(429);
    assert!(limited.headers.contains_key("retry-after"));
    // While limited, even a correct login from this address waits.
    app.login("admin", ADMIN_PASSWORD).await.expect(429);
}
