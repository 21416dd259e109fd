//! The officer terminal end to end: the server on a free port in a fresh folder (SQLite, only
//! its bootstrap admin), and `tests/e2e/terminal.e2e.mjs` driving headless Chromium (Debian's
//! `/usr/bin/chromium`) through playwright-core: accounts and a watchlist alert made through
//! the API, then an officer's work at the terminal. Skipped when node,
//! `tests/e2e/node_modules` or Chromium is missing, unless `CROSSINGS_REQUIRE_E2E=1`. Set up
//! with `cd tests/e2e && npm ci`. Screenshots go to `target/e2e/terminal-*.png`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Process, crossings, free_port, tail};

/// What the browser test leaves in `target/e2e/`.
const EXPECTED: [&str; 12] = [
    "terminal-signin-en.png",
    "terminal-mrz-filled-en.png",
    "terminal-recorded-en.png",
    "terminal-exit-en.png",
    "terminal-mrz-error-en.png",
    "terminal-alert-en.png",
    "terminal-search-en.png",
    "terminal-recorded-st.png",
    "terminal-alert-st.png",
    "terminal-flag-en.png",
    "terminal-tablet-en.png",
    "terminal-two-posts-en.png",
];
const CHROMIUM: &str = "/usr/bin/chromium";
const ADMIN_PASSWORD: &str = "terminal-e2e-admin-password";

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
fn an_officer_clears_travellers_at_the_terminal_in_headless_chromium() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let e2e = root.join("tests/e2e");
    if let Some(why) = missing_prerequisite(&e2e) {
        assert!(
            std::env::var("CROSSINGS_REQUIRE_E2E").as_deref() != Ok("1"),
            "CROSSINGS_REQUIRE_E2E=1 but the terminal end-to-end test cannot run: {why}"
        );
        eprintln!("SKIP terminal end-to-end test: {why}");
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let log = dir.path().join("server.log");
    let mut cmd = crossings(dir.path());
    cmd.env("CROSSINGS_BIND", format!("127.0.0.1:{port}"))
        .env("CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
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

    let shot_dir = root.join("target/e2e");
    std::fs::create_dir_all(&shot_dir).unwrap();
    for name in EXPECTED {
        let _ = std::fs::remove_file(shot_dir.join(name));
    }
    let mut node = Command::new("node")
        .current_dir(&e2e)
        .arg("terminal.e2e.mjs")
        .arg(format!("http://127.0.0.1:{port}"))
        .arg(ADMIN_PASSWORD)
        .arg(&shot_dir)
        .spawn()
        .expect("node starts");
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = node.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = node.kill();
            let _ = node.wait();
            panic!(
                "the browser test took more than 5 minutes; server log:\n{}",
                tail(&log, 30)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        status.success(),
        "the terminal end-to-end test failed ({status}); server log:\n{}",
        tail(&log, 30)
    );
    for name in EXPECTED {
        let file = shot_dir.join(name);
        assert!(
            file.metadata().is_ok_and(|m| m.len() > 5_000),
            "no {} (or an empty one)",
            file.display()
        );
    }
    eprintln!("terminal screenshots: {}", shot_dir.display());
    drop(server);
}
