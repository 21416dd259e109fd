//! Movements in the database: the tuned building blocks that recording, voiding and reading
//! are made of (the recipe that combines them is `service::movements`). Each takes a
//! connection inside the caller's transaction.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::parsed::Parsed;
use super::schema::{movement_keys, movements};
use super::{DbConnection, StoreError, StoreResult};
use crate::domain::movement::{Direction, Mode, Purpose};
use crate::domain::poe::PoeCode;
use crate::domain::stats::Counted;
use crate::domain::timeline::{Crossing, Timeline};
use crate::domain::traveller::{DocumentType, Sex, StateCode};
use diesel::result::Error as DieselError;

/// A stored movement. Holds personal data: only the HTTP views decide what a caller sees.
/// Enumerations and codes are read through their domain types, so a value the domain does not
/// allow is an error when read, never a silent default.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = movements)]
pub struct MovementRow {
    /// UUIDv7.
    pub id: String,
    /// `user:<id>` or `system:<id>`: the idempotency namespace.
    pub principal: String,
    /// The sender's idempotency key.
    pub client_event_id: String,
    /// SHA-256 of the normalised payload.
    pub payload_hash: String,
    /// POE.
    #[diesel(deserialize_as = Parsed<PoeCode>)]
    pub poe: PoeCode,
    /// Entry or exit.
    #[diesel(deserialize_as = Parsed<Direction>)]
    pub direction: Direction,
    /// When it occurred (UTC).
    pub occurred_at: NaiveDateTime,
    /// When the server received it (UTC).
    pub recorded_at: NaiveDateTime,
    /// Who sent it (username or `poe-system:<client id>`).
    pub recorded_by: String,
    /// Mode.
    #[diesel(deserialize_as = Parsed<Mode>)]
    pub mode: Mode,
    /// Purpose.
    #[diesel(deserialize_as = Parsed<Purpose>)]
    pub purpose: Purpose,
    /// Document type.
    #[diesel(deserialize_as = Parsed<DocumentType>)]
    pub document_type: DocumentType,
    /// Normalised document number.
    pub document_number: String,
    /// Issuing state.
    #[diesel(deserialize_as = Parsed<StateCode>)]
    pub issuing_state: StateCode,
    /// Nationality.
    #[diesel(deserialize_as = Parsed<StateCode>)]
    pub nationality: StateCode,
    /// Surname.
    pub surname: String,
    /// Given names.
    pub given_names: String,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// Sex.
    #[diesel(deserialize_as = Parsed<Sex>)]
    pub sex: Sex,
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
    /// When retention erased its personal fields (names and document number then empty, MRZ
    /// and vehicle registration gone, date of birth coarsened within its age band).
    pub erased_at: Option<NaiveDateTime>,
}

/// The insert form of a movement: the row's fields as the columns hold them, borrowed.
#[derive(Insertable)]
#[diesel(table_name = movements, treat_none_as_default_value = false)]
pub struct NewMovementRow<'a> {
    id: &'a str,
    principal: &'a str,
    client_event_id: &'a str,
    payload_hash: &'a str,
    poe: &'a str,
    direction: &'static str,
    occurred_at: NaiveDateTime,
    recorded_at: NaiveDateTime,
    recorded_by: &'a str,
    mode: &'static str,
    purpose: &'static str,
    document_type: &'static str,
    document_number: &'a str,
    issuing_state: &'a str,
    nationality: &'a str,
    surname: &'a str,
    given_names: &'a str,
    date_of_birth: NaiveDate,
    sex: &'static str,
    mrz: Option<&'a str>,
    permitted_until: Option<NaiveDate>,
    vehicle_registration: Option<&'a str>,
    vehicle_country: Option<&'a str>,
    vehicle_category: Option<&'a str>,
    sequence_anomaly: bool,
    outside_hours: bool,
    late: bool,
    alert_action: Option<&'a str>,
    voided_at: Option<NaiveDateTime>,
    voided_by: Option<&'a str>,
    void_reason: Option<&'a str>,
}

