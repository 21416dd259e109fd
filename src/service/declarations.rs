//! Customs declarations by LRA on movements with a vehicle at their posts.

use super::{Caller, Context};
use crate::domain::audit::AuditEvent;
use crate::domain::declaration::Declaration;
use crate::domain::time;
use crate::error::Result;
use crate::store::{self, declarations::DeclarationRow};

/// Records a declaration on a movement at the caller's posts; a movement without a vehicle is
/// not found (404), as one elsewhere is: LRA sees only movements with a vehicle, and must not
/// learn that others exist. Audited.
pub async fn create(
    ctx: &Context,
    caller: &Caller,
    movement_id: String,
    declaration: Declaration,
) -> Result<DeclarationRow> {
    let (principal, actor, by) = (caller.principal.clone(), caller.actor(), caller.name());
    ctx.write(move |c| {
        let m = super::movements::at_posts(c, &principal, &movement_id)?;
        if m.vehicle_registration.is_none() {
            return Err(super::access::not_found("movement"));
        }
        let now = time::now();
        let row = DeclarationRow {
            id: uuid::Uuid::now_v7().to_string(),
            movement_id: movement_id.clone(),
            reference: declaration.reference,
            goods: declaration.goods,
            value: declaration.value,
            currency: declaration.currency,
            created_at: now,
            created_by: by,
        };
        store::declarations::insert(c, &row)?;
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new(
                "declaration.create",
                format!("movement:{movement_id}"),
            )],
        )?;
        Ok(row)
    })
    .await
}

/// The declarations of a movement the caller may read. Audited.
pub async fn list(
    ctx: &Context,
    caller: &Caller,
    movement_id: String,
) -> Result<Vec<DeclarationRow>> {
    let (principal, actor) = (caller.principal.clone(), caller.actor());
    ctx.write(move |c| {
        super::movements::readable(c, &principal, &movement_id)?;
        let rows = store::declarations::of_movement(c, &movement_id)?;
        store::audit::append(
            c,
            &actor,
            time::now(),
            &[AuditEvent::new(
                "declaration.list",
                format!("movement:{movement_id}"),
            )],
        )?;
        Ok(rows)
    })
    .await
}
