//! Retention in the database: the movements past keeping, a batch at a time, and their
//! erasure (the one change besides a void that the append-only triggers allow).

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{movements, stays};
use super::stays::StayRow;
use super::{DbConnection, StoreResult};
use crate::domain::retention::ERASED_HASH;

/// A movement that retention looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its id.
    pub id: String,
    /// When it occurred (UTC).
    pub occurred_at: NaiveDateTime,
    /// Issuing state.
    pub issuing_state: String,
    /// Document number.
    pub document_number: String,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
}

/// Up to `limit` movements not erased yet that occurred before `cutoff`, after the keyset
/// position `after`, in `(occurred_at, id)` order.
pub fn candidates(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    after: Option<&(NaiveDateTime, String)>,
    limit: i64,
) -> StoreResult<Vec<Candidate>> {
    let mut q = movements::table
        .filter(movements::erased_at.is_null())
        .filter(movements::occurred_at.lt(cutoff))
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            movements::occurred_at.gt(*at).or(movements::occurred_at
                .eq(*at)
                .and(movements::id.gt(id.clone()))),
        );
    }
    let rows: Vec<(String, NaiveDateTime, String, String, NaiveDate)> = q
        .order((movements::occurred_at.asc(), movements::id.asc()))
        .limit(limit)
        .select((
            movements::id,
            movements::occurred_at,
            movements::issuing_state,
            movements::document_number,
            movements::date_of_birth,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, occurred_at, issuing_state, document_number, date_of_birth)| Candidate {
                id,
                occurred_at,
                issuing_state,
                document_number,
                date_of_birth,
            },
        )
        .collect())
}

/// The stays that these movements opened or closed.
pub fn stays_of(conn: &mut DbConnection, ids: &[&str]) -> StoreResult<Vec<StayRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            stays::table
                .filter(
                    stays::opening_id
                        .eq_any(chunk)
                        .or(stays::closing_id.eq_any(chunk)),
                )
                .select(StayRow::as_select())
                .load(conn)?,
        );
    }
    let mut seen = HashSet::new();
    out.retain(|s| seen.insert(s.opening_id.clone()));
    Ok(out)
}

/// Erases the personal fields of these movements (id and the coarse date of birth each
/// keeps), at `at`, and the document number of the stays they opened. Movements erased
/// already are left alone. Answers how many were erased.
pub fn erase(
    conn: &mut DbConnection,
    erasures: &[(String, NaiveDate)],
    at: NaiveDateTime,
) -> StoreResult<usize> {
    use diesel::sql_types::{Array, Date, Text, Timestamp};
    if erasures.is_empty() {
        return Ok(0);
    }
    let ids: Vec<&str> = erasures.iter().map(|(id, _)| id.as_str()).collect();
    let erased = match conn {
        // One statement per batch.
        DbConnection::Pg(pg) => diesel::sql_query(
            "UPDATE movements AS m
                SET surname = '', given_names = '', document_number = '', payload_hash = $4,
                    mrz = NULL, vehicle_registration = NULL, date_of_birth = e.dob,
                    erased_at = $3
               FROM unnest($1::text[], $2::date[]) AS e(id, dob)
              WHERE m.id = e.id AND m.erased_at IS NULL",
        )
        .bind::<Array<Text>, _>(&ids)
        .bind::<Array<Date>, _>(erasures.iter().map(|(_, d)| *d).collect::<Vec<_>>())
        .bind::<Timestamp, _>(at)
        .bind::<Text, _>(ERASED_HASH)
        .execute(pg)?,
        // In-process: a statement per row costs microseconds.
        DbConnection::Sqlite(lite) => {
            let mut n = 0;
            for (id, dob) in erasures {
                n += diesel::update(
                    movements::table
                        .filter(movements::id.eq(id))
                        .filter(movements::erased_at.is_null()),
                )
                .set((
                    movements::surname.eq(""),
                    movements::given_names.eq(""),
                    movements::document_number.eq(""),
                    movements::payload_hash.eq(ERASED_HASH),
                    movements::mrz.eq(None::<String>),
                    movements::vehicle_registration.eq(None::<String>),
                    movements::date_of_birth.eq(dob),
                    movements::erased_at.eq(Some(at)),
                ))
                .execute(lite)?;
            }
            n
        }
    };
    for chunk in ids.chunks(500) {
        diesel::update(stays::table.filter(stays::opening_id.eq_any(chunk)))
            .set(stays::document_number.eq(""))
            .execute(conn)?;
    }
    Ok(erased)
}
