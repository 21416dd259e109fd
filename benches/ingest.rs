//! Ingestion into PostgreSQL: a post's 15-day offline backlog pushed as batches over HTTP,
//! against a baseline measured in the same run (the same rows written straight into the same
//! tables with multi-row INSERTs: no HTTP, no validation, no idempotency, no audit); then
//! single posts from 64 concurrent clients.
//!
//! `cargo bench --bench ingest` (options: `-- --events 225000 --clients 4 --singles 20000`).
//!
//! `cargo bench --bench ingest -- --alerts [--alert-batches 20]`: batches of 1,000 of which 2%
//! match the watchlist, first with no police client streaming hits, then with one connected to
//! `GET /alert-hits/stream` (and reading every hit): recording must not slow down.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark"
)]

mod common;

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use common::{BenchDb, ms, percentile, settings};
use crossings::domain::movement::{MovementInput, NewMovement, Rules};
use crossings::service::movements::{RecordContext, Sender, new_row};
use crossings::startup::Application;
use crossings::store::movements::{MovementRow, NewMovementRow};
use crossings::store::schema::movements;
use crossings::synthetic::Generator;
use diesel::prelude::*;
use serde_json::{Value, json};

struct Options {
    alerts: bool,
    alert_batches: usize,
    skip_baseline: bool,
    events: usize,
    clients: usize,
    singles: usize,
    single_clients: usize,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let get = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    Options {
        alerts: args.iter().any(|a| a == "--alerts"),
        alert_batches: get("--alert-batches", 20),
        skip_baseline: args.iter().any(|a| a == "--skip-baseline"),
        events: get("--events", 225_000),
        clients: get("--clients", 4),
        singles: get("--singles", 20_000),
        single_clients: get("--single-clients", 64),
    }
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    actix_web::rt::System::new().block_on(run(options()));
}

/// The backlog: fifteen offline days of Maseru Bridge, `events` in all, in time order.
fn backlog(events: usize) -> Vec<Value> {
    let days = 15u32;
    let first = (Utc::now() - chrono::Duration::days(16)).date_naive();
    let mut g = Generator::new(2026, 400_000, "msu-gate");
    g.backlog("MSU", first, days, (events as u32).div_ceil(days))
        .iter()
        .take(events)
        .map(Generator::to_json)
        .collect()
}

/// The baseline: the rows the service would write, inserted 1,000 a statement, one
/// transaction each, by `connections` connections in parallel.
fn baseline(url: &str, rows: &[MovementRow], connections: usize) -> Duration {
    let chunks: Vec<&[MovementRow]> = rows.chunks(1000).collect();
    let per = chunks.len().div_ceil(connections);
    let started = Instant::now();
    std::thread::scope(|s| {
        for part in chunks.chunks(per) {
            s.spawn(move || {
                let mut conn = PgConnection::establish(url).unwrap();
                for chunk in part {
                    conn.transaction::<_, diesel::result::Error, _>(|c| {
                        // Two statements of 500 rows: 31 columns a row stay under 65,535 parameters.
                        for half in chunk.chunks(500) {
                            let forms: Vec<NewMovementRow> =
                                half.iter().map(NewMovementRow::from).collect();
                            diesel::insert_into(movements::table)
                                .values(&forms)
                                .execute(c)?;
                        }
                        Ok(())
                    })
                    .unwrap();
                }
            });
        }
    });
    started.elapsed()
}

