//! Faults: a client that drops a batch, a server killed with SIGKILL under load, and
//! PostgreSQL restarted under load. Every accepted movement survives; every event a client
//! retries ends up recorded exactly once; a database outage is a clean 503, never a 500 or a
//! hang.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is a test failure"
)]

mod common;
#[path = "api/helpers.rs"]
mod helpers;

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::postgres::PrivatePostgres;
use common::{Process, free_port};
use helpers::{ADMIN_PASSWORD, Backend, TestApp, minutes_ago, movement, spawn_app};
use serde_json::{Value, json};

fn batch_of(n: usize, prefix: &str) -> Value {
    let at = minutes_ago(10);
    let items: Vec<Value> = (0..n)
        .map(|i| {
            movement(
                &format!("{prefix}-{i}"),
                "MSU",
                "entry",
                &at,
                &format!("DROP{i}"),
            )
        })
        .collect();
    json!({ "movements": items })
}

fn raw_request(port: u16, token: &str, body: &[u8], send: usize) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "POST /api/v1/movements/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..send]).unwrap();
    stream.flush().unwrap();
    // Hang up without reading the answer.
    drop(stream);
}

async fn dropped_batch_then_replay(app: TestApp) {
    let gate = app.system_token("MSU").await;
    let body = serde_json::to_vec(&batch_of(200, "drop")).unwrap();

    // Half a body, then the connection is gone: nothing may be recorded.
    raw_request(app.port, &gate, &body, body.len() / 2);
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.count("movements"),
        0,
        "a half-received batch recorded something"
    );

    // The whole body, then the connection is gone before the answer: the server may or may
    // not have committed; either way the replay completes it exactly once.
    raw_request(app.port, &gate, &body, body.len());
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    let before_replay = app.count("movements");
    assert!(
        before_replay == 0 || before_replay == 200,
        "a batch is all or nothing: {before_replay}"
    );

    let replay = app
        .send(
            app.client
                .post(app.url("/api/v1/movements/batch"))
                .bearer_auth(&gate)
                .header("content-type", "application/json")
                .body(body.clone()),
        )
        .await
        .expect(200);
    let created = replay.body["created"].as_i64().unwrap();
    let duplicates = replay.body["duplicates"].as_i64().unwrap();
    assert_eq!(created + duplicates, 200);
    assert_eq!(created, 200 - before_replay);
    assert_eq!(app.count("movements"), 200);
    assert_eq!(
        app.count("(SELECT DISTINCT client_event_id FROM movements) AS d"),
        200
    );
}

#[actix_web::test]
async fn a_dropped_batch_replayed_is_recorded_once_sqlite() {
    if let Some(app) = spawn_app(Backend::Sqlite).await {
        dropped_batch_then_replay(app).await;
    }
}

#[actix_web::test]
async fn a_dropped_batch_replayed_is_recorded_once_postgres() {
    if let Some(app) = spawn_app(Backend::Postgres).await {
        dropped_batch_then_replay(app).await;
    }
}

/// The service as a separate process, so that it can be killed.
struct Service {
    process: Process,
    port: u16,
    url: String,
}

