//! The watchlist: alerts, the indexed look-ups every movement goes through, and hits.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::movements::MovementRow;
use super::parsed::Parsed;
use super::schema::{alert_hits, alerts, movements};
use super::{DbConnection, StoreError, StoreResult};
use crate::domain::names::FoldedName;
use crate::domain::poe::PoeCode;
use crate::domain::watchlist::{Action, Category, LiveAlert, MatchedBy, OfficerAlert, Outcome};

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

/// Live alerts on any of these documents, or on persons born on any of these dates: two
/// indexed look-ups for a whole batch, never one per movement (the names are compared by the
/// caller, [`LiveAlert::matches`]).
pub fn live_matches(
    conn: &mut DbConnection,
    document_numbers: &[String],
    dates_of_birth: &[NaiveDate],
    now: NaiveDateTime,
) -> StoreResult<Vec<LiveAlert>> {
    type Row = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<NaiveDate>,
    );
    let live = || {
        alerts::table
            .filter(alerts::removed_at.is_null())
            .filter(alerts::expires_at.is_null().or(alerts::expires_at.gt(now)))
            .select((
                alerts::id,
                alerts::category,
                alerts::action,
                alerts::issuing_state,
                alerts::document_number,
                alerts::surname,
                alerts::given_names,
                alerts::date_of_birth,
            ))
    };
    let by_birth = alerts::kind
        .eq("person")
        .and(alerts::date_of_birth.eq_any(dates_of_birth.to_vec()));
    let rows: Vec<Row> = match conn {
        // One statement: PostgreSQL ORs the two index scans (a BitmapOr).
        DbConnection::Pg(pg) => live()
            .filter(
                alerts::document_number
                    .eq_any(document_numbers)
                    .or(by_birth),
            )
            .load(pg)?,
        // SQLite does not OR partial indexes: two look-ups (in-process, cheap).
        DbConnection::Sqlite(lite) => {
            let mut rows = live()
                .filter(alerts::document_number.eq_any(document_numbers))
                .load::<Row>(lite)?;
            rows.extend(live().filter(by_birth).load::<Row>(lite)?);
            rows
        }
    };
    let bad = |e: crate::domain::validation::InvalidStoredValue| {
        StoreError::Other(diesel::result::Error::DeserializationError(Box::new(e)))
    };
    rows.into_iter()
        .map(
            |(alert_id, category, action, state, number, surname, given, dob)| {
                Ok(LiveAlert {
                    alert_id,
                    category: Category::try_from(category).map_err(bad)?,
                    action: Action::try_from(action).map_err(bad)?,
                    document: state.zip(number),
                    person: surname.zip(dob).map(|(surname, dob)| {
                        (
                            FoldedName::new(&surname, given.as_deref().unwrap_or("")),
                            dob,
                        )
                    }),
                })
            },
        )
        .collect()
}

/// A stored hit.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = alert_hits)]
pub struct HitRow {
    /// Id.
    pub id: String,
    /// The alert.
    pub alert_id: String,
    /// The movement.
    pub movement_id: String,
    /// Where.
    #[diesel(deserialize_as = Parsed<PoeCode>)]
    pub poe: PoeCode,
    /// When the crossing occurred (UTC).
    pub occurred_at: NaiveDateTime,
    /// The action shown at the post.
    #[diesel(deserialize_as = Parsed<Action>)]
    pub action: Action,
    /// Recorded (UTC).
    pub created_at: NaiveDateTime,
    /// Acknowledged by the police (UTC).
    pub acknowledged_at: Option<NaiveDateTime>,
    /// By whom.
    pub acknowledged_by: Option<String>,
    /// The stream's cursor: grows with every hit stored.
    pub seq: i64,
    /// What came of it (acknowledged hits; none for those acknowledged before outcomes).
    pub outcome: Option<Parsed<Outcome>>,
    /// The police's note on it.
    pub note: Option<String>,
}

/// A hit to store.
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = alert_hits, treat_none_as_default_value = true)]
pub struct NewHit {
    /// Id.
    pub id: String,
    /// The alert.
    pub alert_id: String,
    /// The movement.
    pub movement_id: String,
    /// Where.
    #[diesel(serialize_as = String)]
    pub poe: PoeCode,
    /// When the crossing occurred (UTC).
    pub occurred_at: NaiveDateTime,
    /// The action shown at the post.
    #[diesel(serialize_as = String)]
    pub action: Action,
    /// Recorded (UTC).
    pub created_at: NaiveDateTime,
    /// The cursor: `None` on PostgreSQL (its sequence numbers it); set on SQLite.
    pub seq: Option<i64>,
}

