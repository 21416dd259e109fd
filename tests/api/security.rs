//! Security to ASVS level 2 (issue 17): login throttling counted exactly, client addresses
//! behind proxies, bounded hashing, own passwords, forced changes, the second factor and
//! the session's absolute lifetime. Each test runs on SQLite and PostgreSQL.

use crossings::config::Settings;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_PASSWORD, Answer, Backend, INITIAL_PASSWORD, OFFICER_PASSWORD, TestApp, spawn_app_with,
};

/// Like `on_both_backends!`, with settings changed first.
macro_rules! on_both_backends_with {
    ($( async fn $name:ident($app:ident : TestApp, |$s:ident| $tweak:block) $body:block )*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                fn tweak($s: &mut Settings) $tweak

                async fn body($app: TestApp) $body

                #[actix_web::test]
                async fn sqlite() {
                    if let Some(app) = spawn_app_with(Backend::Sqlite, tweak).await {
                        body(app).await;
                    }
                }

                #[actix_web::test]
                async fn postgres() {
                    if let Some(app) = spawn_app_with(Backend::Postgres, tweak).await {
                        body(app).await;
                    }
                }
            }
        )*
    };
}

impl TestApp {
    /// Signs in as if from `client` (the test server trusts 127.0.0.1 as its proxy).
    async fn login_from(&self, client: &str, username: &str, password: &str) -> Answer {
        self.send(
            self.client
                .post(self.url("/api/v1/auth/login"))
                .header("x-forwarded-for", client)
                .json(&json!({"username": username, "password": password})),
        )
        .await
    }

    async fn login_body(&self, body: &Value) -> Answer {
        self.post("/api/v1/auth/login", None, body).await
    }

    fn audit_count(&self, action: &str) -> i64 {
        self.count(&format!("audit_log WHERE action = '{action}'"))
    }
}

