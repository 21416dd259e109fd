//! The binary as an operator meets it: first start, configuration errors, and the commands.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is a test failure"
)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_crossings");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A command with a clean environment: nothing of the developer's shell leaks in.
fn crossings(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn");
    cmd
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/health/ready")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server did not become ready");
}

async fn post(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut req = client.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[actix_web::test]
async fn first_start_on_sqlite_prints_the_admin_password_who_creates_an_officer() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = crossings(dir.path())
        .env("CROSSINGS_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);

    // The generated password is printed once on standard output. The reader keeps draining
    // the pipe afterwards, as a terminal would.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("with password").nth(1) {
                let _ = tx.send(rest.trim().to_owned());
            }
        }
    });
    let password = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("password printed");
    assert!(password.len() >= 12);

    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_ready(&client, &base).await;
    assert!(
        dir.path().join("data/crossings.db").exists(),
        "SQLite under ./data"
    );

    let (s, login) = post(
        &client,
        format!("{base}/api/v1/auth/login"),
        None,
        json!({"username": "admin", "password": password}),
    )
    .await;
    assert_eq!(s, 200, "{login}");
    let admin = login["access_token"].as_str().unwrap();
    let (s, _) = post(&client, format!("{base}/api/v1/users"), Some(admin),
        json!({"username": "officer1", "password": "officer-password-1", "role": "immigration", "poes": ["MSU"]})).await;
    assert_eq!(s, 201);
    let (s, _) = post(
        &client,
        format!("{base}/api/v1/auth/login"),
        None,
        json!({"username": "officer1", "password": "officer-password-1"}),
    )
    .await;
    assert_eq!(s, 200);
}

#[test]
fn a_bad_setting_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = crossings(dir.path())
        .env("CROSSINGS__SERVER__WORKERS", "many")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("server.workers"), "{err}");

    let out = crossings(dir.path())
        .env("CROSSINGS_ENV", "production")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("auth.jwt_secret"), "{err}");
}

#[test]
fn user_and_audit_commands_work_on_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("x.db").display());
    let out = crossings(dir.path())
        .env("DATABASE_URL", &db)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut child = crossings(dir.path())
        .env("DATABASE_URL", &db)
        .env("CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD", "bootstrap-password-1")
        .args([
            "user",
            "create",
            "--username",
            "neo",
            "--role",
            "immigration",
            "--poe",
            "MSU",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"neo-password-123\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("created user neo"));

    let out = crossings(dir.path())
        .env("DATABASE_URL", &db)
        .args(["user", "list"])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("neo") && listing.contains("admin"),
        "{listing}"
    );

    let out = crossings(dir.path())
        .env("DATABASE_URL", &db)
        .args(["user", "disable", "neo"])
        .output()
        .unwrap();
    assert!(out.status.success());

    let out = crossings(dir.path())
        .env("DATABASE_URL", &db)
        .args(["poe-system", "create", "--poe", "MSU"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("client_secret:"), "{text}");
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("id:"))
        .unwrap()
        .trim()
        .to_owned();
    let out = crossings(dir.path())
        .env("DATABASE_URL", &db)
        .args(["poe-system", "revoke", &id])
        .output()
        .unwrap();
    assert!(out.status.success());

    let out = crossings(dir.path())
        .env("DATABASE_URL", &db)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true);
    // bootstrap, user create, user update (disable), poe_system create and revoke.
    assert_eq!(report["entries"], 5);
}