/// Stores hits. On PostgreSQL their ids are then sent to every node (`NOTIFY`, delivered at
/// commit, so only hits that are kept are announced); on SQLite the caller announces them in
/// the process after commit.
pub fn insert_hits(conn: &mut DbConnection, rows: &[NewHit]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Pg(pg) => {
            for chunk in rows.chunks(1000) {
                diesel::insert_into(alert_hits::table)
                    .values(chunk.to_vec())
                    .execute(pg)?;
            }
            // A NOTIFY payload holds at most 8,000 bytes: 100 ids of 36 characters a time.
            for chunk in rows.chunks(100) {
                let ids: Vec<&str> = chunk.iter().map(|h| h.id.as_str()).collect();
                diesel::sql_query("SELECT pg_notify($1, $2)")
                    .bind::<diesel::sql_types::Text, _>(HITS_CHANNEL)
                    .bind::<diesel::sql_types::Text, _>(ids.join(","))
                    .execute(pg)?;
            }
        }
        DbConnection::Sqlite(lite) => {
            // One writer at a time: the next numbers are free.
            let last: Option<i64> = alert_hits::table
                .select(diesel::dsl::max(alert_hits::seq))
                .first(lite)?;
            let mut next = last.unwrap_or(0);
            let numbered: Vec<NewHit> = rows
                .iter()
                .map(|h| {
                    next += 1;
                    NewHit {
                        seq: Some(next),
                        ..h.clone()
                    }
                })
                .collect();
            for chunk in numbered.chunks(1000) {
                diesel::insert_into(alert_hits::table)
                    .values(chunk.to_vec())
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

/// The hits on these movements, oldest first.
pub fn hits_of_movements(
    conn: &mut DbConnection,
    movement_ids: &[String],
) -> StoreResult<Vec<HitRow>> {
    if movement_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = Vec::new();
    for chunk in movement_ids.chunks(500) {
        let q = || {
            alert_hits::table
                .filter(alert_hits::movement_id.eq_any(chunk))
                .order(alert_hits::seq)
        };
        rows.extend(match conn {
            DbConnection::Pg(pg) => q().select(HitRow::as_select()).load(pg)?,
            DbConnection::Sqlite(lite) => q().select(HitRow::as_select()).load(lite)?,
        });
    }
    Ok(rows)
}

/// Which of these hit ids are stored.
pub fn existing_hit_ids(
    conn: &mut DbConnection,
    ids: &[String],
) -> StoreResult<std::collections::HashSet<String>> {
    let mut found = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        let q = alert_hits::table
            .filter(alert_hits::id.eq_any(chunk))
            .select(alert_hits::id);
        found.extend(match conn {
            DbConnection::Pg(pg) => q.load::<String>(pg)?,
            DbConnection::Sqlite(lite) => q.load::<String>(lite)?,
        });
    }
    Ok(found)
}

/// The categories of these alerts (removed ones included), by id; an unknown id is absent.
pub fn categories(
    conn: &mut DbConnection,
    alert_ids: &[String],
) -> StoreResult<HashMap<String, Category>> {
    let mut found = HashMap::new();
    for chunk in alert_ids.chunks(500) {
        let q = alerts::table
            .filter(alerts::id.eq_any(chunk))
            .select((alerts::id, alerts::category));
        let rows: Vec<(String, String)> = match conn {
            DbConnection::Pg(pg) => q.load(pg)?,
            DbConnection::Sqlite(lite) => q.load(lite)?,
        };
        for (id, category) in rows {
            let category = Category::try_from(category).map_err(|e| {
                StoreError::Other(diesel::result::Error::DeserializationError(Box::new(e)))
            })?;
            found.insert(id, category);
        }
    }
    Ok(found)
}

/// The PostgreSQL channel on which new hits' ids are announced.
pub const HITS_CHANNEL: &str = "crossings_alert_hits";

/// A hit with what the police need to act on it: the alert's kind and category, and the
/// movement (direction, traveller, vehicle).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
pub struct HitDetail {
    /// The hit.
    #[diesel(embed)]
    pub hit: HitRow,
    /// The alert's kind (document or person): how it matched.
    #[diesel(select_expression = alerts::kind, deserialize_as = Parsed<MatchedBy>)]
    pub matched_by: MatchedBy,
    /// The alert's category.
    #[diesel(select_expression = alerts::category, deserialize_as = Parsed<Category>)]
    pub category: Category,
    /// The movement.
    #[diesel(embed)]
    pub movement: MovementRow,
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

/// Hits, newest crossing first, with their alert and movement.
pub fn hits(conn: &mut DbConnection, f: &HitFilter, limit: i64) -> StoreResult<Vec<HitDetail>> {
    let mut q = alert_hits::table
        .inner_join(alerts::table)
        .inner_join(movements::table)
        .into_boxed();
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
            .select(HitDetail::as_select())
            .load(conn)?,
    )
}

/// Hits after the cursor `after` (their `seq`), oldest first, at these posts (`None`: all):
/// what a stream replays on reconnect.
pub fn hits_after(
    conn: &mut DbConnection,
    after: i64,
    poes: Option<&[String]>,
    limit: i64,
) -> StoreResult<Vec<HitDetail>> {
    let mut q = alert_hits::table
        .inner_join(alerts::table)
        .inner_join(movements::table)
        .filter(alert_hits::seq.gt(after))
        .into_boxed();
    if let Some(p) = poes {
        q = q.filter(alert_hits::poe.eq_any(p.to_vec()));
    }
    Ok(q.order(alert_hits::seq.asc())
        .limit(limit)
        .select(HitDetail::as_select())
        .load(conn)?)
}

/// The hits of these ids, oldest first.
pub fn hits_by_ids(conn: &mut DbConnection, ids: &[String]) -> StoreResult<Vec<HitDetail>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(alert_hits::table
        .inner_join(alerts::table)
        .inner_join(movements::table)
        .filter(alert_hits::id.eq_any(ids.to_vec()))
        .order(alert_hits::seq.asc())
        .select(HitDetail::as_select())
        .load(conn)?)
}

/// The newest cursor (0 when there is no hit).
pub fn last_seq(conn: &mut DbConnection) -> StoreResult<i64> {
    let last: Option<i64> = alert_hits::table
        .select(diesel::dsl::max(alert_hits::seq))
        .first(conn)?;
    Ok(last.unwrap_or(0))
}

/// One hit with its alert and movement.
pub fn hit_detail(conn: &mut DbConnection, id: &str) -> StoreResult<Option<HitDetail>> {
    Ok(alert_hits::table
        .inner_join(alerts::table)
        .inner_join(movements::table)
        .filter(alert_hits::id.eq(id))
        .select(HitDetail::as_select())
        .first(conn)
        .optional()?)
}

/// What the recording officers were told of these movements: per movement, the hit of its
/// most urgent alert (ties: the first hit).
pub fn officer_alerts(
    conn: &mut DbConnection,
    movement_ids: &[&str],
) -> StoreResult<HashMap<String, OfficerAlert>> {
    if movement_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String, Parsed<Action>, Parsed<Category>)> = alert_hits::table
        .inner_join(alerts::table)
        .filter(alert_hits::movement_id.eq_any(movement_ids.to_vec()))
        .order(alert_hits::seq.asc())
        .select((
            alert_hits::movement_id,
            alert_hits::id,
            alert_hits::action,
            alerts::category,
        ))
        .load(conn)?;
    let mut out: HashMap<String, OfficerAlert> = HashMap::new();
    for (movement_id, hit_id, Parsed(action), Parsed(category)) in rows {
        let better = out
            .get(&movement_id)
            .is_none_or(|a| action.urgency() > a.action.urgency());
        if better {
            out.insert(
                movement_id,
                OfficerAlert {
                    hit_id,
                    action,
                    category,
                },
            );
        }
    }
    Ok(out)
}

