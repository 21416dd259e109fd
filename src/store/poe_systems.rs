//! Registered POE systems (e-gates, document readers) and their hashed secrets.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::poe_systems;
use super::{DbConnection, StoreResult};

/// A stored POE system. Holds the secret's hash: never serialise it to a client.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = poe_systems)]
pub struct PoeSystemRow {
    /// Id (UUIDv7).
    pub id: String,
    /// Public client id.
    pub client_id: String,
    /// SHA-256 of the secret.
    pub secret_hash: String,
    /// The one POE it pushes for.
    pub poe: String,
    /// Free text, e.g. "MSU e-gate 3".
    pub label: String,
    /// Registered (UTC).
    pub created_at: NaiveDateTime,
    /// Revoked (UTC).
    pub revoked_at: Option<NaiveDateTime>,
}

/// Registers a system.
pub fn insert(conn: &mut DbConnection, row: &PoeSystemRow) -> StoreResult<()> {
    diesel::insert_into(poe_systems::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A system by its client id.
pub fn by_client_id(conn: &mut DbConnection, client_id: &str) -> StoreResult<Option<PoeSystemRow>> {
    Ok(poe_systems::table
        .filter(poe_systems::client_id.eq(client_id))
        .select(PoeSystemRow::as_select())
        .first(conn)
        .optional()?)
}

/// A system by id.
pub fn by_id(conn: &mut DbConnection, id: &str) -> StoreResult<Option<PoeSystemRow>> {
    Ok(poe_systems::table
        .find(id)
        .select(PoeSystemRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every system, newest first.
pub fn list(conn: &mut DbConnection) -> StoreResult<Vec<PoeSystemRow>> {
    Ok(poe_systems::table
        .order(poe_systems::created_at.desc())
        .select(PoeSystemRow::as_select())
        .load(conn)?)
}

/// Revokes a system; answers false when it does not exist. Revoking twice keeps the first time.
pub fn revoke(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> StoreResult<bool> {
    let exists = by_id(conn, id)?.is_some();
    diesel::update(
        poe_systems::table
            .filter(poe_systems::id.eq(id))
            .filter(poe_systems::revoked_at.is_null()),
    )
    .set(poe_systems::revoked_at.eq(at))
    .execute(conn)?;
    Ok(exists)
}
