//! The POE registry: read by every signed-in user, changed by admins.

use super::Context;
use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::poe::{Poe, PoeChanges};
use crate::domain::time;
use crate::error::{Error, Result};
use crate::store;

/// The registry as every node caches it (at most `registry::TTL` old).
pub async fn registry(ctx: &Context) -> Result<std::sync::Arc<Vec<Poe>>> {
    Ok(ctx.registry.get(&ctx.db).await?)
}

/// The registry, by code.
pub async fn list(ctx: &Context) -> Result<Vec<Poe>> {
    ctx.read(|c| Ok(store::poes::list(c)?)).await
}

/// Changes a POE's data (hours for Easter, the festive season or snow; automation; names).
/// Audited; the cached registry is refreshed.
pub async fn update(ctx: &Context, actor: Actor, code: String, changes: PoeChanges) -> Result<Poe> {
    let updated = ctx
        .write(move |c| {
            let mut poe = store::poes::get(c, &code)?
                .ok_or_else(|| Error::NotFound("no such POE".to_owned()))?;
            changes.apply(&mut poe);
            let now = time::now();
            store::poes::replace(c, &poe, now)?;
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::new("poe.update", format!("poe:{code}"))],
            )?;
            Ok(poe)
        })
        .await?;
    ctx.registry.invalidate();
    Ok(updated)
}
