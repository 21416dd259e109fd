//! Embedded migrations, one tree per backend, run at start and by `crossings migrate`.

use diesel::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{Db, DbConnection, StoreError, StoreResult};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Key of the PostgreSQL advisory lock that keeps two nodes from migrating at once.
const MIGRATION_LOCK: i64 = 0x0C20_5551_4E47;

/// Applies pending migrations; answers the names of those applied.
pub fn run(db: &Db) -> StoreResult<Vec<String>> {
    let mut conn = db.get()?;
    let applied = match &mut *conn {
        DbConnection::Pg(pg) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(pg)?;
            let result = pg
                .run_pending_migrations(POSTGRES)
                .map(|v| v.into_iter().map(|m| m.to_string()).collect::<Vec<_>>());
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                .execute(pg)?;
            result
        }
        DbConnection::Sqlite(lite) => lite
            .run_pending_migrations(SQLITE)
            .map(|v| v.into_iter().map(|m| m.to_string()).collect::<Vec<_>>()),
    };
    applied.map_err(|e| StoreError::Migration(e.to_string()))
}
