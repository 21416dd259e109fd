//! The access matrix: every endpoint, called as every role, as a POE system and anonymously,
//! at the right POE and at a wrong one. The rows come from the service's one access table
//! (`crossings::http::access::RULES`), which the unit tests tie to the routes one to one.

use std::collections::HashMap;

use crossings::domain::user::Role;
use crossings::http::access::{RULES, Rule, Who};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_PASSWORD, OFFICER_PASSWORD, TestApp, minutes_ago, movement};
use crate::on_both_backends;

/// Who calls with a token (anonymous calls are checked apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Caller {
    User(Role),
    PoeSystem,
}

/// Posted at the POE of the objects (MSU) or elsewhere (MPB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Post {
    Right,
    Wrong,
}

/// What an allowed caller posted elsewhere gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Elsewhere {
    /// The endpoint is not limited by post (national, or administrative).
    Same,
    /// Refused: 403 (a list or a record at a post they are not posted at).
    Forbidden,
    /// The object is not theirs to know of: 404.
    NotFound,
    /// A batch answers 200 with the item rejected.
    ItemRejected,
}

/// The spec's scope of each endpoint for allowed callers posted elsewhere.
fn elsewhere(rule: &Rule) -> Elsewhere {
    match (rule.method, rule.path) {
        ("POST", "/movements")
        | ("GET", "/movements")
        | ("GET", "/stays")
        | ("GET", "/alert-hits") => Elsewhere::Forbidden,
        ("POST", "/movements/batch") => Elsewhere::ItemRejected,
        ("GET", "/movements/{id}")
        | ("POST", "/movements/{id}/void")
        | ("POST", "/movements/{id}/declarations")
        | ("GET", "/movements/{id}/declarations")
        | ("POST", "/alert-hits/{id}/acknowledge") => Elsewhere::NotFound,
        _ => Elsewhere::Same,
    }
}

struct Ctx {
    tokens: HashMap<(Caller, Post), String>,
    admin: String,
    immigration: String,
    police: String,
    vehicle_movement: String,
    spare_user: String,
    counter: std::cell::Cell<u32>,
}

impl Ctx {
    /// A token of a new edge credential at MSU.
    async fn edge_token(&self, app: &TestApp) -> String {
        let creds = app
            .post("/api/v1/edges", Some(&self.admin), &json!({"poe": "MSU"}))
            .await
            .expect(201);
        let t = app
            .post(
                "/api/v1/auth/token",
                None,
                &json!({"client_id": creds.body["client_id"], "client_secret": creds.body["client_secret"]}),
            )
            .await
            .expect(200);
        t.body["access_token"].as_str().unwrap().to_owned()
    }

    fn next(&self) -> u32 {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        n
    }
}

const ROLES: [Role; 5] = [
    Role::Admin,
    Role::Immigration,
    Role::Police,
    Role::Lra,
    Role::Analyst,
];

async fn setup(app: &TestApp) -> Ctx {
    let mut tokens = HashMap::new();
    for role in ROLES {
        for (post, poe) in [(Post::Right, "MSU"), (Post::Wrong, "MPB")] {
            let name = format!(
                "{}-{}",
                role.as_str().replace('_', ""),
                poe.to_ascii_lowercase()
            );
            tokens.insert(
                (Caller::User(role), post),
                app.user_token(&name, &[role.as_str()], &[poe]).await,
            );
        }
    }
    tokens.insert(
        (Caller::PoeSystem, Post::Right),
        app.system_token("MSU").await,
    );
    tokens.insert(
        (Caller::PoeSystem, Post::Wrong),
        app.system_token("MPB").await,
    );
    let admin = app.admin_token().await;
    let immigration = tokens[&(Caller::User(Role::Immigration), Post::Right)].clone();
    let police = app.user_token("police-hq", &["police"], &["*"]).await;
    // The vehicle's traveller is on the watchlist: police may read a movement that left a hit.
    app.post("/api/v1/watchlist", Some(&police), &json!({"issuing_state": "ZAF", "document_number": "CAR1", "category": "other", "action": "notify_only", "reason": "access matrix"})).await.expect(201);
    let mut car = movement("fixture-car", "MSU", "entry", &minutes_ago(10), "CAR1");
    car["mode"] = json!("private_vehicle");
    car["vehicle"] = json!({"registration": "AB123", "country": "ZAF", "category": "car"});
    let vehicle_movement = app
        .post("/api/v1/movements", Some(&immigration), &car)
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let spare = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "spare", "password": OFFICER_PASSWORD, "role": "analyst"}),
        )
        .await
        .expect(201);
    Ctx {
        tokens,
        admin,
        immigration,
        police,
        vehicle_movement,
        spare_user: spare.body["id"].as_str().unwrap().to_owned(),
        counter: std::cell::Cell::new(0),
    }
}

