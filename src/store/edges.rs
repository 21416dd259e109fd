//! Edges: at HQ, the credentials issued to posts' edges, the receipts of forwarded movements
//! and the numbered watchlist changes edges follow; at an edge, the copies it keeps of HQ's
//! accounts, alerts and registry, and where its forwarding stands.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::movements::MovementRow;
use super::schema::{alert_changes, alerts, edge_receipts, edge_state, edges, sessions, users};
use super::users::UserRow;
use super::watchlist::AlertRow;
use super::{DbConnection, StoreError, StoreResult};

/// A stored edge credential. Holds the secret's hash: never serialise it to a client.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = edges)]
pub struct EdgeRow {
    /// Id (UUIDv7).
    pub id: String,
    /// Public client id.
    pub client_id: String,
    /// SHA-256 of the secret.
    pub secret_hash: String,
    /// The post it runs at.
    pub poe: String,
    /// Free text.
    pub label: String,
    /// Issued (UTC).
    pub created_at: NaiveDateTime,
    /// Revoked (UTC).
    pub revoked_at: Option<NaiveDateTime>,
    /// Last sync or forward (UTC).
    pub last_contact_at: Option<NaiveDateTime>,
    /// Movements waiting at the edge, as it last said.
    pub last_backlog: Option<i64>,
}

