//! The dashboard end to end: `crossings demo` in a fresh folder, the server on a free port,
//! and `tests/e2e/dashboard.e2e.mjs` driving headless Chromium (Debian's `/usr/bin/chromium`)
//! through playwright-core. Skipped when node, `tests/e2e/node_modules` or Chromium is missing,
//! unless `CROSSINGS_REQUIRE_E2E=1`. Set up with `cd tests/e2e && npm ci`. Screenshots (desktop
//! 1366×900 and phone 390×844, English and Sesotho, a drill-down, the print view) and a PDF of
//! the print view go to `target/e2e/`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Process, crossings, free_port, tail};

/// What the browser test leaves in `target/e2e/`.
const EXPECTED: [&str; 9] = [
    "desktop-en.png",
    "desktop-st.png",
    "drill-down-desktop-en.png",
    "print-view-en.png",
    "dashboard-print.pdf",
    "phone-en.png",
    "phone-en-full.png",
    "phone-st.png",
    "phone-st-full.png",
];
const CHROMIUM: &str = "/usr/bin/chromium";

/// What is missing to run the test, if anything.
fn missing_prerequisite(e2e: &Path) -> Option<String> {
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !node.is_ok_and(|s| s.success()) {
        return Some("`node` is not on the PATH".to_owned());
    }
    if !e2e.join("node_modules/playwright-core").is_dir() {
        return Some(format!(
            "{} is missing (run `npm ci` there)",
            e2e.join("node_modules").display()
        ));
    }
    if !Path::new(CHROMIUM).exists() {
        return Some(format!("{CHROMIUM} is missing (apt-get install chromium)"));
    }
    None
}

#[test]
fn the_dashboard_works_in_headless_chromium_against_demo_data() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let e2e = root.join("tests/e2e");
    if let Some(why) = missing_prerequisite(&e2e) {
        assert!(
            std::env::var("CROSSINGS_REQUIRE_E2E").as_deref() != Ok("1"),
            "CROSSINGS_REQUIRE_E2E=1 but the dashboard end-to-end test cannot run: {why}"
        );
        eprintln!("SKIP dashboard end-to-end test: {why}");
        return;
    }

    // Fifteen days of demo traffic (a week and the week before it, for comparisons) and one
    // login per role.
    let dir = tempfile::tempdir().unwrap();
    let demo = crossings(dir.path())
        .args(["demo", "--days", "15"])
        .output()
        .expect("crossings demo runs");
    let out = String::from_utf8_lossy(&demo.stdout);
    assert!(
        demo.status.success(),
        "crossings demo failed:\n{out}\n{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let (username, password) = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.len() == 3 && w[0] == "analyst")
        .map(|w| (w[1].to_owned(), w[2].to_owned()))
        .unwrap_or_else(|| panic!("no analyst login in the demo's output:\n{out}"));
    let (admin, admin_password) = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.len() == 3 && w[0] == "admin")
        .map(|w| (w[1].to_owned(), w[2].to_owned()))
        .unwrap_or_else(|| panic!("no admin login in the demo's output:\n{out}"));

    // The server, on a free port in the same folder (SQLite under ./data).
    let port = free_port();
    let log = dir.path().join("server.log");
    let mut cmd = crossings(dir.path());
    cmd.env("CROSSINGS_BIND", format!("127.0.0.1:{port}"))
        // Admins must set up a second factor: the browser test walks a new admin through it.
        .env("CROSSINGS__AUTH__MFA_REQUIRED_ROLES", "admin")
        .env("CROSSINGS__TELEMETRY__METRICS_BIND", "127.0.0.1:0");
    let mut server = Process::spawn(cmd, Some(&log));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !common::ready(port) {
        if let Some(status) = server.child().try_wait().unwrap() {
            panic!("the server exited with {status}:\n{}", tail(&log, 30));
        }
        assert!(
            Instant::now() < deadline,
            "the server was not ready within 60 s:\n{}",
            tail(&log, 30)
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The browser test, with a time limit of its own.
    let shot_dir = root.join("target/e2e");
    std::fs::create_dir_all(&shot_dir).unwrap();
    for name in EXPECTED {
        let _ = std::fs::remove_file(shot_dir.join(name));
    }
    let mut node = Command::new("node")
        .current_dir(&e2e)
        .arg("dashboard.e2e.mjs")
        .arg(format!("http://127.0.0.1:{port}"))
        .arg(&username)
        .arg(&password)
        .arg(&shot_dir)
        .arg(&admin)
        .arg(&admin_password)
        .spawn()
        .expect("node starts");
    let deadline = Instant::now() + Duration::from_secs(360);
    let status = loop {
        if let Some(status) = node.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = node.kill();
            let _ = node.wait();
            panic!(
                "the browser test took more than 6 minutes; server log:\n{}",
                tail(&log, 30)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        status.success(),
        "the dashboard end-to-end test failed ({status}); server log:\n{}",
        tail(&log, 30)
    );
    for name in EXPECTED {
        let file = shot_dir.join(name);
        assert!(
            file.metadata().is_ok_and(|m| m.len() > 10_000),
            "no {} (or an empty one)",
            file.display()
        );
    }
    eprintln!("dashboard screenshots and PDF: {}", shot_dir.display());
    drop(server);
}
