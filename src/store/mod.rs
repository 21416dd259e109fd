//! Persistence: one diesel connection type over PostgreSQL and SQLite, a pool, and the
//! queries of each area. Nothing outside this module speaks SQL.
//!
//! Store functions take `&mut DbConnection` and return `StoreResult`; the HTTP layer runs
//! them through [`Db::read`] and [`Db::write`], which move the work off actix's workers onto
//! the blocking pool, inside the caller's tracing span.

pub mod audit;
pub mod counts;
pub mod declarations;
pub mod edges;
pub mod holds;
pub mod migrations;
pub mod movements;
pub mod parsed;
pub mod poe_systems;
pub mod poes;
pub mod replica;
pub mod report;
pub mod retention;
pub mod schema;
pub mod sessions;
pub mod stays;
pub mod users;
pub mod watchlist;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};

/// One connection to either backend; the backend is picked by the database URL.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// Production store.
    Pg(PgConnection),
    /// Embedded default. Must stay last: SQLite accepts any string as a path.
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection, once per backend, for SQL that
/// differs between them (upserts, locks, array binds). The body is type-checked for each.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::DbConnection::Pg($c) => $body,
            $crate::store::DbConnection::Sqlite($c) => $body,
        }
    };
}

/// Whether this backend can stop a statement after a time (PostgreSQL).
pub fn supports_statement_timeout(conn: &DbConnection) -> bool {
    matches!(conn, DbConnection::Pg(_))
}

/// Stops the statements of the current transaction after `ms` milliseconds (PostgreSQL).
pub fn set_statement_timeout(conn: &mut DbConnection, ms: u64) -> StoreResult<()> {
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query(format!("SET LOCAL statement_timeout = {ms}")).execute(c)?;
    }
    Ok(())
}

/// Whether an error (its cause chain, as text) is a statement stopped by its timeout.
pub fn is_statement_timeout(chain: &str) -> bool {
    chain.contains("canceling statement due to statement timeout")
}

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

impl Backend {
    /// Name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        }
    }
}

/// A parsed database URL.
#[derive(Debug, Clone)]
pub enum DbUrl {
    /// `postgres://…` or `postgresql://…`.
    Postgres(String),
    /// A file path (from `sqlite://PATH`, `sqlite:PATH` or a plain path).
    Sqlite(String),
}

impl DbUrl {
    /// Picks the backend from the URL's scheme.
    pub fn parse(url: &str) -> Self {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres(url.to_owned())
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            Self::Sqlite(path.to_owned())
        } else if let Some(path) = url.strip_prefix("sqlite:") {
            Self::Sqlite(path.to_owned())
        } else {
            Self::Sqlite(url.to_owned())
        }
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Errors of the store, classified for the HTTP layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is overloaded; worth retrying.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// Anything else: a bug or a broken database.
    #[error("database error: {0}")]
    Other(#[source] DieselError),
    /// A migration could not be applied.
    #[error("migration failed: {0}")]
    Migration(String),
    /// The blocking task died (it panicked).
    #[error("database task failed: {0}")]
    Task(String),
}

/// Result of a store function.
pub type StoreResult<T> = Result<T, StoreError>;

/// An error that work on a connection can end with: a store error, or a caller's own error
/// type that can hold one. Lets a service run its transaction with its own errors (a refusal
/// rolls the transaction back like a database failure does).
pub trait DbFailure: From<StoreError> + From<DieselError> {
    /// Whether the database was unreachable (the connection is then checked, and dropped when
    /// dead).
    fn is_unavailable(&self) -> bool;
}

impl DbFailure for StoreError {
    fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match &e {
            DieselError::NotFound => Self::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Self::Conflict(info.message().to_owned())
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => Self::Unavailable(info.message().to_owned()),
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, info) => {
                Self::Unavailable(info.message().to_owned())
            }
            DieselError::DatabaseError(_, info) if is_transient(info.message()) => {
                Self::Unavailable(info.message().to_owned())
            }
            DieselError::BrokenTransactionManager => {
                Self::Unavailable("the connection broke during a transaction".to_owned())
            }
            _ => Self::Other(e),
        }
    }
}

impl From<r2d2::PoolError> for StoreError {
    fn from(e: r2d2::PoolError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// Messages of PostgreSQL and SQLite that mean "try again later", not "this is a bug".
fn is_transient(message: &str) -> bool {
    const SIGNS: [&str; 10] = [
        "terminating connection",
        "deadlock detected",
        "server closed the connection",
        "connection to server",
        "could not connect",
        "no connection to the server",
        "the database system is shutting down",
        "the database system is starting up",
        "database is locked",
        "database is busy",
    ];
    let m = message.to_ascii_lowercase();
    SIGNS.iter().any(|s| m.contains(s))
}

/// A pooled connection, with what the pool needs to know about it.
pub struct Managed {
    conn: DbConnection,
    /// Set when the connection was lost; the pool then drops it instead of reusing it.
    broken: bool,
    /// When it was last handed out or returned.
    last_used: Instant,
}

/// Connections idle longer than this are checked (one round trip) before use; busy ones are
/// not, so a hot path pays nothing. A connection that dies anyway (the database restarted
/// under load) fails its request with 503 and is dropped.
const IDLE_BEFORE_CHECK: Duration = Duration::from_secs(2);

/// Opens connections for r2d2, with the per-connection settings SQLite needs.
#[derive(Debug, Clone)]
pub struct DbManager {
    url: DbUrl,
    sqlite_busy_timeout_ms: u32,
}

impl ManageConnection for DbManager {
    type Connection = Managed;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Managed, r2d2::Error> {
        let conn = match &self.url {
            DbUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Pg)
                .map_err(r2d2::Error::ConnectionError)?,
            DbUrl::Sqlite(path) => {
                let mut conn =
                    SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON;",
                    self.sqlite_busy_timeout_ms
                ))
                .map_err(r2d2::Error::QueryError)?;
                DbConnection::Sqlite(conn)
            }
        };
        Ok(Managed {
            conn,
            broken: false,
            last_used: Instant::now(),
        })
    }

    fn is_valid(&self, conn: &mut Managed) -> Result<(), r2d2::Error> {
        conn.conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Managed) -> bool {
        conn.broken || conn.conn.is_broken()
    }
}

