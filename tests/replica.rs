//! The read replica (`database.read_url`): a primary and a streaming replica of the test's
//! own (`initdb`, `pg_basebackup -R`, `pg_ctl`, as the `postgres` user, in temporary folders,
//! on free ports). Statistics read the replica, say how fresh they are (`as_of`), readiness
//! reports the replica and its lag, and when the replica stops statistics read the primary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is a test failure"
)]

mod common;
#[path = "api/helpers.rs"]
mod helpers;

use std::time::{Duration, Instant};

use common::postgres::PrivatePostgres;
use diesel::prelude::*;
use helpers::{ADMIN_PASSWORD, Node, movement};
use serde_json::Value;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct State {
    #[diesel(sql_type = diesel::sql_types::Text)]
    state: String,
}

fn count(url: &str, sql: &str) -> i64 {
    let mut conn = PgConnection::establish(url).expect("a connection");
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .expect("a count")
        .n
}

fn run(url: &str, sql: &str) {
    let mut conn = PgConnection::establish(url).expect("a connection");
    diesel::sql_query(sql).execute(&mut conn).expect("runs");
}

/// The value of a counter on `/metrics` (0 while it has never been counted).
async fn metric(metrics_port: u16, name: &str) -> f64 {
    let text = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .await
        .expect("metrics answer")
        .text()
        .await
        .unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Asks for `until` to hold, every 100 ms, for at most `within`.
async fn eventually(within: Duration, what: &str, mut until: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !until().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn statistics_read_the_replica_and_the_primary_while_it_is_down() {
    let Some(primary) = PrivatePostgres::start() else {
        assert!(
            std::env::var("CROSSINGS_REQUIRE_PG").is_err(),
            "PostgreSQL is required but a private cluster could not be started"
        );
        eprintln!("SKIPPING: cannot start a private PostgreSQL cluster");
        return;
    };
    let replica = PrivatePostgres::replica_of(&primary).expect("a streaming replica starts");
    let (primary_url, replica_url) = (primary.url("postgres"), replica.url("postgres"));
    let dir = tempfile::tempdir().unwrap();
    let metrics_port = common::free_port();
    let metrics_bind = format!("127.0.0.1:{metrics_port}");
    let node = Node::start(
        &primary_url,
        &dir.path().join("node.log"),
        &[
            ("CROSSINGS__DATABASE__READ_URL", replica_url.as_str()),
            ("CROSSINGS__STATS__FOLD_INTERVAL_MS", "100"),
            ("CROSSINGS__TELEMETRY__METRICS_BIND", metrics_bind.as_str()),
            ("RUST_LOG", "info"),
        ],
    )
    .await;
    let admin = node.token("admin", ADMIN_PASSWORD).await;
    let officer = node
        .user_token(&admin, "officer", &["immigration"], &["MSU"])
        .await;
    let analyst = node.user_token(&admin, "hoba", &["analyst"], &[]).await;
    let query = "/api/v1/stats/movements?from=2026-03-03&to=2026-03-04&group_by=direction";
    let record = |i: usize| {
        let body = movement(
            &format!("r-{i}"),
            "MSU",
            "entry",
            "2026-03-03T08:00:00Z",
            &format!("R{i:07}"),
        );
        let (node, officer) = (&node, &officer);
        async move {
            node.post("/api/v1/movements", Some(officer), &body)
                .await
                .expect(201);
        }
    };

    // Recorded on the primary, folded there, replayed by the replica: the statistics show it.
    for i in 0..3 {
        record(i).await;
    }
    eventually(
        Duration::from_secs(20),
        "the fold reaches the replica",
        async || {
            count(&replica_url, "SELECT count(*) AS n FROM movements") == 3
                && count(
                    &replica_url,
                    "SELECT count(*) AS n FROM movement_count_deltas",
                ) == 0
        },
    )
    .await;
    let first = node.get(query, Some(&analyst)).await.expect(200);
    assert_eq!(first.body["total"], 3, "{}", first.text);
    let as_of: chrono::DateTime<chrono::Utc> = first.body["as_of"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("as_of is an instant: {}", first.text));
    assert!(as_of <= chrono::Utc::now() + chrono::Duration::seconds(1));
    assert_eq!(
        metric(metrics_port, "crossings_read_replica_fallbacks_total").await,
        0.0
    );

    // The answers come from the replica: while its replay is paused, a movement committed on
    // the primary is not in them, and readiness shows the replica falling behind.
    run(&replica_url, "SELECT pg_wal_replay_pause()");
    eventually(Duration::from_secs(10), "the replay pauses", async || {
        let mut conn = PgConnection::establish(&replica_url).unwrap();
        diesel::sql_query("SELECT pg_get_wal_replay_pause_state() AS state")
            .get_result::<State>(&mut conn)
            .map(|s| s.state == "paused")
            .unwrap_or(false)
    })
    .await;
    record(3).await;
    assert_eq!(
        count(&primary_url, "SELECT count(*) AS n FROM movements"),
        4
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let paused = node.get(query, Some(&analyst)).await.expect(200);
    assert_eq!(
        paused.body["total"], 3,
        "read on the replica: {}",
        paused.text
    );
    assert_eq!(paused.body["as_of"], first.body["as_of"], "{}", paused.text);
    let ready = node.get("/health/ready", None).await.expect(200);
    assert_eq!(ready.body["replica"]["status"], "up", "{}", ready.text);
    let lag = ready.body["replica"]["lag_seconds"].as_f64().unwrap_or(0.0);
    assert!(lag > 1.0, "behind by the paused replay: {}", ready.text);

    run(&replica_url, "SELECT pg_wal_replay_resume()");
    eventually(
        Duration::from_secs(20),
        "the replica catches up",
        async || node.get(query, Some(&analyst)).await.body["total"] == 4,
    )
    .await;
    let ready = node.get("/health/ready", None).await.expect(200);
    assert_eq!(ready.body["replica"]["status"], "up", "{}", ready.text);
    assert!(
        ready.body["replica"]["lag_seconds"].is_number(),
        "{}",
        ready.text
    );

    // The replica stops: statistics answer from the primary, readiness stays 200 and says so.
    replica.ctl(&["stop", "-m", "fast", "-w"]);
    let fallback = node.get(query, Some(&analyst)).await;
    assert_eq!(fallback.status.as_u16(), 200, "{}", fallback.text);
    assert_eq!(fallback.body["total"], 4, "{}", fallback.text);
    assert!(fallback.body["as_of"].is_string(), "{}", fallback.text);
    let ready = node.get("/health/ready", None).await.expect(200);
    assert_eq!(ready.body["replica"]["status"], "down", "{}", ready.text);
    assert_eq!(ready.body["database"], "postgres");
    assert!(metric(metrics_port, "crossings_read_replica_fallbacks_total").await >= 1.0);
    // The dashboard's other reads fall back too.
    let summary = node
        .get("/api/v1/stats/summary?date=2026-03-03", Some(&analyst))
        .await
        .expect(200);
    let msu: Vec<&Value> = summary.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["poe"] == "MSU")
        .collect();
    assert_eq!(msu[0]["entries"], 4, "{}", summary.text);
    assert!(
        node.log_text().contains("statistics read the primary"),
        "the fallback is logged:\n{}",
        node.log_text()
    );
}
