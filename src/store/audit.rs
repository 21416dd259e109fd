//! The hash-chained audit log: appending (inside the caller's transaction), listing and
//! verifying.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{audit_checkpoints, audit_head, audit_log};
use super::{DbConnection, StoreResult};
use crate::domain::audit::{Actor, AuditEvent, ChainedFields, GENESIS_HASH, entry_hash};

/// One stored entry.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
pub struct AuditRow {
    /// Position in the chain.
    pub seq: i64,
    /// When (UTC).
    pub at: NaiveDateTime,
    /// Who.
    pub actor: String,
    /// With which roles.
    pub roles: String,
    /// What.
    pub action: String,
    /// To what.
    pub object: String,
    /// From where.
    pub client_addr: Option<String>,
    /// In which request.
    pub request_id: Option<String>,
    /// Why, when stated.
    pub reason: Option<String>,
    /// Hash of the entry before.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl AuditRow {
    fn fields(&self) -> ChainedFields<'_> {
        ChainedFields {
            seq: self.seq,
            at: self.at,
            actor: &self.actor,
            roles: &self.roles,
            action: &self.action,
            object: &self.object,
            client_addr: self.client_addr.as_deref(),
            request_id: self.request_id.as_deref(),
            reason: self.reason.as_deref(),
        }
    }
}

/// Most rows in one SQLite INSERT (it allows 32,766 bind parameters; 11 columns a row).
const INSERT_CHUNK: usize = 2000;

/// Appends entries for `events`, done by `actor` at `at`, to the chain. Call inside the
/// transaction of the write being recorded: the head row's lock (PostgreSQL) or the writer's
/// turn (SQLite) orders appends, so the chain never forks.
pub fn append(
    conn: &mut DbConnection,
    actor: &Actor,
    at: NaiveDateTime,
    events: &[AuditEvent],
) -> StoreResult<()> {
    let entries: Vec<(&Actor, &AuditEvent)> = events.iter().map(|e| (actor, e)).collect();
    append_each(conn, at, &entries)
}

/// [`append`] of entries that each have their own actor (single posts of different callers
/// recorded in one transaction by group commit).
pub fn append_each(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    entries: &[(&Actor, &AuditEvent)],
) -> StoreResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let head = audit_head::table
        .filter(audit_head::id.eq(1))
        .select((audit_head::seq, audit_head::hash));
    let (mut seq, mut prev) = match conn {
        DbConnection::Pg(c) => head.for_update().first::<(i64, String)>(c)?,
        // SQLite has no row locks: its writers take turns (see `Db::write`).
        DbConnection::Sqlite(c) => head.first::<(i64, String)>(c)?,
    };
    let mut rows = Vec::with_capacity(entries.len());
    for (actor, event) in entries {
        seq += 1;
        let mut row = AuditRow {
            seq,
            at,
            actor: actor.name.clone(),
            roles: actor.roles.clone(),
            action: event.action.clone(),
            object: event.object.clone(),
            client_addr: actor.client_addr.clone(),
            request_id: actor.request_id.clone(),
            reason: event.reason.clone(),
            prev_hash: prev,
            hash: String::new(),
        };
        row.hash = entry_hash(&row.prev_hash, &row.fields());
        prev = row.hash.clone();
        rows.push(row);
    }
    match conn {
        DbConnection::Pg(pg) => {
            diesel::copy_from(audit_log::table)
                .from_insertable(&rows)
                .execute(pg)?;
        }
        DbConnection::Sqlite(lite) => {
            for chunk in rows.chunks(INSERT_CHUNK) {
                diesel::insert_into(audit_log::table)
                    .values(chunk)
                    .execute(lite)?;
            }
        }
    }
    diesel::update(audit_head::table.filter(audit_head::id.eq(1)))
        .set((audit_head::seq.eq(seq), audit_head::hash.eq(&prev)))
        .execute(conn)?;
    Ok(())
}

/// Filters for listing the log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this object.
    pub object: Option<String>,
    /// From this instant (inclusive).
    pub from: Option<NaiveDateTime>,
    /// Until this instant (exclusive).
    pub to: Option<NaiveDateTime>,
    /// Only entries after this sequence number (the page cursor).
    pub after_seq: Option<i64>,
}

