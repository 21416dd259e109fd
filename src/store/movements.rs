//! Recording movements exactly once, reading them, and voiding them.
//!
//! A batch is one transaction of a few statements, whatever its size: find the replays, check
//! the watchlist, append the changes to the counters, lock the documents, load the neighbours
//! of every new movement's document, insert all new rows (COPY or multi-row INSERTs), write
//! the audit entries. Items stay independent because every rule is checked before the
//! transaction and every replay is sorted out inside it, so nothing in the transaction fails
//! for one item alone.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::schema::movements;
use super::{DbConnection, StoreError, StoreResult};
use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::movement::{Direction, NewMovement};
use crate::domain::poe::Poe;
use crate::domain::stats::{self, Counted};
use crate::domain::stays::{self, StayRules};
use crate::domain::timeline::{self, Crossing, Timeline};
use crate::domain::traveller::person_key;
use crate::domain::watchlist::{Action, most_urgent};

/// A stored movement. Holds personal data: only the HTTP views decide what a caller sees.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = movements, treat_none_as_default_value = false)]
pub struct MovementRow {
    /// UUIDv7.
    pub id: String,
    /// `user:<id>` or `system:<id>`: the idempotency namespace.
    pub principal: String,
    /// The sender's idempotency key.
    pub client_event_id: String,
    /// SHA-256 of the normalised payload.
    pub payload_hash: String,
    /// POE code.
    pub poe: String,
    /// `entry` or `exit`.
    pub direction: String,
    /// When it occurred (UTC).
    pub occurred_at: NaiveDateTime,
    /// When the server received it (UTC).
    pub recorded_at: NaiveDateTime,
    /// Who sent it (username or `poe-system:<client id>`).
    pub recorded_by: String,
    /// Mode.
    pub mode: String,
    /// Purpose.
    pub purpose: String,
    /// Document type.
    pub document_type: String,
    /// Normalised document number.
    pub document_number: String,
    /// Issuing state.
    pub issuing_state: String,
    /// Nationality.
    pub nationality: String,
    /// Surname.
    pub surname: String,
    /// Given names.
    pub given_names: String,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// `F`, `M` or `X`.
    pub sex: String,
    /// MRZ lines joined by newlines.
    pub mrz: Option<String>,
    /// End of the authorised stay.
    pub permitted_until: Option<NaiveDate>,
    /// Vehicle registration.
    pub vehicle_registration: Option<String>,
    /// Vehicle state.
    pub vehicle_country: Option<String>,
    /// Vehicle category.
    pub vehicle_category: Option<String>,
    /// Same direction as the document's previous crossing.
    pub sequence_anomaly: bool,
    /// Outside the post's opening hours.
    pub outside_hours: bool,
    /// Received over the configured hours after it occurred.
    pub late: bool,
    /// The watchlist's action, when an alert matched.
    pub alert_action: Option<String>,
    /// When voided.
    pub voided_at: Option<NaiveDateTime>,
    /// Who voided it.
    pub voided_by: Option<String>,
    /// Why.
    pub void_reason: Option<String>,
}

impl MovementRow {
    /// What statistics count of this row.
    pub fn counted(&self) -> Counted<'_> {
        Counted::new(
            self.occurred_at,
            &self.poe,
            &self.direction,
            &self.nationality,
            &self.sex,
            self.date_of_birth,
            &self.purpose,
            &self.mode,
        )
    }

    /// The crossing of this row, for timelines.
    pub fn crossing(&self) -> Crossing {
        Crossing {
            id: self.id.clone(),
            at: self.occurred_at,
            direction: if self.direction == "exit" {
                Direction::Exit
            } else {
                Direction::Entry
            },
            poe: self.poe.clone(),
            nationality: self.nationality.clone(),
            permitted_until: self.permitted_until,
        }
    }
}

