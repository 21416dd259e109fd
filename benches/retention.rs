//! Retention at volume: movements of a year past retention are loaded into PostgreSQL (with
//! their counters, as the service keeps them); statistics are asked before and after the
//! erasure and must be identical; the erasure is timed (movements erased a second), while
//! officers keep recording single movements through the API (their latency is reported).
//!
//! `cargo bench --bench retention` (options: `-- --movements 1000000 --batch 1000`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark"
)]

mod common;

use std::time::{Duration, Instant};

use common::load::{arg, load_year};
use common::{BenchDb, ms, percentile, settings, sign_in, user_token};
use crossings::domain::audit::Actor;
use crossings::startup::Application;
use crossings::store::counts;
use crossings::synthetic::Generator;
use diesel::prelude::*;
use serde_json::Value;

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    actix_web::rt::System::new().block_on(run());
}

const QUESTIONS: [&str; 4] = [
    "/api/v1/stats/movements?from=2019-01-01&to=2020-01-01&interval=month&group_by=nationality,sex,age_band",
    "/api/v1/stats/movements?from=2019-01-01&to=2020-01-01&interval=day&group_by=poe,direction",
    "/api/v1/stats/movements?from=2019-06-01&to=2019-06-08&interval=hour&group_by=age_band,sex",
    "/api/v1/stats/citizen-flow?from=2019-01-01&to=2020-01-01&interval=month",
];

async fn answers(client: &reqwest::Client, base: &str, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for q in QUESTIONS {
        let r = client
            .get(format!("{base}{q}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{q}");
        let mut answer: Value = r.json().await.unwrap();
        // When the data was read (it moves on with the clock), not what it says.
        if let Some(o) = answer.as_object_mut() {
            o.remove("as_of");
        }
        out.push(answer);
    }
    out
}

async fn run() {
    let target = arg("--movements", 1_000_000);
    let batch = arg("--batch", 1000);
    let db = BenchDb::create("retention");
    let mut s = settings(&db.url);
    s.stats.min_cell_count = 1;
    s.retention.daily = false;
    s.retention.batch_size = batch as i64;
    let app = Application::build(s).await.unwrap();
    let state = app.state();
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());

    println!("loading {target} movements of 2019...");
    let pool = state.ctx.db.clone();
    actix_web::rt::task::spawn_blocking(move || load_year(&pool, target, 2019, true))
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

    let client = reqwest::Client::new();
    let admin = sign_in(&client, &base, "admin", "bench-admin-password").await;
    let analyst = user_token(&client, &base, &admin, "bench-analyst", "analyst", "*").await;
    let officer = user_token(&client, &base, &admin, "bench-officer", "immigration", "*").await;
    let before = answers(&client, &base, &analyst).await;

    // Officers keep recording while retention runs.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let recorder = {
        let (client, base, stop) = (client.clone(), base.clone(), stop.clone());
        actix_web::rt::spawn(async move {
            let mut times = Vec::new();
            let mut g = Generator::new(7, 100_000, "live");
            let today = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
            let events = g.day(today, 20_000);
            for e in events.iter() {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let t0 = Instant::now();
                let r = client
                    .post(format!("{base}/api/v1/movements"))
                    .bearer_auth(&officer)
                    .json(&Generator::to_json(e))
                    .send()
                    .await
                    .unwrap();
                assert!(
                    r.status().is_success(),
                    "{}",
                    r.text().await.unwrap_or_default()
                );
                times.push(t0.elapsed());
            }
            times
        })
    };
    let t0 = Instant::now();
    let report = crossings::service::retention::run(
        &state.ctx,
        Actor::command_line(),
        crossings::domain::time::now(),
    )
    .await
    .unwrap();
    let took = t0.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut times: Vec<Duration> = recorder.await.unwrap();
    times.sort();
    let after = answers(&client, &base, &analyst).await;
    let identical = before == after;
    let differences = state.ctx.db.read(counts::check).await.unwrap();

    println!();
    println!(
        "| movements erased | batch | time (s) | erased/s | transactions | statistics identical | counters = recount | single posts meanwhile: n, p50, p99, max (ms) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {batch} | {:.1} | {:.0} | {} | {} | {} | {}, {}, {}, {} |",
        report.erased,
        took.as_secs_f64(),
        report.erased as f64 / took.as_secs_f64(),
        report.batches,
        if identical { "yes" } else { "NO" },
        if differences.is_empty() { "yes" } else { "NO" },
        times.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(times.last().copied().unwrap_or_default()),
    );
    assert!(identical, "statistics changed");
    assert!(differences.is_empty(), "{differences:?}");
    let again = crossings::service::retention::run(
        &state.ctx,
        Actor::command_line(),
        crossings::domain::time::now(),
    )
    .await
    .unwrap();
    println!(
        "a second run erased {} (examined {})",
        again.erased, again.examined
    );
}
