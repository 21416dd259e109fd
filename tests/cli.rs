//! The binary as an operator meets it: first start, configuration errors, and the commands.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is a test failure"
)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

mod common;

use common::{Process, crossings, free_port, http};

async fn wait_ready(client: &reqwest::Client, base: &str) {
    common::wait_ready_async(client, base).await;
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
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = crossings(dir.path())
        .env("CROSSINGS_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let _server = Process::of(child);

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
    let client = http();
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
    // A generated password has been seen in a log: it is changed before anything else.
    assert_eq!(login["password_change_required"], true, "{login}");
    let admin = login["access_token"].as_str().unwrap();
    let (s, _) = post(&client, format!("{base}/api/v1/users"), Some(admin),
        json!({"username": "officer1", "password": "officer-password-1", "role": "immigration", "poes": ["MSU"]})).await;
    assert_eq!(s, 403);
    let (s, body) = post(
        &client,
        format!("{base}/api/v1/auth/password"),
        Some(admin),
        json!({"current_password": password, "new_password": "a passphrase of my own choosing"}),
    )
    .await;
    assert_eq!(s, 204, "{body}");
    let (s, _) = post(&client, format!("{base}/api/v1/users"), Some(admin),
        json!({"username": "officer1", "password": "officer-password-1", "role": "immigration", "poes": ["MSU"]})).await;
    assert_eq!(s, 201);
    let (s, officer) = post(
        &client,
        format!("{base}/api/v1/auth/login"),
        None,
        json!({"username": "officer1", "password": "officer-password-1"}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        officer["password_change_required"], true,
        "an admin chose it"
    );
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
        .write_all(b"maloti-blue-sky-77\n")
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

async fn system_token(client: &reqwest::Client, base: &str, admin_password: &str) -> String {
    let (_, login) = post(
        client,
        format!("{base}/api/v1/auth/login"),
        None,
        json!({"username": "admin", "password": admin_password}),
    )
    .await;
    let admin = login["access_token"].as_str().unwrap().to_owned();
    let (_, creds) = post(
        client,
        format!("{base}/api/v1/poe-systems"),
        Some(&admin),
        json!({"poe": "MSU"}),
    )
    .await;
    let (_, token) = post(
        client,
        format!("{base}/api/v1/auth/token"),
        None,
        json!({"client_id": creds["client_id"], "client_secret": creds["client_secret"]}),
    )
    .await;
    token["access_token"].as_str().unwrap().to_owned()
}

fn batch(n: usize, doc_prefix: &str) -> Value {
    let at = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let items: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "client_event_id": format!("{doc_prefix}-{i}"), "poe": "MSU", "direction": "entry",
                "occurred_at": at, "mode": "pedestrian", "purpose": "visit",
                "traveller": {"document_type": "passport", "document_number": format!("{doc_prefix}{i}"),
                    "issuing_state": "ZAF", "nationality": "ZAF", "surname": "ZYXWVUT", "given_names": "QQQ",
                    "date_of_birth": "1970-01-02", "sex": "F"}
            })
        })
        .collect();
    json!({ "movements": items })
}

