//! The test harness: a real server on a random port over a fresh database of either backend.
//!
//! PostgreSQL: each test gets its own database, cloned from a template that is migrated once
//! (per version of the migrations) and dropped when the test ends. The server is
//! `postgres://postgres@127.0.0.1:5432` unless `CROSSINGS_TEST_PG_URL` says otherwise. When it
//! cannot be reached the PostgreSQL half of each test is skipped with a message, unless
//! `CROSSINGS_REQUIRE_PG=1` (set by `.ci/run`), which makes it fail instead.
//!
//! SQLite: each test gets a file in its own temporary directory.

#![allow(dead_code)]

use std::sync::{Arc, Mutex, OnceLock};

use crossings::config::Settings;
use crossings::startup::{AppState, Application};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The bootstrap admin's password in every test.
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
/// A password that meets the policy, for officers created in tests (their own, after the
/// first sign-in).
pub const OFFICER_PASSWORD: &str = "blue-maloti-sky-1";
/// The password an admin gives an officer in tests, changed at the first sign-in.
pub const INITIAL_PASSWORD: &str = "initial-password-by-admin";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates, for each `async fn name(app: TestApp) { … }`, a module `name` with two tests,
/// `sqlite` and `postgres`, running the body against each backend.
#[macro_export]
macro_rules! on_both_backends {
    ($( $(#[$meta:meta])* async fn $name:ident($app:ident : TestApp) $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn body($app: $crate::helpers::TestApp) $body

                #[actix_web::test]
                async fn sqlite() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await {
                        body(app).await;
                    }
                }

                #[actix_web::test]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                        body(app).await;
                    }
                }
            }
        )*
    };
}

/// A running server and what the test needs to reach it.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// The metrics listener (`telemetry.metrics_bind`).
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    pub backend: Backend,
    pub database_url: String,
    _db: TestDatabase,
}

/// The database of one test; removed on drop.
pub enum TestDatabase {
    Sqlite(tempfile::TempDir),
    Postgres {
        name: String,
    },
    /// Owned by the test itself (e.g. a private cluster).
    External,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { name } = self {
            let name = name.clone();
            // Off the async runtime: a plain thread with its own connection.
            let _ = std::thread::spawn(move || {
                if let Ok(mut admin) = PgConnection::establish(&pg_admin_url()) {
                    let _ = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    ))
                    .execute(&mut admin);
                }
            })
            .join();
        }
    }
}

pub fn pg_admin_url() -> String {
    std::env::var("CROSSINGS_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn pg_url_for(db: &str) -> String {
    let admin = pg_admin_url();
    match admin.rfind('/') {
        Some(i) if admin[..i].contains("://") && i > admin.find("://").unwrap_or(0) + 2 => {
            format!("{}/{db}", &admin[..i])
        }
        _ => format!("{admin}/{db}"),
    }
}

fn pg_required() -> bool {
    std::env::var("CROSSINGS_REQUIRE_PG").is_ok_and(|v| v == "1" || v == "true")
}

/// Name of the migrated template for the current migrations, created once across processes.
fn pg_template() -> Result<String, String> {
    static TEMPLATE: OnceLock<Result<String, String>> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let mut admin = PgConnection::establish(&pg_admin_url()).map_err(|e| e.to_string())?;
            let name = format!("crossings_tpl_{}", migrations_fingerprint());
            diesel::sql_query("SELECT pg_advisory_lock(4242424242)")
                .execute(&mut admin)
                .map_err(|e| e.to_string())?;
            let result = create_template_if_missing(&mut admin, &name);
            let _ = diesel::sql_query("SELECT pg_advisory_unlock(4242424242)").execute(&mut admin);
            result.map(|()| name)
        })
        .clone()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn create_template_if_missing(admin: &mut PgConnection, name: &str) -> Result<(), String> {
    let exists = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM pg_database WHERE datname = '{name}'"
    ))
    .get_result::<Count>(admin)
    .map_err(|e| e.to_string())?
    .n > 0;
    if exists {
        return Ok(());
    }
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(admin)
        .map_err(|e| e.to_string())?;
    let db = crossings::store::Db::connect(
        &pg_url_for(name),
        &crossings::store::PoolOptions {
            size: 1,
            connection_timeout: std::time::Duration::from_secs(10),
            sqlite_busy_timeout_ms: 1000,
        },
    )
    .map_err(|e| e.to_string())?;
    crossings::store::migrations::run(&db).map_err(|e| e.to_string())?;
    drop(db);
    // Templates of other migrations may belong to another checkout whose tests run now (a
    // branch with a migration of its own): only those made more than a day ago, and unused,
    // are dropped. The creation time is that of the database's PG_VERSION file.
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let old: Vec<Name> = diesel::sql_query(format!(
        "SELECT d.datname FROM pg_database d
          WHERE d.datname LIKE 'crossings_tpl_%' AND d.datname <> '{name}'
            AND (pg_stat_file('base/' || d.oid || '/PG_VERSION')).modification
                < now() - interval '1 day'
            AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)"
    ))
    .load(admin)
    .unwrap_or_default();
    for o in old {
        let _ =
            diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{}\"", o.datname)).execute(admin);
    }
    Ok(())
}

