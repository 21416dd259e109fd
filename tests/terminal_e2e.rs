//! The officer terminal end to end: the server on a free port in a fresh folder (SQLite, only
//! its bootstrap admin), and `tests/e2e/terminal.e2e.mjs` driving headless Chromium (Debian's
//! `/usr/bin/chromium`) through playwright-core: accounts and a watchlist alert made through
//! the API, then an officer's work at the terminal. Skipped when node,
//! `tests/e2e/node_modules` or Chromium is missing, unless `CROSSINGS_REQUIRE_E2E=1`. Set up
//! with `cd tests/e2e && npm ci`. Screenshots go to `target/e2e/terminal-*.png`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use std::time::Duration;

use common::browser::{Script, can_run, run, serve};
use common::{crossings, free_port};

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
const ADMIN_PASSWORD: &str = "terminal-e2e-admin-password";

#[test]
fn an_officer_clears_travellers_at_the_terminal_in_headless_chromium() {
    if !can_run("terminal") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let log = dir.path().join("server.log");
    let mut cmd = crossings(dir.path());
    cmd.env("CROSSINGS_BIND", format!("127.0.0.1:{port}"))
        .env("CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
    let server = serve(cmd, port, &log);
    run(
        &Script {
            what: "terminal",
            file: "terminal.e2e.mjs",
            args: vec![
                format!("http://127.0.0.1:{port}"),
                ADMIN_PASSWORD.to_owned(),
                "{shots}".to_owned(),
            ],
            expected: &EXPECTED,
            min_bytes: 5_000,
            limit: Duration::from_secs(300),
        },
        &log,
    );
    drop(server);
}
