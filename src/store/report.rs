//! What a subject access report gathers about the movements of one document.

use diesel::prelude::*;

use super::declarations::DeclarationRow;
use super::schema::{alert_hits, declarations};
use super::watchlist::HitRow;
use super::{DbConnection, StoreResult};

/// The declarations on any of these movements, oldest first.
pub fn declarations_of(conn: &mut DbConnection, ids: &[&str]) -> StoreResult<Vec<DeclarationRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            declarations::table
                .filter(declarations::movement_id.eq_any(chunk))
                .select(DeclarationRow::as_select())
                .load(conn)?,
        );
    }
    out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(out)
}

/// The watchlist hits on any of these movements, oldest crossing first.
pub fn hits_of(conn: &mut DbConnection, ids: &[&str]) -> StoreResult<Vec<HitRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            alert_hits::table
                .filter(alert_hits::movement_id.eq_any(chunk))
                .select(HitRow::as_select())
                .load(conn)?,
        );
    }
    out.sort_by(|a, b| (a.occurred_at, &a.id).cmp(&(b.occurred_at, &b.id)));
    Ok(out)
}
