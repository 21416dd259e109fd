//! Ingestion into PostgreSQL, each figure beside a baseline measured in the same run.
//!
//! - Batches: a post's 15-day offline backlog pushed as batches of 1,000 over HTTP, against
//!   the same rows as 1,000-row `INSERT … VALUES` statements sent back to back through `psql`
//!   (one connection, and four) into a plain table with the movement's columns and four
//!   indexes (primary key, `(principal, client_event_id)` unique, `(poe, occurred_at)`,
//!   `(issuing_state, document_number)`).
//! - Single posts: `wrk -t2 -c64 --latency` posting one new movement per request, with group
//!   commit off (`ingest.group_commit_max = 1`: before) and on (the configuration's: after),
//!   against `pgbench -n -c64 -j2` of one single-row autocommit INSERT of such a row into
//!   that plain table.
//!
//! `cargo bench --bench ingest` (options: `-- --events 225000 --clients 4 --single-clients 64
//! --single-secs 15 --skip-baseline --skip-batches`). Needs `psql`, `pg_dump`, `pgbench` and
//! `wrk` on the PATH (Debian: `postgresql-client`, `postgresql-contrib`, `wrk`).
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

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{BenchDb, ms, percentile, settings, user_token};
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
    skip_batches: bool,
    events: usize,
    clients: usize,
    single_clients: usize,
    single_secs: u64,
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
        skip_batches: args.iter().any(|a| a == "--skip-batches"),
        events: get("--events", 225_000),
        clients: get("--clients", 4),
        single_clients: get("--single-clients", 64),
        single_secs: get("--single-secs", 15) as u64,
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

/// The plain table of the baselines: the movement's columns, four indexes, nothing else.
const PLAIN_TABLE: &str = "CREATE TABLE plain (LIKE movements); \
    ALTER TABLE plain ADD PRIMARY KEY (id); \
    CREATE UNIQUE INDEX plain_idempotency ON plain (principal, client_event_id); \
    CREATE INDEX plain_poe_time ON plain (poe, occurred_at); \
    CREATE INDEX plain_document ON plain (issuing_state, document_number);";

fn run_tool(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn psql(url: &str, sql: &str) -> String {
    run_tool(
        Command::new("psql")
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                url,
                "-c",
            ])
            .arg(sql),
    )
}

/// A migrated, empty database of the service's schema (on a blocking thread of its own).
fn migrated(tag: &str) -> BenchDb {
    let db = BenchDb::create(tag);
    let url = db.url.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async {
            drop(Application::build(settings(&url)).await.unwrap());
        });
    })
    .join()
    .unwrap();
    db
}

/// The rows as 1,000-row `INSERT … VALUES` statements into `plain`, as `pg_dump` writes them
/// (the rows are loaded into a scratch database's `movements` first, and copied into one plain
/// table, untimed).
fn insert_statements(rows: &[MovementRow], dir: &std::path::Path) -> Vec<String> {
    let scratch = migrated("scratch");
    let mut conn = PgConnection::establish(&scratch.url).unwrap();
    for chunk in rows.chunks(500) {
        let forms: Vec<NewMovementRow> = chunk.iter().map(NewMovementRow::from).collect();
        diesel::insert_into(movements::table)
            .values(&forms)
            .execute(&mut conn)
            .unwrap();
    }
    // One plain table, so that pg_dump writes 1,000-row statements across the months (from
    // the partitions it would write one run of statements each).
    diesel::sql_query(
        "CREATE TABLE movements_flat AS SELECT * FROM movements ORDER BY occurred_at, id",
    )
    .execute(&mut conn)
    .unwrap();
    drop(conn);
    let dump = dir.join("dump.sql");
    run_tool(
        Command::new("pg_dump")
            .args([
                "--data-only",
                "--inserts",
                "--rows-per-insert=1000",
                "--table=public.movements_flat",
                "-f",
            ])
            .arg(&dump)
            .arg(&scratch.url),
    );
    let text = std::fs::read_to_string(&dump).unwrap();
    let mut statements = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.starts_with("INSERT INTO public.movements_flat ") {
            current = line.replacen(
                "INSERT INTO public.movements_flat ",
                "INSERT INTO plain ",
                1,
            );
            current.push('\n');
        } else if !current.is_empty() {
            current.push_str(line);
            current.push('\n');
            if line.ends_with(");") {
                statements.push(std::mem::take(&mut current));
            }
        }
    }
    assert_eq!(statements.len(), rows.len().div_ceil(1000), "statements");
    statements
}

/// The batch baseline: the statements sent back to back through `connections` psql sessions
/// at once (autocommit: a statement a transaction), into an empty plain table.
fn batch_baseline(
    statements: &[String],
    rows: usize,
    connections: usize,
    dir: &std::path::Path,
) -> Duration {
    let db = migrated("baseline");
    psql(&db.url, PLAIN_TABLE);
    let per = statements.len().div_ceil(connections);
    let files: Vec<std::path::PathBuf> = statements
        .chunks(per)
        .enumerate()
        .map(|(i, part)| {
            let f = dir.join(format!("part-{connections}-{i}.sql"));
            std::fs::write(&f, part.concat()).unwrap();
            f
        })
        .collect();
    let started = Instant::now();
    let children: Vec<_> = files
        .iter()
        .map(|f| {
            Command::new("psql")
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &db.url, "-f"])
                .arg(f)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "psql failed");
    }
    let took = started.elapsed();
    let n: usize = psql(&db.url, "SELECT count(*) FROM plain")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(n, rows, "every row inserted");
    took
}

