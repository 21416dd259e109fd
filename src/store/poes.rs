//! The POE registry.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::poes;
use super::{DbConnection, StoreError, StoreResult};
use crate::domain::poe::{OpeningHours, Poe, PoeKind};

/// A stored POE.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = poes)]
pub struct PoeRow {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// District.
    pub district: String,
    /// `land` or `air`.
    pub kind: String,
    /// South African counterpart.
    pub sa_counterpart: String,
    /// Automated.
    pub automated: bool,
    /// Opening hours, JSON.
    pub hours: String,
    /// Last change (UTC).
    pub updated_at: NaiveDateTime,
}

impl PoeRow {
    /// The row of a registry entry.
    pub fn from_poe(poe: &Poe, at: NaiveDateTime) -> StoreResult<Self> {
        Ok(Self {
            code: poe.code.clone(),
            name: poe.name.clone(),
            district: poe.district.clone(),
            kind: poe.kind.as_str().to_owned(),
            sa_counterpart: poe.sa_counterpart.clone(),
            automated: poe.automated,
            hours: serde_json::to_string(&poe.hours)
                .map_err(|e| StoreError::Unavailable(format!("cannot encode hours: {e}")))?,
            updated_at: at,
        })
    }

    /// The registry entry of a row. Rows are written only through `from_poe`, so a row that
    /// does not read back is a damaged database, reported as such.
    pub fn to_poe(&self) -> StoreResult<Poe> {
        let hours: OpeningHours = serde_json::from_str(&self.hours).map_err(|e| {
            StoreError::Unavailable(format!("POE {} has unreadable hours: {e}", self.code))
        })?;
        let kind = PoeKind::parse(&self.kind).ok_or_else(|| {
            StoreError::Unavailable(format!("POE {} has unknown kind {}", self.code, self.kind))
        })?;
        Ok(Poe {
            code: self.code.clone(),
            name: self.name.clone(),
            district: self.district.clone(),
            kind,
            sa_counterpart: self.sa_counterpart.clone(),
            automated: self.automated,
            hours,
        })
    }
}

/// Loads the registry when the table is empty (first start); answers how many were added.
pub fn seed_if_empty(
    conn: &mut DbConnection,
    registry: &[Poe],
    at: NaiveDateTime,
) -> StoreResult<usize> {
    let existing: i64 = poes::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(0);
    }
    let rows = registry
        .iter()
        .map(|p| PoeRow::from_poe(p, at))
        .collect::<StoreResult<Vec<_>>>()?;
    crate::on_backend!(conn, |c| diesel::insert_into(poes::table)
        .values(&rows)
        .execute(c))?;
    Ok(rows.len())
}

/// Every POE, by code.
pub fn list(conn: &mut DbConnection) -> StoreResult<Vec<Poe>> {
    let rows: Vec<PoeRow> = poes::table
        .order(poes::code.asc())
        .select(PoeRow::as_select())
        .load(conn)?;
    rows.iter().map(PoeRow::to_poe).collect()
}

/// One POE.
pub fn get(conn: &mut DbConnection, code: &str) -> StoreResult<Option<Poe>> {
    let row: Option<PoeRow> = poes::table
        .find(code)
        .select(PoeRow::as_select())
        .first(conn)
        .optional()?;
    row.as_ref().map(PoeRow::to_poe).transpose()
}

/// Replaces a POE's data (its code stays).
pub fn replace(conn: &mut DbConnection, poe: &Poe, at: NaiveDateTime) -> StoreResult<()> {
    let row = PoeRow::from_poe(poe, at)?;
    let n = diesel::update(poes::table.find(&poe.code))
        .set(&row)
        .execute(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