/// A request that an allowed caller at MSU would have granted: path (with query) and body.
async fn request(app: &TestApp, ctx: &Ctx, rule: &Rule) -> (String, Option<Value>) {
    let n = ctx.next();
    let fresh_movement = |poe: &str| {
        movement(
            &format!("matrix-{n}"),
            poe,
            "exit",
            &minutes_ago(5),
            &format!("M{n}"),
        )
    };
    let p = |s: &str| format!("/api/v1{s}");
    match (rule.method, rule.path) {
        ("POST", "/auth/login") => (
            p("/auth/login"),
            Some(json!({"username": "admin", "password": ADMIN_PASSWORD})),
        ),
        ("POST", "/auth/refresh") | ("POST", "/auth/logout") => {
            let login = app.login("admin", ADMIN_PASSWORD).await.expect(200);
            (
                p(rule.path),
                Some(json!({"refresh_token": login.body["refresh_token"]})),
            )
        }
        ("POST", "/auth/token") => {
            let creds = app
                .post(
                    "/api/v1/poe-systems",
                    Some(&ctx.admin),
                    &json!({"poe": "MSU"}),
                )
                .await
                .expect(201);
            (
                p("/auth/token"),
                Some(
                    json!({"client_id": creds.body["client_id"], "client_secret": creds.body["client_secret"]}),
                ),
            )
        }
        ("POST", "/users") => (
            p("/users"),
            Some(
                json!({"username": format!("new-{n}"), "password": OFFICER_PASSWORD, "role": "analyst"}),
            ),
        ),
        ("POST", "/auth/password") => (
            p("/auth/password"),
            Some(
                json!({"current_password": OFFICER_PASSWORD, "new_password": format!("changed in the matrix {n}")}),
            ),
        ),
        ("POST", "/auth/mfa/setup") => (p("/auth/mfa/setup"), None),
        // The code depends on the caller's secret: `confirm_body` makes it.
        ("POST", "/auth/mfa/confirm") => (p("/auth/mfa/confirm"), Some(json!({"code": "000000"}))),
        ("DELETE", "/users/{id}/mfa") => (p(&format!("/users/{}/mfa", ctx.spare_user)), None),
        ("GET", "/users/{id}") => (p(&format!("/users/{}", ctx.spare_user)), None),
        ("PATCH", "/users/{id}") => (
            p(&format!("/users/{}", ctx.spare_user)),
            Some(json!({"active": true})),
        ),
        ("POST", "/poe-systems") => (p("/poe-systems"), Some(json!({"poe": "MSU"}))),
        ("DELETE", "/poe-systems/{id}") => {
            let creds = app
                .post(
                    "/api/v1/poe-systems",
                    Some(&ctx.admin),
                    &json!({"poe": "MSU"}),
                )
                .await
                .expect(201);
            (
                p(&format!(
                    "/poe-systems/{}",
                    creds.body["id"].as_str().unwrap()
                )),
                None,
            )
        }
        ("POST", "/edges") => (p("/edges"), Some(json!({"poe": "MSU"}))),
        ("DELETE", "/edges/{id}") => {
            let creds = app
                .post("/api/v1/edges", Some(&ctx.admin), &json!({"poe": "MSU"}))
                .await
                .expect(201);
            (
                p(&format!("/edges/{}", creds.body["id"].as_str().unwrap())),
                None,
            )
        }
        ("POST", "/edge/movements") => (
            p("/edge/movements"),
            Some(json!({"movements": [{
                "id": format!("matrix-{n}"), "officer": "nobody",
                "recorded_at": minutes_ago(1), "movement": fresh_movement("MSU")
            }]})),
        ),
        ("PATCH", "/poes/{code}") => (p("/poes/MSU"), Some(json!({"automated": true}))),
        ("POST", "/movements") => (p("/movements"), Some(fresh_movement("MSU"))),
        ("GET", "/movements") => (p("/movements?poe=MSU"), None),
        ("POST", "/movements/batch") => (
            p("/movements/batch"),
            Some(json!({"movements": [fresh_movement("MSU")]})),
        ),
        ("GET", "/movements/{id}") | ("GET", "/movements/{id}/declarations") => {
            (p(&rule.path.replace("{id}", &ctx.vehicle_movement)), None)
        }
        ("POST", "/movements/{id}/void") => {
            let m = app
                .post(
                    "/api/v1/movements",
                    Some(&ctx.immigration),
                    &fresh_movement("MSU"),
                )
                .await
                .expect(201);
            (
                p(&format!(
                    "/movements/{}/void",
                    m.body["id"].as_str().unwrap()
                )),
                Some(json!({"reason": "access matrix"})),
            )
        }
        ("POST", "/movements/{id}/declarations") => (
            p(&format!("/movements/{}/declarations", ctx.vehicle_movement)),
            Some(
                json!({"reference": format!("R{n}"), "goods": "tyres", "value": "100", "currency": "ZAR"}),
            ),
        ),
        ("GET", "/travellers/history") => (
            p("/travellers/history?issuing_state=ZAF&document_number=CAR1&reason=access%20matrix"),
            None,
        ),
        ("GET", "/travellers/report") => (
            p("/travellers/report?issuing_state=ZAF&document_number=CAR1"),
            None,
        ),
        ("POST", "/travellers/search") => (
            p("/travellers/search"),
            Some(
                json!({"issuing_state": "ZAF", "document_number": "CAR1", "reason": "access matrix"}),
            ),
        ),
        ("GET", "/stays") => (p("/stays?poe=MSU&status=open"), None),
        ("POST", "/holds") => (p("/holds"), Some(hold_body(n))),
        ("DELETE", "/holds/{id}") => {
            let h = app
                .post("/api/v1/holds", Some(&ctx.police), &hold_body(n))
                .await
                .expect(201);
            (
                p(&format!("/holds/{}", h.body["id"].as_str().unwrap())),
                None,
            )
        }
        ("POST", "/watchlist") => (
            p("/watchlist"),
            Some(
                json!({"issuing_state": "ZAF", "document_number": format!("W{n}"), "category": "other", "action": "notify_only", "reason": "access matrix"}),
            ),
        ),
        ("DELETE", "/watchlist/{id}") => {
            let a = app.post("/api/v1/watchlist", Some(&ctx.police), &json!({"issuing_state": "ZAF", "document_number": format!("W{n}"), "category": "other", "action": "notify_only", "reason": "access matrix"})).await.expect(201);
            (
                p(&format!("/watchlist/{}", a.body["id"].as_str().unwrap())),
                None,
            )
        }
        ("GET", "/alert-hits") => (p("/alert-hits?poe=MSU"), None),
        ("POST", "/alert-hits/{id}/acknowledge") => {
            let doc = format!("HIT{n}");
            app.post("/api/v1/watchlist", Some(&ctx.police), &json!({"issuing_state": "ZAF", "document_number": doc, "category": "other", "action": "notify_only", "reason": "access matrix"})).await.expect(201);
            let m = movement(
                &format!("matrix-hit-{n}"),
                "MSU",
                "entry",
                &minutes_ago(5),
                &doc,
            );
            let recorded = app
                .post("/api/v1/movements", Some(&ctx.immigration), &m)
                .await
                .expect(201);
            let hits = app
                .get("/api/v1/alert-hits?poe=MSU", Some(&ctx.police))
                .await
                .expect(200);
            let hit = hits.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["movement_id"] == recorded.body["id"])
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned();
            (
                p(&format!("/alert-hits/{hit}/acknowledge")),
                Some(json!({"outcome": "false_match", "note": "access matrix"})),
            )
        }
        ("GET", "/stats/movements") => (p("/stats/movements?from=2026-01-01&to=2026-01-02"), None),
        ("GET", "/stats/hour-profile") => {
            (p("/stats/hour-profile?from=2026-01-01&to=2026-01-08"), None)
        }
        ("GET", "/stats/citizen-flow") => {
            (p("/stats/citizen-flow?from=2026-01-01&to=2026-01-08"), None)
        }
        ("GET", path) => (p(path), None),
        (method, path) => panic!("the access matrix has no request for {method} {path}: add one"),
    }
}

