//! User accounts and the per-username failed-login counter.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{login_failures, users};
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
    /// The password was set by an admin (or generated): change it before anything else.
    pub password_change_required: bool,
    /// The TOTP secret (base32), pending until `totp_enabled`. Never returned after setup.
    pub totp_secret: Option<String>,
    /// Whether sign-in needs a one-time code.
    pub totp_enabled: bool,
    /// The last TOTP time step accepted (a code is good once).
    pub totp_last_step: Option<i64>,
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
    /// Must change the password at next sign-in.
    pub password_change_required: Option<bool>,
    /// TOTP secret (`Some(None)` removes it).
    pub totp_secret: Option<Option<String>>,
    /// TOTP on or off.
    pub totp_enabled: Option<bool>,
    /// Last TOTP step used (`Some(None)` forgets it).
    pub totp_last_step: Option<Option<i64>>,
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

/// One failed sign-in.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = login_failures)]
pub struct LoginFailureRow {
    /// Id (UUIDv7).
    pub id: String,
    /// Username as typed (lower-cased, bounded), existing or not.
    pub username: String,
    /// Client address, or empty when unknown.
    pub client_addr: String,
    /// When (UTC).
    pub failed_at: NaiveDateTime,
}

/// Serialises sign-in attempts for one username until the transaction ends, so that a
/// count and the insert that follows it cannot interleave with another attempt's. SQLite
/// writers already take turns; PostgreSQL takes a transaction-scoped advisory lock.
pub fn lock_username(conn: &mut DbConnection, username: &str) -> StoreResult<()> {
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('login:' || $1))")
            .bind::<diesel::sql_types::Text, _>(username)
            .execute(c)?;
    }
    Ok(())
}

/// Takes the transaction's lock on sign-ins from one client address (PostgreSQL; SQLite has
/// one writer at a time), so that nodes count an address's failures one attempt at a time.
/// Taken before [`lock_username`], always in that order.
pub fn lock_client_addr(conn: &mut DbConnection, addr: &str) -> StoreResult<()> {
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('login-addr:' || $1))")
            .bind::<diesel::sql_types::Text, _>(addr)
            .execute(c)?;
    }
    Ok(())
}

/// Failures from client address `addr` since `since`, whatever the username (recorded by
/// any node), and the earliest of them.
pub fn client_failures_since(
    conn: &mut DbConnection,
    addr: &str,
    since: NaiveDateTime,
) -> StoreResult<(i64, Option<NaiveDateTime>)> {
    let (n, earliest): (i64, Option<NaiveDateTime>) = login_failures::table
        .filter(login_failures::client_addr.eq(addr))
        .filter(login_failures::failed_at.gt(since))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(login_failures::failed_at),
        ))
        .first(conn)?;
    Ok((n, earliest))
}

/// Failures of `username` since `since`, from `addr` when given, and the latest of them.
pub fn failures_since(
    conn: &mut DbConnection,
    username: &str,
    addr: Option<&str>,
    since: NaiveDateTime,
) -> StoreResult<(i64, Option<NaiveDateTime>)> {
    let mut q = login_failures::table
        .filter(login_failures::username.eq(username))
        .filter(login_failures::failed_at.gt(since))
        .into_boxed();
    if let Some(addr) = addr {
        q = q.filter(login_failures::client_addr.eq(addr.to_owned()));
    }
    let (n, latest): (i64, Option<NaiveDateTime>) = q
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::max(login_failures::failed_at),
        ))
        .first(conn)?;
    Ok((n, latest))
}

/// The rank of failure `id` among those of `username` since `since` (from `addr` when
/// given): how many were recorded up to and including it. Attempts are recorded one at a
/// time under the username's lock with time-ordered ids, so exactly one failure has each
/// rank: the one whose rank is a limit is the one that brought the lock about.
pub fn failure_rank(
    conn: &mut DbConnection,
    username: &str,
    addr: Option<&str>,
    since: NaiveDateTime,
    id: &str,
) -> StoreResult<i64> {
    let mut q = login_failures::table
        .filter(login_failures::username.eq(username))
        .filter(login_failures::failed_at.gt(since))
        .filter(login_failures::id.le(id.to_owned()))
        .into_boxed();
    if let Some(addr) = addr {
        q = q.filter(login_failures::client_addr.eq(addr.to_owned()));
    }
    Ok(q.select(diesel::dsl::count_star()).first(conn)?)
}

/// Records a failed sign-in (counted before the password is checked; removed again when it
/// turns out right).
pub fn add_failure(conn: &mut DbConnection, row: &LoginFailureRow) -> StoreResult<()> {
    diesel::insert_into(login_failures::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Removes one recorded failure (the attempt succeeded, or could not be checked).
pub fn remove_failure(conn: &mut DbConnection, id: &str) -> StoreResult<()> {
    diesel::delete(login_failures::table.find(id)).execute(conn)?;
    Ok(())
}

/// Forgets the failures of a username from one address after a successful sign-in there.
pub fn clear_failures(conn: &mut DbConnection, username: &str, addr: &str) -> StoreResult<()> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::username.eq(username))
            .filter(login_failures::client_addr.eq(addr)),
    )
    .execute(conn)?;
    Ok(())
}

/// Records that a TOTP step was used, unless it (or a later one) already was; answers
/// whether this call was the one that used it (a conditional update: two concurrent uses of
/// one code cannot both succeed).
pub fn use_totp_step(conn: &mut DbConnection, user_id: &str, step: i64) -> StoreResult<bool> {
    let n = diesel::update(
        users::table.find(user_id).filter(
            users::totp_last_step
                .is_null()
                .or(users::totp_last_step.lt(step)),
        ),
    )
    .set(users::totp_last_step.eq(step))
    .execute(conn)?;
    Ok(n == 1)
}
