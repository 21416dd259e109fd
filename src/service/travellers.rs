//! A traveller's national history: every movement of one document and its stays, for
//! immigration and police (police state a reason, which the audit log keeps with the read).

use super::{Caller, Context};
use crate::domain::audit::AuditEvent;
use crate::domain::time;
use crate::domain::traveller::{DocumentNumber, StateCode};
use crate::domain::user::Role;
use crate::domain::validation::ValidationErrors;
use crate::error::Result;
use crate::store::{self, movements::MovementRow, stays::StayRow};

/// A document's history.
#[derive(Debug)]
pub struct History {
    /// Every movement, oldest first, at every POE; voided ones marked.
    pub movements: Vec<MovementRow>,
    /// Stays (visitors) or trips abroad (citizens), oldest first.
    pub stays: Vec<StayRow>,
}

/// Why someone looks: required of police (at least 5 characters), at most 500 for anyone.
/// Errors name `reason`.
pub fn lookup_reason(
    caller: &Caller,
    raw: Option<&str>,
) -> std::result::Result<Option<String>, ValidationErrors> {
    let reason = raw
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    let mut e = ValidationErrors::default();
    // Police look only with a stated reason; so does anyone who holds the police role.
    if caller.principal.has_role(Role::Police)
        && reason.as_ref().is_none_or(|r| r.chars().count() < 5)
    {
        e.push(
            "reason",
            "is required for police: say why you look (at least 5 characters)",
        );
    }
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        e.push("reason", "must be at most 500 characters");
    }
    e.into_result(reason)
}

/// Every movement and stay of one document, national. Audited with the document looked up and
/// the reason given (checked with [`lookup_reason`]).
pub async fn history(
    ctx: &Context,
    caller: &Caller,
    issuing_state: StateCode,
    number: DocumentNumber,
    reason: Option<String>,
) -> Result<History> {
    let actor = caller.actor();
    let (st, num) = (issuing_state.to_string(), number.as_str().to_owned());
    ctx.write(move |c| {
        let movements = store::movements::of_document(c, &st, &num)?;
        let stays = store::stays::of_document(c, &st, &num)?;
        store::audit::append(
            c,
            &actor,
            time::now(),
            &[AuditEvent::with_reason(
                "traveller.history.read",
                format!("document:{st}/{num}"),
                reason,
            )],
        )?;
        Ok(History { movements, stays })
    })
    .await
}

/// Everything held on one document, for a subject access request (Data Protection Act 2011).
#[derive(Debug)]
pub struct SubjectReport {
    /// Every movement of the document, oldest first (erased ones can no longer be found).
    pub movements: Vec<MovementRow>,
    /// Its stays or trips.
    pub stays: Vec<StayRow>,
    /// Customs declarations on its movements.
    pub declarations: Vec<store::declarations::DeclarationRow>,
    /// Watchlist hits on its movements.
    pub hits: Vec<store::watchlist::HitRow>,
    /// Police holds on it.
    pub holds: Vec<store::holds::HoldRow>,
    /// Every audit entry about the document, its movements, hits and holds (this report's
    /// own entry included), in chain order.
    pub audit: Vec<store::audit::AuditRow>,
}

/// The subject access report of one document. Audited (with the reason given, if any) in the
/// same transaction, so the report lists its own reading.
pub async fn report(
    ctx: &Context,
    caller: &Caller,
    issuing_state: StateCode,
    number: DocumentNumber,
    reason: Option<String>,
) -> Result<SubjectReport> {
    let actor = caller.actor();
    let (st, num) = (issuing_state.to_string(), number.as_str().to_owned());
    ctx.write(move |c| {
        let document = format!("document:{st}/{num}");
        store::audit::append(
            c,
            &actor,
            time::now(),
            &[AuditEvent::with_reason(
                "traveller.report.read",
                document.clone(),
                reason,
            )],
        )?;
        let movements = store::movements::of_document(c, &st, &num)?;
        let stays = store::stays::of_document(c, &st, &num)?;
        let ids: Vec<&str> = movements.iter().map(|m| m.id.as_str()).collect();
        let declarations = store::report::declarations_of(c, &ids)?;
        let hits = store::report::hits_of(c, &ids)?;
        let holds = store::holds::of_document(c, &st, &num)?;
        let mut objects = vec![document];
        objects.extend(movements.iter().map(|m| format!("movement:{}", m.id)));
        objects.extend(hits.iter().map(|h| format!("alert_hit:{}", h.id)));
        objects.extend(holds.iter().map(|h| format!("hold:{}", h.id)));
        let audit = store::audit::touching(c, &objects)?;
        Ok(SubjectReport {
            movements,
            stays,
            declarations,
            hits,
            holds,
            audit,
        })
    })
    .await
}