/// The keys of a movement, unique across the partitions of `movements` (PostgreSQL only: see
/// the migration `partitioned_movements`).
#[derive(Insertable)]
#[diesel(table_name = movement_keys, treat_none_as_default_value = false)]
struct NewMovementKey<'a> {
    principal: &'a str,
    client_event_id: &'a str,
    movement_id: &'a str,
    occurred_at: NaiveDateTime,
}

impl<'a> From<&'a MovementRow> for NewMovementKey<'a> {
    fn from(r: &'a MovementRow) -> Self {
        Self {
            principal: &r.principal,
            client_event_id: &r.client_event_id,
            movement_id: &r.id,
            occurred_at: r.occurred_at,
        }
    }
}

impl<'a> From<&'a MovementRow> for NewMovementRow<'a> {
    fn from(r: &'a MovementRow) -> Self {
        Self {
            id: &r.id,
            principal: &r.principal,
            client_event_id: &r.client_event_id,
            payload_hash: &r.payload_hash,
            poe: r.poe.as_str(),
            direction: r.direction.as_str(),
            occurred_at: r.occurred_at,
            recorded_at: r.recorded_at,
            recorded_by: &r.recorded_by,
            mode: r.mode.as_str(),
            purpose: r.purpose.as_str(),
            document_type: r.document_type.as_str(),
            document_number: &r.document_number,
            issuing_state: r.issuing_state.as_str(),
            nationality: r.nationality.as_str(),
            surname: &r.surname,
            given_names: &r.given_names,
            date_of_birth: r.date_of_birth,
            sex: r.sex.as_str(),
            mrz: r.mrz.as_deref(),
            permitted_until: r.permitted_until,
            vehicle_registration: r.vehicle_registration.as_deref(),
            vehicle_country: r.vehicle_country.as_deref(),
            vehicle_category: r.vehicle_category.as_deref(),
            sequence_anomaly: r.sequence_anomaly,
            outside_hours: r.outside_hours,
            late: r.late,
            alert_action: r.alert_action.as_deref(),
            voided_at: r.voided_at,
            voided_by: r.voided_by.as_deref(),
            void_reason: r.void_reason.as_deref(),
        }
    }
}

impl MovementRow {
    /// What statistics count of this row.
    pub fn counted(&self) -> Counted<'_> {
        Counted::new(
            self.occurred_at,
            self.poe.as_str(),
            self.direction.as_str(),
            self.nationality.as_str(),
            self.sex.as_str(),
            self.date_of_birth,
            self.purpose.as_str(),
            self.mode.as_str(),
        )
    }

    /// The crossing of this row, for timelines.
    pub fn crossing(&self) -> Crossing {
        Crossing {
            id: self.id.clone(),
            at: self.occurred_at,
            direction: self.direction,
            poe: self.poe.to_string(),
            nationality: self.nationality.to_string(),
            permitted_until: self.permitted_until,
        }
    }

    /// The document's matching key: issuing state and normalised number.
    pub fn document(&self) -> (&str, &str) {
        (self.issuing_state.as_str(), &self.document_number)
    }
}

/// From how many rows PostgreSQL gets them by COPY rather than INSERT.
pub const COPY_FROM_ROWS: usize = 32;

/// Rows per INSERT on SQLite: 31 columns, under its 32,766 parameters.
const INSERT_CHUNK: usize = 500;