/// A police hold on a fresh document, for a year.
fn hold_body(n: u32) -> Value {
    let until = (chrono::Utc::now() + chrono::Duration::days(365)).date_naive();
    json!({"issuing_state": "ZAF", "document_number": format!("H{n}"), "reason": "access matrix", "until": until.to_string()})
}

/// A confirmation of a second factor set up for the holder of `token` just now.
async fn confirm_body(app: &TestApp, token: &str) -> Value {
    let setup = app
        .post("/api/v1/auth/mfa/setup", Some(token), &Value::Null)
        .await
        .expect(200);
    let secret = setup.body["secret"].as_str().unwrap();
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    json!({"code": crossings::auth::totp::code_at(secret, now).unwrap()})
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> crate::helpers::Answer {
    let url = app.url(path);
    let mut req = match method {
        "GET" => app.client.get(url),
        "POST" => app.client.post(url),
        "PATCH" => app.client.patch(url),
        "DELETE" => app.client.delete(url),
        other => panic!("method {other}"),
    };
    if let Some(b) = body {
        req = req.json(b);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if path.ends_with("/alert-hits/stream") {
        // Endless: the status and headers are the answer.
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let text = if status.is_success() {
            String::new()
        } else {
            res.text().await.unwrap_or_default()
        };
        return crate::helpers::Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        };
    }
    app.send(req).await
}

on_both_backends! {
    async fn every_endpoint_answers_every_caller_as_the_access_table_says(app: TestApp) {
        let ctx = setup(&app).await;
        let mut checked = 0;
        let mut edge_rows = 0;
        for rule in RULES {
            if rule.who == Who::Edge {
                // Only an edge's token: anonymous 401, every user and POE system 403.
                let (path, body) = request(&app, &ctx, rule).await;
                let anonymous = call(&app, rule.method, &path, body.as_ref(), None).await;
                assert_eq!(anonymous.status.as_u16(), 401, "{} {} anonymously", rule.method, rule.path);
                for (caller, token) in &ctx.tokens {
                    let a = call(&app, rule.method, &path, body.as_ref(), Some(token)).await;
                    assert_eq!(a.status.as_u16(), 403, "{} {} as {caller:?}: {}", rule.method, rule.path, a.text);
                }
                let edge = ctx.edge_token(&app).await;
                let a = call(&app, rule.method, &path, body.as_ref(), Some(&edge)).await;
                assert!(a.status.is_success(), "{} {} as an edge: {} {}", rule.method, rule.path, a.status, a.text);
                edge_rows += 1;
                continue;
            }
            let Who::Roles(allowed) = rule.who else {
                // Sign-in endpoints take no token: anyone may call them with credentials.
                let (path, body) = request(&app, &ctx, rule).await;
                let a = call(&app, rule.method, &path, body.as_ref(), None).await;
                assert!(a.status.is_success(), "{} {} anonymously: {} {}", rule.method, rule.path, a.status, a.text);
                checked += 1;
                continue;
            };
            let (path, body) = request(&app, &ctx, rule).await;
            let anonymous = call(&app, rule.method, &path, body.as_ref(), None).await;
            assert_eq!(anonymous.status.as_u16(), 401, "{} {} anonymously", rule.method, rule.path);
            let callers = ROLES.iter().map(|r| Caller::User(*r)).chain([Caller::PoeSystem]);
            for caller in callers {
                let may = match caller {
                    Caller::User(role) => allowed.contains(&role),
                    Caller::PoeSystem => allowed.contains(&Role::PoeSystem),
                };
                // The wrong post first: it must change nothing the right post then relies on.
                for post in [Post::Wrong, Post::Right] {
                    let (path, mut body) = request(&app, &ctx, rule).await;
                    let token = ctx.tokens[&(caller, post)].clone();
                    if rule.path == "/auth/mfa/confirm" && may {
                        body = Some(confirm_body(&app, &token).await);
                    }
                    let a = call(&app, rule.method, &path, body.as_ref(), Some(&token)).await;
                    let what = format!("{} {} as {caller:?} at the {post:?} post: {} {}", rule.method, rule.path, a.status, a.text);
                    match (may, post, elsewhere(rule)) {
                        (false, _, _) => assert_eq!(a.status.as_u16(), 403, "{what}"),
                        (true, Post::Right, _) | (true, Post::Wrong, Elsewhere::Same) => assert!(a.status.is_success(), "{what}"),
                        (true, Post::Wrong, Elsewhere::Forbidden) => assert_eq!(a.status.as_u16(), 403, "{what}"),
                        (true, Post::Wrong, Elsewhere::NotFound) => assert_eq!(a.status.as_u16(), 404, "{what}"),
                        (true, Post::Wrong, Elsewhere::ItemRejected) => {
                            assert_eq!(a.status.as_u16(), 200, "{what}");
                            assert_eq!(a.body["results"][0]["status"], "rejected", "{what}");
                        }
                    }
                    checked += 1;
                }
            }
        }
        let public = RULES.iter().filter(|r| r.who == Who::Anyone).count();
        assert_eq!(checked, public + (RULES.len() - public - edge_rows) * 12, "every row, every caller, both posts");
    }
}

#[test]
fn the_readme_shows_the_access_table_of_the_code() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = crossings::http::access::markdown_table();
    assert!(
        readme.contains(&table),
        "README.md's access table is not the code's; paste this under 'Access':\n\n{table}"
    );
}

