//! Police holds: a document's records kept past retention.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::holds;
use super::{DbConnection, StoreResult};

/// A stored hold.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = holds, treat_none_as_default_value = false)]
pub struct HoldRow {
    /// UUIDv7.
    pub id: String,
    /// Issuing state of the document held.
    pub issuing_state: String,
    /// Its normalised number.
    pub document_number: String,
    /// Why (police).
    pub reason: String,
    /// Last local day it holds.
    pub until: NaiveDate,
    /// When placed (UTC).
    pub created_at: NaiveDateTime,
    /// By whom.
    pub created_by: String,
    /// When released early.
    pub released_at: Option<NaiveDateTime>,
    /// By whom.
    pub released_by: Option<String>,
}

/// Stores a new hold.
pub fn insert(conn: &mut DbConnection, row: &HoldRow) -> StoreResult<()> {
    diesel::insert_into(holds::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// One hold by id.
pub fn by_id(conn: &mut DbConnection, id: &str) -> StoreResult<Option<HoldRow>> {
    Ok(holds::table
        .find(id)
        .select(HoldRow::as_select())
        .first(conn)
        .optional()?)
}

/// Holds in force on `today` (local): not released, `until` not passed; newest first.
pub fn live(conn: &mut DbConnection, today: NaiveDate) -> StoreResult<Vec<HoldRow>> {
    Ok(holds::table
        .filter(holds::released_at.is_null())
        .filter(holds::until.ge(today))
        .order((holds::created_at.desc(), holds::id.desc()))
        .select(HoldRow::as_select())
        .load(conn)?)
}

/// The documents held on `today`, as `(issuing_state, document_number)`.
pub fn held_documents(
    conn: &mut DbConnection,
    today: NaiveDate,
) -> StoreResult<HashSet<(String, String)>> {
    let rows: Vec<(String, String)> = holds::table
        .filter(holds::released_at.is_null())
        .filter(holds::until.ge(today))
        .select((holds::issuing_state, holds::document_number))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Every hold ever placed on one document, oldest first.
pub fn of_document(
    conn: &mut DbConnection,
    issuing_state: &str,
    document_number: &str,
) -> StoreResult<Vec<HoldRow>> {
    Ok(holds::table
        .filter(holds::issuing_state.eq(issuing_state))
        .filter(holds::document_number.eq(document_number))
        .order((holds::created_at.asc(), holds::id.asc()))
        .select(HoldRow::as_select())
        .load(conn)?)
}

/// Releases a hold still in place; answers false when it was released already.
pub fn release(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
    by: &str,
) -> StoreResult<bool> {
    let n = diesel::update(
        holds::table
            .filter(holds::id.eq(id))
            .filter(holds::released_at.is_null()),
    )
    .set((
        holds::released_at.eq(Some(at)),
        holds::released_by.eq(Some(by)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