impl Service {
    fn start(database_url: &str, port: u16) -> Self {
        let mut cmd = Command::new(common::BIN);
        cmd.env("DATABASE_URL", database_url)
            .env("CROSSINGS_BIND", format!("127.0.0.1:{port}"))
            .env("CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("CROSSINGS_CONFIG_DIR", "/nonexistent")
            .env("RUST_LOG", "error");
        Self {
            process: Process::spawn(cmd, None),
            port,
            url: database_url.to_owned(),
        }
    }

    async fn wait_ready(&self, client: &reqwest::Client) {
        common::wait_ready_async(client, &format!("http://127.0.0.1:{}", self.port)).await;
    }

    /// SIGKILL: no chance to finish anything.
    fn kill(&mut self) {
        self.process.kill();
    }

    fn restart(&mut self) {
        self.kill();
        *self = Self::start(&self.url.clone(), self.port);
    }
}

async fn token_for_gate(client: &reqwest::Client, base: &str) -> String {
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = login["access_token"].as_str().unwrap();
    let creds: Value = client
        .post(format!("{base}/api/v1/poe-systems"))
        .bearer_auth(admin)
        .json(&json!({"poe": "MSU"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token: Value = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"client_id": creds["client_id"], "client_secret": creds["client_secret"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"].as_str().unwrap().to_owned()
}

/// Sends events until at least `events` were sent and `stop` is set (when given), each until
/// it is acknowledged, retrying whatever was not. Answers the statuses seen and the number of
/// events.
async fn client_loop(
    client: reqwest::Client,
    base: String,
    token: String,
    name: String,
    events: usize,
    stop: Option<Arc<AtomicBool>>,
) -> (Vec<u16>, usize) {
    let mut statuses = Vec::new();
    let at = minutes_ago(10);
    let mut i = 0;
    while i < events || stop.as_ref().is_some_and(|s| !s.load(Ordering::SeqCst)) {
        let m = movement(
            &format!("{name}-{i}"),
            "MSU",
            if i % 2 == 0 { "entry" } else { "exit" },
            &at,
            &format!("{name}X{i}"),
        );
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            assert!(
                Instant::now() < deadline,
                "event {name}-{i} never acknowledged"
            );
            match client
                .post(format!("{base}/api/v1/movements"))
                .bearer_auth(&token)
                .json(&m)
                .timeout(Duration::from_secs(20))
                .send()
                .await
            {
                Ok(r) => {
                    let s = r.status().as_u16();
                    statuses.push(s);
                    if s == 201 || s == 200 {
                        break;
                    }
                    assert!(
                        s == 503,
                        "unexpected status {s}: {}",
                        r.text().await.unwrap_or_default()
                    );
                }
                Err(e) => {
                    // Connection refused or reset while the server is down: retry.
                    assert!(!e.is_timeout(), "a request hung: {e}");
                }
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        i += 1;
    }
    (statuses, i)
}

async fn killed_under_load(backend: Backend) {
    let Some((db, url)) = helpers::test_database(backend) else {
        return;
    };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut service = Service::start(&url, port);
    service.wait_ready(&client).await;
    let token = token_for_gate(&client, &base).await;

    const CLIENTS: usize = 6;
    const EVENTS: usize = 120;
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            actix_web::rt::spawn(client_loop(
                client.clone(),
                base.clone(),
                token.clone(),
                format!("c{c}"),
                EVENTS,
                None,
            ))
        })
        .collect();
    let settings = helpers::test_settings(&url);
    let check = crossings::startup::connect(&settings).unwrap();
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count = |sql: &str| {
        let mut conn = check.get().unwrap();
        diesel::sql_query(sql)
            .get_result::<N>(&mut *conn)
            .map(|r| r.n)
            .unwrap_or(0)
    };
    // Kill the server twice while the clients are busy: at a fifth and at half of the load.
    let all = (CLIENTS * EVENTS) as i64;
    for threshold in [all / 5, all / 2] {
        let deadline = Instant::now() + Duration::from_secs(60);
        while count("SELECT count(*) AS n FROM movements") < threshold && Instant::now() < deadline
        {
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        service.restart();
        let at_kill = count("SELECT count(*) AS n FROM movements");
        assert!(
            at_kill < all,
            "the kill came after the load: it proved nothing"
        );
        service.wait_ready(&client).await;
    }
    for t in tasks {
        t.await.unwrap();
    }

    let total = count("SELECT count(*) AS n FROM movements");
    let distinct = count("SELECT count(DISTINCT client_event_id) AS n FROM movements");
    assert_eq!(total, (CLIENTS * EVENTS) as i64, "every event recorded");
    assert_eq!(distinct, total, "and none twice");
    drop(service);
    drop(db);
}

#[actix_web::test]
async fn sigkill_under_load_loses_nothing_and_duplicates_nothing_sqlite() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    killed_under_load(Backend::Sqlite).await;
}

#[actix_web::test]
async fn sigkill_under_load_loses_nothing_and_duplicates_nothing_postgres() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    killed_under_load(Backend::Postgres).await;
}

/// A PostgreSQL cluster of this test's own, so that restarting it disturbs no other test.
#[actix_web::test]
async fn a_postgres_restart_under_load_is_a_clean_503_and_the_service_recovers() {
    let Some(pg) = PrivatePostgres::start() else {
        assert!(
            std::env::var("CROSSINGS_REQUIRE_PG").is_err(),
            "PostgreSQL is required but a private cluster could not be started"
        );
        eprintln!("SKIPPING: cannot start a private PostgreSQL cluster");
        return;
    };
    {
        use diesel::Connection;
        use diesel::RunQueryDsl;
        let mut admin = diesel::pg::PgConnection::establish(&pg.url("postgres")).unwrap();
        diesel::sql_query("CREATE DATABASE crossings")
            .execute(&mut admin)
            .unwrap();
    }
    let Some(app) = helpers::spawn_app_on(&pg.url("crossings")).await else {
        return;
    };
    let gate = app.system_token("MSU").await;

    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..4)
        .map(|c| {
            let (client, base, token) = (app.client.clone(), app.address.clone(), gate.clone());
            actix_web::rt::spawn(client_loop(
                client,
                base,
                token,
                format!("pg{c}"),
                50,
                Some(stop.clone()),
            ))
        })
        .collect();
    actix_web::rt::time::sleep(Duration::from_millis(800)).await;
    // Restart PostgreSQL: connections are cut, and for a moment nothing answers.
    let ctl = std::thread::spawn(move || {
        pg.ctl(&["restart", "-m", "fast", "-w"]);
        pg
    });
    let pg = actix_web::rt::task::spawn_blocking(move || ctl.join().unwrap())
        .await
        .unwrap();
    // Keep the load on a little after PostgreSQL is back.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    let mut statuses = Vec::new();
    let mut events = 0;
    for t in tasks {
        let (s, n) = t.await.unwrap();
        statuses.extend(s);
        events += n;
    }
    assert!(!statuses.contains(&500), "a 500 during the outage");
    let unavailable = statuses.iter().filter(|s| **s == 503).count();
    eprintln!(
        "during the restart: {} answers, {unavailable} x 503, {events} events",
        statuses.len()
    );
    assert!(
        unavailable > 0,
        "the restart did not meet the load: the test proved nothing"
    );

    // Recovered without a restart of the service.
    app.get("/health/ready", None).await.expect(200);
    assert_eq!(
        app.count("movements"),
        events as i64,
        "every event recorded once"
    );
    assert_eq!(
        app.count("(SELECT DISTINCT client_event_id FROM movements) AS d"),
        events as i64
    );
    drop(app);
    drop(pg);
}