async fn token(client: &reqwest::Client, base: &str) -> String {
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": "bench-admin-password"}))
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
        .json(&json!({"poe": "MSU", "label": "bench gate"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let t: Value = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"client_id": creds["client_id"], "client_secret": creds["client_secret"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    t["access_token"].as_str().unwrap().to_owned()
}

async fn run(o: Options) {
    if o.alerts {
        return run_alerts(&o).await;
    }
    println!(
        "generating {} events (15 days of Maseru Bridge)...",
        o.events
    );
    let events = backlog(o.events);
    let bodies: Vec<Vec<u8>> = events
        .chunks(1000)
        .map(|c| serde_json::to_vec(&json!({ "movements": c })).unwrap())
        .collect();

    // Rows for the baseline, built from the same events.
    let registry =
        crossings::config::load_poe_registry(std::path::Path::new("/nonexistent")).unwrap();
    let rules = Rules {
        now: Utc::now(),
        future_tolerance: chrono::Duration::minutes(5),
        registry: &registry,
        home_state: "LSO",
    };
    let sender = Sender {
        key: "system:bench".into(),
        name: "poe-system:bench".into(),
    };
    let ctx = RecordContext {
        registry: &registry,
        recorded_at: crossings::domain::time::now(),
        late_after: chrono::Duration::hours(24),
        stay_rules: crossings::service::movements::stay_rules(&settings("").stays),
        given: None,
    };
    let rows: Vec<MovementRow> = events
        .iter()
        .map(|v| {
            let m = NewMovement::parse(
                serde_json::from_value::<MovementInput>(v.clone()).unwrap(),
                &rules,
            )
            .unwrap();
            new_row(&m, m.payload_hash(), &sender, &ctx)
        })
        .collect();

    let (baseline_1, baseline_n) = if o.skip_baseline {
        (Duration::MAX, Duration::MAX)
    } else {
        run_baselines(&rows, o.clients).await
    };
    run_service(&o, bodies, baseline_1, baseline_n).await;
}

async fn run_baselines(rows: &[MovementRow], clients: usize) -> (Duration, Duration) {
    let rows = rows.to_vec();
    let base_db = BenchDb::create("baseline");
    let app = Application::build(settings(&base_db.url)).await.unwrap();
    drop(app); // migrated and seeded; the server is not needed for the baseline
    let url = base_db.url.clone();
    let rows_for_one = rows.clone();
    let baseline_1 = actix_web::rt::task::spawn_blocking(move || baseline(&url, &rows_for_one, 1))
        .await
        .unwrap();
    drop(base_db);
    let base_db = BenchDb::create("baseline_par");
    drop(Application::build(settings(&base_db.url)).await.unwrap());
    let url = base_db.url.clone();
    let baseline_n = actix_web::rt::task::spawn_blocking(move || baseline(&url, &rows, clients))
        .await
        .unwrap();
    drop(base_db);
    (baseline_1, baseline_n)
}

/// The service: the backlog as batches, then single posts.
async fn run_service(
    o: &Options,
    bodies: Vec<Vec<u8>>,
    baseline_1: Duration,
    baseline_n: Duration,
) {
    let db = BenchDb::create("service");
    let app = Application::build(settings(&db.url)).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let server = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let gate = token(&client, &base).await;

    let queue = std::sync::Arc::new(std::sync::Mutex::new(
        bodies.into_iter().enumerate().collect::<Vec<_>>(),
    ));
    let started = Instant::now();
    let tasks: Vec<_> = (0..o.clients)
        .map(|_| {
            let (client, base, gate, queue) =
                (client.clone(), base.clone(), gate.clone(), queue.clone());
            actix_web::rt::spawn(async move {
                let mut created = 0u64;
                loop {
                    let next = queue.lock().unwrap().pop();
                    let Some((_, body)) = next else { break };
                    let r: Value = client
                        .post(format!("{base}/api/v1/movements/batch"))
                        .bearer_auth(&gate)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    created += r["created"].as_u64().unwrap_or(0);
                    assert_eq!(r["rejected"].as_u64(), Some(0), "{r}");
                }
                created
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        created += t.await.unwrap();
    }
    let http = started.elapsed();
    assert_eq!(created as usize, o.events, "every event created");

    // Single posts from many clients at once.
    let mut g = Generator::new(99, 200_000, "single");
    let mut singles = Vec::new();
    let mut day = (Utc::now() - chrono::Duration::days(3)).date_naive();
    while singles.len() < o.singles {
        singles.extend(
            g.day(day, 30_000)
                .iter()
                .filter(|e| e.poe == "MSU")
                .map(Generator::to_json),
        );
        day = day.succ_opt().unwrap_or(NaiveDate::MAX);
    }
    singles.truncate(o.singles);
    let queue = std::sync::Arc::new(std::sync::Mutex::new(singles));
    let started = Instant::now();
    let tasks: Vec<_> = (0..o.single_clients)
        .map(|_| {
            let (client, base, gate, queue) =
                (client.clone(), base.clone(), gate.clone(), queue.clone());
            actix_web::rt::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let next = queue.lock().unwrap().pop();
                    let Some(m) = next else { break };
                    let t0 = Instant::now();
                    let r = client
                        .post(format!("{base}/api/v1/movements"))
                        .bearer_auth(&gate)
                        .json(&m)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(
                        r.status().as_u16(),
                        201,
                        "{}",
                        r.text().await.unwrap_or_default()
                    );
                    latencies.push(t0.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let singles_time = started.elapsed();
    latencies.sort();
    // Stop the server and close every connection before the process exits (libpq and
    // OpenSSL clean up at exit; threads still using them then would crash the process).
    server.stop(true).await;
    drop(state);

    let rate = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
    let http_rate = rate(o.events, http);
    let best_baseline = rate(o.events, baseline_1).max(rate(o.events, baseline_n));
    println!();
    println!("| measurement | events | time (s) | events/s |");
    println!("|---|---|---|---|");
    if !o.skip_baseline {
        println!(
            "| baseline: multi-row INSERT, 1 connection | {} | {:.2} | {:.0} |",
            o.events,
            baseline_1.as_secs_f64(),
            rate(o.events, baseline_1)
        );
        println!(
            "| baseline: multi-row INSERT, {} connections | {} | {:.2} | {:.0} |",
            o.clients,
            o.events,
            baseline_n.as_secs_f64(),
            rate(o.events, baseline_n)
        );
    }
    println!(
        "| service: POST /movements/batch (1,000 a batch), {} clients | {} | {:.2} | {:.0} |",
        o.clients,
        o.events,
        http.as_secs_f64(),
        http_rate
    );
    println!(
        "| service: POST /movements, {} clients | {} | {:.2} | {:.0} |",
        o.single_clients,
        o.singles,
        singles_time.as_secs_f64(),
        rate(o.singles, singles_time)
    );
    println!();
    if !o.skip_baseline {
        println!(
            "batch ingestion / best baseline = {:.0}%, / single-connection baseline = {:.0}%",
            100.0 * http_rate / best_baseline,
            100.0 * http_rate / rate(o.events, baseline_1)
        );
    }
    println!(
        "backlog of {} events accepted in {:.1} s",
        o.events,
        http.as_secs_f64()
    );
    println!(
        "single posts: p50 {} ms, p99 {} ms, max {} ms",
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(percentile(&latencies, 1.0))
    );
}

/// Signs in as `username` (the admin makes the account first when it is not the admin).
async fn user_token(
    client: &reqwest::Client,
    base: &str,
    admin: &str,
    username: &str,
    role: &str,
) -> String {
    client
        .post(format!("{base}/api/v1/users"))
        .bearer_auth(admin)
        .json(&json!({"username": username, "password": "bench-officer-password", "roles": [role], "poes": ["MSU"]}))
        .send()
        .await
        .unwrap();
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": "bench-officer-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["access_token"].as_str().unwrap().to_owned()
}

/// Sends `bodies` one after another: each batch's time, the total, and the alerts answered.
async fn phase(
    client: &reqwest::Client,
    base: &str,
    gate: &str,
    bodies: &[Vec<u8>],
) -> (Vec<Duration>, Duration, u64) {
    let mut latencies = Vec::new();
    let mut hits = 0;
    let started = Instant::now();
    for body in bodies {
        let t0 = Instant::now();
        let r: Value = client
            .post(format!("{base}/api/v1/movements/batch"))
            .bearer_auth(gate)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        latencies.push(t0.elapsed());
        assert_eq!(r["rejected"].as_u64(), Some(0), "{r}");
        hits += r["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i.get("alert").is_some())
            .count() as u64;
    }
    (latencies, started.elapsed(), hits)
}

/// Batches of 1,000 (2% on the watchlist) without, and with, a police client streaming hits.
async fn run_alerts(o: &Options) {
    let per_phase = o.alert_batches;
    let events = backlog(2 * per_phase * 1000);
    let db = BenchDb::create("alerts");
    let app = Application::build(settings(&db.url)).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let server = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let gate = token(&client, &base).await;
    let admin: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": "bench-admin-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = admin["access_token"].as_str().unwrap().to_owned();
    let police = user_token(&client, &base, &admin, "police", "police").await;
    // Every 50th traveller is on the watchlist, by document.
    let mut alerts = 0;
    let mut listed = std::collections::HashSet::new();
    for e in events.iter().step_by(50) {
        let t = &e["traveller"];
        // One alert per document, so that a match is one hit.
        if !listed.insert((
            t["issuing_state"].to_string(),
            t["document_number"].to_string(),
        )) {
            continue;
        }
        let r = client
            .post(format!("{base}/api/v1/watchlist"))
            .bearer_auth(&police)
            .json(&json!({"issuing_state": t["issuing_state"], "document_number": t["document_number"], "category": "wanted", "action": "notify_only", "reason": "benchmark alert"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        alerts += 1;
    }
    let bodies: Vec<Vec<u8>> = events
        .chunks(1000)
        .map(|c| serde_json::to_vec(&json!({ "movements": c })).unwrap())
        .collect();
    // Alternating quarters (without, with, without, with), so that the machine's drift
    // during the run weighs on both alike.
    let quarters: Vec<&[Vec<u8>]> = bodies.chunks(per_phase.div_ceil(2).max(1)).collect();
    let mut lat_without = Vec::new();
    let mut lat_with = Vec::new();
    let (mut time_without, mut time_with) = (Duration::ZERO, Duration::ZERO);
    let (mut hits_without, mut hits_with, mut streamed) = (0, 0, 0);
    for (q, part) in quarters.iter().enumerate() {
        if q % 2 == 0 {
            let (l, t, h) = phase(&client, &base, &gate, part).await;
            lat_without.extend(l);
            time_without += t;
            hits_without += h;
            continue;
        }
        // A police client on the stream, reading every hit as it comes.
        let mut stream = client
            .get(format!("{base}/api/v1/alert-hits/stream"))
            .bearer_auth(&police)
            .send()
            .await
            .unwrap();
        let received = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = received.clone();
        let reader = actix_web::rt::spawn(async move {
            while let Ok(Some(chunk)) = stream.chunk().await {
                let n = String::from_utf8_lossy(&chunk)
                    .matches("event: hit")
                    .count();
                counter.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
            }
        });
        let (l, t, h) = phase(&client, &base, &gate, part).await;
        lat_with.extend(l);
        time_with += t;
        hits_with += h;
        // Give the last hits their two seconds to arrive.
        let deadline = Instant::now() + Duration::from_secs(5);
        while received.load(std::sync::atomic::Ordering::Relaxed) < h && Instant::now() < deadline {
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        streamed += received.load(std::sync::atomic::Ordering::Relaxed);
        reader.abort();
    }
    lat_without.sort();
    lat_with.sort();
    server.stop(true).await;
    drop(state);

    let n = per_phase * 1000;
    println!();
    println!(
        "{alerts} alerts on the watchlist; {per_phase} batches of 1,000 in each phase, one after another"
    );
    println!("| measurement | hits | batches | events/s | batch p50 (ms) | batch p99 (ms) |");
    println!("|---|---|---|---|---|---|");
    for (name, lat, time, hits) in [
        (
            "no stream connected",
            &lat_without,
            time_without,
            hits_without,
        ),
        (
            "one police client streaming",
            &lat_with,
            time_with,
            hits_with,
        ),
    ] {
        println!(
            "| {name} | {hits} | {per_phase} | {:.0} | {} | {} |",
            n as f64 / time.as_secs_f64(),
            ms(percentile(lat, 0.50)),
            ms(percentile(lat, 0.99)),
        );
    }
    println!("hits streamed to the police client: {streamed} of {hits_with}");
}