/// Whether a movement left a hit (the police may then read it).
pub fn movement_has_hit(conn: &mut DbConnection, movement_id: &str) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        alert_hits::table.filter(alert_hits::movement_id.eq(movement_id)),
    ))
    .get_result(conn)?)
}

/// Marks a hit acknowledged (once), with its outcome and note; false when it was already.
pub fn acknowledge(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
    by: &str,
    outcome: Outcome,
    note: Option<&str>,
) -> StoreResult<bool> {
    let n = diesel::update(
        alert_hits::table
            .filter(alert_hits::id.eq(id))
            .filter(alert_hits::acknowledged_at.is_null()),
    )
    .set((
        alert_hits::acknowledged_at.eq(at),
        alert_hits::acknowledged_by.eq(by),
        alert_hits::outcome.eq(outcome.as_str()),
        alert_hits::note.eq(note),
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

/// A dedicated PostgreSQL connection (outside the pool) that listens for new hits on
/// [`HITS_CHANNEL`]: one per node.
pub struct HitListener {
    conn: diesel::PgConnection,
}

impl HitListener {
    /// Connects to `url` and starts listening.
    pub fn connect(url: &str) -> StoreResult<Self> {
        use diesel::Connection;
        let mut conn = diesel::PgConnection::establish(url)
            .map_err(|e| StoreError::Unavailable(format!("hit listener: {e}")))?;
        diesel::sql_query(format!("LISTEN {HITS_CHANNEL}")).execute(&mut conn)?;
        Ok(Self { conn })
    }

    /// The ids of hits announced since the last call (reads what has arrived, never waits).
    pub fn poll(&mut self) -> StoreResult<Vec<String>> {
        let mut ids = Vec::new();
        for n in self.conn.notifications_iter() {
            let n = n?;
            ids.extend(
                n.payload
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
        }
        Ok(ids)
    }

    /// One round trip: fails when the connection is lost.
    pub fn ping(&mut self) -> StoreResult<()> {
        diesel::sql_query("SELECT 1").execute(&mut self.conn)?;
        Ok(())
    }
}