#[test]
fn the_table_says_what_the_spec_says() {
    let who = |m: &str, p: &str| {
        RULES
            .iter()
            .find(|r| r.method == m && r.path == p)
            .map(|r| r.who)
    };
    // An analyst never reads movement data; an admin manages but reads no movements.
    for r in RULES {
        if r.path.starts_with("/movements")
            || r.path.starts_with("/travellers")
            || r.path.starts_with("/stays")
        {
            if let Who::Roles(roles) = r.who {
                assert!(
                    !roles.contains(&Role::Analyst) && !roles.contains(&Role::Admin),
                    "{r:?}"
                );
            }
        }
        if r.path.starts_with("/stats") {
            assert_eq!(r.who, Who::Roles(&[Role::Analyst, Role::Admin]), "{r:?}");
        }
    }
    assert_eq!(
        who("GET", "/travellers/history"),
        Some(Who::Roles(&[Role::Immigration, Role::Police]))
    );
    assert_eq!(
        who("POST", "/movements"),
        Some(Who::Roles(&[Role::Immigration, Role::PoeSystem]))
    );
    assert_eq!(who("GET", "/watchlist"), Some(Who::Roles(&[Role::Police])));
    assert_eq!(
        who("POST", "/travellers/search"),
        Some(Who::Roles(&[Role::Immigration, Role::Police]))
    );
    assert_eq!(
        who("GET", "/alert-hits/stream"),
        Some(Who::Roles(&[Role::Police]))
    );
}