/// The single-post baseline: `pgbench -n -c{clients} -j2 -T{secs}` of one single-row
/// autocommit INSERT into the plain table; answers transactions a second.
fn single_baseline(clients: usize, secs: u64, dir: &std::path::Path) -> f64 {
    let db = migrated("pgbench");
    psql(&db.url, PLAIN_TABLE);
    let script = dir.join("insert.sql");
    std::fs::write(
        &script,
        "\\set n random(1, 99999999)\n\
         INSERT INTO plain (id, principal, client_event_id, payload_hash, poe, direction, \
         occurred_at, recorded_at, recorded_by, mode, purpose, document_type, document_number, \
         issuing_state, nationality, surname, given_names, date_of_birth, sex, \
         sequence_anomaly, outside_hours, late) VALUES (gen_random_uuid()::text, \
         'system:bench', gen_random_uuid()::text, \
         'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'MSU', 'entry', \
         now()::timestamp, now()::timestamp, 'poe-system:bench', 'pedestrian', 'visit', \
         'passport', 'W' || :n, 'ZAF', 'ZAF', 'DLAMINI', 'SIPHO', '1988-03-14', 'M', false, \
         false, false);\n",
    )
    .unwrap();
    let out = run_tool(
        Command::new("pgbench")
            .args([
                "-n",
                &format!("-c{clients}"),
                "-j2",
                &format!("-T{secs}"),
                "-f",
            ])
            .arg(&script)
            .arg(&db.url),
    );
    out.lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no tps in pgbench's output: {out}"))
}

async fn token(client: &reqwest::Client, base: &str, poe: &str) -> String {
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
        .json(&json!({"poe": poe, "label": "bench gate"}))
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

/// Lines printed as they come and again together at the end.
struct Report {
    lines: Vec<String>,
}

impl Report {
    fn add(&mut self, line: String) {
        println!("{line}");
        self.lines.push(line);
    }
}

async fn run(o: Options) {
    if o.alerts {
        return run_alerts(&o).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut report = Report { lines: Vec::new() };
    if !o.skip_batches {
        run_batches(&o, dir.path(), &mut report).await;
    }
    run_singles(&o, dir.path(), &mut report).await;
    println!();
    println!("summary:");
    for l in &report.lines {
        println!("{l}");
    }
}

async fn run_batches(o: &Options, dir: &std::path::Path, report: &mut Report) {
    println!(
        "generating {} events (15 days of Maseru Bridge)...",
        o.events
    );
    let events = backlog(o.events);
    let bodies: Vec<Vec<u8>> = events
        .chunks(1000)
        .map(|c| serde_json::to_vec(&json!({ "movements": c })).unwrap())
        .collect();

    let baselines = if o.skip_baseline {
        None
    } else {
        // Rows for the baseline, built from the same events, as the service would write them.
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
        let dir = dir.to_path_buf();
        let clients = o.clients;
        println!("baselines: 1,000-row INSERTs through psql, 1 and {clients} connections...");
        Some(
            actix_web::rt::task::spawn_blocking(move || {
                let statements = insert_statements(&rows, &dir);
                let one = batch_baseline(&statements, rows.len(), 1, &dir);
                let many = batch_baseline(&statements, rows.len(), clients, &dir);
                (one, many)
            })
            .await
            .unwrap(),
        )
    };

    println!("service: batches...");
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
    let gate = token(&client, &base, "MSU").await;

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
    // Stop the server and close every connection before the database is dropped.
    server.stop(true).await;
    drop(state);

    let rate = |d: Duration| o.events as f64 / d.as_secs_f64();
    report.add(format!(
        "| service: POST /movements/batch (1,000 a batch), {} clients | {} | {:.2} s | {:.0} events/s |",
        o.clients,
        o.events,
        http.as_secs_f64(),
        rate(http)
    ));
    if let Some((one, many)) = baselines {
        report.add(format!(
            "| baseline: 1,000-row INSERTs through psql, 1 connection | {} | {:.2} s | {:.0} rows/s |",
            o.events,
            one.as_secs_f64(),
            rate(one)
        ));
        report.add(format!(
            "| baseline: 1,000-row INSERTs through psql, {} connections | {} | {:.2} s | {:.0} rows/s |",
            o.clients,
            o.events,
            many.as_secs_f64(),
            rate(many)
        ));
        report.add(format!(
            "batches / 1-connection baseline = {:.0}%; / {}-connection baseline = {:.0}%",
            100.0 * rate(http) / rate(one),
            o.clients,
            100.0 * rate(http) / rate(many)
        ));
    }
    report.add(format!(
        "backlog of {} events accepted in {:.1} s",
        o.events,
        http.as_secs_f64()
    ));
}

/// What wrk measured.
struct WrkRun {
    requests_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
}

fn wrk_ms(v: &str) -> f64 {
    let (num, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len()));
    let n: f64 = num.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => f64::NAN,
    }
}

