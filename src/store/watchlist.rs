//! The watchlist: alerts, the indexed look-ups every movement goes through, and hits.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::parsed::Parsed;
use super::schema::{alert_hits, alerts};
use super::{DbConnection, StoreError, StoreResult};
use crate::domain::poe::PoeCode;
use crate::domain::watchlist::{Action, Category, LiveAlert};

/// A stored alert. Holds the police's reason: only police views show it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = alerts, treat_none_as_default_value = false)]
pub struct AlertRow {
    /// Id.
    pub id: String,
    /// `document` or `person`.
    pub kind: String,
    /// Document alerts.
    pub issuing_state: Option<String>,
    /// Document alerts.
    pub document_number: Option<String>,
    /// Person alerts.
    pub surname: Option<String>,
    /// Person alerts.
    pub given_names: Option<String>,
    /// Person alerts.
    pub date_of_birth: Option<NaiveDate>,
    /// Person alerts: normalised name and birth date.
    pub person_key: Option<String>,
    /// Category.
    #[diesel(deserialize_as = Parsed<Category>, serialize_as = String)]
    pub category: Category,
    /// Action at the post.
    #[diesel(deserialize_as = Parsed<Action>, serialize_as = String)]
    pub action: Action,
    /// The police's reason.
    pub reason: String,
    /// Lapses (UTC).
    pub expires_at: Option<NaiveDateTime>,
    /// Created (UTC).
    pub created_at: NaiveDateTime,
    /// By whom.
    pub created_by: String,
    /// Removed (UTC).
    pub removed_at: Option<NaiveDateTime>,
    /// By whom.
    pub removed_by: Option<String>,
}

