//! The audit log for admins: reading it and checking its chain.

use super::Context;
use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::paging::{Page, PageSize};
use crate::domain::time;
use crate::error::Result;
use crate::store;
use crate::store::audit::{AuditFilter, AuditRow, Verification};

/// A page of the log, in chain order.
pub async fn list(ctx: &Context, filter: AuditFilter, limit: PageSize) -> Result<Page<AuditRow>> {
    let mut items = ctx
        .read(move |c| Ok(store::audit::list(c, &filter, limit.probe())?))
        .await?;
    let more = limit.cut(&mut items);
    Ok(Page { items, more })
}

/// Recomputes the chain: whether it holds, how many entries, the first that fails.
pub async fn verify(ctx: &Context) -> Result<Verification> {
    ctx.read(|c| Ok(store::audit::verify(c)?)).await
}

/// Appends one entry: `actor` did `action` to `object` (a read that has no use case of its
/// own to audit it, such as a statistics query with its parameters).
pub async fn record(ctx: &Context, actor: Actor, action: &str, object: String) -> Result<()> {
    let event = AuditEvent::new(action, object);
    ctx.write(move |c| {
        store::audit::append(c, &actor, time::now(), &[event])?;
        Ok(())
    })
    .await
}
