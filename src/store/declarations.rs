//! Customs declarations.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::declarations;
use super::{DbConnection, StoreResult};

/// A stored declaration.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = declarations)]
pub struct DeclarationRow {
    /// Id.
    pub id: String,
    /// The movement.
    pub movement_id: String,
    /// Reference.
    pub reference: String,
    /// Goods.
    pub goods: String,
    /// Value (decimal string).
    pub value: String,
    /// Currency.
    pub currency: String,
    /// Recorded (UTC).
    pub created_at: NaiveDateTime,
    /// By whom.
    pub created_by: String,
}

/// Stores a declaration.
pub fn insert(conn: &mut DbConnection, row: &DeclarationRow) -> StoreResult<()> {
    diesel::insert_into(declarations::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The declarations of a movement, oldest first.
pub fn of_movement(conn: &mut DbConnection, movement_id: &str) -> StoreResult<Vec<DeclarationRow>> {
    Ok(declarations::table
        .filter(declarations::movement_id.eq(movement_id))
        .order(declarations::created_at.asc())
        .select(DeclarationRow::as_select())
        .load(conn)?)
}