/// Issues an edge credential.
pub fn insert(conn: &mut DbConnection, row: &EdgeRow) -> StoreResult<()> {
    diesel::insert_into(edges::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// An edge by its client id.
pub fn by_client_id(conn: &mut DbConnection, client_id: &str) -> StoreResult<Option<EdgeRow>> {
    Ok(edges::table
        .filter(edges::client_id.eq(client_id))
        .select(EdgeRow::as_select())
        .first(conn)
        .optional()?)
}

/// An edge by id.
pub fn by_id(conn: &mut DbConnection, id: &str) -> StoreResult<Option<EdgeRow>> {
    Ok(edges::table
        .find(id)
        .select(EdgeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every edge, newest first.
pub fn list(conn: &mut DbConnection) -> StoreResult<Vec<EdgeRow>> {
    Ok(edges::table
        .order(edges::created_at.desc())
        .select(EdgeRow::as_select())
        .load(conn)?)
}

/// Revokes an edge; false when it does not exist. Revoking twice keeps the first time.
pub fn revoke(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> StoreResult<bool> {
    let exists = by_id(conn, id)?.is_some();
    diesel::update(
        edges::table
            .filter(edges::id.eq(id))
            .filter(edges::revoked_at.is_null()),
    )
    .set(edges::revoked_at.eq(at))
    .execute(conn)?;
    Ok(exists)
}

/// Notes a contact from an edge, with the backlog it reported (when it did).
pub fn touch(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
    backlog: Option<i64>,
) -> StoreResult<()> {
    match backlog {
        Some(b) => diesel::update(edges::table.find(id))
            .set((edges::last_contact_at.eq(at), edges::last_backlog.eq(b)))
            .execute(conn)?,
        None => diesel::update(edges::table.find(id))
            .set(edges::last_contact_at.eq(at))
            .execute(conn)?,
    };
    Ok(())
}

/// The receipt of a movement an edge forwarded.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = edge_receipts)]
pub struct ReceiptRow {
    /// The movement.
    pub movement_id: String,
    /// Through which edge.
    pub edge_id: String,
    /// When HQ received it.
    pub received_at: NaiveDateTime,
}

/// Writes receipts, in the recording transaction.
pub fn insert_receipts(conn: &mut DbConnection, rows: &[ReceiptRow]) -> StoreResult<()> {
    for chunk in rows.chunks(500) {
        crate::on_backend!(&mut *conn, |c| diesel::insert_into(edge_receipts::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// The receipts of these movements (those that came through an edge).
pub fn receipts(conn: &mut DbConnection, movement_ids: &[&str]) -> StoreResult<Vec<ReceiptRow>> {
    let mut out = Vec::new();
    for chunk in movement_ids.chunks(500) {
        out.extend(
            edge_receipts::table
                .filter(edge_receipts::movement_id.eq_any(chunk))
                .select(ReceiptRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// Watchlist changes after `since`, oldest first, at most `limit`: each change's number and
/// the alert as it stands now.
pub fn alert_changes_after(
    conn: &mut DbConnection,
    since: i64,
    limit: i64,
) -> StoreResult<Vec<(i64, AlertRow)>> {
    Ok(alert_changes::table
        .inner_join(alerts::table)
        .filter(alert_changes::seq.gt(since))
        .order(alert_changes::seq.asc())
        .limit(limit)
        .select((alert_changes::seq, AlertRow::as_select()))
        .load(conn)?)
}

// ----- at an edge -----

/// A value of the edge's state.
pub fn state(conn: &mut DbConnection, key: &str) -> StoreResult<Option<String>> {
    Ok(edge_state::table
        .find(key)
        .select(edge_state::value)
        .first(conn)
        .optional()?)
}

/// Sets a value of the edge's state.
pub fn set_state(conn: &mut DbConnection, key: &str, value: &str) -> StoreResult<()> {
    let n = diesel::update(edge_state::table.find(key))
        .set(edge_state::value.eq(value))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(edge_state::table)
            .values((edge_state::key.eq(key), edge_state::value.eq(value)))
            .execute(conn)?;
    }
    Ok(())
}

/// Values of the state whose keys start with `prefix`.
pub fn states_with_prefix(
    conn: &mut DbConnection,
    prefix: &str,
) -> StoreResult<Vec<(String, String)>> {
    Ok(edge_state::table
        .filter(edge_state::key.like(format!("{prefix}%")))
        .order(edge_state::key.asc())
        .select((edge_state::key, edge_state::value))
        .load(conn)?)
}

/// Replaces the edge's copy of an account (HQ's id), or adds it. An account of the same name
/// under another id (made at the edge) is left alone and reported as a conflict.
pub fn upsert_account(conn: &mut DbConnection, row: &UserRow) -> StoreResult<()> {
    if super::users::by_id(conn, &row.id)?.is_some() {
        diesel::update(users::table.find(&row.id))
            .set((
                users::username.eq(&row.username),
                users::password_hash.eq(&row.password_hash),
                users::roles.eq(&row.roles),
                users::poes.eq(&row.poes),
                users::active.eq(row.active),
                users::updated_at.eq(row.updated_at),
                users::password_change_required.eq(row.password_change_required),
                users::totp_secret.eq(&row.totp_secret),
                users::totp_enabled.eq(row.totp_enabled),
            ))
            .execute(conn)?;
        Ok(())
    } else {
        super::users::insert(conn, row)
    }
}

/// Disables every account of the edge that is not in `keep` (no longer posted at the post at
/// HQ); answers how many were disabled.
pub fn disable_accounts_except(
    conn: &mut DbConnection,
    keep: &[String],
    at: NaiveDateTime,
) -> StoreResult<usize> {
    Ok(diesel::update(
        users::table
            .filter(users::id.ne_all(keep))
            .filter(users::active.eq(true)),
    )
    .set((users::active.eq(false), users::updated_at.eq(at)))
    .execute(conn)?)
}

/// Ends the sessions of disabled accounts (at an edge, after a package disabled some).
pub fn revoke_sessions_of_inactive(
    conn: &mut DbConnection,
    at: NaiveDateTime,
) -> StoreResult<usize> {
    let inactive = users::table
        .filter(users::active.eq(false))
        .select(users::id);
    Ok(diesel::update(
        sessions::table
            .filter(sessions::user_id.eq_any(inactive))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(at),
        sessions::revoked_reason.eq("account disabled at HQ"),
    ))
    .execute(conn)?)
}

/// Replaces the edge's copy of a POE's registry entry, or adds it.
pub fn upsert_poe(
    conn: &mut DbConnection,
    poe: &crate::domain::poe::Poe,
    at: NaiveDateTime,
) -> StoreResult<()> {
    match super::poes::replace(conn, poe, at) {
        Err(StoreError::NotFound) => {
            diesel::insert_into(super::schema::poes::table)
                .values(super::poes::PoeRow::from_poe(poe, at)?)
                .execute(conn)?;
            Ok(())
        }
        other => other,
    }
}

/// Replaces the edge's copy of an alert, or adds it.
pub fn upsert_alert(conn: &mut DbConnection, row: &AlertRow) -> StoreResult<()> {
    let n = diesel::update(alerts::table.find(&row.id))
        .set((
            alerts::expires_at.eq(row.expires_at),
            alerts::removed_at.eq(row.removed_at),
            alerts::removed_by.eq(&row.removed_by),
        ))
        .execute(conn)?;
    if n == 0 {
        super::watchlist::insert(conn, row)?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Waiting {
    #[diesel(sql_type = BigInt)]
    rowid: i64,
    #[diesel(sql_type = Text)]
    id: String,
}

#[derive(QueryableByName)]
struct Backlog {
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
    oldest: Option<NaiveDateTime>,
}

fn sqlite_only(conn: &mut DbConnection) -> StoreResult<&mut diesel::SqliteConnection> {
    match conn {
        DbConnection::Sqlite(c) => Ok(c),
        DbConnection::Pg(_) => Err(StoreError::Unavailable(
            "an edge keeps its record in SQLite".to_owned(),
        )),
    }
}

/// Movements recorded at the edge after position `after` (SQLite's rowid: the order of
/// commit, since the edge has one writer and movements are never deleted), at most `limit`,
/// in that order, with their positions.
pub fn waiting(
    conn: &mut DbConnection,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<(i64, MovementRow)>> {
    let positions: Vec<Waiting> = diesel::sql_query(
        "SELECT rowid AS rowid, id FROM movements WHERE rowid > ? ORDER BY rowid LIMIT ?",
    )
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(limit)
    .load(sqlite_only(conn)?)?;
    let ids: Vec<&str> = positions.iter().map(|p| p.id.as_str()).collect();
    let mut rows: std::collections::HashMap<String, MovementRow> =
        super::movements::by_ids(conn, &ids)?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
    positions
        .into_iter()
        .map(|p| {
            rows.remove(&p.id)
                .map(|r| (p.rowid, r))
                .ok_or(StoreError::NotFound)
        })
        .collect()
}

/// How many movements wait after position `after`, and when the oldest of them was recorded.
pub fn backlog(conn: &mut DbConnection, after: i64) -> StoreResult<(i64, Option<NaiveDateTime>)> {
    let b: Backlog = diesel::sql_query(
        "SELECT COUNT(*) AS n, MIN(recorded_at) AS oldest FROM movements WHERE rowid > ?",
    )
    .bind::<BigInt, _>(after)
    .get_result(sqlite_only(conn)?)?;
    Ok((b.n, b.oldest))
}

/// Voided movements at or before position `upto` (so HQ has answered for the movement)
/// whose void has not been sent yet, oldest void first, at most `limit`.
pub fn waiting_voids(
    conn: &mut DbConnection,
    upto: i64,
    limit: i64,
) -> StoreResult<Vec<MovementRow>> {
    let positions: Vec<Waiting> = diesel::sql_query(
        "SELECT m.rowid AS rowid, m.id AS id FROM movements m \
         WHERE m.voided_at IS NOT NULL AND m.rowid <= ? \
         AND NOT EXISTS (SELECT 1 FROM edge_state s WHERE s.key = 'void_sent:' || m.id) \
         ORDER BY m.voided_at, m.rowid LIMIT ?",
    )
    .bind::<BigInt, _>(upto)
    .bind::<BigInt, _>(limit)
    .load(sqlite_only(conn)?)?;
    let ids: Vec<&str> = positions.iter().map(|p| p.id.as_str()).collect();
    let mut rows = super::movements::by_ids(conn, &ids)?;
    rows.sort_by(|a, b| (a.voided_at, &a.id).cmp(&(b.voided_at, &b.id)));
    Ok(rows)
}

/// How many voids wait to be sent (their movements' positions at or before `upto`, or after
/// it: those wait for their movement first).
pub fn voids_waiting(conn: &mut DbConnection) -> StoreResult<i64> {
    let b: Backlog = diesel::sql_query(
        "SELECT COUNT(*) AS n, NULL AS oldest FROM movements m WHERE m.voided_at IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM edge_state s WHERE s.key = 'void_sent:' || m.id)",
    )
    .get_result(sqlite_only(conn)?)?;
    Ok(b.n)
}