/// Who is sending.
#[derive(Debug, Clone)]
pub struct Sender {
    /// Idempotency namespace (`Principal::key`).
    pub key: String,
    /// Display name.
    pub name: String,
}

/// What recording needs besides the movements.
#[derive(Debug, Clone)]
pub struct RecordContext<'a> {
    /// The POE registry (opening hours).
    pub registry: &'a [Poe],
    /// Receipt time.
    pub recorded_at: NaiveDateTime,
    /// A movement older than this on receipt is `late`.
    pub late_after: Duration,
    /// How stays and trips open, close and end.
    pub stay_rules: StayRules,
}

/// What became of one movement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Recorded now, with the ids of the watchlist alerts it matched.
    Created(Box<MovementRow>, Vec<String>),
    /// Recorded before with the same payload: the original.
    Duplicate(Box<MovementRow>),
    /// The key was used before with another payload.
    Conflict {
        /// The movement recorded under that key.
        existing_id: String,
    },
}

/// From how many rows PostgreSQL gets them by COPY rather than INSERT.
pub const COPY_FROM_ROWS: usize = 32;

/// Rows per INSERT on SQLite: 31 columns, under its 32,766 parameters.
const INSERT_CHUNK: usize = 500;

/// Writes new rows: PostgreSQL by COPY (binary, one round trip; a clash on the idempotency
/// key fails the whole COPY, and `record`'s caller runs the batch again, when it is a
/// replay), SQLite by multi-row INSERTs.
fn insert_rows(conn: &mut DbConnection, rows: &[MovementRow]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        // COPY costs an extra round trip to start; for a handful of rows a prepared INSERT is
        // quicker.
        DbConnection::Pg(pg) if rows.len() >= COPY_FROM_ROWS => {
            diesel::copy_from(movements::table)
                .from_insertable(rows)
                .execute(pg)?;
        }
        DbConnection::Pg(pg) => {
            diesel::insert_into(movements::table)
                .values(rows)
                .execute(pg)?;
        }
        DbConnection::Sqlite(lite) => {
            for chunk in rows.chunks(INSERT_CHUNK) {
                diesel::insert_into(movements::table)
                    .values(chunk)
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

/// Records `items` sent by `sender`, exactly once each. Call inside a transaction.
///
/// Only the part that reads and extends document timelines runs under the documents' locks
/// (see [`lock_documents`]): everything before it (the replays, the new rows, the watchlist,
/// the changes to the counters) needs none, so that concurrent batches wait for each other as
/// briefly as they can.
pub fn record(
    conn: &mut DbConnection,
    sender: &Sender,
    items: &[NewMovement],
    actor: &Actor,
    ctx: &RecordContext<'_>,
) -> StoreResult<Vec<Outcome>> {
    // Replays: keys this sender used before. Read without a lock: when a concurrent writer
    // records the same key first, the unique constraint refuses this transaction's insert,
    // and `service::movements` runs it again, which then finds the replay here.
    let keys: Vec<&str> = items.iter().map(|m| m.client_event_id.as_str()).collect();
    let recorded: HashMap<String, MovementRow> = replays(conn, &sender.key, &keys)?
        .into_iter()
        .map(|r| (r.client_event_id.clone(), r))
        .collect();

    // What each item becomes: an outcome now (a replay or a conflict), a new row, or a repeat
    // of an earlier item of this batch.
    let mut outcomes: Vec<Option<Outcome>> = vec![None; items.len()];
    let mut rows: Vec<MovementRow> = Vec::with_capacity(items.len());
    let mut row_items: Vec<usize> = Vec::with_capacity(items.len());
    let mut repeats: Vec<(usize, usize)> = Vec::new();
    let mut in_batch: HashMap<&str, usize> = HashMap::with_capacity(items.len());
    for (i, m) in items.iter().enumerate() {
        let key = m.client_event_id.as_str();
        let hash = m.payload_hash();
        if let Some(existing) = recorded.get(key) {
            outcomes[i] = Some(if existing.payload_hash == hash {
                Outcome::Duplicate(Box::new(existing.clone()))
            } else {
                Outcome::Conflict {
                    existing_id: existing.id.clone(),
                }
            });
        } else if let Some(&r) = in_batch.get(key) {
            if rows[r].payload_hash == hash {
                repeats.push((i, r));
            } else {
                outcomes[i] = Some(Outcome::Conflict {
                    existing_id: rows[r].id.clone(),
                });
            }
        } else {
            in_batch.insert(key, rows.len());
            rows.push(new_row(m, hash, sender, ctx));
            row_items.push(i);
        }
    }

    let hits = check_watchlist(conn, &mut rows, ctx)?;
    // Their changes to the counters are appended, not upserted: no lock needed either.
    if cfg!(not(feature = "bench-no-counts")) {
        let counted: Vec<Counted> = rows.iter().map(MovementRow::counted).collect();
        super::counts::record(conn, &stats::deltas(counted.iter(), 1))?;
    }

    lock_documents(
        conn,
        rows.iter()
            .map(|r| (r.issuing_state.as_str(), r.document_number.as_str())),
    )?;
    let stays = apply_timelines(conn, &mut rows, &ctx.stay_rules)?;
    insert_rows(conn, &rows)?;
    super::watchlist::insert_hits(conn, &hits)?;
    super::stays::upsert(conn, &stays)?;
    let events: Vec<AuditEvent> = rows
        .iter()
        .map(|r| AuditEvent::new("movement.record", format!("movement:{}", r.id)))
        .collect();
    super::audit::append(conn, actor, ctx.recorded_at, &events)?;

    for (i, r) in repeats {
        outcomes[i] = Some(Outcome::Duplicate(Box::new(rows[r].clone())));
    }
    let mut hit_alerts: HashMap<&str, Vec<String>> = HashMap::new();
    for h in &hits {
        hit_alerts
            .entry(h.movement_id.as_str())
            .or_default()
            .push(h.alert_id.clone());
    }
    for (i, row) in row_items.into_iter().zip(rows) {
        let alerts = hit_alerts.remove(row.id.as_str()).unwrap_or_default();
        outcomes[i] = Some(Outcome::Created(Box::new(row), alerts));
    }
    outcomes
        .into_iter()
        .map(|o| {
            o.ok_or_else(|| StoreError::Task("a movement was left without an outcome".to_owned()))
        })
        .collect()
}

/// The movements `principal` recorded under any of `keys`: one probe of the idempotency index
/// per key, however the table grows. Asked as `client_event_id = ANY($2)`, PostgreSQL has
/// been seen to read the whole table instead: with the generic plan it keeps
/// for a prepared statement, made while the table was small, a batch took 2 s at 200,000
/// movements (BENCHMARKS.md); with plans made for the keys at hand, still a scan, 90 ms.
/// `LIMIT 1` keeps the planner from flattening the probe into a join it could hash.
const REPLAYS_PG: &str = "
SELECT m.* FROM unnest($2::text[]) AS k(client_event_id)
CROSS JOIN LATERAL (
    SELECT * FROM movements
     WHERE principal = $1 AND client_event_id = k.client_event_id
     LIMIT 1
) AS m";

/// The movements `principal` recorded before under any of `keys`.
fn replays(
    conn: &mut DbConnection,
    principal: &str,
    keys: &[&str],
) -> StoreResult<Vec<MovementRow>> {
    use diesel::sql_types::{Array, Text};
    match conn {
        DbConnection::Pg(pg) => Ok(diesel::sql_query(REPLAYS_PG)
            .bind::<Text, _>(principal)
            .bind::<Array<Text>, _>(keys)
            .load::<MovementRow>(pg)?),
        DbConnection::Sqlite(lite) => {
            let mut found = Vec::new();
            for chunk in keys.chunks(INSERT_CHUNK) {
                found.extend(
                    movements::table
                        .filter(movements::principal.eq(principal))
                        .filter(movements::client_event_id.eq_any(chunk))
                        .select(MovementRow::as_select())
                        .load(lite)?,
                );
            }
            Ok(found)
        }
    }
}

/// Looks every new movement up on the watchlist (two indexed look-ups for the whole batch),
/// sets the most urgent action on each that matched, and answers the hits to store.
fn check_watchlist(
    conn: &mut DbConnection,
    fresh: &mut [MovementRow],
    ctx: &RecordContext<'_>,
) -> StoreResult<Vec<super::watchlist::HitRow>> {
    if fresh.is_empty() {
        return Ok(Vec::new());
    }
    let mut numbers: Vec<String> = fresh.iter().map(|r| r.document_number.clone()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let person_key_of = |r: &MovementRow| person_key(&r.surname, &r.given_names, r.date_of_birth);
    let mut people: Vec<String> = fresh.iter().map(person_key_of).collect();
    people.sort_unstable();
    people.dedup();
    let matches = super::watchlist::live_matches(conn, &numbers, &people, ctx.recorded_at)?;
    if matches.is_empty() {
        return Ok(Vec::new());
    }
    let mut hits = Vec::new();
    for row in fresh.iter_mut() {
        let key = person_key_of(row);
        let matched: Vec<&super::watchlist::Match> = matches
            .iter()
            .filter(|m| {
                m.document.as_ref().is_some_and(|(state, number)| {
                    *state == row.issuing_state && *number == row.document_number
                }) || m.person_key.as_deref() == Some(key.as_str())
            })
            .collect();
        let actions = matched.iter().filter_map(|m| Action::parse(&m.action).ok());
        row.alert_action = most_urgent(actions).map(|a| a.as_str().to_owned());
        for m in matched {
            hits.push(super::watchlist::HitRow {
                id: uuid::Uuid::now_v7().to_string(),
                alert_id: m.alert_id.clone(),
                movement_id: row.id.clone(),
                poe: row.poe.clone(),
                occurred_at: row.occurred_at,
                action: m.action.clone(),
                created_at: ctx.recorded_at,
                acknowledged_at: None,
                acknowledged_by: None,
            });
        }
    }
    Ok(hits)
}

/// The row a new movement becomes, every flag but the sequence check set (the benchmarks build
/// their baseline from it).
pub fn new_row(
    m: &NewMovement,
    payload_hash: String,
    sender: &Sender,
    ctx: &RecordContext<'_>,
) -> MovementRow {
    let poe = ctx.registry.iter().find(|p| p.code == m.poe.as_str());
    let t = &m.traveller;
    MovementRow {
        id: uuid::Uuid::now_v7().to_string(),
        principal: sender.key.clone(),
        client_event_id: m.client_event_id.as_str().to_owned(),
        payload_hash,
        poe: m.poe.as_str().to_owned(),
        direction: m.direction.as_str().to_owned(),
        occurred_at: m.occurred_at,
        recorded_at: ctx.recorded_at,
        recorded_by: sender.name.clone(),
        mode: m.mode.as_str().to_owned(),
        purpose: m.purpose.as_str().to_owned(),
        document_type: t.document_type.as_str().to_owned(),
        document_number: t.document_number.as_str().to_owned(),
        issuing_state: t.issuing_state.as_str().to_owned(),
        nationality: t.nationality.as_str().to_owned(),
        surname: t.surname.as_str().to_owned(),
        given_names: t.given_names.as_str().to_owned(),
        date_of_birth: t.date_of_birth,
        sex: t.sex.as_str().to_owned(),
        mrz: m.mrz.as_ref().map(|lines| lines.join("\n")),
        permitted_until: m.permitted_until,
        vehicle_registration: m.vehicle.as_ref().map(|v| v.registration.clone()),
        vehicle_country: m.vehicle.as_ref().map(|v| v.country.as_str().to_owned()),
        vehicle_category: m.vehicle.as_ref().map(|v| v.category.as_str().to_owned()),
        sequence_anomaly: false,
        outside_hours: poe.is_some_and(|p| m.outside_hours(p)),
        late: m.is_late(ctx.recorded_at, ctx.late_after),
        alert_action: None,
        voided_at: None,
        voided_by: None,
        void_reason: None,
    }
}

/// Documents are locked in stripes: enough that unrelated single posts rarely wait for each
/// other, few enough that a batch of 1,000 documents holds at most this many advisory locks
/// (PostgreSQL's shared lock table holds 64 per connection by default).
const DOCUMENT_STRIPES: u64 = 256;
/// Namespace of the stripes among advisory lock keys.
const STRIPE_BASE: i64 = 0x0C20_5500_0000;

/// The stripe of a document.
fn stripe(issuing_state: &str, document_number: &str) -> i64 {
    let digest = Sha256::digest(format!("{issuing_state}\u{1f}{document_number}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    STRIPE_BASE + (u64::from_be_bytes(bytes) % DOCUMENT_STRIPES) as i64
}

/// PostgreSQL: transaction-scoped advisory locks on the stripes of every document of the batch,
/// taken in one sorted order so that two transactions never deadlock. Concurrent writers of
/// one document thus take turns, and each sees the other's movements when it reads the
/// document's timeline. SQLite needs none: its writers take turns anyway. (Idempotency keys
/// need no lock: the unique constraint settles a race, see `record`.)
fn lock_documents<'a>(
    conn: &mut DbConnection,
    documents: impl Iterator<Item = (&'a str, &'a str)>,
) -> StoreResult<()> {
    let DbConnection::Pg(pg) = conn else {
        return Ok(());
    };
    let mut keys: Vec<i64> = documents
        .map(|(state, number)| stripe(state, number))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    // unnest yields the array in order, so the locks are taken in that order.
    diesel::sql_query("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k")
        .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(&keys)
        .execute(pg)?;
    Ok(())
}

/// Lock used by a void on the document it touches.
pub fn lock_document(
    conn: &mut DbConnection,
    issuing_state: &str,
    document_number: &str,
) -> StoreResult<()> {
    lock_documents(conn, std::iter::once((issuing_state, document_number)))
}

/// The range of time a batch touches on one document.
struct Span {
    issuing_state: String,
    document_number: String,
    from: NaiveDateTime,
    to: NaiveDateTime,
}

/// Loads, per document, its crossings from just before the first new one to just after the
/// last; then inserts the new ones in order of receipt, flags each whose predecessor went the
/// same way, and answers the stays and trips that changed: those the new crossings open, and
/// those their predecessors open (whose next crossing changed).
fn apply_timelines(
    conn: &mut DbConnection,
    fresh: &mut [MovementRow],
    rules: &StayRules,
) -> StoreResult<Vec<super::stays::StayRow>> {
    let mut spans: BTreeMap<(String, String), (NaiveDateTime, NaiveDateTime)> = BTreeMap::new();
    for r in fresh.iter() {
        let key = (r.issuing_state.clone(), r.document_number.clone());
        let span = spans.entry(key).or_insert((r.occurred_at, r.occurred_at));
        span.0 = span.0.min(r.occurred_at);
        span.1 = span.1.max(r.occurred_at);
    }
    let spans: Vec<Span> = spans
        .into_iter()
        .map(|((issuing_state, document_number), (from, to))| Span {
            issuing_state,
            document_number,
            from,
            to,
        })
        .collect();
    let mut timelines = load_timelines(conn, &spans)?;
    // Per document, the ids of crossings whose stay may have changed.
    let mut touched: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for r in fresh.iter_mut() {
        let doc = (r.issuing_state.clone(), r.document_number.clone());
        let timeline = timelines.entry(doc.clone()).or_default();
        let crossing = r.crossing();
        let previous = timeline.previous(crossing.at, &crossing.id).cloned();
        r.sequence_anomaly = timeline::is_sequence_anomaly(previous.as_ref(), crossing.direction);
        let ids = touched.entry(doc).or_default();
        ids.extend(previous.map(|p| p.id));
        ids.push(crossing.id.clone());
        timeline.insert(crossing);
    }
    Ok(stays_after(&timelines, touched, rules))
}

/// The stays, as the timelines now stand, of the touched crossings that open one.
fn stays_after(
    timelines: &HashMap<(String, String), Timeline>,
    touched: BTreeMap<(String, String), Vec<String>>,
    rules: &StayRules,
) -> Vec<super::stays::StayRow> {
    let mut rows = Vec::new();
    for ((state, number), mut ids) in touched {
        ids.sort_unstable();
        ids.dedup();
        let Some(timeline) = timelines.get(&(state.clone(), number.clone())) else {
            continue;
        };
        for c in timeline
            .crossings()
            .iter()
            .filter(|c| ids.binary_search(&c.id).is_ok())
        {
            if let Some(stay) = stays::stay_of(timeline, c, rules) {
                rows.push(super::stays::StayRow::of(&stay, &state, &number));
            }
        }
    }
    rows
}

type Neighbour = (
    String,
    String,
    String,
    NaiveDateTime,
    String,
    String,
    String,
    Option<NaiveDate>,
);

#[derive(QueryableByName)]
struct PgNeighbour {
    #[diesel(sql_type = diesel::sql_types::Text)]
    issuing_state: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    document_number: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    occurred_at: NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Text)]
    direction: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    poe: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    nationality: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
    permitted_until: Option<NaiveDate>,
}

const NEIGHBOURS_PG: &str = "
SELECT d.st AS issuing_state, d.num AS document_number, m.id, m.occurred_at, m.direction,
       m.poe, m.nationality, m.permitted_until
FROM unnest($1::text[], $2::text[], $3::timestamp[], $4::timestamp[]) AS d(st, num, lo, hi)
CROSS JOIN LATERAL (
    (SELECT id, occurred_at, direction, poe, nationality, permitted_until FROM movements
      WHERE issuing_state = d.st AND document_number = d.num AND voided_at IS NULL
        AND occurred_at < d.lo
      ORDER BY occurred_at DESC, id DESC LIMIT 1)
    UNION ALL
    (SELECT id, occurred_at, direction, poe, nationality, permitted_until FROM movements
      WHERE issuing_state = d.st AND document_number = d.num AND voided_at IS NULL
        AND occurred_at >= d.lo AND occurred_at <= d.hi)
    UNION ALL
    (SELECT id, occurred_at, direction, poe, nationality, permitted_until FROM movements
      WHERE issuing_state = d.st AND document_number = d.num AND voided_at IS NULL
        AND occurred_at > d.hi
      ORDER BY occurred_at ASC, id ASC LIMIT 1)
) AS m";

/// Each span's document timeline: the crossing before it, those within, the one after.
fn load_timelines(
    conn: &mut DbConnection,
    spans: &[Span],
) -> StoreResult<HashMap<(String, String), Timeline>> {
    use diesel::sql_types::{Array, Text, Timestamp};
    let mut found: HashMap<(String, String), Vec<Crossing>> = HashMap::new();
    let mut add = |state: String, number: String, c: Crossing| {
        found.entry((state, number)).or_default().push(c);
    };
    let crossing = |id: String,
                    at: NaiveDateTime,
                    direction: &str,
                    poe: String,
                    nationality: String,
                    permitted_until| Crossing {
        id,
        at,
        direction: if direction == "exit" {
            Direction::Exit
        } else {
            Direction::Entry
        },
        poe,
        nationality,
        permitted_until,
    };
    match conn {
        DbConnection::Pg(pg) => {
            for chunk in spans.chunks(1000) {
                let rows: Vec<PgNeighbour> = diesel::sql_query(NEIGHBOURS_PG)
                    .bind::<Array<Text>, _>(
                        chunk
                            .iter()
                            .map(|s| s.issuing_state.as_str())
                            .collect::<Vec<_>>(),
                    )
                    .bind::<Array<Text>, _>(
                        chunk
                            .iter()
                            .map(|s| s.document_number.as_str())
                            .collect::<Vec<_>>(),
                    )
                    .bind::<Array<Timestamp>, _>(chunk.iter().map(|s| s.from).collect::<Vec<_>>())
                    .bind::<Array<Timestamp>, _>(chunk.iter().map(|s| s.to).collect::<Vec<_>>())
                    .load(pg)?;
                for r in rows {
                    let c = crossing(
                        r.id,
                        r.occurred_at,
                        &r.direction,
                        r.poe,
                        r.nationality,
                        r.permitted_until,
                    );
                    add(r.issuing_state, r.document_number, c);
                }
            }
        }
        DbConnection::Sqlite(lite) => {
            // In-process: a few indexed look-ups per document cost microseconds.
            for s in spans {
                let base = || {
                    movements::table
                        .filter(movements::issuing_state.eq(s.issuing_state.clone()))
                        .filter(movements::document_number.eq(s.document_number.clone()))
                        .filter(movements::voided_at.is_null())
                        .select((
                            movements::issuing_state,
                            movements::document_number,
                            movements::id,
                            movements::occurred_at,
                            movements::direction,
                            movements::poe,
                            movements::nationality,
                            movements::permitted_until,
                        ))
                };
                let mut rows: Vec<Neighbour> = base()
                    .filter(movements::occurred_at.lt(s.from))
                    .order((movements::occurred_at.desc(), movements::id.desc()))
                    .limit(1)
                    .load(lite)?;
                rows.extend(
                    base()
                        .filter(movements::occurred_at.ge(s.from))
                        .filter(movements::occurred_at.le(s.to))
                        .load::<Neighbour>(lite)?,
                );
                rows.extend(
                    base()
                        .filter(movements::occurred_at.gt(s.to))
                        .order((movements::occurred_at.asc(), movements::id.asc()))
                        .limit(1)
                        .load::<Neighbour>(lite)?,
                );
                for (state, number, id, at, direction, poe, nationality, permitted) in rows {
                    add(
                        state,
                        number,
                        crossing(id, at, &direction, poe, nationality, permitted),
                    );
                }
            }
        }
    }
    Ok(found
        .into_iter()
        .map(|(k, v)| (k, Timeline::new(v)))
        .collect())
}

/// One movement by id.
pub fn by_id(conn: &mut DbConnection, id: &str) -> StoreResult<Option<MovementRow>> {
    Ok(movements::table
        .find(id)
        .select(MovementRow::as_select())
        .first(conn)
        .optional()?)
}

/// Filters of a movement listing.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only these POEs (`None`: all).
    pub poes: Option<Vec<String>>,
    /// Only this direction.
    pub direction: Option<String>,
    /// From (inclusive, UTC).
    pub from: Option<NaiveDateTime>,
    /// To (exclusive, UTC).
    pub to: Option<NaiveDateTime>,
    /// Only movements with a vehicle (LRA).
    pub vehicles_only: bool,
    /// After this position (keyset cursor).
    pub after: Option<(NaiveDateTime, String)>,
}

/// A page of movements in `(occurred_at, id)` order.
pub fn list(conn: &mut DbConnection, f: &ListFilter, limit: i64) -> StoreResult<Vec<MovementRow>> {
    let mut q = movements::table.into_boxed();
    if let Some(poes) = &f.poes {
        q = q.filter(movements::poe.eq_any(poes.clone()));
    }
    if let Some(d) = &f.direction {
        q = q.filter(movements::direction.eq(d.clone()));
    }
    if let Some(from) = f.from {
        q = q.filter(movements::occurred_at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(movements::occurred_at.lt(to));
    }
    if f.vehicles_only {
        q = q.filter(movements::vehicle_registration.is_not_null());
    }
    if let Some((at, id)) = &f.after {
        q = q.filter(
            movements::occurred_at.gt(*at).or(movements::occurred_at
                .eq(*at)
                .and(movements::id.gt(id.clone()))),
        );
    }
    Ok(q.order((movements::occurred_at.asc(), movements::id.asc()))
        .limit(limit)
        .select(MovementRow::as_select())
        .load(conn)?)
}

/// Every movement of one document, oldest first (voided ones included, marked).
pub fn of_document(
    conn: &mut DbConnection,
    issuing_state: &str,
    document_number: &str,
) -> StoreResult<Vec<MovementRow>> {
    Ok(movements::table
        .filter(movements::issuing_state.eq(issuing_state))
        .filter(movements::document_number.eq(document_number))
        .order((movements::occurred_at.asc(), movements::id.asc()))
        .select(MovementRow::as_select())
        .load(conn)?)
}

/// Voids a movement that is not voided yet, taking it out of the counts; answers false when
/// it was voided already. Call inside a transaction.
pub fn void(
    conn: &mut DbConnection,
    row: &MovementRow,
    at: NaiveDateTime,
    by: &str,
    reason: &str,
    rules: &StayRules,
) -> StoreResult<bool> {
    lock_document(conn, &row.issuing_state, &row.document_number)?;
    let span = Span {
        issuing_state: row.issuing_state.clone(),
        document_number: row.document_number.clone(),
        from: row.occurred_at,
        to: row.occurred_at,
    };
    let mut timelines = load_timelines(conn, std::slice::from_ref(&span))?;
    if !mark_voided(conn, &row.id, at, by, reason)? {
        return Ok(false);
    }
    super::counts::record(conn, &stats::deltas([row.counted()].iter(), -1))?;

    // The voided crossing leaves its timeline: its own stay goes, and its predecessor's stay
    // now runs to whatever follows.
    let doc = (row.issuing_state.clone(), row.document_number.clone());
    let timeline = timelines.entry(doc.clone()).or_default();
    let previous = timeline
        .previous(row.occurred_at, &row.id)
        .map(|p| p.id.clone());
    timeline.remove(&row.id);
    super::stays::remove(conn, std::slice::from_ref(&row.id))?;
    let touched: BTreeMap<(String, String), Vec<String>> = [(doc, previous.into_iter().collect())]
        .into_iter()
        .collect();
    super::stays::upsert(conn, &stays_after(&timelines, touched, rules))?;
    Ok(true)
}

/// Sets the void columns of a movement that is not voided yet; answers false when it was.
fn mark_voided(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
    by: &str,
    reason: &str,
) -> StoreResult<bool> {
    let n = diesel::update(
        movements::table
            .filter(movements::id.eq(id))
            .filter(movements::voided_at.is_null()),
    )
    .set((
        movements::voided_at.eq(at),
        movements::voided_by.eq(by),
        movements::void_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The latest crossing (not voided) per POE in UTC `[from, to)`: one indexed look-up each.
pub fn latest_by_poe(
    conn: &mut DbConnection,
    poes: &[String],
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> StoreResult<HashMap<String, NaiveDateTime>> {
    let mut out = HashMap::new();
    for poe in poes {
        let latest: Option<NaiveDateTime> = movements::table
            .filter(movements::poe.eq(poe))
            .filter(movements::voided_at.is_null())
            .filter(movements::occurred_at.ge(from))
            .filter(movements::occurred_at.lt(to))
            .order(movements::occurred_at.desc())
            .select(movements::occurred_at)
            .first(conn)
            .optional()?;
        if let Some(t) = latest {
            out.insert(poe.clone(), t);
        }
    }
    Ok(out)
}
