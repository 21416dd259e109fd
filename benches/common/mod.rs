//! Shared by the benchmarks: databases, a server, timing.

#![allow(dead_code)]

pub mod load;

use std::time::Duration;

use crossings::config::Settings;
use diesel::prelude::*;
use serde_json::{Value, json};

/// The service binary's allocator (src/main.rs), so the numbers are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The PostgreSQL server the benchmarks use (`CROSSINGS_BENCH_PG_URL`).
pub fn pg_admin_url() -> String {
    std::env::var("CROSSINGS_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn url_for(db: &str) -> String {
    let admin = pg_admin_url();
    match admin.rfind('/') {
        Some(i) => format!("{}/{db}", &admin[..i]),
        None => format!("{admin}/{db}"),
    }
}

/// A fresh, empty database; dropped when this value is.
pub struct BenchDb {
    pub name: String,
    pub url: String,
}

impl BenchDb {
    pub fn create(tag: &str) -> Self {
        let name = format!("crossings_bench_{tag}_{}", std::process::id());
        let mut admin = PgConnection::establish(&pg_admin_url()).expect("PostgreSQL reachable");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut admin)
            .expect("drop");
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .expect("create");
        Self {
            url: url_for(&name),
            name,
        }
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if std::env::var("CROSSINGS_BENCH_KEEP").is_ok() {
            eprintln!("kept database {}", self.name);
            return;
        }
        if let Ok(mut admin) = PgConnection::establish(&pg_admin_url()) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

/// Settings of a benchmark server: quiet, two workers, the production pool size.
pub fn settings(url: &str) -> Settings {
    let mut env = vec![
        ("DATABASE_URL".to_owned(), url.to_owned()),
        ("CROSSINGS_BIND".to_owned(), "127.0.0.1:0".to_owned()),
        (
            "CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD".to_owned(),
            "bench-admin-password".to_owned(),
        ),
        (
            "CROSSINGS__TELEMETRY__LOG_LEVEL".to_owned(),
            "warn".to_owned(),
        ),
    ];
    // Settings of the shell win (e.g. CROSSINGS__DATABASE__POOL_SIZE=8).
    env.extend(std::env::vars().filter(|(k, _)| k.starts_with("CROSSINGS__")));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut s = Settings::load_from(&dir, &env).expect("settings");
    s.config_dir = dir;
    s
}

/// Percentile of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// Signs in as `username` (with `role`, posted at `poe`, `*` for everywhere), made by the admin
/// first, with the forced change of the password an admin gives.
pub async fn user_token(
    client: &reqwest::Client,
    base: &str,
    admin: &str,
    username: &str,
    role: &str,
    poe: &str,
) -> String {
    client
        .post(format!("{base}/api/v1/users"))
        .bearer_auth(admin)
        .json(&json!({"username": username, "password": "bench-initial-password", "roles": [role], "poes": [poe]}))
        .send()
        .await
        .unwrap();
    let login = |password: &'static str| sign_in(client, base, username, password);
    let restricted = login("bench-initial-password").await;
    let r = client
        .post(format!("{base}/api/v1/auth/password"))
        .bearer_auth(&restricted)
        .json(&json!({"current_password": "bench-initial-password", "new_password": "Maseru-bridge-night-shift-2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    login("Maseru-bridge-night-shift-2026").await
}

/// Signs `username` in with `password`: the access token.
pub async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> String {
    let v: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}
