//! `/travellers/history`: every movement of one document, national, for immigration and
//! police (police state a reason, which goes into the audit log with the read).

use actix_web::web;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiQuery};
use super::movements::MovementView;
use crate::app::AppState;
use crate::domain::search::{SearchInput, TravellerQuery};
use crate::domain::stays::overstayed;
use crate::domain::time::{local_time, local_today};
use crate::domain::traveller::{DocumentNumber, StateCode};
use crate::domain::validation::ValidationErrors;
use crate::error::Result;
use crate::service::{Caller, travellers as service};
use crate::store::stays::StayRow;

/// `GET /travellers/history`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Issuing state (ICAO code).
    #[param(required = true, value_type = crate::domain::traveller::StateCode)]
    pub issuing_state: Option<String>,
    /// Document number: 1 to 20 letters and digits; spaces, hyphens and `<` are ignored.
    #[param(required = true, pattern = "^[ <-]*([A-Za-z0-9][ <-]*){1,20}$")]
    pub document_number: Option<String>,
    /// Why you look, recorded in the audit log: at most 500 characters; required of police,
    /// with at least 5. Kept for compatibility: prefer `POST /travellers/search`, which takes
    /// the reason in its body (this one is never logged, but a URL travels through proxies).
    #[param(max_length = 500)]
    pub reason: Option<String>,
}

/// A stay (visitor) or trip (citizen) of the document.
#[derive(Debug, Serialize, ToSchema)]
pub struct StayView {
    /// `visit` (a non-citizen in Lesotho) or `trip` (a citizen abroad).
    pub kind: String,
    /// The movement that opened it.
    pub opening_movement_id: String,
    /// When it opened.
    pub opened_at: chrono::DateTime<Utc>,
    /// Where.
    pub opened_poe: String,
    /// The movement that closed it.
    pub closing_movement_id: Option<String>,
    /// When it closed.
    pub closed_at: Option<chrono::DateTime<Utc>>,
    /// Where.
    pub closed_poe: Option<String>,
    /// Last authorised day (visits).
    pub ends_on: Option<NaiveDate>,
    /// Days from opening to closing (or to today while open).
    pub days: i64,
    /// Open past its end, or closed after it.
    pub overstayed: bool,
}

impl StayView {
    /// The view of a stored stay, judged on `today` (local).
    pub fn of(row: StayRow, today: NaiveDate) -> Self {
        let opened_on = local_time(row.opened_at).date();
        let until = row.closed_on.unwrap_or(today);
        Self {
            overstayed: overstayed(row.ends_on, row.closed_on, today),
            days: (until - opened_on).num_days(),
            kind: row.kind,
            opening_movement_id: row.opening_id,
            opened_at: row.opened_at.and_utc(),
            opened_poe: row.opened_poe,
            closing_movement_id: row.closing_id,
            closed_at: row.closed_at.map(|t| t.and_utc()),
            closed_poe: row.closed_poe,
            ends_on: row.ends_on,
        }
    }
}

/// A document's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    /// Issuing state.
    pub issuing_state: String,
    /// Document number (normalised).
    pub document_number: String,
    /// Every movement, oldest first, at every POE; voided ones marked.
    pub movements: Vec<MovementView>,
    /// Stays (visitors) or trips abroad (citizens), oldest first.
    pub stays: Vec<StayView>,
}

/// Every movement of one document, oldest first, at every POE.
#[utoipa::path(get, operation_id = "traveller_history", path = "/api/v1/travellers/history", tag = "travellers", params(HistoryQuery), security(("bearer" = [])),
    responses((status = 200, body = History), (status = 422, description = "Missing document, or police without a reason", body = super::error::Problem)))]
pub async fn history(
    state: web::Data<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<web::Json<History>> {
    let mut e = ValidationErrors::default();
    let issuing_state = match &q.issuing_state {
        Some(s) => e.take("issuing_state", StateCode::parse(s)),
        None => {
            e.push("issuing_state", "is required");
            None
        }
    };
    let number = match &q.document_number {
        Some(n) => e.take("document_number", DocumentNumber::parse(n)),
        None => {
            e.push("document_number", "is required");
            None
        }
    };
    let reason = e.take("", service::lookup_reason(&caller, q.reason.as_deref()));
    let (Some(issuing_state), Some(number), Some(reason), true) =
        (issuing_state, number, reason, e.is_empty())
    else {
        return Err(e.into());
    };
    let found = service::history(
        &state.ctx,
        &caller,
        issuing_state.clone(),
        number.clone(),
        reason,
    )
    .await?;
    Ok(web::Json(History::of(found, local_today())))
}

impl History {
    fn of(mut found: service::History, today: NaiveDate) -> Self {
        Self {
            issuing_state: found.issuing_state,
            document_number: found.document_number,
            movements: found
                .movements
                .into_iter()
                .map(|r| {
                    let alert = found.alerts.remove(&r.id);
                    MovementView::with_alert(r, alert)
                })
                .collect(),
            stays: found
                .stays
                .into_iter()
                .map(|s| StayView::of(s, today))
                .collect(),
        }
    }
}

/// The documents a search found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    /// Each document with its movements (oldest first) and stays; by person, the most
    /// recently used document first, at most 50.
    pub documents: Vec<History>,
}

/// Find a traveller by document, or by surname, given names and date of birth (names compare
/// as person alerts do: case, spaces, hyphens, apostrophes and diacritics aside, given names in
/// any order, one in common). The reason travels in the body, never in a URL, and is kept in
/// the audit log with the search.
#[utoipa::path(post, operation_id = "search_travellers", path = "/api/v1/travellers/search", tag = "travellers", request_body = SearchInput, security(("bearer" = [])),
    responses((status = 200, body = SearchResult), (status = 422, description = "Neither a document nor a person, or police without a reason", body = super::error::Problem)))]
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SearchInput>,
) -> Result<web::Json<SearchResult>> {
    let mut e = ValidationErrors::default();
    let query = e.take("", TravellerQuery::parse(&body));
    let reason = e.take("", service::lookup_reason(&caller, body.reason.as_deref()));
    let (Some(query), Some(reason), true) = (query, reason, e.is_empty()) else {
        return Err(e.into());
    };
    let found = service::search(&state.ctx, &caller, query, reason).await?;
    let today = local_today();
    Ok(web::Json(SearchResult {
        documents: found.into_iter().map(|h| History::of(h, today)).collect(),
    }))
}
