//! A traveller's national history: every movement of one document and its stays, for
//! immigration and police (police state a reason, which the audit log keeps with the read).

use std::collections::{BTreeMap, HashMap};

use super::{Caller, Context};
use crate::domain::audit::AuditEvent;
use crate::domain::names::FoldedName;
use crate::domain::search::TravellerQuery;
use crate::domain::time;
use crate::domain::traveller::{DocumentNumber, StateCode};
use crate::domain::user::Role;
use crate::domain::validation::ValidationErrors;
use crate::domain::watchlist::OfficerAlert;
use crate::error::Result;
use crate::store::{self, movements::MovementRow, stays::StayRow};

/// A document's history.
#[derive(Debug)]
pub struct History {
    /// Issuing state.
    pub issuing_state: String,
    /// Number.
    pub document_number: String,
    /// Every movement, oldest first, at every POE; voided ones marked.
    pub movements: Vec<MovementRow>,
    /// Stays (visitors) or trips abroad (citizens), oldest first.
    pub stays: Vec<StayRow>,
    /// What the watchlist asked of the officers, per movement id.
    pub alerts: HashMap<String, OfficerAlert>,
}

/// Most documents one search by person answers.
pub const MAX_DOCUMENTS: usize = 50;

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

/// At an edge, what HQ adds to a traveller's history or a search.
#[derive(Debug, Clone, PartialEq)]
pub enum FromHq {
    /// This node is HQ: its answer is whole.
    NotAnEdge,
    /// HQ's answer (the JSON of `POST /travellers/search`), to merge with the post's records.
    Answered(serde_json::Value),
    /// HQ could not be asked (no HQ session for the caller, HQ out of reach) or did not
    /// answer in time: the answer is the post's records only.
    Unanswered,
}

impl FromHq {
    async fn ask(
        ctx: &Context,
        caller: &Caller,
        query: &TravellerQuery,
        reason: Option<String>,
    ) -> Self {
        if ctx.edge.is_none() {
            return Self::NotAnEdge;
        }
        match super::edges::search_at_hq(ctx, caller, query, reason).await {
            Some(answer) => Self::Answered(answer),
            None => Self::Unanswered,
        }
    }
}

/// Every movement and stay of one document, national; at an edge, with HQ's answer to merge.
/// Audited with the document looked up and the reason given (checked with [`lookup_reason`]).
pub async fn history(
    ctx: &Context,
    caller: &Caller,
    issuing_state: StateCode,
    number: DocumentNumber,
    reason: Option<String>,
) -> Result<(History, FromHq)> {
    let query = TravellerQuery::Document {
        issuing_state: issuing_state.clone(),
        document_number: number.clone(),
    };
    let here = history_here(ctx, caller, issuing_state, number, reason.clone()).await?;
    Ok((here, FromHq::ask(ctx, caller, &query, reason).await))
}

async fn history_here(
    ctx: &Context,
    caller: &Caller,
    issuing_state: StateCode,
    number: DocumentNumber,
    reason: Option<String>,
) -> Result<History> {
    let (actor, principal) = (caller.actor(), caller.principal.clone());
    let (st, num) = (issuing_state.to_string(), number.as_str().to_owned());
    ctx.write(move |c| {
        let movements = store::movements::of_document(c, &st, &num)?;
        let stays = store::stays::of_document(c, &st, &num)?;
        let alerts = super::movements::alerts_for(c, &principal, &movements)?;
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
        Ok(History {
            issuing_state: st,
            document_number: num,
            movements,
            stays,
            alerts,
        })
    })
    .await
}

/// The documents a search finds, each with every movement (oldest first) and stay: one
/// document, or every document whose holder has the same date of birth and a name that
/// compares equal (case, spaces, hyphens, apostrophes, diacritics; given names in any order),
/// at most [`MAX_DOCUMENTS`], most recently used first. Audited with what was looked for and
/// the reason (checked with [`lookup_reason`]).
pub async fn search(
    ctx: &Context,
    caller: &Caller,
    query: TravellerQuery,
    reason: Option<String>,
) -> Result<(Vec<History>, FromHq)> {
    let here = search_here(ctx, caller, query.clone(), reason.clone()).await?;
    Ok((here, FromHq::ask(ctx, caller, &query, reason).await))
}

/// [`search`] in this node's own records.
async fn search_here(
    ctx: &Context,
    caller: &Caller,
    query: TravellerQuery,
    reason: Option<String>,
) -> Result<Vec<History>> {
    let (actor, principal) = (caller.actor(), caller.principal.clone());
    ctx.write(move |c| {
        let (documents, object) = match &query {
            TravellerQuery::Document {
                issuing_state,
                document_number,
            } => (
                vec![(
                    issuing_state.to_string(),
                    document_number.as_str().to_owned(),
                )],
                format!("document:{issuing_state}/{}", document_number.as_str()),
            ),
            TravellerQuery::Person {
                surname,
                given_names,
                date_of_birth,
                nationality,
            } => {
                let wanted = FoldedName::new(surname.as_str(), given_names.as_str());
                // Per document, when it was last used.
                let mut found: BTreeMap<(String, String), chrono::NaiveDateTime> = BTreeMap::new();
                for m in store::movements::born_on(c, *date_of_birth)? {
                    let same_nationality = nationality.as_ref().is_none_or(|n| *n == m.nationality);
                    if same_nationality
                        && wanted.matches(&FoldedName::new(&m.surname, &m.given_names))
                    {
                        let last = found
                            .entry((m.issuing_state.to_string(), m.document_number.clone()))
                            .or_insert(m.occurred_at);
                        *last = (*last).max(m.occurred_at);
                    }
                }
                let mut documents: Vec<_> = found.into_iter().collect();
                documents.sort_by_key(|d| std::cmp::Reverse(d.1));
                documents.truncate(MAX_DOCUMENTS);
                (
                    documents.into_iter().map(|(d, _)| d).collect(),
                    format!(
                        "person:{}/{}/{}{}",
                        surname.as_str(),
                        given_names.as_str(),
                        date_of_birth,
                        nationality
                            .as_ref()
                            .map(|n| format!("/{n}"))
                            .unwrap_or_default()
                    ),
                )
            }
        };
        let mut out = Vec::with_capacity(documents.len());
        for (st, num) in documents {
            let movements = store::movements::of_document(c, &st, &num)?;
            if movements.is_empty() {
                continue;
            }
            let stays = store::stays::of_document(c, &st, &num)?;
            let alerts = super::movements::alerts_for(c, &principal, &movements)?;
            out.push(History {
                issuing_state: st,
                document_number: num,
                movements,
                stays,
                alerts,
            });
        }
        store::audit::append(
            c,
            &actor,
            time::now(),
            &[AuditEvent::with_reason("traveller.search", object, reason)],
        )?;
        Ok(out)
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