/// A short hash of every file under `migrations/postgres`.
fn migrations_fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut hasher = Sha256::new();
    for f in files {
        hasher.update(f.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&f).unwrap_or_default());
    }
    hex::encode(&hasher.finalize()[..6])
}

fn create_pg_database() -> Result<(String, String), String> {
    let template = pg_template()?;
    let name = format!("crossings_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = PgConnection::establish(&pg_admin_url()).map_err(|e| e.to_string())?;
    let mut last = String::new();
    for attempt in 0..20 {
        match diesel::sql_query(format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        ))
        .execute(&mut admin)
        {
            Ok(_) => return Ok((name.clone(), pg_url_for(&name))),
            Err(e) => {
                // Another test may be copying the same template at this moment; or a checkout
                // of older tests (which dropped every other template) removed it: make it again.
                last = e.to_string();
                if last.contains("does not exist") {
                    let _ = diesel::sql_query("SELECT pg_advisory_lock(4242424242)")
                        .execute(&mut admin);
                    let made = create_template_if_missing(&mut admin, &template);
                    let _ = diesel::sql_query("SELECT pg_advisory_unlock(4242424242)")
                        .execute(&mut admin);
                    made?;
                }
                std::thread::sleep(std::time::Duration::from_millis(50 * (attempt + 1)));
            }
        }
    }
    Err(last)
}

/// Settings for a test server: port 0, the test admin password, small pools.
pub fn test_settings(database_url: &str) -> Settings {
    let env = vec![
        ("DATABASE_URL".to_owned(), database_url.to_owned()),
        ("CROSSINGS_BIND".to_owned(), "127.0.0.1:0".to_owned()),
        (
            "CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD".to_owned(),
            ADMIN_PASSWORD.to_owned(),
        ),
        ("CROSSINGS__SERVER__WORKERS".to_owned(), "2".to_owned()),
        ("CROSSINGS__DATABASE__POOL_SIZE".to_owned(), "4".to_owned()),
        // Tests run retention themselves, when they mean to.
        ("CROSSINGS__RETENTION__DAILY".to_owned(), "false".to_owned()),
        // Each test server its own metrics port.
        (
            "CROSSINGS__TELEMETRY__METRICS_BIND".to_owned(),
            "127.0.0.1:0".to_owned(),
        ),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut settings = Settings::load_from(&dir, &env).expect("test settings load");
    settings.config_dir = dir;
    settings
}

fn init_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        // reqwest is built without a default crypto provider; the service uses ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        if std::env::var("TEST_LOG").is_ok() {
            crossings::telemetry::init(&crossings::config::TelemetrySettings {
                log_format: crossings::config::LogFormat::Text,
                log_level: "info".to_owned(),
                metrics_bind: String::new(),
            });
        }
    });
}

/// Prepares a database of `backend`; `None` when PostgreSQL is unreachable and not required.
pub fn test_database(backend: Backend) -> Option<(TestDatabase, String)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!("sqlite://{}", dir.path().join("crossings.db").display());
            Some((TestDatabase::Sqlite(dir), url))
        }
        Backend::Postgres => match create_pg_database() {
            Ok((name, url)) => Some((TestDatabase::Postgres { name }, url)),
            Err(e) => {
                assert!(
                    !pg_required(),
                    "PostgreSQL is required (CROSSINGS_REQUIRE_PG) but unusable: {e}"
                );
                static WARNED: Mutex<bool> = Mutex::new(false);
                let mut warned = WARNED.lock().unwrap_or_else(|p| p.into_inner());
                if !*warned {
                    eprintln!("SKIPPING PostgreSQL tests: {e}");
                    *warned = true;
                }
                None
            }
        },
    }
}

/// An empty PostgreSQL database (no migration run), dropped with the guard; `None` when
/// PostgreSQL is unreachable and not required.
pub fn empty_pg_database() -> Option<(TestDatabase, String)> {
    let name = format!("crossings_test_{}", uuid::Uuid::now_v7().simple());
    let made = PgConnection::establish(&pg_admin_url())
        .map_err(|e| e.to_string())
        .and_then(|mut admin| {
            diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                .execute(&mut admin)
                .map_err(|e| e.to_string())
        });
    match made {
        Ok(_) => Some((
            TestDatabase::Postgres { name: name.clone() },
            pg_url_for(&name),
        )),
        Err(e) => {
            assert!(
                !pg_required(),
                "PostgreSQL is required (CROSSINGS_REQUIRE_PG) but unusable: {e}"
            );
            None
        }
    }
}

