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

use chrono::NaiveDate;
use common::{BenchDb, ms, percentile, settings};
use crossings::domain::audit::Actor;
use crossings::domain::movement::{Direction, Mode, Purpose};
use crossings::domain::poe::PoeCode;
use crossings::domain::stats::{Counted, deltas};
use crossings::domain::traveller::{DocumentType, Sex, StateCode};
use crossings::startup::Application;
use crossings::store::movements::MovementRow;
use crossings::store::{DbConnection, counts};
use crossings::synthetic::{Generator, Person};
use diesel::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    actix_web::rt::System::new().block_on(run());
}

fn rows_of(events: &[crossings::synthetic::Event]) -> Vec<MovementRow> {
    events
        .iter()
        .map(|e| {
            let p = Person::at(e.person);
            let car = e.mode == "private_vehicle";
            MovementRow {
                id: uuid::Uuid::now_v7().to_string(),
                principal: format!("system:{}", e.poe),
                client_event_id: e.client_event_id.clone(),
                payload_hash: hex::encode(Sha256::digest(e.client_event_id.as_bytes())),
                poe: PoeCode::parse(e.poe).unwrap(),
                direction: Direction::parse(e.direction).unwrap(),
                occurred_at: e.occurred_at,
                recorded_at: e.occurred_at + chrono::Duration::seconds(5),
                recorded_by: format!("poe-system:{}", e.poe.to_ascii_lowercase()),
                mode: Mode::parse(e.mode).unwrap(),
                purpose: Purpose::parse(e.purpose).unwrap(),
                document_type: DocumentType::Passport,
                document_number: p.document_number,
                issuing_state: StateCode::parse(p.nationality).unwrap(),
                nationality: StateCode::parse(p.nationality).unwrap(),
                surname: p.surname.to_owned(),
                given_names: p.given_names,
                date_of_birth: p.date_of_birth,
                sex: Sex::parse(p.sex).unwrap(),
                mrz: None,
                permitted_until: None,
                vehicle_registration: car.then(|| format!("A{}GP", e.person % 100_000)),
                vehicle_country: car.then(|| "ZAF".to_owned()),
                vehicle_category: car.then(|| "car".to_owned()),
                sequence_anomaly: false,
                outside_hours: false,
                late: false,
                alert_action: None,
                voided_at: None,
                voided_by: None,
                void_reason: None,
                erased_at: None,
            }
        })
        .collect()
}

/// Loads `total` movements over 2019 (past retention), a day per transaction, with their
/// counters.
fn load(db: &crossings::store::Db, total: usize) {
    let first = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap();
    let weights: f64 = (0..365)
        .map(|d| Generator::day_weight(first + chrono::Duration::days(d)))
        .sum();
    let per_day = (total as f64 / weights).round() as u32;
    let mut g = Generator::new(2019, 3_000_000, "y2019");
    // The year's monthly partitions, as the service would have made them ahead.
    for month in 1..=12 {
        let first = NaiveDate::from_ymd_opt(2019, month, 1).unwrap();
        db.write_sync(|c| crossings::store::movements::make_partition(c, first))
            .unwrap();
    }
    let started = Instant::now();
    let mut loaded = 0usize;
    for d in 0..365 {
        let events = g.day(first + chrono::Duration::days(d), per_day);
        let rows = rows_of(&events);
        db.write_sync(|c| -> crossings::store::StoreResult<()> {
            assert!(matches!(c, DbConnection::Pg(_)), "PostgreSQL only");
            // As the service writes them: by COPY, their keys first (movement_keys).
            for chunk in rows.chunks(20_000) {
                crossings::store::movements::insert_rows(c, chunk)?;
            }
            let counted: Vec<Counted> = rows.iter().map(MovementRow::counted).collect();
            counts::record(c, &deltas(counted.iter(), 1))?;
            counts::fold(c)?;
            Ok(())
        })
        .unwrap();
        loaded += rows.len();
    }
    println!(
        "loaded {loaded} movements in {:.0} s",
        started.elapsed().as_secs_f64()
    );
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
        out.push(r.json().await.unwrap());
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
    actix_web::rt::task::spawn_blocking(move || load(&pool, target))
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
    let login = |user: &'static str, password: &'static str| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let v: Value = client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"username": user, "password": password}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["access_token"].as_str().unwrap().to_owned()
        }
    };
    let admin = login("admin", "bench-admin-password").await;
    for (name, role) in [
        ("bench-analyst", "analyst"),
        ("bench-officer", "immigration"),
    ] {
        let r = client
            .post(format!("{base}/api/v1/users"))
            .bearer_auth(&admin)
            .json(&json!({"username": name, "password": "bench-officer-password", "role": role, "poes": ["*"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }
    let analyst = login("bench-analyst", "bench-officer-password").await;
    let officer = login("bench-officer", "bench-officer-password").await;
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