#[actix_web::test]
async fn sigterm_lets_a_batch_in_flight_finish_and_takes_no_new_requests() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = crossings(dir.path())
        .env("CROSSINGS_BIND", format!("127.0.0.1:{port}"))
        .env("CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD", "admin-password-123")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut server = Process::of(child);
    let base = format!("http://127.0.0.1:{port}");
    let client = http();
    wait_ready(&client, &base).await;
    let token = system_token(&client, &base, "admin-password-123").await;

    // A batch whose body is half sent when SIGTERM arrives.
    let body = serde_json::to_vec(&batch(500, "TERM")).unwrap();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let head = format!(
        "POST /api/v1/movements/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..body.len() / 2]).unwrap();
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let term = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;

    // No new requests are taken.
    let refused = client
        .get(format!("{base}/health/live"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(refused.is_err(), "a new request was served after SIGTERM");

    // The request in flight completes.
    stream.write_all(&body[body.len() / 2..]).unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("\"created\":500"),
        "{}",
        &answer[..answer.len().min(400)]
    );

    let status = server.child().wait().unwrap();
    assert!(status.success(), "exit status {status}");
}

#[actix_web::test]
async fn json_logs_carry_the_request_id_and_no_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = crossings(dir.path())
        .env("CROSSINGS_BIND", format!("127.0.0.1:{port}"))
        .env("CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD", "admin-password-123")
        .env("CROSSINGS__TELEMETRY__LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let lines = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let server = Process::of(child);
    let base = format!("http://127.0.0.1:{port}");
    let client = http();
    wait_ready(&client, &base).await;
    let token = system_token(&client, &base, "admin-password-123").await;
    let res = client
        .post(format!("{base}/api/v1/movements/batch"))
        .bearer_auth(&token)
        .header("X-Request-Id", "req-json-1")
        .json(&batch(3, "PII"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    drop(server);
    let lines = lines.join().unwrap();
    assert!(!lines.is_empty());
    let parsed: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    assert!(
        parsed
            .iter()
            .any(|l| l.to_string().contains("req-json-1") && l.to_string().contains("served")),
        "no line of the request names its id"
    );
    for l in &lines {
        for personal in ["ZYXWVUT", "PII0", "1970-01-02"] {
            assert!(!l.contains(personal), "personal data in the log: {l}");
        }
    }
}

#[actix_web::test]
async fn probe_says_whether_the_service_is_ready() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let down = crossings(dir.path())
        .args(["probe", "--addr", &format!("127.0.0.1:{port}")])
        .status()
        .unwrap();
    assert!(!down.success(), "nothing listens yet");
    let child = crossings(dir.path())
        .env("CROSSINGS_BIND", format!("127.0.0.1:{port}"))
        .env("CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD", "admin-password-123")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Process::of(child);
    wait_ready(&http(), &format!("http://127.0.0.1:{port}")).await;
    let up = crossings(dir.path())
        .env("CROSSINGS_BIND", format!("127.0.0.1:{port}"))
        .arg("probe")
        .status()
        .unwrap();
    assert!(up.success());
}

#[actix_web::test]
async fn demo_loads_traffic_and_prints_a_login_per_role_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let out = crossings(dir.path())
        .env("CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD", "admin-password-123")
        .args(["demo", "--days", "2", "--per-day", "800"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let recorded: usize = text
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(recorded > 800, "{text}");
    let logins: Vec<(String, String, String)> = text
        .lines()
        .filter_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            (parts.len() == 3
                && [
                    "admin",
                    "immigration",
                    "police",
                    "lra",
                    "analyst",
                    "poe_system",
                ]
                .contains(&parts[0]))
            .then(|| {
                (
                    parts[0].to_owned(),
                    parts[1].to_owned(),
                    parts[2].to_owned(),
                )
            })
        })
        .collect();
    assert_eq!(logins.len(), 6, "{text}");

    let port = free_port();
    let child = crossings(dir.path())
        .env("CROSSINGS_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Process::of(child);
    let base = format!("http://127.0.0.1:{port}");
    let client = http();
    wait_ready(&client, &base).await;
    for (role, user, secret) in &logins {
        let (status, _) = if role == "poe_system" {
            post(
                &client,
                format!("{base}/api/v1/auth/token"),
                None,
                json!({"client_id": user, "client_secret": secret}),
            )
            .await
        } else {
            post(
                &client,
                format!("{base}/api/v1/auth/login"),
                None,
                json!({"username": user, "password": secret}),
            )
            .await
        };
        assert_eq!(status, 200, "{role} {user}");
    }
}

#[test]
fn demo_refuses_production_and_a_database_it_did_not_make() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("x.db").display());
    let out = crossings(dir.path())
        .env("DATABASE_URL", &db)
        .env("CROSSINGS_ENV", "production")
        .env(
            "CROSSINGS__AUTH__JWT_SECRET",
            "a-real-production-key-of-enough-length-42",
        )
        .env("CROSSINGS__SERVER__TLS_OFFLOADED", "true")
        .env("CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD", "bootstrap-password-1")
        .args(["demo", "--days", "1", "--per-day", "10"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("production"), "{err}");

    // A database with an account the demo did not make.
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
        .write_all(b"maloti-blue-sky-77\n")
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    let out = crossings(dir.path())
        .env("DATABASE_URL", &db)
        .env("CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD", "bootstrap-password-1")
        .args(["demo", "--days", "1", "--per-day", "10"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did not make"), "{err}");
}

#[test]
fn production_refuses_to_start_without_tls() {
    let dir = tempfile::tempdir().unwrap();
    let out = crossings(dir.path())
        .env("CROSSINGS_ENV", "production")
        .env(
            "CROSSINGS__AUTH__JWT_SECRET",
            "a-real-production-key-of-enough-length-42",
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tls.cert_path"), "{err}");
}
