//! User accounts and the per-username failed-login counter.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{login_throttle, users};
use super::{DbConnection, StoreResult};

/// A stored account. Holds the password hash: never serialise it to a client.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    /// Id (UUIDv7).
    pub id: String,
    /// Login name, lower case.
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Roles, comma-separated.
    pub roles: String,
    /// `*` or POE codes, comma-separated.
    pub poes: String,
    /// Whether the account may sign in.
    pub active: bool,
    /// Created (UTC).
    pub created_at: NaiveDateTime,
    /// Last changed (UTC).
    pub updated_at: NaiveDateTime,
}

/// Changes to an account; `None` leaves a column alone.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    /// New hash.
    pub password_hash: Option<String>,
    /// New roles.
    pub roles: Option<String>,
    /// New postings.
    pub poes: Option<String>,
    /// New active flag.
    pub active: Option<bool>,
    /// When.
    pub updated_at: Option<NaiveDateTime>,
}

/// Creates an account; a taken username is `StoreError::Conflict`.
pub fn insert(conn: &mut DbConnection, row: &UserRow) -> StoreResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The account with this username.
pub fn by_username(conn: &mut DbConnection, username: &str) -> StoreResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// The account with this id.
pub fn by_id(conn: &mut DbConnection, id: &str) -> StoreResult<Option<UserRow>> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every account, by username.
pub fn list(conn: &mut DbConnection) -> StoreResult<Vec<UserRow>> {
    Ok(users::table
        .order(users::username.asc())
        .select(UserRow::as_select())
        .load(conn)?)
}

/// Applies changes; answers the updated row, or `None` when there is no such account.
pub fn update(
    conn: &mut DbConnection,
    id: &str,
    changes: &UserChanges,
) -> StoreResult<Option<UserRow>> {
    let n = diesel::update(users::table.find(id))
        .set(changes)
        .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    by_id(conn, id)
}

/// Whether an active account holds the admin role.
pub fn active_admin_exists(conn: &mut DbConnection) -> StoreResult<bool> {
    let rows: Vec<String> = users::table
        .filter(users::active.eq(true))
        .select(users::roles)
        .load(conn)?;
    Ok(rows
        .iter()
        .any(|r| r.split(',').any(|role| role == "admin")))
}

/// The failed-login state of a username (existing or not).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = login_throttle)]
pub struct LoginThrottleRow {
    /// Username as typed (lower-cased).
    pub username: String,
    /// Failures in a row.
    pub failures: i32,
    /// Locked until (UTC).
    pub locked_until: Option<NaiveDateTime>,
    /// Last failure (UTC).
    pub last_failure_at: NaiveDateTime,
}

/// The failed-login state, if any.
pub fn throttle_state(
    conn: &mut DbConnection,
    username: &str,
) -> StoreResult<Option<LoginThrottleRow>> {
    Ok(login_throttle::table
        .find(username)
        .select(LoginThrottleRow::as_select())
        .first(conn)
        .optional()?)
}

/// Stores the failed-login state.
pub fn save_throttle(conn: &mut DbConnection, row: &LoginThrottleRow) -> StoreResult<()> {
    let n = diesel::update(login_throttle::table.find(&row.username))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(login_throttle::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Forgets failures after a successful login.
pub fn clear_throttle(conn: &mut DbConnection, username: &str) -> StoreResult<()> {
    diesel::delete(login_throttle::table.find(username)).execute(conn)?;
    Ok(())
}
