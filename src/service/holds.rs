//! Police holds: a document's records kept past retention until a date, or until released.
//! Placing, listing and releasing are audited.

use super::{Caller, Context};
use crate::domain::audit::AuditEvent;
use crate::domain::retention::NewHold;
use crate::domain::time;
use crate::error::{Error, Result};
use crate::store;
use crate::store::holds::HoldRow;

/// Places a hold; answers the stored row.
pub async fn place(ctx: &Context, caller: &Caller, hold: NewHold) -> Result<HoldRow> {
    let actor = caller.actor();
    let now = time::now();
    let row = HoldRow {
        id: uuid::Uuid::now_v7().to_string(),
        issuing_state: hold.issuing_state.to_string(),
        document_number: hold.document_number.as_str().to_owned(),
        reason: hold.reason,
        until: hold.until,
        created_at: now,
        created_by: caller.name(),
        released_at: None,
        released_by: None,
    };
    ctx.write(move |c| {
        store::holds::insert(c, &row)?;
        store::audit::append(
            c,
            &actor,
            now,
            &[
                AuditEvent::with_reason(
                    "hold.place",
                    format!("hold:{}", row.id),
                    Some(row.reason.clone()),
                ),
                AuditEvent::new(
                    "hold.place",
                    format!("document:{}/{}", row.issuing_state, row.document_number),
                ),
            ],
        )?;
        Ok(row)
    })
    .await
}

/// The holds in force today, newest first. Audited.
pub async fn list(ctx: &Context, caller: &Caller) -> Result<Vec<HoldRow>> {
    let actor = caller.actor();
    ctx.write(move |c| {
        let now = time::now();
        let rows = store::holds::live(c, time::local_time(now).date())?;
        store::audit::append(c, &actor, now, &[AuditEvent::new("hold.list", "holds")])?;
        Ok(rows)
    })
    .await
}

/// Releases a hold in place (its records then follow retention again). A hold released
/// already is a conflict; an unknown one is not found.
pub async fn release(ctx: &Context, caller: &Caller, id: String) -> Result<HoldRow> {
    let actor = caller.actor();
    let by = caller.name();
    ctx.write(move |c| {
        let now = time::now();
        let Some(_) = store::holds::by_id(c, &id)? else {
            return Err(Error::NotFound("no such hold".to_owned()));
        };
        if !store::holds::release(c, &id, now, &by)? {
            return Err(Error::Conflict("the hold is released already".to_owned()));
        }
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new("hold.release", format!("hold:{id}"))],
        )?;
        store::holds::by_id(c, &id)?.ok_or_else(|| Error::internal("released hold vanished"))
    })
    .await
}