/// A connection checked out of the pool.
pub struct PooledConn(r2d2::PooledConnection<DbManager>);

impl std::ops::Deref for PooledConn {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.0.conn
    }
}

impl std::ops::DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.0.conn
    }
}

impl PooledConn {
    /// Runs `f`; when it fails because the connection was lost, marks the connection so that
    /// the pool drops it.
    fn run<T, E: DbFailure>(
        &mut self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E> {
        let result = f(&mut self.0.conn);
        if result.as_ref().is_err_and(DbFailure::is_unavailable) && self.0.conn.ping().is_err() {
            self.0.broken = true;
        }
        self.0.last_used = Instant::now();
        result
    }
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Connections.
    pub size: u32,
    /// Wait for a connection.
    pub connection_timeout: Duration,
    /// SQLite lock wait.
    pub sqlite_busy_timeout_ms: u32,
}

/// The database: a pool and, for SQLite, the lock that serialises writers.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<DbManager>,
    backend: Backend,
    writer: Arc<Mutex<()>>,
}

impl Db {
    /// Builds the pool. For SQLite the file's folder is created. Connections are opened
    /// lazily, so a database that is down at start makes `/health/ready` fail, not the start.
    pub fn connect(url: &str, options: &PoolOptions) -> StoreResult<Self> {
        let url = DbUrl::parse(url);
        if let DbUrl::Sqlite(path) = &url {
            if let Some(dir) = std::path::Path::new(path).parent() {
                if !dir.as_os_str().is_empty() && path != ":memory:" {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
            }
        }
        let backend = url.backend();
        let manager = DbManager {
            url,
            sqlite_busy_timeout_ms: options.sqlite_busy_timeout_ms,
        };
        let pool = r2d2::Pool::builder()
            .max_size(options.size)
            .min_idle(Some(0))
            .connection_timeout(options.connection_timeout)
            .test_on_check_out(false)
            .build_unchecked(manager);
        Ok(Self {
            pool,
            backend,
            writer: Arc::new(Mutex::new(())),
        })
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Connections in use and idle, for metrics.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (
            state.connections - state.idle_connections,
            state.idle_connections,
        )
    }

    /// A live connection: one idle for a while is checked first, and replaced when dead.
    pub fn get(&self) -> StoreResult<PooledConn> {
        for _ in 0..=self.pool.max_size() {
            let mut conn = self.pool.get()?;
            if conn.last_used.elapsed() < IDLE_BEFORE_CHECK || conn.conn.ping().is_ok() {
                conn.last_used = Instant::now();
                return Ok(PooledConn(conn));
            }
            conn.broken = true;
        }
        Err(StoreError::Unavailable(
            "no live database connection".to_owned(),
        ))
    }

    /// Runs read-only work on the blocking pool.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: DbFailure + Send + 'static,
    {
        let db = self.clone();
        run_blocking(move || db.get()?.run(f)).await
    }

    /// [`Db::read`] for synchronous callers (threads of their own).
    pub fn read_sync<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: DbFailure,
    {
        self.get()?.run(f)
    }

    /// Runs work in one transaction on the blocking pool; SQLite writers take turns. The
    /// transaction commits when `f` answers `Ok`, and rolls back when it answers `Err`.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: DbFailure + Send + 'static,
    {
        let db = self.clone();
        run_blocking(move || db.write_sync(f)).await
    }

    /// [`Db::write`] for synchronous callers.
    pub fn write_sync<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: DbFailure,
    {
        // Take the turn before the connection, so waiting writers do not hold connections
        // that readers could use.
        let _turn = match self.backend {
            Backend::Sqlite => Some(self.writer.lock().unwrap_or_else(|p| p.into_inner())),
            Backend::Postgres => None,
        };
        self.get()?.run(|conn| conn.transaction(f))
    }

    /// Whether the database answers, for `/health/ready`.
    pub async fn ping(&self) -> StoreResult<()> {
        self.read(|conn| -> StoreResult<()> {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await
    }
}

/// Runs `f` on actix's blocking pool inside the current tracing span.
async fn run_blocking<T, E, F>(f: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: DbFailure + Send + 'static,
{
    let span = tracing::Span::current();
    actix_web::web::block(move || span.in_scope(f))
        .await
        .map_err(|e| E::from(StoreError::Task(e.to_string())))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend() {
        assert_eq!(
            DbUrl::parse("postgres://u@h/db").backend(),
            Backend::Postgres
        );
        assert_eq!(
            DbUrl::parse("postgresql://u@h/db").backend(),
            Backend::Postgres
        );
        match DbUrl::parse("sqlite://./data/x.db") {
            DbUrl::Sqlite(p) => assert_eq!(p, "./data/x.db"),
            other => panic!("{other:?}"),
        }
        match DbUrl::parse("/var/lib/crossings.db") {
            DbUrl::Sqlite(p) => assert_eq!(p, "/var/lib/crossings.db"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn connection_loss_and_deadlocks_are_unavailable_not_a_bug() {
        assert!(is_transient(
            "terminating connection due to administrator command"
        ));
        assert!(is_transient("database is locked"));
        assert!(is_transient("deadlock detected"));
        assert!(!is_transient("syntax error at or near"));
    }
}
