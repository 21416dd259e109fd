//! Helpers for tests that run real processes: the built `crossings` binary on a free port in
//! its own folder, and a private PostgreSQL cluster. Each process is stopped when its handle
//! is dropped, however the test ends; only processes a test started are ever stopped.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "each test binary uses a part of these helpers; a panic is a test failure"
)]

pub mod browser;
pub mod postgres;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_crossings");

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A `crossings` command with a clean environment (nothing of the developer's shell leaks
/// in), run in `dir`.
pub fn crossings(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn");
    cmd
}

/// An HTTP client (reqwest is built without a default crypto provider; the service uses
/// ring).
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A process this test started: killed (SIGKILL) when dropped. Its standard error goes to a
/// log file when one is given, so a failure can show its last lines.
pub struct Process {
    child: Option<Child>,
    log: Option<PathBuf>,
}

impl Process {
    /// Starts `cmd`, its standard output discarded and its standard error written to `log`
    /// (or discarded).
    pub fn spawn(mut cmd: Command, log: Option<&Path>) -> Self {
        cmd.stdout(Stdio::null());
        match log {
            Some(path) => {
                let file = std::fs::File::create(path).expect("a log file");
                cmd.stderr(file);
            }
            None => {
                cmd.stderr(Stdio::null());
            }
        }
        Self {
            child: Some(cmd.spawn().expect("the process starts")),
            log: log.map(Path::to_path_buf),
        }
    }

    /// Wraps a child started elsewhere.
    pub fn of(child: Child) -> Self {
        Self {
            child: Some(child),
            log: None,
        }
    }

    /// The child, to talk to it or signal it.
    pub fn child(&mut self) -> &mut Child {
        self.child.as_mut().expect("the process is running")
    }

    /// The operating system's id of the process.
    pub fn id(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// SIGKILL, and wait for it to end: no chance to finish anything.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The last lines of its log, for a failure message.
    pub fn log_tail(&self) -> String {
        self.log.as_deref().map(|p| tail(p, 30)).unwrap_or_default()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether `GET /health/ready` on `port` answers 200 (plain HTTP, blocking, short timeout).
pub fn ready(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!(
        "GET /health/ready HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

/// Waits until `port` is ready, for at most `within`; false when it never was.
pub fn wait_ready(port: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if ready(port) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Waits, without blocking the async runtime, until `base` answers 200 on `/health/ready`;
/// panics after a minute.
pub async fn wait_ready_async(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/health/ready")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{base} did not become ready");
}

/// The last `lines` lines of a text file.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