fn parse_wrk(out: &str) -> WrkRun {
    let field = |prefix: &str| {
        out.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().last())
            .map(str::to_owned)
    };
    WrkRun {
        requests_per_sec: field("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN),
        p50_ms: field("50%").map_or(f64::NAN, |v| wrk_ms(&v)),
        p99_ms: field("99%").map_or(f64::NAN, |v| wrk_ms(&v)),
        non_2xx: field("Non-2xx or 3xx responses:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    }
}

/// wrk's script: one new movement per request, ids unique per thread (each thread has its
/// own Lua state and the same random seed, so the thread's number goes into every id).
fn post_lua(token: &str, occurred_at: &str) -> String {
    let body = json!({
        "client_event_id": "CEI",
        "poe": "MSU",
        "direction": "entry",
        "occurred_at": occurred_at,
        "mode": "pedestrian",
        "purpose": "visit",
        "traveller": {
            "document_type": "passport",
            "document_number": "DOC",
            "issuing_state": "ZAF",
            "nationality": "ZAF",
            "surname": "Dlamini",
            "given_names": "Sipho",
            "date_of_birth": "1988-03-14",
            "sex": "M"
        }
    })
    .to_string();
    let template = body
        .replace("\"CEI\"", "\"%s\"")
        .replace("\"DOC\"", "\"%s\"");
    format!(
        r#"local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
function request()
  counter = counter + 1
  local cei = string.format("w-%d-%d", tid, counter)
  local doc = string.format("W%d%07d", tid, counter)
  local body = string.format('{template}', cei, doc)
  return wrk.format(nil, "/api/v1/movements", nil, body)
end
"#
    )
}

async fn run_singles(o: &Options, dir: &std::path::Path, report: &mut Report) {
    let baseline = if o.skip_baseline {
        None
    } else {
        println!("baseline: pgbench of single-row INSERTs...");
        let (clients, secs, dir) = (o.single_clients, o.single_secs, dir.to_path_buf());
        Some(
            actix_web::rt::task::spawn_blocking(move || single_baseline(clients, secs, &dir))
                .await
                .unwrap(),
        )
    };
    if let Some(tps) = baseline {
        report.add(format!(
            "| baseline: pgbench -n -c{} -j2 -T{}, one single-row INSERT a transaction | {:.0} tx/s |",
            o.single_clients, o.single_secs, tps
        ));
    }
    let occurred_at = format!(
        "{}Z",
        (Utc::now() - chrono::Duration::minutes(30)).format("%Y-%m-%dT%H:%M:%S")
    );
    for (label, off) in [
        ("group commit off (before)", true),
        ("group commit on (after)", false),
    ] {
        println!("service: single posts, {label}...");
        let db = BenchDb::create("singles");
        let mut s = settings(&db.url);
        if off {
            s.ingest.group_commit_max = 1;
        }
        let group = (
            s.ingest.group_commit_max,
            s.ingest.group_commit_wait_ms,
            s.ingest.writers(),
        );
        let app = Application::build(s).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        let server = app.handle();
        actix_web::rt::spawn(app.run_until_stopped());
        let client = reqwest::Client::new();
        let gate = token(&client, &base, "MSU").await;
        let script = dir.join("post.lua");
        std::fs::write(&script, post_lua(&gate, &occurred_at)).unwrap();
        let (clients, secs, url) = (o.single_clients, o.single_secs, base.clone());
        let out = actix_web::rt::task::spawn_blocking(move || {
            run_tool(
                Command::new("wrk")
                    .args([
                        "-t2",
                        &format!("-c{clients}"),
                        &format!("-d{secs}s"),
                        "--latency",
                        "-s",
                    ])
                    .arg(&script)
                    .arg(&url),
            )
        })
        .await
        .unwrap();
        server.stop(true).await;
        drop(state);
        let recorded: i64 = psql(&db.url, "SELECT count(*) FROM movements")
            .trim()
            .parse()
            .unwrap();
        let run = parse_wrk(&out);
        report.add(format!(
            "| service: POST /movements, wrk -t2 -c{} -d{}s, {label} (max {}, wait {} ms, writers {}) | {:.0} /s | p50 {:.2} ms | p99 {:.2} ms | non-2xx {} | recorded {} |",
            o.single_clients,
            o.single_secs,
            group.0,
            group.1,
            group.2,
            run.requests_per_sec,
            run.p50_ms,
            run.p99_ms,
            run.non_2xx,
            recorded
        ));
        if let Some(tps) = baseline {
            report.add(format!(
                "singles, {label} / pgbench baseline = {:.0}%",
                100.0 * run.requests_per_sec / tps
            ));
        }
    }
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
    let gate = token(&client, &base, "MSU").await;
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
    let police = user_token(&client, &base, &admin, "police", "police", "MSU").await;
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
