//! Statistics at 10 million movements: a year of realistic traffic (Maseru Bridge and
//! Maputsoe busiest, morning and evening peaks, the festive season and Easter) is loaded into
//! PostgreSQL with its counters kept per day as the service keeps them; then three questions
//! are timed through the API and, in the same run, as plain GROUP BYs over the movements
//! table. The answers are compared, so the speed is not bought with a wrong count.
//!
//! `cargo bench --bench stats` (options: `-- --movements 10000000 --runs 100`).
//! `CROSSINGS_BENCH_DB=name` reuses a database loaded by an earlier run (kept with
//! `CROSSINGS_BENCH_KEEP=1`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark"
)]

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::NaiveDateTime;
use common::load::{arg, load_year};
use common::{BenchDb, ms, percentile, settings, sign_in};
use crossings::startup::Application;
use crossings::store::schema::movements;
use diesel::prelude::*;
use serde_json::Value;

/// Untimed requests before each question's timed runs.
const WARM_UP: usize = 5;

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    actix_web::rt::System::new().block_on(run());
}

/// A question: the API path, and the same question as a plain GROUP BY.
struct Question {
    name: &'static str,
    path: &'static str,
    group_by: &'static [&'static str],
    sql: &'static str,
}

const QUESTIONS: [Question; 3] = [
    Question {
        name: "a year of daily counts by poe x direction",
        path: "/api/v1/stats/movements?from=2025-01-01&to=2026-01-01&interval=day&group_by=poe,direction",
        group_by: &["poe", "direction"],
        sql: "SELECT date_trunc('day', occurred_at + interval '2 hours') AS bucket, poe AS a, direction AS b, count(*) AS n
              FROM movements WHERE voided_at IS NULL
                AND occurred_at >= '2024-12-31 22:00:00' AND occurred_at < '2025-12-31 22:00:00'
              GROUP BY 1, 2, 3",
    },
    Question {
        name: "a month of hourly counts by direction",
        path: "/api/v1/stats/movements?from=2025-12-01&to=2026-01-01&interval=hour&group_by=direction",
        group_by: &["direction"],
        sql: "SELECT date_trunc('hour', occurred_at + interval '2 hours') AS bucket, direction AS a, '' AS b, count(*) AS n
              FROM movements WHERE voided_at IS NULL
                AND occurred_at >= '2025-11-30 22:00:00' AND occurred_at < '2025-12-31 22:00:00'
              GROUP BY 1, 2",
    },
    Question {
        name: "a year by nationality x sex (monthly)",
        path: "/api/v1/stats/movements?from=2025-01-01&to=2026-01-01&interval=month&group_by=nationality,sex",
        group_by: &["nationality", "sex"],
        sql: "SELECT date_trunc('month', occurred_at + interval '2 hours') AS bucket, nationality AS a, sex AS b, count(*) AS n
              FROM movements WHERE voided_at IS NULL
                AND occurred_at >= '2024-12-31 22:00:00' AND occurred_at < '2025-12-31 22:00:00'
              GROUP BY 1, 2, 3",
    },
];

#[derive(QueryableByName)]
struct Cell {
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    bucket: NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Text)]
    a: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    b: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

type Answer = BTreeMap<(String, String, String), i64>;