/// Writes new rows: PostgreSQL by COPY (binary, one round trip; a clash on the idempotency
/// key fails the whole COPY, and the service runs the batch again, when it is a replay),
/// SQLite by multi-row INSERTs.
///
/// On PostgreSQL the movements are partitioned by month, so their id and idempotency key are
/// made unique by `movement_keys`: the keys are written first, so that a clash fails before
/// the wide rows are sent, with the same unique violation as before (`StoreError::Conflict`).
pub fn insert_rows(conn: &mut DbConnection, rows: &[MovementRow]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        // COPY costs an extra round trip to start; for a handful of rows a prepared INSERT is
        // quicker.
        DbConnection::Pg(pg) if rows.len() >= COPY_FROM_ROWS => {
            let keys: Vec<NewMovementKey<'_>> = rows.iter().map(NewMovementKey::from).collect();
            diesel::copy_from(movement_keys::table)
                .from_insertable(keys.as_slice())
                .execute(pg)?;
            let rows: Vec<NewMovementRow<'_>> = rows.iter().map(NewMovementRow::from).collect();
            diesel::copy_from(movements::table)
                .from_insertable(rows.as_slice())
                .execute(pg)?;
        }
        DbConnection::Pg(pg) => {
            let keys: Vec<NewMovementKey<'_>> = rows.iter().map(NewMovementKey::from).collect();
            diesel::insert_into(movement_keys::table)
                .values(keys.as_slice())
                .execute(pg)?;
            let rows: Vec<NewMovementRow<'_>> = rows.iter().map(NewMovementRow::from).collect();
            diesel::insert_into(movements::table)
                .values(rows.as_slice())
                .execute(pg)?;
        }
        DbConnection::Sqlite(lite) => {
            let rows: Vec<NewMovementRow<'_>> = rows.iter().map(NewMovementRow::from).collect();
            for chunk in rows.chunks(INSERT_CHUNK) {
                diesel::insert_into(movements::table)
                    .values(chunk)
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

/// The movements `principal` recorded under any of `keys`: one probe of the idempotency key's
/// index per key, however the table grows, then one of the movement's own partition (the key
/// holds its `occurred_at`, so the other months are pruned while the statement runs). Asked
/// as `client_event_id = ANY($2)`, PostgreSQL has been seen to read the whole table instead:
/// with the generic plan it keeps for a prepared statement, made while the table was small, a
/// batch took 2 s at 200,000 movements (BENCHMARKS.md); with plans made for the keys at hand,
/// still a scan, 90 ms. `LIMIT 1` keeps the planner from flattening the probe into a join it
/// could hash.
const REPLAYS_PG: &str = "
SELECT m.* FROM unnest($2::text[]) AS k(client_event_id)
CROSS JOIN LATERAL (
    SELECT movement_id, occurred_at FROM movement_keys
     WHERE principal = $1 AND client_event_id = k.client_event_id
     LIMIT 1
) AS mk
CROSS JOIN LATERAL (
    SELECT * FROM movements
     WHERE id = mk.movement_id AND occurred_at = mk.occurred_at
     LIMIT 1
) AS m";

/// The movements `principal` recorded before under any of `keys`. Read without a lock: when a
/// concurrent writer records the same key first, the unique constraint refuses the later
/// insert (of its key, on PostgreSQL), and the service runs that batch again, which then finds
/// the replay here.
pub fn replays(
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
/// need no lock: the unique constraint settles a race, see [`replays`].)
pub fn lock_documents<'a>(
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
#[derive(Debug, Clone)]
pub struct Span {
    /// Issuing state.
    pub issuing_state: String,
    /// Normalised number.
    pub document_number: String,
    /// Earliest crossing of the batch.
    pub from: NaiveDateTime,
    /// Latest.
    pub to: NaiveDateTime,
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
pub fn load_timelines(
    conn: &mut DbConnection,
    spans: &[Span],
) -> StoreResult<HashMap<(String, String), Timeline>> {
    use diesel::sql_types::{Array, Text, Timestamp};
    let mut found: HashMap<(String, String), Vec<Crossing>> = HashMap::new();
    let mut add = |state: String, number: String, c: Crossing| {
        found.entry((state, number)).or_default().push(c);
    };
    // A direction the domain does not know is an error, not an entry.
    let crossing = |id: String,
                    at: NaiveDateTime,
                    direction: String,
                    poe: String,
                    nationality: String,
                    permitted_until|
     -> StoreResult<Crossing> {
        let direction = Direction::try_from(direction)
            .map_err(|e| StoreError::Other(DieselError::DeserializationError(Box::new(e))))?;
        Ok(Crossing {
            id,
            at,
            direction,
            poe,
            nationality,
            permitted_until,
        })
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
                        r.direction,
                        r.poe,
                        r.nationality,
                        r.permitted_until,
                    )?;
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
                        crossing(id, at, direction, poe, nationality, permitted)?,
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

/// One movement by id. On PostgreSQL its key gives its `occurred_at`, so that one partition
/// is read (the others are pruned while the statement runs) rather than probed each in turn.
pub fn by_id(conn: &mut DbConnection, id: &str) -> StoreResult<Option<MovementRow>> {
    match conn {
        DbConnection::Pg(pg) => Ok(diesel::sql_query(
            "SELECT * FROM movements
              WHERE id = $1
                AND occurred_at = (SELECT occurred_at FROM movement_keys WHERE movement_id = $1)",
        )
        .bind::<diesel::sql_types::Text, _>(id)
        .get_result::<MovementRow>(pg)
        .optional()?),
        DbConnection::Sqlite(lite) => Ok(movements::table
            .find(id)
            .select(MovementRow::as_select())
            .first(lite)
            .optional()?),
    }
}

/// The movements of these ids (those that exist), in no particular order.
pub fn by_ids(conn: &mut DbConnection, ids: &[&str]) -> StoreResult<Vec<MovementRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(movements::table
        .filter(movements::id.eq_any(ids))
        .select(MovementRow::as_select())
        .load(conn)?)
}

/// Filters of a movement listing.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only these POEs (`None`: all).
    pub poes: Option<Vec<String>>,
    /// Only this direction.
    pub direction: Option<Direction>,
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
        q = q.filter(movements::direction.eq(d.as_str()));
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

/// Every movement of a traveller born on `date_of_birth`, oldest first (indexed): the
/// traveller search compares their names itself.
pub fn born_on(conn: &mut DbConnection, date_of_birth: NaiveDate) -> StoreResult<Vec<MovementRow>> {
    Ok(movements::table
        .filter(movements::date_of_birth.eq(date_of_birth))
        .order((movements::occurred_at.asc(), movements::id.asc()))
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

/// Sets the void columns of a movement that is not voided yet; answers false when it was.
pub fn mark_voided(
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

/// How many movements were recorded by anyone but `recorded_by` (the demo's check that a
/// database is its own).
pub fn count_not_recorded_by(conn: &mut DbConnection, recorded_by: &str) -> StoreResult<i64> {
    Ok(movements::table
        .filter(movements::recorded_by.ne(recorded_by))
        .count()
        .get_result(conn)?)
}

/// What making the partition of a month found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionMade {
    /// Made now.
    Created,
    /// Made before.
    Exists,
    /// Not made: movements of that month lie in the DEFAULT partition already (they would have
    /// to move, and movements are never deleted). They are read and written there as well as
    /// anywhere; only that month is not a partition of its own.
    InDefault,
}

#[derive(QueryableByName)]
struct PartitionStatus {
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
}

/// Makes the partition of the UTC month that contains `month` (PostgreSQL; answers `None` on
/// SQLite, whose movements are one table). Safe from several nodes at once; takes no lock when
/// the partition exists. In its own transaction: making one locks the movements briefly.
pub fn make_partition(
    conn: &mut DbConnection,
    month: NaiveDate,
) -> StoreResult<Option<PartitionMade>> {
    let DbConnection::Pg(pg) = conn else {
        return Ok(None);
    };
    let found: PartitionStatus =
        diesel::sql_query("SELECT crossings_movement_partition($1) AS status")
            .bind::<diesel::sql_types::Date, _>(month)
            .get_result(pg)?;
    match found.status.as_str() {
        "created" => Ok(Some(PartitionMade::Created)),
        "exists" => Ok(Some(PartitionMade::Exists)),
        "in_default" => Ok(Some(PartitionMade::InDefault)),
        other => Err(StoreError::Other(DieselError::DeserializationError(
            format!("crossings_movement_partition answered {other:?}").into(),
        ))),
    }
}