/// A page of entries in chain order.
pub fn list(conn: &mut DbConnection, f: &AuditFilter, limit: i64) -> StoreResult<Vec<AuditRow>> {
    let mut q = audit_log::table.into_boxed();
    if let Some(a) = &f.actor {
        q = q.filter(audit_log::actor.eq(a.clone()));
    }
    if let Some(a) = &f.action {
        q = q.filter(audit_log::action.eq(a.clone()));
    }
    if let Some(o) = &f.object {
        q = q.filter(audit_log::object.eq(o.clone()));
    }
    if let Some(from) = f.from {
        q = q.filter(audit_log::at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(audit_log::at.lt(to));
    }
    if let Some(after) = f.after_seq {
        q = q.filter(audit_log::seq.gt(after));
    }
    Ok(q.order(audit_log::seq.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?)
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// Whether every entry is intact and in place.
    pub ok: bool,
    /// Entries checked.
    pub entries: i64,
    /// Sequence number of the first entry that fails, if any.
    pub first_bad: Option<i64>,
}

/// Rows read per query while verifying, so memory stays flat however long the log.
const VERIFY_CHUNK: i64 = 10_000;

/// Recomputes every hash in order and checks each link, the numbering and the head.
pub fn verify(conn: &mut DbConnection) -> StoreResult<Verification> {
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut expected_seq = 1i64;
    let mut entries = 0i64;
    loop {
        let rows: Vec<AuditRow> = audit_log::table
            .filter(audit_log::seq.ge(expected_seq))
            .order(audit_log::seq.asc())
            .limit(VERIFY_CHUNK)
            .select(AuditRow::as_select())
            .load(conn)?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            entries += 1;
            let intact = row.seq == expected_seq
                && row.prev_hash == prev_hash
                && entry_hash(&row.prev_hash, &row.fields()) == row.hash;
            if !intact {
                return Ok(Verification {
                    ok: false,
                    entries,
                    first_bad: Some(expected_seq),
                });
            }
            prev_hash = row.hash.clone();
            expected_seq += 1;
        }
    }
    // The head must point at the last entry: a deleted tail shows here.
    let (head_seq, head_hash) = audit_head::table
        .filter(audit_head::id.eq(1))
        .select((audit_head::seq, audit_head::hash))
        .first::<(i64, String)>(conn)?;
    let ok = head_seq == expected_seq - 1 && head_hash == prev_hash;
    Ok(Verification {
        ok,
        entries,
        first_bad: if ok { None } else { Some(expected_seq) },
    })
}

/// Entries about any of `objects` (e.g. `document:ZAF/A123`, `movement:0193…`), in chain
/// order.
pub fn touching(conn: &mut DbConnection, objects: &[String]) -> StoreResult<Vec<AuditRow>> {
    let mut out = Vec::new();
    for chunk in objects.chunks(500) {
        out.extend(
            audit_log::table
                .filter(audit_log::object.eq_any(chunk))
                .select(AuditRow::as_select())
                .load(conn)?,
        );
    }
    out.sort_by_key(|r| r.seq);
    out.dedup_by_key(|r| r.seq);
    Ok(out)
}

/// The head of the chain: the last sequence number and its hash.
pub fn head(conn: &mut DbConnection) -> StoreResult<(i64, String)> {
    Ok(audit_head::table
        .filter(audit_head::id.eq(1))
        .select((audit_head::seq, audit_head::hash))
        .first::<(i64, String)>(conn)?)
}

/// A signed head of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_checkpoints)]
pub struct CheckpointRow {
    /// The last sequence number it covers.
    pub seq: i64,
    /// That entry's hash.
    pub hash: String,
    /// When it was signed (UTC).
    pub signed_at: NaiveDateTime,
    /// The signer's public key (hex).
    pub public_key: String,
    /// The Ed25519 signature (hex) of [`crate::domain::audit::checkpoint_message`].
    pub signature: String,
}

/// The latest checkpoint, if any.
pub fn last_checkpoint(conn: &mut DbConnection) -> StoreResult<Option<CheckpointRow>> {
    Ok(audit_checkpoints::table
        .order(audit_checkpoints::seq.desc())
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()?)
}

/// Stores a checkpoint; answers false when one of that sequence exists (another node signed
/// the same head).
pub fn insert_checkpoint(conn: &mut DbConnection, row: &CheckpointRow) -> StoreResult<bool> {
    let exists = audit_checkpoints::table
        .find(row.seq)
        .select(audit_checkpoints::seq)
        .first::<i64>(conn)
        .optional()?
        .is_some();
    if exists {
        return Ok(false);
    }
    diesel::insert_into(audit_checkpoints::table)
        .values(row)
        .execute(conn)?;
    Ok(true)
}

/// Every checkpoint, oldest first.
pub fn checkpoints(conn: &mut DbConnection) -> StoreResult<Vec<CheckpointRow>> {
    Ok(audit_checkpoints::table
        .order(audit_checkpoints::seq.asc())
        .select(CheckpointRow::as_select())
        .load(conn)?)
}

/// The hash of the entry at `seq`, if it exists.
pub fn hash_at(conn: &mut DbConnection, seq: i64) -> StoreResult<Option<String>> {
    Ok(audit_log::table
        .find(seq)
        .select(audit_log::hash)
        .first(conn)
        .optional()?)
}