/// Starts a server on a fresh database; `None` when the backend is unavailable (see above).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with a chance to change the settings first.
pub async fn spawn_app_with(
    backend: Backend,
    tweak: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let (db, url) = test_database(backend)?;
    start_app(db, url, backend, tweak).await
}

/// Starts a server on a database the caller manages.
pub async fn spawn_app_on(url: &str) -> Option<TestApp> {
    start_app(
        TestDatabase::External,
        url.to_owned(),
        Backend::Postgres,
        |_| {},
    )
    .await
}

async fn start_app(
    db: TestDatabase,
    url: String,
    backend: Backend,
    tweak: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    init_logs();
    let mut settings = test_settings(&url);
    tweak(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("application starts");
    let port = app.port();
    let metrics_port = app.metrics_port();
    let state = app.state();
    actix_web::rt::spawn(app.run_until_stopped());
    Some(TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        metrics_address: metrics_port.map(|p| format!("http://127.0.0.1:{p}")),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        state,
        backend,
        database_url: url,
        _db: db,
    })
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// The field names of a 422's errors.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    fn with_token(req: reqwest::RequestBuilder, token: Option<&str>) -> reqwest::RequestBuilder {
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(Self::with_token(self.client.get(self.url(path)), token))
            .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(Self::with_token(self.client.delete(self.url(path)), token))
            .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.send(Self::with_token(
            self.client.post(self.url(path)).json(body),
            token,
        ))
        .await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.send(Self::with_token(
            self.client.patch(self.url(path)).json(body),
            token,
        ))
        .await
    }

    pub async fn post_raw(&self, path: &str, token: Option<&str>, body: Vec<u8>) -> Answer {
        let req = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body);
        self.send(Self::with_token(req, token)).await
    }

    /// `GET /metrics` on the metrics listener.
    pub async fn metrics(&self) -> Answer {
        let base = self.metrics_address.as_deref().expect("a metrics listener");
        self.send(self.client.get(format!("{base}/metrics"))).await
    }

    /// Signs in; answers the whole token response.
    pub async fn login(&self, username: &str, password: &str) -> Answer {
        self.post(
            "/api/v1/auth/login",
            None,
            &json!({"username": username, "password": password}),
        )
        .await
    }

    /// An access token for the bootstrap admin.
    pub async fn admin_token(&self) -> String {
        let a = self.login("admin", ADMIN_PASSWORD).await.expect(200);
        a.body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// Creates a user with `roles` at `poes` (through the admin), signs them in, has them
    /// change the admin-set password to [`OFFICER_PASSWORD`], and answers a token of theirs.
    pub async fn user_token(&self, username: &str, roles: &[&str], poes: &[&str]) -> String {
        let admin = self.admin_token().await;
        self.post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": username, "password": INITIAL_PASSWORD, "roles": roles, "poes": poes}),
        )
        .await
        .expect(201);
        self.change_initial_password(username).await;
        let a = self.login(username, OFFICER_PASSWORD).await.expect(200);
        a.body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// Signs in with [`INITIAL_PASSWORD`] (the forced change) and changes it to
    /// [`OFFICER_PASSWORD`].
    pub async fn change_initial_password(&self, username: &str) {
        let first = self.login(username, INITIAL_PASSWORD).await.expect(200);
        assert_eq!(first.body["password_change_required"], true);
        let restricted = first.body["access_token"].as_str().expect("access token");
        self.post(
            "/api/v1/auth/password",
            Some(restricted),
            &json!({"current_password": INITIAL_PASSWORD, "new_password": OFFICER_PASSWORD}),
        )
        .await
        .expect(204);
    }

    /// Registers a POE system for `poe` and answers an access token of it.
    pub async fn system_token(&self, poe: &str) -> String {
        let admin = self.admin_token().await;
        let creds = self
            .post(
                "/api/v1/poe-systems",
                Some(&admin),
                &json!({"poe": poe, "label": "test gate"}),
            )
            .await
            .expect(201);
        let a = self
            .post(
                "/api/v1/auth/token",
                None,
                &json!({"client_id": creds.body["client_id"], "client_secret": creds.body["client_secret"]}),
            )
            .await
            .expect(200);
        a.body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// Runs SQL straight against the test's database (to tamper, or to inspect).
    pub fn sql(&self, statement: &str) -> usize {
        let mut conn = self.state.ctx.db.get().expect("connection");
        diesel::sql_query(statement)
            .execute(&mut *conn)
            .expect("sql runs")
    }
}

/// A valid movement of a South African visitor with document `doc`, crossing at `poe`.
pub fn movement(cei: &str, poe: &str, direction: &str, occurred_at: &str, doc: &str) -> Value {
    json!({
        "client_event_id": cei,
        "poe": poe,
        "direction": direction,
        "occurred_at": occurred_at,
        "mode": if poe == "MIA" { "air" } else { "pedestrian" },
        "purpose": "visit",
        "traveller": {
            "document_type": "passport",
            "document_number": doc,
            "issuing_state": "ZAF",
            "nationality": "ZAF",
            "surname": "Dlamini",
            "given_names": "Sipho",
            "date_of_birth": "1988-03-14",
            "sex": "M"
        }
    })
}

/// An instant `minutes` before now, RFC 3339.
pub fn minutes_ago(minutes: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(minutes)).to_rfc3339()
}

