//! Stays of visitors (and trips of citizens abroad), for immigration at their posts.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::access;
use super::{Caller, Context};
use crate::domain::audit::AuditEvent;
use crate::domain::paging::{Page, PageSize};
use crate::domain::poe::PoeCode;
use crate::domain::stays::StayKind;
use crate::domain::stays::StayStatus;
use crate::domain::time;
use crate::error::Result;
use crate::store::stays::StayRow;
use crate::store::{self, movements::MovementRow};

/// What a stay list asks for.
#[derive(Debug, Clone)]
pub struct StaysQuery {
    /// Visits or trips.
    pub kind: StayKind,
    /// Open, overstayed or closed.
    pub status: StayStatus,
    /// Only stays that opened at this post (default: every post the caller is posted at).
    pub poe: Option<PoeCode>,
    /// After this position (keyset on the opening).
    pub after: Option<(NaiveDateTime, String)>,
    /// Page size.
    pub limit: PageSize,
}

/// A stay with the movement that opened it (its traveller).
#[derive(Debug)]
pub struct StayWithOpening {
    /// The stay.
    pub stay: StayRow,
    /// The movement that opened it.
    pub opening: MovementRow,
}

/// Stays opened at the caller's posts, by opening time. Audited.
pub async fn list(ctx: &Context, caller: &Caller, q: StaysQuery) -> Result<Page<StayWithOpening>> {
    let poes = access::list_scope(&caller.principal, q.poe.clone())?;
    let today = time::local_today();
    let actor = caller.actor();
    let description = format!(
        "stays:kind={};status={};poe={}",
        q.kind.as_str(),
        q.status.as_str(),
        q.poe.as_ref().map_or("*", PoeCode::as_str)
    );
    let limit = q.limit;
    let (mut stays, mut openings) = ctx
        .write(move |c| {
            let stays = store::stays::list(
                c,
                q.kind.as_str(),
                q.status,
                poes.as_deref(),
                today,
                q.after,
                limit.probe(),
            )?;
            let ids: Vec<&str> = stays.iter().map(|s| s.opening_id.as_str()).collect();
            let openings = store::movements::by_ids(c, &ids)?;
            store::audit::append(
                c,
                &actor,
                time::now(),
                &[AuditEvent::new("stay.list", description)],
            )?;
            Ok((stays, openings))
        })
        .await?;
    let more = limit.cut(&mut stays);
    let mut by_id: HashMap<String, MovementRow> =
        openings.drain(..).map(|m| (m.id.clone(), m)).collect();
    let items = stays
        .into_iter()
        .filter_map(|stay| {
            let opening = by_id.remove(&stay.opening_id)?;
            Some(StayWithOpening { stay, opening })
        })
        .collect();
    Ok(Page { items, more })
}
