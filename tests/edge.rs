//! Posts that go offline, with real processes: HQ (the built binary on PostgreSQL) and an
//! edge (the same binary, `crossings edge`, on a SQLite file of its own), each on a free port
//! in its own folder. Movements recorded at the edge reach HQ once, whatever happens between:
//! HQ stopped, the edge SIGKILLed while it forwards, a proxy that cuts connections
//! mid-request or loses HQ's answers. The watchlist and the accounts come down from HQ and
//! keep working at the edge offline.
//!
//! Without PostgreSQL the tests are skipped with a message, unless `CROSSINGS_REQUIRE_PG=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is a test failure"
)]

mod common;
#[path = "api/helpers.rs"]
mod helpers;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Process, free_port};
use helpers::{ADMIN_PASSWORD, Backend, INITIAL_PASSWORD, OFFICER_PASSWORD, minutes_ago, movement};
use serde_json::{Value, json};

const POST: &str = "SNP";

/// HQ: the binary on a PostgreSQL database of this test's own.
struct Hq {
    process: Option<Process>,
    port: u16,
    url: String,
    log: PathBuf,
    _db: helpers::TestDatabase,
    db: crossings::store::Db,
}

impl Hq {
    fn start(dir: &Path) -> Option<Self> {
        let (db_guard, url) = helpers::test_database(Backend::Postgres)?;
        let db = crossings::startup::connect(&helpers::test_settings(&url)).unwrap();
        let mut hq = Self {
            process: None,
            port: free_port(),
            url,
            log: dir.join("hq.log"),
            _db: db_guard,
            db,
        };
        hq.restart();
        Some(hq)
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn restart(&mut self) {
        self.stop();
        let mut cmd = Command::new(common::BIN);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &self.url)
            .env("CROSSINGS_BIND", format!("127.0.0.1:{}", self.port))
            .env("CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("CROSSINGS__TELEMETRY__METRICS_BIND", "")
            .env("CROSSINGS__SERVER__WORKERS", "2")
            .env("CROSSINGS__DATABASE__POOL_SIZE", "6")
            .env("RUST_LOG", "warn")
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        // Appends: a restarted HQ keeps the log of the one before.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        cmd.stdout(std::process::Stdio::null()).stderr(log);
        self.process = Some(Process::of(cmd.spawn().unwrap()));
        assert!(
            common::wait_ready(self.port, Duration::from_secs(60)),
            "HQ did not start:\n{}",
            common::tail(&self.log, 30)
        );
    }

    /// SIGKILL.
    fn stop(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.kill();
        }
    }

    fn count(&self, sql: &str) -> i64 {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.db.get().unwrap();
        diesel::sql_query(sql)
            .get_result::<N>(&mut *conn)
            .unwrap()
            .n
    }
}

/// The edge: `crossings edge` on a SQLite file in `dir`.
struct Edge {
    process: Option<Process>,
    port: u16,
    metrics_port: u16,
    dir: PathBuf,
    hq_url: String,
    client_id: String,
    client_secret: String,
}

impl Edge {
    fn start(dir: &Path, hq_url: &str, creds: &Value) -> Self {
        let mut edge = Self {
            process: None,
            port: free_port(),
            metrics_port: free_port(),
            dir: dir.to_path_buf(),
            hq_url: hq_url.to_owned(),
            client_id: creds["client_id"].as_str().unwrap().to_owned(),
            client_secret: creds["client_secret"].as_str().unwrap().to_owned(),
        };
        edge.restart();
        edge
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> PathBuf {
        self.dir.join("edge.log")
    }

    fn restart(&mut self) {
        self.kill();
        let mut cmd = Command::new(common::BIN);
        cmd.arg("edge")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", self.dir.join("edge.db").display()),
            )
            .env("CROSSINGS_BIND", format!("127.0.0.1:{}", self.port))
            .env(
                "CROSSINGS__TELEMETRY__METRICS_BIND",
                format!("127.0.0.1:{}", self.metrics_port),
            )
            .env("CROSSINGS__EDGE__HQ_URL", &self.hq_url)
            .env("CROSSINGS__EDGE__CLIENT_ID", &self.client_id)
            .env("CROSSINGS__EDGE__CLIENT_SECRET", &self.client_secret)
            .env("CROSSINGS__EDGE__SYNC_INTERVAL_SECS", "1")
            .env("CROSSINGS__EDGE__REQUEST_TIMEOUT_SECS", "10")
            .env("CROSSINGS__SERVER__WORKERS", "2")
            .env("RUST_LOG", "warn,crossings::edge=info")
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log())
            .unwrap();
        cmd.stdout(std::process::Stdio::null()).stderr(log);
        self.process = Some(Process::of(cmd.spawn().unwrap()));
        assert!(
            common::wait_ready(self.port, Duration::from_secs(60)),
            "the edge did not start:\n{}",
            common::tail(&self.log(), 30)
        );
    }

    /// SIGKILL: no chance to finish anything.
    fn kill(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.kill();
        }
    }

    fn log_tail(&self) -> String {
        common::tail(&self.log(), 30)
    }
}