fn token(a: &Answer) -> String {
    a.body["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

fn trust_local_proxy(s: &mut Settings) {
    s.server.trusted_proxies = vec!["127.0.0.1/32".to_owned()];
}

/// The current code of `secret`, or the one of the step `steps` ahead.
fn code(secret: &str, steps: i64) -> String {
    let now = u64::try_from(chrono::Utc::now().timestamp() + steps * 30).unwrap();
    crossings::auth::totp::code_at(secret, now).unwrap()
}

on_both_backends_with! {
    // Before issue 17 each failure wrote "count read before hashing + 1": 40 parallel wrong
    // passwords were stored as 2 failures and the right password then signed in.
    async fn forty_parallel_wrong_passwords_all_count_and_the_right_one_is_then_refused(app: TestApp, |s| {
        // The per-address limit must not be what stops them.
        s.auth.address_failure_limit = 1000;
    }) {
        app.user_token("lerato", &["immigration"], &["MSU"]).await;
        let app = &app;
        let attempts = (0..40).map(|i| async move {
            app.login("lerato", &format!("wrong-password-{i}")).await
        });
        let answers = join_all(attempts).await;
        let status = |code: u16| answers.iter().filter(|a| a.status.as_u16() == code).count();
        assert_eq!(status(401) + status(429), 40, "every attempt is a 401 or a 429");
        assert_eq!(status(401), 5, "exactly the threshold of guesses reach the password check");
        assert_eq!(app.count("login_failures WHERE username = 'lerato'"), 5);
        assert_eq!(app.audit_count("auth.login_failed"), 5);
        assert_eq!(app.audit_count("auth.locked"), 1);
        let locked = app.login("lerato", OFFICER_PASSWORD).await.expect(429);
        assert!(locked.headers.contains_key("retry-after"));
        assert_eq!(locked.headers["content-type"], "application/problem+json");
    }

    async fn a_lock_holds_for_one_address_and_the_officer_signs_in_from_another(app: TestApp, |s| {
        trust_local_proxy(s);
    }) {
        app.user_token("thabo", &["immigration"], &["MSU"]).await;
        for _ in 0..5 {
            app.login_from("41.0.0.66", "thabo", "wrong-password!!").await.expect(401);
        }
        app.login_from("41.0.0.66", "thabo", OFFICER_PASSWORD).await.expect(429);
        // The officer at their own terminal is not locked out by the attacker.
        app.login_from("41.0.0.10", "thabo", OFFICER_PASSWORD).await.expect(200);
        app.login_from("41.0.0.66", "thabo", OFFICER_PASSWORD).await.expect(429);
    }

    async fn failures_from_everywhere_lock_the_account_everywhere_audited(app: TestApp, |s| {
        trust_local_proxy(s);
        s.auth.account_failure_limit = 8;
    }) {
        app.user_token("nthabiseng", &["immigration"], &["MSU"]).await;
        for i in 0..8 {
            let from = format!("41.0.{}.1", i / 2);
            app.login_from(&from, "nthabiseng", "wrong-password!!").await.expect(401);
        }
        assert_eq!(app.audit_count("auth.account_locked"), 1);
        let locked = app.login_from("41.9.9.9", "nthabiseng", OFFICER_PASSWORD).await.expect(429);
        assert!(locked.headers.contains_key("retry-after"));
        // An hour-old failure no longer counts.
        app.sql("UPDATE login_failures SET failed_at = '2000-01-01 00:00:00'");
        app.login_from("41.9.9.9", "nthabiseng", OFFICER_PASSWORD).await.expect(200);
    }

    async fn forged_forwarded_for_entries_do_not_choose_the_address(app: TestApp, |s| {
        trust_local_proxy(s);
    }) {
        app.user_token("puleng", &["immigration"], &["MSU"]).await;
        // The client writes entries of its own on the left; the proxy appends what it saw.
        for i in 0..5 {
            let forged = format!("10.9.9.{i}, 41.0.0.7");
            app.login_from(&forged, "puleng", "wrong-password!!").await.expect(401);
        }
        app.login_from("1.2.3.4, 41.0.0.7", "puleng", OFFICER_PASSWORD).await.expect(429);
        assert_eq!(
            app.count("audit_log WHERE action = 'auth.login_failed' AND client_addr = '41.0.0.7'"),
            5,
            "the audit log records the address the proxy saw"
        );
        // A malformed header means the peer (the proxy itself), not "unknown".
        let peer = app.login_from("unknown", "puleng", "wrong-password!!").await.expect(401);
        assert_eq!(peer.status.as_u16(), 401);
        assert_eq!(
            app.count("audit_log WHERE action = 'auth.login_failed' AND client_addr = '127.0.0.1'"),
            1
        );
    }

    async fn without_trusted_proxies_forwarded_for_is_ignored(app: TestApp, |_s| {}) {
        app.user_token("mosa", &["immigration"], &["MSU"]).await;
        for i in 0..5 {
            app.login_from(&format!("41.0.0.{i}"), "mosa", "wrong-password!!").await.expect(401);
        }
        // Rotating the header did not spread the failures over five addresses.
        app.login_from("41.0.0.200", "mosa", OFFICER_PASSWORD).await.expect(429);
        assert_eq!(
            app.count("audit_log WHERE action = 'auth.login_failed' AND client_addr = '127.0.0.1'"),
            5
        );
    }

    async fn hashing_is_bounded_and_the_overflow_gets_503_with_retry_after(app: TestApp, |s| {
        trust_local_proxy(s);
        s.auth.max_concurrent_hashes = 1;
    }) {
        let attempts = (0..120).map(|i| {
            let from = format!("41.1.{}.{}", i / 200, i % 200);
            let app = &app;
            async move { app.login_from(&from, &format!("someone{i}"), "wrong-password!!").await }
        });
        let answers = join_all(attempts).await;
        let busy: Vec<&Answer> = answers.iter().filter(|a| a.status.as_u16() == 503).collect();
        assert!(!busy.is_empty(), "with one hashing slot, 120 parallel logins overflow it");
        for a in &busy {
            assert_eq!(a.headers["retry-after"], "1");
            assert_eq!(a.headers["content-type"], "application/problem+json");
        }
        assert!(answers.iter().all(|a| matches!(a.status.as_u16(), 401 | 503)));
        // An attempt that was never checked does not count as a failure.
        let answered_401 = answers.iter().filter(|a| a.status.as_u16() == 401).count();
        assert_eq!(app.count("login_failures"), i64::try_from(answered_401).unwrap());
    }

    async fn an_admin_set_password_must_be_changed_first(app: TestApp, |_s| {}) {
        let admin = app.admin_token().await;
        app.post("/api/v1/users", Some(&admin), &json!({
            "username": "mpho", "password": INITIAL_PASSWORD, "roles": ["immigration"], "poes": ["MSU"]}))
            .await.expect(201);
        let first = app.login("mpho", INITIAL_PASSWORD).await.expect(200);
        assert_eq!(first.body["password_change_required"], true);
        let restricted = token(&first);
        let refused = app.get("/api/v1/poes", Some(&restricted)).await.expect(403);
        assert!(refused.body["type"].as_str().unwrap().ends_with("password-change-required"));
        assert_eq!(refused.headers["content-type"], "application/problem+json");
        app.post("/api/v1/auth/mfa/setup", Some(&restricted), &json!(null)).await.expect(403);

        // Refusals name the field and change nothing.
        for (body, field) in [
            (json!({"current_password": "not-the-password", "new_password": "a fine long passphrase"}), "current_password"),
            (json!({"current_password": INITIAL_PASSWORD, "new_password": "password1234"}), "new_password"),
            (json!({"current_password": INITIAL_PASSWORD, "new_password": "123456789012"}), "new_password"),
            (json!({"current_password": INITIAL_PASSWORD, "new_password": "i-am-mpho-the-officer"}), "new_password"),
            (json!({"current_password": INITIAL_PASSWORD, "new_password": INITIAL_PASSWORD}), "new_password"),
            (json!({"current_password": INITIAL_PASSWORD, "new_password": "short"}), "new_password"),
        ] {
            let a = app.post("/api/v1/auth/password", Some(&restricted), &body).await.expect(422);
            assert!(a.error_fields().iter().any(|f| f == field), "{body}: {:?}", a.error_fields());
        }
        app.login("mpho", INITIAL_PASSWORD).await.expect(200);

        app.post("/api/v1/auth/password", Some(&restricted), &json!({
            "current_password": INITIAL_PASSWORD, "new_password": OFFICER_PASSWORD})).await.expect(204);
        // The same token is now good everywhere its role allows.
        app.get("/api/v1/poes", Some(&restricted)).await.expect(200);
        app.login("mpho", INITIAL_PASSWORD).await.expect(401);
        let after = app.login("mpho", OFFICER_PASSWORD).await.expect(200);
        assert_eq!(after.body["password_change_required"], false);
        assert_eq!(app.audit_count("auth.password_changed"), 1);

        // An admin's reset forces a change again.
        let users = app.get("/api/v1/users", Some(&admin)).await.expect(200);
        let id = users.body["items"].as_array().unwrap().iter()
            .find(|u| u["username"] == "mpho").unwrap()["id"].as_str().unwrap().to_owned();
        app.patch(&format!("/api/v1/users/{id}"), Some(&admin), &json!({"password": "reset-by-the-admin"})).await.expect(200);
        let again = app.login("mpho", "reset-by-the-admin").await.expect(200);
        assert_eq!(again.body["password_change_required"], true);
    }

    async fn a_configured_bootstrap_password_is_not_forced_but_a_generated_one_is(app: TestApp, |_s| {}) {
        let a = app.login("admin", ADMIN_PASSWORD).await.expect(200);
        assert_eq!(a.body["password_change_required"], false);
        // A second start on an empty database without a configured password generates one.
        app.sql("UPDATE users SET active = false WHERE username = 'admin'");
        app.sql("UPDATE users SET username = 'old-admin' WHERE username = 'admin'");
        let outcome = crossings::service::sessions::bootstrap_admin(&app.state.ctx, None)
            .await
            .unwrap()
            .unwrap();
        let generated = outcome.generated_password.expect("a generated password");
        let first = app.login("admin", secrecy::ExposeSecret::expose_secret(&generated)).await.expect(200);
        assert_eq!(first.body["password_change_required"], true);
    }

    async fn a_second_factor_is_set_up_required_and_never_replayed(app: TestApp, |_s| {}) {
        let officer = app.user_token("palesa", &["police"], &["*"]).await;
        let setup = app.post("/api/v1/auth/mfa/setup", Some(&officer), &json!(null)).await.expect(200);
        let secret = setup.body["secret"].as_str().unwrap().to_owned();
        assert!(setup.body["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/"));
        let wrong = app.post("/api/v1/auth/mfa/confirm", Some(&officer), &json!({"code": "000000"})).await;
        if code(&secret, 0) != "000000" && code(&secret, -1) != "000000" && code(&secret, 1) != "000000" {
            assert_eq!(wrong.status.as_u16(), 422);
        }
        app.post("/api/v1/auth/mfa/confirm", Some(&officer), &json!({"code": code(&secret, 0)})).await.expect(204);
        // The secret is never shown again.
        let users = app.get("/api/v1/users", Some(&app.admin_token().await)).await.expect(200);
        assert!(!users.text.contains(&secret));
        app.post("/api/v1/auth/mfa/setup", Some(&officer), &json!(null)).await.expect(409);

        let without = app.login("palesa", OFFICER_PASSWORD).await.expect(401);
        assert!(without.body["type"].as_str().unwrap().ends_with("otp-required"));
        // A wrong password with no code is a plain 401, not a hint that a code is needed.
        let bad = app.login("palesa", "wrong-password!!").await.expect(401);
        assert!(!bad.body["type"].as_str().unwrap().ends_with("otp-required"));
        app.login_body(&json!({"username": "palesa", "password": OFFICER_PASSWORD, "otp": "12"})).await.expect(422);

        // The code confirmed with is used up; the next step's is accepted (one step of drift),
        // once.
        let next = code(&secret, 1);
        let ok = app.login_body(&json!({"username": "palesa", "password": OFFICER_PASSWORD, "otp": next})).await.expect(200);
        assert_eq!(ok.body["mfa_enrolment_required"], false);
        app.login_body(&json!({"username": "palesa", "password": OFFICER_PASSWORD, "otp": next})).await.expect(401);
        app.login_body(&json!({"username": "palesa", "password": OFFICER_PASSWORD, "otp": code(&secret, 0)})).await.expect(401);

        // An admin resets it (the device was lost): audited, and a password alone signs in.
        let admin = app.admin_token().await;
        let users = app.get("/api/v1/users", Some(&admin)).await.expect(200);
        let user = users.body["items"].as_array().unwrap().iter().find(|u| u["username"] == "palesa").unwrap().clone();
        assert_eq!(user["mfa_enabled"], true);
        let id = user["id"].as_str().unwrap();
        app.delete(&format!("/api/v1/users/{id}/mfa"), Some(&admin)).await.expect(204);
        assert_eq!(app.audit_count("user.mfa_reset"), 1);
        app.get("/api/v1/alert-hits", Some(&token(&ok))).await.expect(401);
        app.login("palesa", OFFICER_PASSWORD).await.expect(200);
        app.delete("/api/v1/users/no-such-user/mfa", Some(&admin)).await.expect(404);
    }

    async fn roles_that_need_a_second_factor_enrol_before_anything_else(app: TestApp, |s| {
        s.auth.mfa_required_roles = vec!["police".to_owned()];
    }) {
        // A first sign-in says both what is to do: the password, then the second factor.
        let admin = app.admin_token().await;
        app.post("/api/v1/users", Some(&admin), &json!({
            "username": "lerotholi", "password": INITIAL_PASSWORD, "roles": ["police"], "poes": ["*"]}))
            .await.expect(201);
        let first = app.login("lerotholi", INITIAL_PASSWORD).await.expect(200);
        assert_eq!(first.body["password_change_required"], true);
        assert_eq!(first.body["mfa_enrolment_required"], true);
        // The password first: the second factor's setup is refused until then.
        let refused = app.post("/api/v1/auth/mfa/setup", Some(&token(&first)), &json!(null)).await.expect(403);
        assert!(refused.body["type"].as_str().unwrap().ends_with("password-change-required"));

        let officer = app.user_token("lineo", &["police"], &["*"]).await;
        let refused = app.get("/api/v1/alert-hits", Some(&officer)).await.expect(403);
        assert!(refused.body["type"].as_str().unwrap().ends_with("mfa-enrolment-required"));
        let signed_in = app.login("lineo", OFFICER_PASSWORD).await.expect(200);
        assert_eq!(signed_in.body["mfa_enrolment_required"], true);
        let setup = app.post("/api/v1/auth/mfa/setup", Some(&officer), &json!(null)).await.expect(200);
        let secret = setup.body["secret"].as_str().unwrap().to_owned();
        app.post("/api/v1/auth/mfa/confirm", Some(&officer), &json!({"code": code(&secret, 0)})).await.expect(204);
        app.get("/api/v1/alert-hits", Some(&officer)).await.expect(200);
        // Roles not listed are not asked.
        let clerk = app.user_token("karabo", &["immigration"], &["MSU"]).await;
        app.get("/api/v1/poes", Some(&clerk)).await.expect(200);
    }

    async fn a_session_ends_at_its_maximum_age_whatever_the_refreshes(app: TestApp, |s| {
        s.auth.session_max_secs = 3600;
    }) {
        let a = app.login("admin", ADMIN_PASSWORD).await.expect(200);
        let r1 = a.body["refresh_token"].as_str().unwrap().to_owned();
        let b = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": r1})).await.expect(200);
        let r2 = b.body["refresh_token"].as_str().unwrap().to_owned();
        // As if the session had been opened an hour and a minute ago.
        app.sql(match app.backend {
            Backend::Postgres => "UPDATE sessions SET created_at = created_at - INTERVAL '61 minutes'",
            Backend::Sqlite => "UPDATE sessions SET created_at = datetime(created_at, '-61 minutes')",
        });
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": r2})).await.expect(401);
    }

    async fn client_values_in_the_log_paths_are_bounded(app: TestApp, |_s| {}) {
        // A 1 MB client_id and a newline in a username are refused or answered normally; the
        // log clipping itself is unit-tested in telemetry.
        let big = "x".repeat(1_000_000);
        let a = app.post("/api/v1/auth/token", None, &json!({"client_id": big, "client_secret": "s"})).await;
        assert!(matches!(a.status.as_u16(), 401 | 413 | 422), "{}", a.status);
        app.login("admin\nINFO forged", "wrong-password!!").await.expect(401);
    }
}

/// A movement of a traveller of `nationality`, `minutes` ago.
fn crossing(i: usize, nationality: &str, minutes: i64) -> Value {
    let mut m = crate::helpers::movement(
        &format!("sdc-{i}"),
        "MSU",
        "entry",
        &crate::helpers::minutes_ago(minutes),
        &format!("SDC{i}"),
    );
    m["traveller"]["nationality"] = json!(nationality);
    m["traveller"]["issuing_state"] = json!(nationality);
    m
}

/// Yesterday and the day after tomorrow, Lesotho dates: whole days around now.
fn whole_days() -> (String, String) {
    let today = (chrono::Utc::now() + chrono::Duration::hours(2)).date_naive();
    (
        (today - chrono::Duration::days(1)).to_string(),
        (today + chrono::Duration::days(2)).to_string(),
    )
}

on_both_backends_with! {
    // Before issue 17: an analyst asking for one second narrowed by nationality, sex and age
    // band got `total: 1`, and the withheld row's keys named the person's attributes.
    async fn the_one_second_small_cell_attack_is_refused_and_no_small_count_is_published(app: TestApp, |_s| {}) {
        let officer = app.user_token("officer-sdc", &["immigration"], &["MSU"]).await;
        let analyst = app.user_token("hoba", &["analyst"], &[]).await;
        let m = crossing(1, "ZAF", 3);
        let at = m["occurred_at"].as_str().unwrap().to_owned();
        app.post("/api/v1/movements", Some(&officer), &m).await.expect(201);
        let t = chrono::DateTime::parse_from_rfc3339(&at).unwrap();
        let second = |d: i64| (t + chrono::Duration::seconds(d)).to_rfc3339().replace('+', "%2B");
        let one_second = format!(
            "/api/v1/stats/movements?from={}&to={}&interval=hour&group_by=poe&nationality=ZAF&sex=M&age_band=35-44",
            second(0), second(1)
        );
        let refused = app.get(&one_second, Some(&analyst)).await.expect(422);
        assert!(refused.error_fields().iter().any(|f| f == "from"), "{}", refused.text);
        // Over whole days, the lone crossing is withheld, and so is the total.
        let (from, to) = whole_days();
        let day = app.get(&format!(
            "/api/v1/stats/movements?from={from}&to={to}&group_by=nationality,sex,age_band"), Some(&analyst)).await.expect(200);
        assert_eq!(day.body["total"], Value::Null, "{}", day.text);
        assert!(day.body["rows"].as_array().unwrap().iter().all(|r| r["count"].is_null()));
        assert_eq!(day.body["suppressed_cells"], 2);
        // Unprotected answers (by post) are not affected.
        let by_post = app.get(&format!("/api/v1/stats/movements?from={from}&to={to}&group_by=poe"), Some(&analyst)).await.expect(200);
        assert_eq!(by_post.body["total"], 1);
    }

    async fn a_withheld_cell_cannot_be_worked_out_from_the_total(app: TestApp, |_s| {}) {
        let officer = app.user_token("officer-sdc", &["immigration"], &["MSU"]).await;
        let analyst = app.user_token("hoba", &["analyst"], &[]).await;
        let items: Vec<Value> = (0..6).map(|i| crossing(i, "ZAF", 5))
            .chain((6..8).map(|i| crossing(i, "BWA", 5)))
            .chain((8..20).map(|i| crossing(i, "MOZ", 5)))
            .collect();
        app.post("/api/v1/movements/batch", Some(&officer), &json!({"movements": items})).await.expect(200);
        let (from, to) = whole_days();
        let a = app.get(&format!("/api/v1/stats/movements?from={from}&to={to}&group_by=nationality"), Some(&analyst)).await.expect(200);
        let rows = a.body["rows"].as_array().unwrap();
        let of = |n: &str| rows.iter().find(|r| r["nationality"] == n).unwrap()["count"].clone();
        assert_eq!(a.body["total"], 20);
        assert_eq!(of("BWA"), Value::Null);
        assert_eq!(of("ZAF"), Value::Null, "20 - 12 - 6 would give BWA's 2 away");
        assert_eq!(of("MOZ"), 12);
        assert_eq!(a.body["suppressed_cells"], 2);
        // The citizens' flow is narrowed by nationality: protected too.
        let flow = app.get(&format!("/api/v1/stats/citizen-flow?from={from}&to={to}"), Some(&analyst)).await.expect(200);
        assert_eq!(flow.body["entries"], 0);
        let ragged = format!("/api/v1/stats/citizen-flow?from={from}T10:00:00%2B02:00&to={to}");
        app.get(&ragged, Some(&analyst)).await.expect(422);
    }

    async fn an_answer_too_large_is_refused_before_it_runs(app: TestApp, |_s| {}) {
        let analyst = app.user_token("hoba", &["analyst"], &[]).await;
        let big = app.get("/api/v1/stats/movements?from=2026-01-01&to=2026-01-31&interval=hour&group_by=poe,nationality,sex,age_band,purpose", Some(&analyst)).await.expect(422);
        assert!(big.text.contains("stats.max_cells"), "{}", big.text);
        // Filtering the dimensions down brings it under the limit.
        app.get("/api/v1/stats/movements?from=2026-01-01&to=2026-01-31&interval=hour&group_by=poe,nationality&nationality=ZAF", Some(&analyst)).await.expect(200);
    }

    async fn recording_is_answered_while_statistics_are_hammered(app: TestApp, |s| {
        s.database.pool_size = 4;
    }) {
        let officer = app.user_token("officer-sdc", &["immigration"], &["MSU"]).await;
        let analyst = app.user_token("hoba", &["analyst"], &[]).await;
        let app = &app;
        let (officer, analyst) = (&officer, &analyst);
        let stats = (0..32).map(|_| async move {
            app.get("/api/v1/stats/movements?from=2026-01-01&to=2026-01-31&interval=hour&group_by=poe,direction", Some(analyst)).await
        });
        let records = (0..16).map(|i| async move {
            app.post("/api/v1/movements", Some(officer), &crossing(100 + i, "ZAF", 2)).await
        });
        let (stats, records) = futures_util::join!(join_all(stats), join_all(records));
        for r in &records {
            assert_eq!(r.status.as_u16(), 201, "recording waits behind no statistics: {}", r.text);
        }
        for s in &stats {
            assert!(matches!(s.status.as_u16(), 200 | 503), "{} {}", s.status, s.text);
        }
    }
}

on_both_backends_with! {
    async fn every_error_is_problem_json_413_and_415_included(app: TestApp, |s| {
        s.server.body_limit_bytes = 4096;
    }) {
        let officer = app.user_token("officer-err", &["immigration"], &["MSU"]).await;
        let count = app.count("movements");
        let big = vec![b'x'; 10_000];
        for path in ["/api/v1/movements", "/api/v1/movements/batch", "/api/v1/auth/login", "/api/v1/auth/password"] {
            let a = app.post_raw(path, Some(&officer), big.clone()).await;
            assert_eq!(a.status.as_u16(), 413, "{path}: {}", a.text);
            assert_eq!(a.headers["content-type"], "application/problem+json", "{path}");
            // Announced as too large before it is sent, too.
            let b = app.send(app.client.post(app.url(path)).bearer_auth(&officer)
                .header("content-type", "application/json").header("content-length", "10000000").body(big.clone())).await;
            assert!(matches!(b.status.as_u16(), 413 | 400), "{path}: {}", b.status);
        }
        for path in ["/api/v1/movements", "/api/v1/auth/login"] {
            let a = app.send(app.client.post(app.url(path)).bearer_auth(&officer)
                .header("content-type", "text/plain").body("{}")).await;
            assert_eq!(a.status.as_u16(), 415, "{path}: {}", a.text);
            assert_eq!(a.headers["content-type"], "application/problem+json", "{path}");
        }
        assert_eq!(app.count("movements"), count, "nothing changed");
    }

    async fn lra_never_sees_alerts_and_a_movement_without_a_vehicle_is_not_found(app: TestApp, |_s| {}) {
        let police = app.user_token("police-lra", &["police"], &["*"]).await;
        let officer = app.user_token("officer-lra", &["immigration"], &["MSU"]).await;
        let lra = app.user_token("customs", &["lra"], &["MSU"]).await;
        app.post("/api/v1/watchlist", Some(&police), &json!({"issuing_state": "ZAF", "document_number": "CARW1", "category": "other", "action": "notify_only", "reason": "test"})).await.expect(201);
        let mut car = crate::helpers::movement("lra-car", "MSU", "entry", &crate::helpers::minutes_ago(5), "CARW1");
        car["mode"] = json!("private_vehicle");
        car["vehicle"] = json!({"registration": "AB123", "country": "ZAF", "category": "car"});
        let with_car = app.post("/api/v1/movements", Some(&officer), &car).await.expect(201);
        assert!(with_car.body["alert"].is_object(), "immigration sees the alert: {}", with_car.text);
        let id = with_car.body["id"].as_str().unwrap();
        let seen = app.get(&format!("/api/v1/movements/{id}"), Some(&lra)).await.expect(200);
        assert!(seen.body.get("alert").is_none(), "{}", seen.text);
        let listed = app.get("/api/v1/movements?poe=MSU", Some(&lra)).await.expect(200);
        assert!(!listed.text.contains("\"alert\""), "{}", listed.text);
        let on_foot = app.post("/api/v1/movements", Some(&officer),
            &crate::helpers::movement("lra-foot", "MSU", "entry", &crate::helpers::minutes_ago(5), "FOOT1")).await.expect(201);
        let declaration = json!({"reference": "R1", "goods": "tyres", "value": "100", "currency": "ZAR"});
        let foot = app.post(&format!("/api/v1/movements/{}/declarations", on_foot.body["id"].as_str().unwrap()), Some(&lra), &declaration).await.expect(404);
        let missing = app.post("/api/v1/movements/no-such-movement/declarations", Some(&lra), &declaration).await.expect(404);
        assert_eq!(foot.body["detail"], missing.body["detail"], "no difference to learn from");
    }
}
