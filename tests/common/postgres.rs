//! A private PostgreSQL cluster for one test: its own folder, a free port, started with
//! `initdb` and `pg_ctl` (as the `postgres` user when the test runs as root), stopped when
//! dropped. For tests that restart or stop the database, or need more than one.

use std::process::{Command, Stdio};

use super::free_port;

/// A running private cluster.
pub struct PrivatePostgres {
    /// Its folder (data, socket, log).
    pub dir: tempfile::TempDir,
    /// Its port.
    pub port: u16,
}

impl PrivatePostgres {
    /// A PostgreSQL program of the newest installed version.
    pub fn bin(name: &str) -> Option<std::path::PathBuf> {
        let root = std::path::Path::new("/usr/lib/postgresql");
        let mut versions: Vec<_> = std::fs::read_dir(root)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .collect();
        versions.sort();
        versions
            .into_iter()
            .rev()
            .map(|v| v.join("bin").join(name))
            .find(|p| p.exists())
    }

    /// `program`, run as the cluster's owner.
    pub fn as_owner(program: &std::path::Path) -> Command {
        // PostgreSQL refuses to run as root.
        let root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout == b"0\n")
            .unwrap_or(false);
        if root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    /// Initialises and starts a cluster; `None` when PostgreSQL's programs are missing.
    pub fn start() -> Option<Self> {
        let initdb = Self::bin("initdb")?;
        let dir = tempfile::tempdir().ok()?;
        let _ = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status();
        let _ = Command::new("chmod").args(["755"]).arg(dir.path()).status();
        let data = dir.path().join("data");
        let ok = Self::as_owner(&initdb)
            .args(["-D"])
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?
            .success();
        if !ok {
            return None;
        }
        let pg = Self {
            dir,
            port: free_port(),
        };
        pg.ctl(&[
            "start",
            "-w",
            "-o",
            &format!("-p {} -k {} -c fsync=off", pg.port, pg.dir.path().display()),
        ]);
        Some(pg)
    }

    /// A streaming replica of `primary` (hot standby): `pg_basebackup -R` into a folder of
    /// its own, started on a free port; `None` when it cannot be made. The primary's
    /// `initdb -A trust` already lets replication connect from 127.0.0.1.
    pub fn replica_of(primary: &PrivatePostgres) -> Option<Self> {
        let basebackup = Self::bin("pg_basebackup")?;
        let dir = tempfile::tempdir().ok()?;
        let _ = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status();
        let _ = Command::new("chmod").args(["755"]).arg(dir.path()).status();
        let ok = Self::as_owner(&basebackup)
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &primary.port.to_string(),
                "-U",
                "postgres",
            ])
            .arg("-D")
            .arg(dir.path().join("data"))
            .args(["-R", "-X", "stream", "--no-sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?
            .success();
        if !ok {
            return None;
        }
        let replica = Self {
            dir,
            port: free_port(),
        };
        replica.ctl(&[
            "start",
            "-w",
            "-o",
            &format!(
                "-p {} -k {} -c fsync=off -c hot_standby=on",
                replica.port,
                replica.dir.path().display()
            ),
        ]);
        Some(replica)
    }

    /// Runs `pg_ctl` with `args` on this cluster (start, stop, restart…).
    pub fn ctl(&self, args: &[&str]) {
        let pg_ctl = Self::bin("pg_ctl").unwrap();
        let log = self.dir.path().join("log");
        let status = Self::as_owner(&pg_ctl)
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-l")
            .arg(&log)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "pg_ctl {args:?} failed");
    }

    /// The URL of database `db` on this cluster.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let pg_ctl = Self::bin("pg_ctl").unwrap();
        let _ = Self::as_owner(&pg_ctl)
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["stop", "-m", "immediate"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
