//! The police's watchlist and the hits it leaves: for the API and the demo alike.

use chrono::NaiveDateTime;

use super::access::{self, AtPost};
use super::{Caller, Context};
use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::paging::PageSize;
use crate::domain::poe::PoeCode;
use crate::domain::time;
use crate::domain::watchlist::Acknowledgement;
use crate::domain::watchlist::{NewAlert, Subject};
use crate::error::{Error, Result};
use crate::store;
use crate::store::watchlist::{AlertRow, HitDetail, HitFilter};

impl AtPost for HitDetail {
    fn poe(&self) -> &PoeCode {
        &self.hit.poe
    }
}

/// The watchlist: live alerts only, or all (removed and lapsed too). Audited.
pub async fn list(ctx: &Context, caller: &Caller, live_only: bool) -> Result<Vec<AlertRow>> {
    let actor = caller.actor();
    ctx.write(move |c| {
        let now = time::now();
        let rows = store::watchlist::list(c, live_only, now)?;
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new("alert.list", "watchlist")],
        )?;
        Ok(rows)
    })
    .await
}

/// Stores a valid alert, audited as created by `actor` (a police officer, or the demo);
/// answers the stored row.
pub async fn add(ctx: &Context, actor: Actor, alert: NewAlert) -> Result<AlertRow> {
    let now = time::now();
    let (kind, issuing_state, document_number, surname, given_names, date_of_birth) =
        match &alert.subject {
            Subject::Document {
                issuing_state,
                document_number,
            } => (
                "document",
                Some(issuing_state.to_string()),
                Some(document_number.as_str().to_owned()),
                None,
                None,
                None,
            ),
            Subject::Person {
                surname,
                given_names,
                date_of_birth,
            } => (
                "person",
                None,
                None,
                Some(surname.as_str().to_owned()),
                Some(given_names.as_str().to_owned()),
                Some(*date_of_birth),
            ),
        };
    let row = AlertRow {
        id: uuid::Uuid::now_v7().to_string(),
        kind: kind.to_owned(),
        issuing_state,
        document_number,
        surname,
        given_names,
        date_of_birth,
        person_key: alert.subject.person_key(),
        category: alert.category,
        action: alert.action,
        reason: alert.reason,
        expires_at: alert.expires_at,
        created_at: now,
        created_by: actor.name.clone(),
        removed_at: None,
        removed_by: None,
    };
    let stored = row.clone();
    ctx.write(move |c| {
        store::watchlist::insert(c, &stored)?;
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new(
                "alert.create",
                format!("alert:{}", stored.id),
            )],
        )?;
        Ok(())
    })
    .await?;
    tracing::info!(alert_id = %row.id, kind = %row.kind, action = %row.action, "alert added to the watchlist");
    Ok(row)
}

/// Takes an alert off the watchlist: kept, marked removed; the removal is audited.
pub async fn remove(ctx: &Context, caller: &Caller, id: String) -> Result<()> {
    let (actor, by) = (caller.actor(), caller.name());
    ctx.write(move |c| {
        let now = time::now();
        if !store::watchlist::remove(c, &id, now, &by)? {
            return Err(Error::NotFound("no such alert on the watchlist".to_owned()));
        }
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new("alert.remove", format!("alert:{id}"))],
        )?;
        Ok(())
    })
    .await
}

/// What a hit list asks for.
#[derive(Debug, Clone)]
pub struct HitsQuery {
    /// One post (default: every post the caller is posted at).
    pub poe: Option<PoeCode>,
    /// Crossings in UTC `[from, to)`.
    pub between: Option<(NaiveDateTime, NaiveDateTime)>,
    /// One alert.
    pub alert_id: Option<String>,
    /// Only hits not yet acknowledged.
    pub unacknowledged: bool,
    /// At most this many.
    pub limit: PageSize,
}

/// Hits at the caller's posts, newest crossing first. Audited.
pub async fn hits(ctx: &Context, caller: &Caller, q: HitsQuery) -> Result<Vec<HitDetail>> {
    let filter = HitFilter {
        poes: access::list_scope(&caller.principal, q.poe)?,
        alert_id: q.alert_id,
        from: q.between.map(|(from, _)| from),
        to: q.between.map(|(_, to)| to),
        unacknowledged: q.unacknowledged,
    };
    let actor = caller.actor();
    let limit = q.limit.get();
    ctx.write(move |c| {
        let rows = store::watchlist::hits(c, &filter, limit)?;
        store::audit::append(
            c,
            &actor,
            time::now(),
            &[AuditEvent::new("alert_hit.list", "alert_hits")],
        )?;
        Ok(rows)
    })
    .await
}

/// Acknowledges a hit at the caller's posts (the police have dealt with it), with what came
/// of it; once. Audited with the outcome.
pub async fn acknowledge(
    ctx: &Context,
    caller: &Caller,
    id: String,
    ack: Acknowledgement,
) -> Result<HitDetail> {
    let (principal, actor, by) = (caller.principal.clone(), caller.actor(), caller.name());
    ctx.write(move |c| {
        access::at_callers_posts(store::watchlist::hit_detail(c, &id)?, &principal, "hit")?;
        let now = time::now();
        if !store::watchlist::acknowledge(c, &id, now, &by, ack.outcome, ack.note.as_deref())? {
            return Err(Error::Conflict(
                "the hit is acknowledged already".to_owned(),
            ));
        }
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::with_reason(
                "alert_hit.acknowledge",
                format!("alert_hit:{id}"),
                Some(format!("outcome: {}", ack.outcome)),
            )],
        )?;
        store::watchlist::hit_detail(c, &id)?.ok_or_else(|| access::not_found("hit"))
    })
    .await
}
