//! The dashboard end to end: `crossings demo` in a fresh folder, the server on a free port,
//! and `tests/e2e/dashboard.e2e.mjs` driving headless Chromium (Debian's `/usr/bin/chromium`)
//! through playwright-core. Skipped when node, `tests/e2e/node_modules` or Chromium is missing,
//! unless `CROSSINGS_REQUIRE_E2E=1`. Set up with `cd tests/e2e && npm ci`. Screenshots (desktop
//! 1366×900 and phone 390×844, English and Sesotho, a drill-down, the print view) and a PDF of
//! the print view go to `target/e2e/`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use std::time::Duration;

use common::browser::{Script, can_run, run, serve};
use common::{crossings, free_port};

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

#[test]
fn the_dashboard_works_in_headless_chromium_against_demo_data() {
    if !can_run("dashboard") {
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
    let server = serve(cmd, port, &log);
    run(
        &Script {
            what: "dashboard",
            file: "dashboard.e2e.mjs",
            args: vec![
                format!("http://127.0.0.1:{port}"),
                username,
                password,
                "{shots}".to_owned(),
                admin,
                admin_password,
            ],
            expected: &EXPECTED,
            min_bytes: 10_000,
            limit: Duration::from_secs(360),
        },
        &log,
    );
    drop(server);
}
