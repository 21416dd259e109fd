//! Stays of visitors and trips of citizens, kept from each document's timeline.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::schema::stays;
use super::{DbConnection, StoreResult};
use crate::domain::stays::{Stay, StayStatus};
use crate::domain::time::local_time;

/// A stored stay or trip.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = stays, treat_none_as_default_value = false)]
pub struct StayRow {
    /// The movement that opened it.
    pub opening_id: String,
    /// `visit` or `trip`.
    pub kind: String,
    /// Document's issuing state.
    pub issuing_state: String,
    /// Document number.
    pub document_number: String,
    /// Nationality on opening.
    pub nationality: String,
    /// Opened (UTC).
    pub opened_at: NaiveDateTime,
    /// Where.
    pub opened_poe: String,
    /// Permit given on entry.
    pub permitted_until: Option<NaiveDate>,
    /// Last authorised day (visits).
    pub ends_on: Option<NaiveDate>,
    /// The movement that closed it.
    pub closing_id: Option<String>,
    /// Closed (UTC).
    pub closed_at: Option<NaiveDateTime>,
    /// Local date of closing.
    pub closed_on: Option<NaiveDate>,
    /// Where.
    pub closed_poe: Option<String>,
}

impl StayRow {
    /// The row of a stay of a document.
    pub fn of(stay: &Stay, issuing_state: &str, document_number: &str) -> Self {
        Self {
            opening_id: stay.opening.id.clone(),
            kind: stay.kind.as_str().to_owned(),
            issuing_state: issuing_state.to_owned(),
            document_number: document_number.to_owned(),
            nationality: stay.opening.nationality.clone(),
            opened_at: stay.opening.at,
            opened_poe: stay.opening.poe.clone(),
            permitted_until: stay.opening.permitted_until,
            ends_on: stay.ends_on,
            closing_id: stay.closing.as_ref().map(|c| c.id.clone()),
            closed_at: stay.closing.as_ref().map(|c| c.at),
            closed_on: stay.closing.as_ref().map(|c| local_time(c.at).date()),
            closed_poe: stay.closing.as_ref().map(|c| c.poe.clone()),
        }
    }
}

/// Writes stays as they now stand (new ones, and ones whose closing changed).
pub fn upsert(conn: &mut DbConnection, rows: &[StayRow]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if let DbConnection::Pg(pg) = conn {
        return upsert_pg(pg, rows);
    }
    crate::on_backend!(conn, |c| {
        for chunk in rows.chunks(1000) {
            diesel::insert_into(stays::table)
                .values(chunk)
                .on_conflict(stays::opening_id)
                .do_update()
                .set((
                    stays::closing_id.eq(excluded(stays::closing_id)),
                    stays::closed_at.eq(excluded(stays::closed_at)),
                    stays::closed_on.eq(excluded(stays::closed_on)),
                    stays::closed_poe.eq(excluded(stays::closed_poe)),
                ))
                .execute(c)?;
        }
        Ok::<(), diesel::result::Error>(())
    })?;
    Ok(())
}

/// The upsert on PostgreSQL: thirteen arrays, one statement PostgreSQL parses once, where
/// a multi-row INSERT of a batch's stays has 13,000 parameters to parse and plan each time.
const UPSERT_PG: &str = "
INSERT INTO stays (opening_id, kind, issuing_state, document_number, nationality, opened_at,
                   opened_poe, permitted_until, ends_on, closing_id, closed_at, closed_on, closed_poe)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                     $6::timestamp[], $7::text[], $8::date[], $9::date[], $10::text[],
                     $11::timestamp[], $12::date[], $13::text[])
ON CONFLICT (opening_id) DO UPDATE SET
    closing_id = excluded.closing_id,
    closed_at = excluded.closed_at,
    closed_on = excluded.closed_on,
    closed_poe = excluded.closed_poe";

fn upsert_pg(pg: &mut diesel::PgConnection, rows: &[StayRow]) -> StoreResult<()> {
    use diesel::sql_types::{Array, Date, Nullable, Text, Timestamp};
    fn column<T: Clone>(rows: &[StayRow], f: impl Fn(&StayRow) -> &T) -> Vec<T> {
        rows.iter().map(|r| f(r).clone()).collect()
    }
    diesel::sql_query(UPSERT_PG)
        .bind::<Array<Text>, _>(column(rows, |r| &r.opening_id))
        .bind::<Array<Text>, _>(column(rows, |r| &r.kind))
        .bind::<Array<Text>, _>(column(rows, |r| &r.issuing_state))
        .bind::<Array<Text>, _>(column(rows, |r| &r.document_number))
        .bind::<Array<Text>, _>(column(rows, |r| &r.nationality))
        .bind::<Array<Timestamp>, _>(column(rows, |r| &r.opened_at))
        .bind::<Array<Text>, _>(column(rows, |r| &r.opened_poe))
        .bind::<Array<Nullable<Date>>, _>(column(rows, |r| &r.permitted_until))
        .bind::<Array<Nullable<Date>>, _>(column(rows, |r| &r.ends_on))
        .bind::<Array<Nullable<Text>>, _>(column(rows, |r| &r.closing_id))
        .bind::<Array<Nullable<Timestamp>>, _>(column(rows, |r| &r.closed_at))
        .bind::<Array<Nullable<Date>>, _>(column(rows, |r| &r.closed_on))
        .bind::<Array<Nullable<Text>>, _>(column(rows, |r| &r.closed_poe))
        .execute(pg)?;
    Ok(())
}

/// Removes the stays opened by these movements (they were voided).
pub fn remove(conn: &mut DbConnection, opening_ids: &[String]) -> StoreResult<()> {
    diesel::delete(stays::table.filter(stays::opening_id.eq_any(opening_ids))).execute(conn)?;
    Ok(())
}

/// A page of stays, oldest first.
pub fn list(
    conn: &mut DbConnection,
    kind: &str,
    status: StayStatus,
    poes: Option<&[String]>,
    today: NaiveDate,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> StoreResult<Vec<StayRow>> {
    let mut q = stays::table
        .filter(stays::kind.eq(kind.to_owned()))
        .into_boxed();
    q = match status {
        StayStatus::Open => q.filter(stays::closing_id.is_null()),
        StayStatus::Closed => q.filter(stays::closing_id.is_not_null()),
        StayStatus::Overstayed => q.filter(
            stays::closing_id
                .is_null()
                .and(stays::ends_on.lt(today))
                .or(stays::closing_id
                    .is_not_null()
                    .and(stays::closed_on.gt(stays::ends_on))),
        ),
    };
    if let Some(poes) = poes {
        q = q.filter(stays::opened_poe.eq_any(poes.to_vec()));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            stays::opened_at
                .gt(at)
                .or(stays::opened_at.eq(at).and(stays::opening_id.gt(id))),
        );
    }
    Ok(q.order((stays::opened_at.asc(), stays::opening_id.asc()))
        .limit(limit)
        .select(StayRow::as_select())
        .load(conn)?)
}

/// Every stay and trip of one document, oldest first.
pub fn of_document(
    conn: &mut DbConnection,
    issuing_state: &str,
    document_number: &str,
) -> StoreResult<Vec<StayRow>> {
    Ok(stays::table
        .filter(stays::issuing_state.eq(issuing_state))
        .filter(stays::document_number.eq(document_number))
        .order(stays::opened_at.asc())
        .select(StayRow::as_select())
        .load(conn)?)
}
