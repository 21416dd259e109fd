//! The harness of the browser tests: whether they can run here (node, playwright-core,
//! Debian's Chromium), the server they drive, and the Node script itself with a time limit,
//! checked for the screenshots it must leave in `target/e2e/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Process, tail};

/// Debian's Chromium, which the scripts drive through playwright-core.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// `tests/e2e`, where the scripts and their `node_modules` are.
pub fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/e2e")
}

/// What is missing to run a browser test, if anything.
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

/// Whether the browser test `what` can run here: false (after saying why) when something is
/// missing, a failure instead when `CROSSINGS_REQUIRE_E2E=1`.
pub fn can_run(what: &str) -> bool {
    let Some(why) = missing_prerequisite(&e2e_dir()) else {
        return true;
    };
    assert!(
        std::env::var("CROSSINGS_REQUIRE_E2E").as_deref() != Ok("1"),
        "CROSSINGS_REQUIRE_E2E=1 but the {what} end-to-end test cannot run: {why}"
    );
    eprintln!("SKIP {what} end-to-end test: {why}");
    false
}

/// Starts the server `cmd` on `port` (its log in `log`) and waits until it is ready, for at
/// most a minute.
pub fn serve(cmd: Command, port: u16, log: &Path) -> Process {
    let mut server = Process::spawn(cmd, Some(log));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !super::ready(port) {
        if let Some(status) = server.child().try_wait().unwrap() {
            panic!("the server exited with {status}:\n{}", tail(log, 30));
        }
        assert!(
            Instant::now() < deadline,
            "the server was not ready within 60 s:\n{}",
            tail(log, 30)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

/// A browser test's script and what it must leave behind.
pub struct Script<'a> {
    /// What it tests, for messages ("dashboard", "terminal").
    pub what: &'a str,
    /// The script in `tests/e2e`.
    pub file: &'a str,
    /// Its arguments; `{shots}` stands for the screenshot folder.
    pub args: Vec<String>,
    /// The files it must write into `target/e2e/`.
    pub expected: &'a [&'a str],
    /// Files smaller than this are taken for empty.
    pub min_bytes: u64,
    /// Its time limit.
    pub limit: Duration,
}

/// Where the screenshots go.
pub fn shot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e")
}

/// Runs `script` with node against the server whose log is `log`: the files it must write are
/// removed first, and checked after (present, not empty); a failure or a timeout shows the
/// server's last log lines.
pub fn run(script: &Script<'_>, log: &Path) {
    let shots = shot_dir();
    std::fs::create_dir_all(&shots).unwrap();
    for name in script.expected {
        let _ = std::fs::remove_file(shots.join(name));
    }
    let args = script
        .args
        .iter()
        .map(|a| a.replace("{shots}", &shots.display().to_string()));
    let mut node = Command::new("node")
        .current_dir(e2e_dir())
        .arg(script.file)
        .args(args)
        .spawn()
        .expect("node starts");
    let deadline = Instant::now() + script.limit;
    let status = loop {
        if let Some(status) = node.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = node.kill();
            let _ = node.wait();
            panic!(
                "the {} browser test took more than {:?}; server log:\n{}",
                script.what,
                script.limit,
                tail(log, 30)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        status.success(),
        "the {} end-to-end test failed ({status}); server log:\n{}",
        script.what,
        tail(log, 30)
    );
    for name in script.expected {
        let file = shots.join(name);
        assert!(
            file.metadata().is_ok_and(|m| m.len() > script.min_bytes),
            "no {} (or an empty one)",
            file.display()
        );
    }
    eprintln!("{} screenshots: {}", script.what, shots.display());
}