/// Adds an alert.
pub fn insert(conn: &mut DbConnection, row: &AlertRow) -> StoreResult<()> {
    diesel::insert_into(alerts::table)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

/// Alerts, newest first: live ones only, or all (removed and lapsed too).
pub fn list(
    conn: &mut DbConnection,
    live_only: bool,
    now: NaiveDateTime,
) -> StoreResult<Vec<AlertRow>> {
    let mut q = alerts::table.into_boxed();
    if live_only {
        q = q
            .filter(alerts::removed_at.is_null())
            .filter(alerts::expires_at.is_null().or(alerts::expires_at.gt(now)));
    }
    Ok(q.order(alerts::created_at.desc())
        .select(AlertRow::as_select())
        .load(conn)?)
}

/// One alert.
pub fn get(conn: &mut DbConnection, id: &str) -> StoreResult<Option<AlertRow>> {
    Ok(alerts::table
        .find(id)
        .select(AlertRow::as_select())
        .first(conn)
        .optional()?)
}

/// Takes an alert off the list (it stays stored, marked); false when there is none live.
pub fn remove(conn: &mut DbConnection, id: &str, at: NaiveDateTime, by: &str) -> StoreResult<bool> {
    let n = diesel::update(
        alerts::table
            .filter(alerts::id.eq(id))
            .filter(alerts::removed_at.is_null()),
    )
    .set((alerts::removed_at.eq(at), alerts::removed_by.eq(by)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Live alerts on any of these documents or persons: two indexed look-ups, never a scan.
pub fn live_matches(
    conn: &mut DbConnection,
    document_numbers: &[String],
    person_keys: &[String],
    now: NaiveDateTime,
) -> StoreResult<Vec<LiveAlert>> {
    type Row = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let live = || {
        alerts::table
            .filter(alerts::removed_at.is_null())
            .filter(alerts::expires_at.is_null().or(alerts::expires_at.gt(now)))
            .select((
                alerts::id,
                alerts::action,
                alerts::issuing_state,
                alerts::document_number,
                alerts::person_key,
            ))
    };
    let rows: Vec<Row> = match conn {
        // One statement: PostgreSQL ORs the two index scans (a BitmapOr).
        DbConnection::Pg(pg) => live()
            .filter(
                alerts::document_number
                    .eq_any(document_numbers)
                    .or(alerts::person_key.eq_any(person_keys)),
            )
            .load(pg)?,
        // SQLite does not OR partial indexes: two look-ups (in-process, cheap).
        DbConnection::Sqlite(lite) => {
            let mut rows = live()
                .filter(alerts::document_number.eq_any(document_numbers))
                .load::<Row>(lite)?;
            rows.extend(
                live()
                    .filter(alerts::person_key.eq_any(person_keys))
                    .load::<Row>(lite)?,
            );
            rows
        }
    };
    rows.into_iter()
        .map(|(alert_id, action, state, number, person_key)| {
            Ok(LiveAlert {
                alert_id,
                action: Action::try_from(action).map_err(|e| {
                    StoreError::Other(diesel::result::Error::DeserializationError(Box::new(e)))
                })?,
                document: state.zip(number),
                person_key,
            })
        })
        .collect()
}

/// A stored hit.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = alert_hits, treat_none_as_default_value = false)]
pub struct HitRow {
    /// Id.
    pub id: String,
    /// The alert.
    pub alert_id: String,
    /// The movement.
    pub movement_id: String,
    /// Where.
    #[diesel(deserialize_as = Parsed<PoeCode>, serialize_as = String)]
    pub poe: PoeCode,
    /// When the crossing occurred (UTC).
    pub occurred_at: NaiveDateTime,
    /// The action shown at the post.
    #[diesel(deserialize_as = Parsed<Action>, serialize_as = String)]
    pub action: Action,
    /// Recorded (UTC).
    pub created_at: NaiveDateTime,
    /// Acknowledged by the police (UTC).
    pub acknowledged_at: Option<NaiveDateTime>,
    /// By whom.
    pub acknowledged_by: Option<String>,
}

/// Stores hits.
pub fn insert_hits(conn: &mut DbConnection, rows: &[HitRow]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    crate::on_backend!(conn, |c| {
        for chunk in rows.chunks(1000) {
            diesel::insert_into(alert_hits::table)
                .values(chunk.to_vec())
                .execute(c)?;
        }
        Ok::<(), diesel::result::Error>(())
    })?;
    Ok(())
}

/// Filters of the hit list.
#[derive(Debug, Clone, Default)]
pub struct HitFilter {
    /// Only these POEs (`None`: all).
    pub poes: Option<Vec<String>>,
    /// Only this alert.
    pub alert_id: Option<String>,
    /// From (UTC, inclusive) on the crossing time.
    pub from: Option<NaiveDateTime>,
    /// To (UTC, exclusive).
    pub to: Option<NaiveDateTime>,
    /// Only unacknowledged ones.
    pub unacknowledged: bool,
}

/// Hits, newest crossing first.
pub fn hits(conn: &mut DbConnection, f: &HitFilter, limit: i64) -> StoreResult<Vec<HitRow>> {
    let mut q = alert_hits::table.into_boxed();
    if let Some(p) = &f.poes {
        q = q.filter(alert_hits::poe.eq_any(p.clone()));
    }
    if let Some(a) = &f.alert_id {
        q = q.filter(alert_hits::alert_id.eq(a.clone()));
    }
    if let Some(from) = f.from {
        q = q.filter(alert_hits::occurred_at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(alert_hits::occurred_at.lt(to));
    }
    if f.unacknowledged {
        q = q.filter(alert_hits::acknowledged_at.is_null());
    }
    Ok(
        q.order((alert_hits::occurred_at.desc(), alert_hits::id.desc()))
            .limit(limit)
            .select(HitRow::as_select())
            .load(conn)?,
    )
}

/// One hit.
pub fn hit(conn: &mut DbConnection, id: &str) -> StoreResult<Option<HitRow>> {
    Ok(alert_hits::table
        .find(id)
        .select(HitRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a hit acknowledged (once); false when it was already.
pub fn acknowledge(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
    by: &str,
) -> StoreResult<bool> {
    let n = diesel::update(
        alert_hits::table
            .filter(alert_hits::id.eq(id))
            .filter(alert_hits::acknowledged_at.is_null()),
    )
    .set((
        alert_hits::acknowledged_at.eq(at),
        alert_hits::acknowledged_by.eq(by),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Hits per POE for crossings in UTC `[from, to)` (of movements not voided), for the daily
/// summary.
pub fn hits_by_poe(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> StoreResult<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = alert_hits::table
        .inner_join(super::schema::movements::table)
        .filter(super::schema::movements::voided_at.is_null())
        .filter(alert_hits::occurred_at.ge(from))
        .filter(alert_hits::occurred_at.lt(to))
        .group_by(alert_hits::poe)
        .select((alert_hits::poe, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
