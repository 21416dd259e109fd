//! Sessions and their single-use refresh tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{refresh_tokens, sessions, users};
use super::users::UserRow;
use super::{DbConnection, StoreResult};

/// A refresh token as stored (hashed).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    /// SHA-256 of the token.
    pub token_hash: String,
    /// Its session.
    pub session_id: String,
    /// Issued (UTC).
    pub issued_at: NaiveDateTime,
    /// Expires (UTC).
    pub expires_at: NaiveDateTime,
    /// When it was exchanged; a second use revokes the session.
    pub used_at: Option<NaiveDateTime>,
}

/// A stored session.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    /// Id.
    pub id: String,
    /// Whose.
    pub user_id: String,
    /// Opened (UTC).
    pub created_at: NaiveDateTime,
    /// Revoked (UTC).
    pub revoked_at: Option<NaiveDateTime>,
}

/// A session by id.
pub fn session(conn: &mut DbConnection, id: &str) -> StoreResult<Option<SessionRow>> {
    Ok(sessions::table
        .find(id)
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?)
}

/// Opens a session for a user.
pub fn open(
    conn: &mut DbConnection,
    id: &str,
    user_id: &str,
    at: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores a refresh token.
pub fn add_refresh_token(conn: &mut DbConnection, row: &RefreshTokenRow) -> StoreResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Marks a token used, if it was not; answers whether this call was the one that used it
/// (a conditional update, so two concurrent exchanges cannot both succeed).
pub fn consume_refresh_token(
    conn: &mut DbConnection,
    token_hash: &str,
    at: NaiveDateTime,
) -> StoreResult<bool> {
    let n = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(at))
    .execute(conn)?;
    Ok(n == 1)
}

/// A refresh token by hash.
pub fn refresh_token(
    conn: &mut DbConnection,
    token_hash: &str,
) -> StoreResult<Option<RefreshTokenRow>> {
    Ok(refresh_tokens::table
        .find(token_hash)
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()?)
}

/// Revokes a session (idempotent: the first reason stays).
pub fn revoke(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
    reason: &str,
) -> StoreResult<()> {
    diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(at),
        sessions::revoked_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(())
}

/// Revokes every live session of a user (disabled account, new password).
pub fn revoke_all_of_user(
    conn: &mut DbConnection,
    user_id: &str,
    at: NaiveDateTime,
    reason: &str,
) -> StoreResult<()> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(at),
        sessions::revoked_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(())
}

/// The account behind a live session: the session exists, belongs to the user, is not
/// revoked, and the account is active. `None` otherwise.
pub fn live_session_user(
    conn: &mut DbConnection,
    session_id: &str,
    user_id: &str,
) -> StoreResult<Option<UserRow>> {
    Ok(sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(session_id))
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Whether the session is live (exists and not revoked).
pub fn is_live(conn: &mut DbConnection, session_id: &str) -> StoreResult<bool> {
    let revoked: Option<Option<NaiveDateTime>> = sessions::table
        .find(session_id)
        .select(sessions::revoked_at)
        .first(conn)
        .optional()?;
    Ok(matches!(revoked, Some(None)))
}

/// Revokes every live session of a user but one (the one that changed the password).
pub fn revoke_others_of_user(
    conn: &mut DbConnection,
    user_id: &str,
    keep: &str,
    at: NaiveDateTime,
    reason: &str,
) -> StoreResult<()> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id.ne(keep))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(at),
        sessions::revoked_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(())
}