impl TestApp {
    /// Runs statements straight against the database, answering the error text on failure.
    pub fn try_sql(&self, statements: &str) -> Result<(), String> {
        use diesel::connection::SimpleConnection;
        let mut conn = self.state.ctx.db.get().map_err(|e| e.to_string())?;
        conn.batch_execute(statements).map_err(|e| e.to_string())
    }

    /// Edits audit rows the way an intruder with database access would: around the
    /// append-only triggers.
    pub fn tamper_audit(&self, statement: &str) {
        let sql = match self.backend {
            Backend::Postgres => {
                format!("BEGIN; SET LOCAL session_replication_role = replica; {statement}; COMMIT;")
            }
            Backend::Sqlite => format!(
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; {statement};"
            ),
        };
        self.try_sql(&sql).expect("tampering works");
    }

    /// Counts rows of a table.
    pub fn count(&self, table_and_filter: &str) -> i64 {
        let mut conn = self.state.ctx.db.get().expect("connection");
        diesel::sql_query(format!("SELECT count(*) AS n FROM {table_and_filter}"))
            .get_result::<Count>(&mut *conn)
            .expect("count")
            .n
    }
}

/// A `crossings` process of its own (the built binary) on a free port: a node of several on
/// one database. Killed when dropped; its standard error is kept in `log`.
pub struct Node {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its log.
    pub log: std::path::PathBuf,
    client: reqwest::Client,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Node {
    /// Starts the binary on `database_url` with the test admin, small pools, a metrics
    /// listener of its own and `env` on top, logging to `log`; waits until it is ready.
    pub async fn start(database_url: &str, log: &std::path::Path, env: &[(&str, &str)]) -> Node {
        init_logs();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let file = std::fs::File::create(log).expect("a log file");
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_crossings"));
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", database_url)
            .env("CROSSINGS_BIND", format!("127.0.0.1:{port}"))
            .env("CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("CROSSINGS__SERVER__WORKERS", "2")
            .env("CROSSINGS__DATABASE__POOL_SIZE", "4")
            .env("CROSSINGS__TELEMETRY__METRICS_BIND", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(file);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let node = Node {
            child: cmd.spawn().expect("the node starts"),
            base: format!("http://127.0.0.1:{port}"),
            log: log.to_owned(),
            client: reqwest::Client::new(),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Ok(r) = node.client.get(node.url("/health/ready")).send().await {
                if r.status().is_success() {
                    return node;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "node did not become ready; its log:\n{}",
                node.log_text()
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Its log so far, for a failure message.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    /// Signs in; answers the whole token response.
    pub async fn login(&self, username: &str, password: &str) -> Answer {
        self.post(
            "/api/v1/auth/login",
            None,
            &json!({"username": username, "password": password}),
        )
        .await
    }

    /// An access token of a user whose password is `password`.
    pub async fn token(&self, username: &str, password: &str) -> String {
        let a = self.login(username, password).await.expect(200);
        a.body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// Creates a user through `admin`'s token as an admin does, with [`INITIAL_PASSWORD`],
    /// makes the forced change to [`OFFICER_PASSWORD`] as its owner does at the first
    /// sign-in, and answers a token of theirs.
    pub async fn user_token(
        &self,
        admin: &str,
        username: &str,
        roles: &[&str],
        poes: &[&str],
    ) -> String {
        self.post(
            "/api/v1/users",
            Some(admin),
            &json!({"username": username, "password": INITIAL_PASSWORD, "roles": roles, "poes": poes}),
        )
        .await
        .expect(201);
        let first = self.login(username, INITIAL_PASSWORD).await.expect(200);
        assert_eq!(first.body["password_change_required"], true);
        let restricted = first.body["access_token"].as_str().expect("access token");
        self.post(
            "/api/v1/auth/password",
            Some(restricted),
            &json!({"current_password": INITIAL_PASSWORD, "new_password": OFFICER_PASSWORD}),
        )
        .await
        .expect(204);
        self.token(username, OFFICER_PASSWORD).await
    }
}