fn from_api(body: &Value, group_by: &[&str]) -> Answer {
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let key = |i: usize| {
                group_by
                    .get(i)
                    .map(|d| r[*d].as_str().unwrap().to_owned())
                    .unwrap_or_default()
            };
            (
                (
                    r["bucket"].as_str().unwrap()[..19].to_owned(),
                    key(0),
                    key(1),
                ),
                r["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn from_sql(cells: Vec<Cell>) -> Answer {
    cells
        .into_iter()
        .map(|c| {
            (
                (c.bucket.format("%Y-%m-%dT%H:%M:%S").to_string(), c.a, c.b),
                c.n,
            )
        })
        .collect()
}

async fn run() {
    let target = arg("--movements", 10_000_000);
    let runs = arg("--runs", 100);
    let baseline_runs = arg("--baseline-runs", 5);

    let (db_guard, url) = match std::env::var("CROSSINGS_BENCH_DB") {
        Ok(name) => (None, format!("postgres://postgres@127.0.0.1:5432/{name}")),
        Err(_) => {
            let db = BenchDb::create("stats");
            let url = db.url.clone();
            (Some(db), url)
        }
    };
    let mut s = settings(&url);
    s.stats.min_cell_count = 1; // compare every cell with the GROUP BY
    let app = Application::build(s).await.unwrap();
    let state = app.state();
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());

    let existing: i64 = state
        .ctx
        .db
        .read(|c| -> crossings::store::StoreResult<_> {
            Ok(movements::table.count().get_result::<i64>(c)?)
        })
        .await
        .unwrap();
    if existing == 0 {
        println!("loading {target} movements (a year of national traffic)...");
        let db = state.ctx.db.clone();
        actix_web::rt::task::spawn_blocking(move || load_year(&db, target, 2025, false))
            .await
            .unwrap();
        state
            .ctx
            .db
            .read(|c| -> crossings::store::StoreResult<_> {
                diesel::sql_query("VACUUM ANALYZE").execute(c)?;
                Ok(())
            })
            .await
            .unwrap();
    }
    let total: i64 = state
        .ctx
        .db
        .read(|c| -> crossings::store::StoreResult<_> {
            Ok(movements::table.count().get_result::<i64>(c)?)
        })
        .await
        .unwrap();
    let counters: i64 = state
        .ctx
        .db
        .read(|c| -> crossings::store::StoreResult<_> {
            Ok(crossings::store::schema::movement_counts::table
                .count()
                .get_result::<i64>(c)?)
        })
        .await
        .unwrap();
    println!("{total} movements, {counters} counter rows");

    let client = reqwest::Client::new();
    let token = sign_in(&client, &base, "admin", "bench-admin-password").await;

    println!();
    println!(
        "| question | rows | API p50 (ms) | API p99 (ms) | GROUP BY p50 (ms) | GROUP BY / API p50 |"
    );
    println!("|---|---|---|---|---|---|");
    for q in &QUESTIONS {
        let mut times = Vec::with_capacity(runs);
        let mut answer = Value::Null;
        // A few untimed requests first: the timing is of a server in its steady state, not
        // of its first connection to the database or a cold cache.
        for i in 0..WARM_UP + runs {
            let t0 = Instant::now();
            let r = client
                .get(format!("{base}{}", q.path))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            let body = r.bytes().await.unwrap();
            // Timed until the whole answer has arrived; parsing it is the client's business.
            if i >= WARM_UP {
                times.push(t0.elapsed());
                answer = serde_json::from_slice(&body).unwrap();
            }
        }
        times.sort();
        let sql = q.sql;
        let mut baseline_times = Vec::new();
        let mut cells = Vec::new();
        for _ in 0..baseline_runs {
            let t0 = Instant::now();
            cells = state
                .ctx
                .db
                .read(move |c| -> crossings::store::StoreResult<_> {
                    Ok(diesel::sql_query(sql).load::<Cell>(c)?)
                })
                .await
                .unwrap();
            baseline_times.push(t0.elapsed());
        }
        baseline_times.sort();
        let api = from_api(&answer, q.group_by);
        let plain = from_sql(cells);
        assert_eq!(api, plain, "{}: the answers differ", q.name);
        let p50 = percentile(&times, 0.5);
        let b50 = percentile(&baseline_times, 0.5);
        println!(
            "| {} | {} | {} | {} | {} | {:.0}x |",
            q.name,
            api.len(),
            ms(p50),
            ms(percentile(&times, 0.99)),
            ms(b50),
            b50.as_secs_f64() / p50.as_secs_f64().max(f64::EPSILON)
        );
    }
    println!();
    println!(
        "(answers equal to the GROUP BY's in every cell; {runs} timed API runs after {WARM_UP} untimed, and {baseline_runs} GROUP BY runs each)"
    );
    server.stop(true).await;
    drop(state);
    drop(db_guard);
}