async fn post(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let mut req = client.post(url).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get(client: &reqwest::Client, url: String, token: &str) -> (u16, Value) {
    let r = client.get(url).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn login(client: &reqwest::Client, base: &str, user: &str, password: &str) -> (u16, Value) {
    post(
        client,
        format!("{base}/api/v1/auth/login"),
        None,
        &json!({"username": user, "password": password}),
    )
    .await
}

/// Polls `check` every 100 ms until it holds, for at most `within`.
async fn eventually<F, Fut>(within: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not within {within:?}: {what}");
}

/// HQ with an admin, a police officer, and an immigration officer posted at the post (their
/// first password changed), and an edge credential for the post.
struct World {
    client: reqwest::Client,
    hq: Hq,
    admin: String,
    police: String,
    officer_id: String,
    creds: Value,
    dir: tempfile::TempDir,
}

async fn world() -> Option<World> {
    let client = common::http();
    let dir = tempfile::tempdir().unwrap();
    let hq = Hq::start(dir.path())?;
    let base = hq.base();
    let (s, a) = login(&client, &base, "admin", ADMIN_PASSWORD).await;
    assert_eq!(s, 200, "{a}");
    let admin = a["access_token"].as_str().unwrap().to_owned();
    let mut tokens = Vec::new();
    let mut officer_id = String::new();
    for (user, roles) in [
        ("thabo", json!(["immigration"])),
        ("palesa", json!(["police"])),
    ] {
        let (s, u) = post(
            &client,
            format!("{base}/api/v1/users"),
            Some(&admin),
            &json!({"username": user, "password": INITIAL_PASSWORD, "roles": roles, "poes": [POST]}),
        )
        .await;
        assert_eq!(s, 201, "{u}");
        if user == "thabo" {
            officer_id = u["id"].as_str().unwrap().to_owned();
        }
        let (_, first) = login(&client, &base, user, INITIAL_PASSWORD).await;
        let (s, _) = post(
            &client,
            format!("{base}/api/v1/auth/password"),
            first["access_token"].as_str(),
            &json!({"current_password": INITIAL_PASSWORD, "new_password": OFFICER_PASSWORD}),
        )
        .await;
        assert_eq!(s, 204);
        let (_, t) = login(&client, &base, user, OFFICER_PASSWORD).await;
        tokens.push(t["access_token"].as_str().unwrap().to_owned());
    }
    let (s, creds) = post(
        &client,
        format!("{base}/api/v1/edges"),
        Some(&admin),
        &json!({"poe": POST, "label": "Sani Pass office"}),
    )
    .await;
    assert_eq!(s, 201, "{creds}");
    Some(World {
        client,
        hq,
        admin,
        police: tokens.pop().unwrap(),
        officer_id,
        creds,
        dir,
    })
}

/// Signs the officer in at the edge, once its first sync has brought the account down.
async fn officer_at_edge(client: &reqwest::Client, edge: &Edge) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (s, a) = login(client, &edge.base(), "thabo", OFFICER_PASSWORD).await;
        if s == 200 {
            return a["access_token"].as_str().unwrap().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "the officer cannot sign in at the edge: {s} {a}\n{}",
            edge.log_tail()
        );
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Records `n` movements at the edge in batches of 100; answers their edge ids.
async fn record_at_edge(
    client: &reqwest::Client,
    edge: &Edge,
    token: &str,
    prefix: &str,
    n: usize,
) -> Vec<String> {
    record_at_edge_in(client, edge, token, prefix, n, 100).await
}

/// Records `n` movements at the edge in batches of `size`; answers their edge ids.
async fn record_at_edge_in(
    client: &reqwest::Client,
    edge: &Edge,
    token: &str,
    prefix: &str,
    n: usize,
    size: usize,
) -> Vec<String> {
    let at = minutes_ago(30);
    let mut ids = Vec::new();
    let items: Vec<Value> = (0..n)
        .map(|i| {
            movement(
                &format!("{prefix}-{i}"),
                POST,
                "entry",
                &at,
                &format!("{prefix}{i}").to_uppercase(),
            )
        })
        .collect();
    for chunk in items.chunks(size) {
        let (s, a) = post(
            client,
            format!("{}/api/v1/movements/batch", edge.base()),
            Some(token),
            &json!({"movements": chunk}),
        )
        .await;
        assert_eq!(s, 200, "{a}");
        for r in a["results"].as_array().unwrap() {
            assert_eq!(r["status"], "created", "{r}");
            ids.push(r["id"].as_str().unwrap().to_owned());
        }
    }
    ids
}

async fn edge_status(client: &reqwest::Client, edge: &Edge, token: &str) -> Value {
    let (s, st) = get(client, format!("{}/api/v1/edge/status", edge.base()), token).await;
    assert_eq!(s, 200, "{st}");
    st
}

/// Waits for a sync that began over a second after `since` (so it holds what HQ held then).
async fn synced_since(
    client: &reqwest::Client,
    edge: &Edge,
    token: &str,
    since: chrono::DateTime<chrono::Utc>,
) {
    eventually(Duration::from_secs(20), "the edge has synced since", || {
        let (client, token) = (client.clone(), token.to_owned());
        async move {
            edge_status(&client, edge, &token).await["last_sync"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t > since + chrono::Duration::seconds(1))
        }
    })
    .await;
}

fn at_hq(hq: &Hq, prefix: &str) -> (i64, i64) {
    let total = hq.count(&format!(
        "SELECT count(*) AS n FROM movements WHERE client_event_id LIKE '{prefix}-%'"
    ));
    let distinct = hq.count(&format!(
        "SELECT count(DISTINCT client_event_id) AS n FROM movements WHERE client_event_id LIKE '{prefix}-%'"
    ));
    (total, distinct)
}

#[actix_web::test]
async fn a_movement_recorded_at_the_edge_reaches_hq_once_with_its_edge_id_and_time() {
    let Some(w) = world().await else { return };
    let edge = Edge::start(w.dir.path(), &w.hq.base(), &w.creds);
    let token = officer_at_edge(&w.client, &edge).await;

    let (s, recorded) = post(
        &w.client,
        format!("{}/api/v1/movements", edge.base()),
        Some(&token),
        &movement("first-1", POST, "entry", &minutes_ago(3), "FIRST1"),
    )
    .await;
    assert_eq!(s, 201, "{recorded}");
    let id = recorded["id"].as_str().unwrap().to_owned();

    eventually(Duration::from_secs(30), "the movement reaches HQ", || {
        let n = at_hq(&w.hq, "first").0;
        async move { n == 1 }
    })
    .await;
    // HQ keeps the edge's id and time, the officer, the edge and the time it arrived.
    assert_eq!(
        w.hq.count(&format!(
            "SELECT count(*) AS n FROM movements m JOIN edge_receipts r ON r.movement_id = m.id \
             WHERE m.id = '{id}' AND m.principal = 'user:{}' AND m.recorded_by = 'thabo' \
             AND r.received_at >= m.recorded_at",
            w.officer_id
        )),
        1,
        "HQ holds the edge's movement under its id, by the officer, with a receipt"
    );
    let (_, hq_officer) = login(&w.client, &w.hq.base(), "thabo", OFFICER_PASSWORD).await;
    let (s, at_hq_view) = get(
        &w.client,
        format!("{}/api/v1/movements/{id}", w.hq.base()),
        hq_officer["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{at_hq_view}");
    assert_eq!(
        at_hq_view["recorded_at"], recorded["recorded_at"],
        "the edge's time"
    );

    // A movement that gave its MRZ alone, and one with a vehicle and a permitted stay: HQ
    // takes them as the edge did (the payload the edge rebuilds from its row passes HQ's
    // rules, MRZ check digits and agreement included).
    let mrz = crossings::domain::mrz::encode(&crossings::domain::mrz::MrzFields {
        format: crossings::domain::mrz::MrzFormat::Td3,
        document_code: "P".into(),
        issuing_state: "ZAF".into(),
        document_number: "M1234567".into(),
        nationality: "ZAF".into(),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1990, 5, 17).unwrap(),
        sex: crossings::domain::mrz::MrzSex::F,
        date_of_expiry: chrono::NaiveDate::from_ymd_opt(2033, 3, 1).unwrap(),
        surname: "Nkosi".into(),
        given_names: "Thandiwe Grace".into(),
        optional_data: String::new(),
    })
    .unwrap();
    let mut by_mrz = movement("first-2", POST, "entry", &minutes_ago(2), "unused");
    by_mrz.as_object_mut().unwrap().remove("traveller");
    by_mrz["mrz"] = json!(mrz);
    let mut with_vehicle = movement("first-3", POST, "entry", &minutes_ago(1), "CAR77");
    with_vehicle["mode"] = json!("private_vehicle");
    with_vehicle["vehicle"] =
        json!({"registration": "ND 123-456", "country": "ZAF", "category": "car"});
    with_vehicle["permitted_until"] = json!(
        (chrono::Utc::now() + chrono::Duration::days(20))
            .format("%Y-%m-%d")
            .to_string()
    );
    for m in [&by_mrz, &with_vehicle] {
        let (s, a) = post(
            &w.client,
            format!("{}/api/v1/movements", edge.base()),
            Some(&token),
            m,
        )
        .await;
        assert_eq!(s, 201, "{a}");
    }
    eventually(Duration::from_secs(30), "both reach HQ", || {
        let n = at_hq(&w.hq, "first").0;
        async move { n == 3 }
    })
    .await;
    let status = edge_status(&w.client, &edge, &token).await;
    assert_eq!(status["rejected"], json!([]), "HQ rejected none: {status}");

    // A void made at the edge follows its movement to HQ.
    let (s, voided) = post(
        &w.client,
        format!("{}/api/v1/movements/{id}/void", edge.base()),
        Some(&token),
        &json!({"reason": "scanned the wrong passport"}),
    )
    .await;
    assert_eq!(s, 200, "{voided}");
    eventually(Duration::from_secs(30), "the void reaches HQ", || {
        let n = w.hq.count(&format!(
            "SELECT count(*) AS n FROM movements WHERE id = '{id}' AND voided_at IS NOT NULL \
             AND voided_by = 'thabo' AND void_reason = 'scanned the wrong passport'"
        ));
        async move { n == 1 }
    })
    .await;

    eventually(
        Duration::from_secs(10),
        "the edge reports an empty backlog",
        || {
            let (client, edge, token) = (w.client.clone(), &edge, token.clone());
            async move {
                let st = edge_status(&client, edge, &token).await;
                st["edge"] == true
                    && st["backlog"] == 0
                    && st["hq_reachable"] == true
                    && !st["last_sync"].is_null()
            }
        },
    )
    .await;
    let (s, edges) = get(&w.client, format!("{}/api/v1/edges", w.hq.base()), &w.admin).await;
    assert_eq!(s, 200);
    assert_eq!(edges["items"][0]["poe"], POST);
    assert!(!edges["items"][0]["last_contact_at"].is_null(), "{edges}");

    // The metrics say so too.
    let metrics = w
        .client
        .get(format!("http://127.0.0.1:{}/metrics", edge.metrics_port))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("crossings_edge_backlog 0"), "{metrics}");
    assert!(
        metrics.contains("crossings_edge_last_sync_timestamp_seconds"),
        "{metrics}"
    );

    // Revoked at HQ, the credential opens nothing and the edge is cut off (it keeps working).
    let (s, t) = post(
        &w.client,
        format!("{}/api/v1/auth/token", w.hq.base()),
        None,
        &json!({"client_id": w.creds["client_id"], "client_secret": w.creds["client_secret"]}),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    let edge_token = t["access_token"].as_str().unwrap().to_owned();
    let (s, _) = get(
        &w.client,
        format!("{}/api/v1/edge/sync", w.hq.base()),
        &edge_token,
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = get(
        &w.client,
        format!("{}/api/v1/poes", w.hq.base()),
        &edge_token,
    )
    .await;
    assert_eq!(s, 401, "an edge token is no user's");
    let r = w
        .client
        .delete(format!(
            "{}/api/v1/edges/{}",
            w.hq.base(),
            w.creds["id"].as_str().unwrap()
        ))
        .bearer_auth(&w.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let (s, _) = get(
        &w.client,
        format!("{}/api/v1/edge/sync", w.hq.base()),
        &edge_token,
    )
    .await;
    assert_eq!(s, 401, "a revoked edge's token stops at once");
    eventually(
        Duration::from_secs(20),
        "the edge sees HQ refuse it",
        || {
            let (client, edge, token) = (w.client.clone(), &edge, token.clone());
            async move { edge_status(&client, edge, &token).await["hq_reachable"] == false }
        },
    )
    .await;
    drop(edge);
}

#[actix_web::test]
async fn hundreds_recorded_while_hq_is_down_all_arrive_once_when_it_returns() {
    let Some(mut w) = world().await else { return };
    let edge = Edge::start(w.dir.path(), &w.hq.base(), &w.creds);
    let token = officer_at_edge(&w.client, &edge).await;

    w.hq.stop();
    let ids = record_at_edge(&w.client, &edge, &token, "down", 300).await;
    assert_eq!(ids.len(), 300);
    // The post works: ready, and the status says HQ is away and what waits.
    assert!(
        common::ready(edge.port),
        "the edge stays ready while HQ is away"
    );
    eventually(
        Duration::from_secs(20),
        "the edge notices HQ is away",
        || {
            let (client, edge, token) = (w.client.clone(), &edge, token.clone());
            async move {
                let st = edge_status(&client, edge, &token).await;
                st["hq_reachable"] == false
                    && st["backlog"] == 300
                    && !st["oldest_waiting"].is_null()
            }
        },
    )
    .await;

    w.hq.restart();
    eventually(Duration::from_secs(60), "all 300 reach HQ", || {
        let n = at_hq(&w.hq, "down").0;
        async move { n >= 300 }
    })
    .await;
    actix_web::rt::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        at_hq(&w.hq, "down"),
        (300, 300),
        "each once; edge log:\n{}",
        edge.log_tail()
    );
    let status = edge_status(&w.client, &edge, &token).await;
    assert_eq!(status["backlog"], 0, "{status}");
}

#[actix_web::test]
async fn an_edge_killed_while_it_forwards_loses_nothing_and_doubles_nothing() {
    let Some(mut w) = world().await else { return };
    let mut edge = Edge::start(w.dir.path(), &w.hq.base(), &w.creds);
    let token = officer_at_edge(&w.client, &edge).await;
    w.hq.stop();
    const N: usize = 3000;
    record_at_edge(&w.client, &edge, &token, "kill", N).await;
    w.hq.restart();
    // Kill the edge twice while the backlog drains: it has sent some, not all.
    for share in [5, 2] {
        eventually(Duration::from_secs(120), "forwarding has begun", || {
            let n = at_hq(&w.hq, "kill").0;
            async move { n >= (N / share) as i64 }
        })
        .await;
        edge.kill();
        let at_kill = at_hq(&w.hq, "kill").0;
        assert!(
            at_kill < N as i64,
            "the kill came after the drain: it proved nothing"
        );
        edge.restart();
    }
    eventually(Duration::from_secs(120), "everything reaches HQ", || {
        let n = at_hq(&w.hq, "kill").0;
        async move { n >= N as i64 }
    })
    .await;
    actix_web::rt::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        at_hq(&w.hq, "kill"),
        (N as i64, N as i64),
        "edge log:\n{}",
        edge.log_tail()
    );
    assert_eq!(
        w.hq.count("SELECT count(*) AS n FROM edge_receipts"),
        N as i64,
        "one receipt each"
    );
}

#[actix_web::test]
async fn a_watchlist_entry_made_at_hq_raises_an_alert_at_the_edge_offline() {
    let Some(mut w) = world().await else { return };
    let edge = Edge::start(w.dir.path(), &w.hq.base(), &w.creds);
    let token = officer_at_edge(&w.client, &edge).await;

    let (s, alert) = post(
        &w.client,
        format!("{}/api/v1/watchlist", w.hq.base()),
        Some(&w.police),
        &json!({"issuing_state": "ZAF", "document_number": "WANTED1", "category": "wanted",
                "action": "refer_to_police", "reason": "warrant 12/2026"}),
    )
    .await;
    assert_eq!(s, 201, "{alert}");
    let (s, removed) = post(
        &w.client,
        format!("{}/api/v1/watchlist", w.hq.base()),
        Some(&w.police),
        &json!({"issuing_state": "ZAF", "document_number": "CLEARED1", "category": "stolen_document",
                "action": "secondary_inspection", "reason": "found again"}),
    )
    .await;
    assert_eq!(s, 201);
    let r = w
        .client
        .delete(format!(
            "{}/api/v1/watchlist/{}",
            w.hq.base(),
            removed["id"].as_str().unwrap()
        ))
        .bearer_auth(&w.police)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    // Two syncs later the edge holds both changes.
    synced_since(&w.client, &edge, &token, chrono::Utc::now()).await;

    w.hq.stop();
    let (s, hit) = post(
        &w.client,
        format!("{}/api/v1/movements", edge.base()),
        Some(&token),
        &movement("watch-1", POST, "entry", &minutes_ago(2), "WANTED1"),
    )
    .await;
    assert_eq!(s, 201, "{hit}");
    assert_eq!(hit["alert"]["action"], "refer_to_police", "{hit}");
    let (s, clear) = post(
        &w.client,
        format!("{}/api/v1/movements", edge.base()),
        Some(&token),
        &movement("watch-2", POST, "entry", &minutes_ago(2), "CLEARED1"),
    )
    .await;
    assert_eq!(s, 201);
    assert!(
        clear["alert"].is_null(),
        "a removed alert no longer matches: {clear}"
    );
    // The police's reason never reached the edge.
    let edge_db = std::fs::read(edge.dir.join("edge.db")).unwrap();
    let wal = std::fs::read(edge.dir.join("edge.db-wal")).unwrap_or_default();
    let needle = b"warrant 12/2026";
    assert!(
        !edge_db.windows(needle.len()).any(|w| w == needle)
            && !wal.windows(needle.len()).any(|w| w == needle),
        "the reason is at the edge"
    );

    // Back online, HQ records the hit on arrival too.
    w.hq.restart();
    eventually(Duration::from_secs(30), "the hit reaches HQ", || {
        let n = w.hq.count(
            "SELECT count(*) AS n FROM alert_hits h JOIN movements m ON m.id = h.movement_id \
             WHERE m.client_event_id = 'watch-1'",
        );
        async move { n == 1 }
    })
    .await;
}

#[actix_web::test]
async fn an_account_disabled_at_hq_stops_working_at_the_edge_after_the_next_sync() {
    let Some(w) = world().await else { return };
    let edge = Edge::start(w.dir.path(), &w.hq.base(), &w.creds);
    let token = officer_at_edge(&w.client, &edge).await;
    let r = w
        .client
        .patch(format!("{}/api/v1/users/{}", w.hq.base(), w.officer_id))
        .bearer_auth(&w.admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    eventually(
        Duration::from_secs(20),
        "the edge refuses the disabled account",
        || {
            let (client, base) = (w.client.clone(), edge.base());
            async move { login(&client, &base, "thabo", OFFICER_PASSWORD).await.0 == 401 }
        },
    )
    .await;
    let (s, _) = get(
        &w.client,
        format!("{}/api/v1/edge/status", edge.base()),
        &token,
    )
    .await;
    assert_eq!(s, 401, "the session held at the edge ends too");
}

/// A TCP proxy between the edge and HQ, in a thread of the test: passes connections through,
/// or cuts each one mid-request (after 700 bytes towards HQ), or lets the request through
/// and loses HQ's answer (HQ commits; the edge never hears). Changing the mode hangs up every
/// open connection, so kept-alive ones follow it too.
struct CuttingProxy {
    port: u16,
    mode: Arc<AtomicU8>,
    cut: Arc<AtomicUsize>,
    open: Arc<std::sync::Mutex<Vec<TcpStream>>>,
}

const PASS: u8 = 0;
const CUT_REQUEST: u8 = 1;
const LOSE_ANSWER: u8 = 2;

impl CuttingProxy {
    fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mode = Arc::new(AtomicU8::new(PASS));
        let cut = Arc::new(AtomicUsize::new(0));
        let open: Arc<std::sync::Mutex<Vec<TcpStream>>> = Arc::default();
        let (m, c, o) = (mode.clone(), cut.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                {
                    let mut open = o.lock().unwrap();
                    open.push(client.try_clone().unwrap());
                    open.push(server.try_clone().unwrap());
                }
                let mode = m.load(Ordering::SeqCst);
                let (c1, s1) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let up = c.clone();
                // Towards HQ.
                std::thread::spawn(move || {
                    pump(c1, s1, (mode == CUT_REQUEST).then_some(700), &up);
                });
                // Towards the edge.
                let down = c.clone();
                std::thread::spawn(move || {
                    if mode == LOSE_ANSWER {
                        let mut server = server;
                        let mut buf = [0u8; 8192];
                        // Wait for HQ's answer, throw it away, hang up on both.
                        if let Ok(n) = server.read(&mut buf) {
                            if n > 0 {
                                down.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        let _ = server.shutdown(Shutdown::Both);
                        let _ = client.shutdown(Shutdown::Both);
                    } else {
                        pump(server, client, None, &down);
                    }
                });
            }
        });
        Self {
            port,
            mode,
            cut,
            open,
        }
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// An edge linked to HQ through a [`CuttingProxy`], and the officer signed in there.
async fn behind_proxy(w: &World) -> (CuttingProxy, Edge, String) {
    let proxy = CuttingProxy::start(w.hq.port);
    let edge = Edge::start(
        w.dir.path(),
        &format!("http://127.0.0.1:{}", proxy.port),
        &w.creds,
    );
    let token = officer_at_edge(&w.client, &edge).await;
    (proxy, edge, token)
}

fn pump(mut from: TcpStream, mut to: TcpStream, limit: Option<usize>, cut: &AtomicUsize) {
    let mut buf = [0u8; 8192];
    let mut sent = 0usize;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(limit) = limit {
            if sent + n > limit {
                let _ = to.write_all(&buf[..limit - sent]);
                cut.fetch_add(1, Ordering::SeqCst);
                break;
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        sent += n;
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

#[actix_web::test]
async fn a_link_that_cuts_requests_and_loses_answers_still_delivers_each_movement_once() {
    let Some(w) = world().await else { return };
    let (proxy, edge, token) = behind_proxy(&w).await;

    // Requests cut halfway: nothing arrives, nothing is lost at the edge.
    proxy.set(CUT_REQUEST);
    record_at_edge(&w.client, &edge, &token, "cut", 400).await;
    actix_web::rt::time::sleep(Duration::from_secs(3)).await;
    assert!(
        proxy.cut.load(Ordering::SeqCst) > 0,
        "the proxy cut requests"
    );
    assert_eq!(at_hq(&w.hq, "cut").0, 0, "a cut request records nothing");

    // Answers lost: HQ records, the edge does not hear and sends again.
    proxy.set(LOSE_ANSWER);
    eventually(
        Duration::from_secs(60),
        "HQ records batches whose answers are lost",
        || {
            let n = at_hq(&w.hq, "cut").0;
            async move { n > 0 }
        },
    )
    .await;
    actix_web::rt::time::sleep(Duration::from_secs(3)).await;
    let status = edge_status(&w.client, &edge, &token).await;
    assert!(
        status["backlog"].as_i64().unwrap() > 0,
        "with every answer lost the edge still counts them waiting: {status}"
    );

    proxy.set(PASS);
    eventually(Duration::from_secs(60), "the backlog drains", || {
        let (client, edge, token) = (w.client.clone(), &edge, token.clone());
        async move { edge_status(&client, edge, &token).await["backlog"] == 0 }
    })
    .await;
    assert_eq!(
        at_hq(&w.hq, "cut"),
        (400, 400),
        "each once; edge log:\n{}",
        edge.log_tail()
    );
}

#[actix_web::test]
async fn a_hit_made_at_the_edge_reaches_hq_under_its_id_even_for_an_alert_removed_there_meanwhile()
{
    let Some(w) = world().await else { return };
    let (proxy, edge, token) = behind_proxy(&w).await;
    let mut alerts = Vec::new();
    for number in ["KEPT1", "LIFTED1"] {
        let (s, alert) = post(
            &w.client,
            format!("{}/api/v1/watchlist", w.hq.base()),
            Some(&w.police),
            &json!({"issuing_state": "ZAF", "document_number": number, "category": "wanted",
                    "action": "refer_to_police", "reason": "warrant 14/2026"}),
        )
        .await;
        assert_eq!(s, 201, "{alert}");
        alerts.push(alert["id"].as_str().unwrap().to_owned());
    }
    synced_since(&w.client, &edge, &token, chrono::Utc::now()).await;

    // The link goes down; meanwhile the police lift one alert at HQ.
    proxy.set(CUT_REQUEST);
    let r = w
        .client
        .delete(format!("{}/api/v1/watchlist/{}", w.hq.base(), alerts[1]))
        .bearer_auth(&w.police)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let mut shown = Vec::new();
    for (key, number) in [("edge-hit-1", "KEPT1"), ("edge-hit-2", "LIFTED1")] {
        let (s, a) = post(
            &w.client,
            format!("{}/api/v1/movements", edge.base()),
            Some(&token),
            &movement(key, POST, "entry", &minutes_ago(2), number),
        )
        .await;
        assert_eq!(s, 201, "{a}");
        assert_eq!(a["alert"]["action"], "refer_to_police", "{a}");
        shown.push((
            a["id"].as_str().unwrap().to_owned(),
            a["alert"]["hit_id"].as_str().unwrap().to_owned(),
        ));
    }

    proxy.set(PASS);
    eventually(Duration::from_secs(60), "both movements reach HQ", || {
        let n = at_hq(&w.hq, "edge-hit").0;
        async move { n == 2 }
    })
    .await;
    for (i, (movement_id, hit_id)) in shown.iter().enumerate() {
        assert_eq!(
            w.hq.count(&format!(
                "SELECT count(*) AS n FROM alert_hits WHERE movement_id = '{movement_id}'"
            )),
            1,
            "one hit on the movement at HQ, not one from the edge and one of HQ's own"
        );
        assert_eq!(
            w.hq.count(&format!(
                "SELECT count(*) AS n FROM alert_hits WHERE id = '{hit_id}' \
                 AND movement_id = '{movement_id}' AND alert_id = '{}' AND action = 'refer_to_police'",
                alerts[i]
            )),
            1,
            "HQ keeps the hit the officer was shown, under its id (alert {i})"
        );
    }
    // The police see the lifted alert's hit as any other, and the movement carries its action.
    let (s, hits) = get(
        &w.client,
        format!("{}/api/v1/alert-hits", w.hq.base()),
        &w.police,
    )
    .await;
    assert_eq!(s, 200, "{hits}");
    let listed: Vec<&str> = hits["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["id"].as_str())
        .collect();
    assert!(
        shown
            .iter()
            .all(|(_, hit_id)| listed.contains(&hit_id.as_str())),
        "{hits}"
    );
    let (s, m) = get(
        &w.client,
        format!("{}/api/v1/movements/{}", w.hq.base(), shown[1].0),
        &w.police,
    )
    .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["alert"]["hit_id"], shown[1].1.as_str(), "{m}");
}

/// Signs `user` in at HQ.
async fn at_hq_as(w: &World, user: &str, password: &str) -> String {
    let (s, a) = login(&w.client, &w.hq.base(), user, password).await;
    assert_eq!(s, 200, "{a}");
    a["access_token"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn a_travellers_history_at_the_edge_merges_hqs_and_says_partial_when_hq_is_away() {
    let Some(mut w) = world().await else { return };
    let edge = Edge::start(w.dir.path(), &w.hq.base(), &w.creds);
    let token = officer_at_edge(&w.client, &edge).await;
    // An entry recorded at HQ (another terminal, months of records the edge never held).
    let at_hq_token = at_hq_as(&w, "thabo", OFFICER_PASSWORD).await;
    let (s, entry) = post(
        &w.client,
        format!("{}/api/v1/movements", w.hq.base()),
        Some(&at_hq_token),
        &movement("hq-entry", POST, "entry", &minutes_ago(600), "TRAV1"),
    )
    .await;
    assert_eq!(s, 201, "{entry}");
    // Its exit at the edge.
    let (s, exit) = post(
        &w.client,
        format!("{}/api/v1/movements", edge.base()),
        Some(&token),
        &movement("edge-exit", POST, "exit", &minutes_ago(5), "TRAV1"),
    )
    .await;
    assert_eq!(s, 201, "{exit}");
    let history = |token: String| {
        let (client, base) = (w.client.clone(), edge.base());
        async move {
            get(
                &client,
                format!("{base}/api/v1/travellers/history?issuing_state=ZAF&document_number=TRAV1"),
                &token,
            )
            .await
        }
    };
    let ids = |h: &Value| -> Vec<String> {
        h["movements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    };

    let (s, h) = history(token.clone()).await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["partial"], false, "{h}");
    assert_eq!(
        ids(&h),
        vec![
            entry["id"].as_str().unwrap().to_owned(),
            exit["id"].as_str().unwrap().to_owned()
        ],
        "HQ's entry and the edge's exit, each once, oldest first: {h}"
    );
    // The search the terminal makes merges the same way.
    let (s, found) = post(
        &w.client,
        format!("{}/api/v1/travellers/search", edge.base()),
        Some(&token),
        &json!({"issuing_state": "ZAF", "document_number": "TRAV1"}),
    )
    .await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["partial"], false, "{found}");
    assert_eq!(ids(&found["documents"][0]), ids(&h), "{found}");
    // HQ audited the reads under the officer's name (the officer's own HQ session, opened
    // when they signed in at the edge).
    assert!(
        w.hq.count(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'traveller.search' \
             AND actor = 'thabo' AND object = 'document:ZAF/TRAV1'"
        ) >= 2
    );

    // The edge's own credential cannot read HQ's records: only officers' sessions can.
    let (s, t) = post(
        &w.client,
        format!("{}/api/v1/auth/token", w.hq.base()),
        None,
        &json!({"client_id": w.creds["client_id"], "client_secret": w.creds["client_secret"]}),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    let (s, refused) = post(
        &w.client,
        format!("{}/api/v1/travellers/search", w.hq.base()),
        t["access_token"].as_str(),
        &json!({"issuing_state": "ZAF", "document_number": "TRAV1"}),
    )
    .await;
    assert_eq!(s, 401, "an edge's token is no user's: {refused}");

    // HQ away: the post's own records, marked partial.
    w.hq.stop();
    let (s, h) = history(token.clone()).await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["partial"], true, "{h}");
    assert_eq!(
        ids(&h),
        vec![exit["id"].as_str().unwrap().to_owned()],
        "{h}"
    );
    let (s, found) = post(
        &w.client,
        format!("{}/api/v1/travellers/search", edge.base()),
        Some(&token),
        &json!({"surname": "dlamini", "given_names": "Sipho", "date_of_birth": "1988-03-14"}),
    )
    .await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["partial"], true, "{found}");

    // Signed in while HQ was away, the officer has no HQ session: partial even once HQ is
    // back, until they sign in again.
    let (s, a) = login(&w.client, &edge.base(), "thabo", OFFICER_PASSWORD).await;
    assert_eq!(s, 200, "{a}");
    let offline = a["access_token"].as_str().unwrap().to_owned();
    w.hq.restart();
    let (s, h) = history(offline).await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["partial"], true, "{h}");
    let (s, a) = login(&w.client, &edge.base(), "thabo", OFFICER_PASSWORD).await;
    assert_eq!(s, 200, "{a}");
    let (s, h) = history(a["access_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["partial"], false, "{h}");
    assert_eq!(ids(&h).len(), 2, "{h}");
}

#[actix_web::test]
async fn a_password_changed_at_the_edge_is_made_at_hq_and_refused_while_hq_is_away() {
    let Some(mut w) = world().await else { return };
    let edge = Edge::start(w.dir.path(), &w.hq.base(), &w.creds);
    let token = officer_at_edge(&w.client, &edge).await;
    let renewed = "Sehlabathebe-winter-2026";
    let (s, a) = post(
        &w.client,
        format!("{}/api/v1/auth/password", edge.base()),
        Some(&token),
        &json!({"current_password": OFFICER_PASSWORD, "new_password": renewed}),
    )
    .await;
    assert_eq!(s, 204, "{a}");
    assert_eq!(
        login(&w.client, &w.hq.base(), "thabo", renewed).await.0,
        200
    );
    assert_eq!(
        login(&w.client, &w.hq.base(), "thabo", OFFICER_PASSWORD)
            .await
            .0,
        401
    );
    // After a sync, the edge still takes the new password (HQ's hash of it came down).
    synced_since(&w.client, &edge, &token, chrono::Utc::now()).await;
    let (s, again) = login(&w.client, &edge.base(), "thabo", renewed).await;
    assert_eq!(s, 200, "{again}");
    let token = again["access_token"].as_str().unwrap().to_owned();
    // HQ's policy is HQ's answer.
    let (s, a) = post(
        &w.client,
        format!("{}/api/v1/auth/password", edge.base()),
        Some(&token),
        &json!({"current_password": renewed, "new_password": "password"}),
    )
    .await;
    assert_eq!(s, 422, "{a}");
    // A second factor is enrolled at HQ: a secret set here alone would be undone by the sync.
    let (s, a) = post(
        &w.client,
        format!("{}/api/v1/auth/mfa/setup", edge.base()),
        Some(&token),
        &json!({}),
    )
    .await;
    assert_eq!(s, 409, "{a}");

    // HQ away: refused with 503, and the password stays as it was, here and at HQ.
    w.hq.stop();
    let (s, a) = post(
        &w.client,
        format!("{}/api/v1/auth/password", edge.base()),
        Some(&token),
        &json!({"current_password": renewed, "new_password": "Qacha-spring-2027-x"}),
    )
    .await;
    assert_eq!(s, 503, "{a}");
    assert_eq!(
        login(&w.client, &edge.base(), "thabo", renewed).await.0,
        200
    );
    w.hq.restart();
    assert_eq!(
        login(&w.client, &w.hq.base(), "thabo", renewed).await.0,
        200
    );
}

#[actix_web::test]
async fn an_edge_records_only_its_own_posts_movements() {
    let Some(w) = world().await else { return };
    // The officer is posted at two posts; the edge is one of them.
    let r = w
        .client
        .patch(format!("{}/api/v1/users/{}", w.hq.base(), w.officer_id))
        .bearer_auth(&w.admin)
        .json(&json!({"poes": [POST, "MSU"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let edge = Edge::start(w.dir.path(), &w.hq.base(), &w.creds);
    let token = officer_at_edge(&w.client, &edge).await;
    let (s, a) = post(
        &w.client,
        format!("{}/api/v1/movements", edge.base()),
        Some(&token),
        &movement("elsewhere-1", "MSU", "entry", &minutes_ago(2), "AWAY1"),
    )
    .await;
    assert_eq!(s, 422, "{a}");
    assert!(a.to_string().contains("SNP"), "{a}");
    let (s, a) = post(
        &w.client,
        format!("{}/api/v1/movements", edge.base()),
        Some(&token),
        &movement("here-1", POST, "entry", &minutes_ago(2), "HERE1"),
    )
    .await;
    assert_eq!(s, 201, "{a}");
    let st = edge_status(&w.client, &edge, &token).await;
    assert_eq!(st["rejected"], json!([]), "{st}");
}

/// One movement recorded at the edge, timed from the officer's side.
async fn timed_single(client: &reqwest::Client, edge: &Edge, token: &str, key: &str) -> Duration {
    let body = movement(key, POST, "exit", &minutes_ago(1), &key.to_uppercase());
    let started = Instant::now();
    let (s, a) = post(
        client,
        format!("{}/api/v1/movements", edge.base()),
        Some(token),
        &body,
    )
    .await;
    let took = started.elapsed();
    assert_eq!(s, 201, "{a}");
    took
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The measurement of issue 20 (BENCHMARKS.md): how fast a backlog of 50,000 movements at an
/// edge drains to HQ once HQ returns, and the edge's recording latency (one movement at a
/// time, as an officer's terminal sends them) while it forwards, against the same while it
/// does not. `CROSSINGS_EDGE_BENCH_N` changes the backlog.
#[actix_web::test]
#[ignore = "a benchmark: cargo test --release --locked --test edge -- --ignored --nocapture"]
async fn bench_a_backlog_of_50000_drains_to_hq() {
    let n: usize = std::env::var("CROSSINGS_EDGE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let Some(mut w) = world().await else { return };
    let edge = Edge::start(w.dir.path(), &w.hq.base(), &w.creds);
    let token = officer_at_edge(&w.client, &edge).await;
    w.hq.stop();

    let started = Instant::now();
    record_at_edge_in(&w.client, &edge, &token, "bench", n, 1000).await;
    let recording = started.elapsed();

    // Recording latency with HQ away (the forwarder only retries now and then).
    let mut idle = Vec::new();
    for i in 0..200 {
        idle.push(timed_single(&w.client, &edge, &token, &format!("idle-{i}")).await);
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }

    w.hq.restart();
    let drain_started = Instant::now();
    let mut busy = Vec::new();
    let mut i = 0;
    loop {
        busy.push(timed_single(&w.client, &edge, &token, &format!("busy-{i}")).await);
        i += 1;
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        if i % 10 == 0 && at_hq(&w.hq, "bench").0 >= n as i64 {
            break;
        }
        assert!(
            drain_started.elapsed() < Duration::from_secs(1800),
            "the backlog did not drain in 30 minutes"
        );
    }
    let drained = drain_started.elapsed();
    assert_eq!(at_hq(&w.hq, "bench"), (n as i64, n as i64), "each once");

    idle.sort();
    busy.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("edge bench: backlog {n} movements");
    println!(
        "  recorded at the edge (batches of 1000, HQ down): {:.1} s, {:.0} movements/s",
        recording.as_secs_f64(),
        n as f64 / recording.as_secs_f64()
    );
    println!(
        "  drained to HQ: {:.1} s, {:.0} movements/s (batches of {}; while {} single posts were recorded)",
        drained.as_secs_f64(),
        n as f64 / drained.as_secs_f64(),
        500,
        busy.len()
    );
    println!(
        "  recording latency, HQ away (not forwarding): p50 {:.1} ms, p99 {:.1} ms ({} posts)",
        ms(percentile(&idle, 0.5)),
        ms(percentile(&idle, 0.99)),
        idle.len()
    );
    println!(
        "  recording latency while forwarding:           p50 {:.1} ms, p99 {:.1} ms ({} posts)",
        ms(percentile(&busy, 0.5)),
        ms(percentile(&busy, 0.99)),
        busy.len()
    );
}

#[test]
fn crossings_edge_refuses_to_start_without_hq_or_on_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::crossings(dir.path()).arg("edge").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("edge.hq_url"), "{err}");

    let out = common::crossings(dir.path())
        .arg("edge")
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nowhere")
        .env("CROSSINGS__EDGE__HQ_URL", "http://127.0.0.1:9")
        .env("CROSSINGS__EDGE__CLIENT_ID", "edge-snp-00000000")
        .env("CROSSINGS__EDGE__CLIENT_SECRET", "secret")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("database.url") && err.contains("SQLite"),
        "{err}"
    );
}
