//! `/watchlist` and `/alert-hits`: the police's alerts and what they caught.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiQuery};
use crate::app::AppState;
use crate::domain::paging::PageSize;
use crate::domain::poe::PoeCode;
use crate::domain::time::{self, parse_date, start_of_local_day};
use crate::domain::validation::ValidationErrors;
use crate::domain::watchlist::{AlertInput, NewAlert};
use crate::error::Result;
use crate::service::{Caller, watchlist as service};
use crate::store::watchlist::{AlertRow, HitRow};

/// An alert as the police see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    /// Id.
    pub id: String,
    /// `document` or `person`.
    pub kind: String,
    /// Document alerts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuing_state: Option<String>,
    /// Document alerts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_number: Option<String>,
    /// Person alerts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// Person alerts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_names: Option<String>,
    /// Person alerts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    /// Category.
    pub category: String,
    /// What the post is asked to do.
    pub action: String,
    /// The police's reason.
    pub reason: String,
    /// When it lapses.
    pub expires_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// By whom.
    pub created_by: String,
    /// Removed (kept for the record).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<DateTime<Utc>>,
    /// Whether it is live now.
    pub live: bool,
}

impl AlertView {
    fn of(r: AlertRow, now: chrono::NaiveDateTime) -> Self {
        Self {
            live: r.removed_at.is_none() && r.expires_at.is_none_or(|e| e > now),
            id: r.id,
            kind: r.kind,
            issuing_state: r.issuing_state,
            document_number: r.document_number,
            surname: r.surname,
            given_names: r.given_names,
            date_of_birth: r.date_of_birth,
            category: r.category.as_str().to_owned(),
            action: r.action.as_str().to_owned(),
            reason: r.reason,
            expires_at: r.expires_at.map(|t| t.and_utc()),
            created_at: r.created_at.and_utc(),
            created_by: r.created_by,
            removed_at: r.removed_at.map(|t| t.and_utc()),
        }
    }
}

/// Alerts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertList {
    /// Newest first.
    pub items: Vec<AlertView>,
}

/// `GET /watchlist`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WatchlistQuery {
    /// `live` (default) or `all` (removed and lapsed ones too).
    #[param(value_type = Option<crate::domain::schemas::WatchlistShow>)]
    pub show: Option<String>,
}

/// The watchlist.
#[utoipa::path(get, operation_id = "list_alerts", path = "/api/v1/watchlist", tag = "watchlist", params(WatchlistQuery), security(("bearer" = [])),
    responses((status = 200, body = AlertList), (status = 422, body = super::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<WatchlistQuery>,
) -> Result<web::Json<AlertList>> {
    let live_only = match q.show.as_deref() {
        None | Some("live") => true,
        Some("all") => false,
        Some(_) => return Err(ValidationErrors::one("show", "must be live or all").into()),
    };
    let rows = service::list(&state.ctx, &caller, live_only).await?;
    let now = time::now();
    Ok(web::Json(AlertList {
        items: rows.into_iter().map(|r| AlertView::of(r, now)).collect(),
    }))
}

/// Put a document or a person on the watchlist. Every movement is checked against it as it is
/// recorded; a match is still recorded, answers with the action only, and leaves a hit.
#[utoipa::path(post, operation_id = "create_alert", path = "/api/v1/watchlist", tag = "watchlist", request_body = AlertInput, security(("bearer" = [])),
    responses((status = 201, body = AlertView, links(
        ("RecordMatchingMovement" = (operation_id = "record_movement", request_body = json!({"traveller": {
            "issuing_state": "$response.body#/issuing_state",
            "document_number": "$response.body#/document_number",
        }}))),
        ("ListHitsOfAlert" = (operation_id = "list_hits", parameters(("query.alert_id" = "$response.body#/id")))),
        ("RemoveAlert" = (operation_id = "remove_alert", parameters(("path.id" = "$response.body#/id")))),
    )), (status = 422, body = super::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<AlertInput>,
) -> Result<HttpResponse> {
    let alert = NewAlert::parse(body, Utc::now())?;
    let row = service::add(&state.ctx, caller.actor(), alert).await?;
    Ok(HttpResponse::Created().json(AlertView::of(row, time::now())))
}

/// Take an alert off the watchlist. It is kept, marked removed, and the removal is audited.
#[utoipa::path(delete, operation_id = "remove_alert", path = "/api/v1/watchlist/{id}", tag = "watchlist", security(("bearer" = [])),
    params(("id" = String, Path, description = "Alert id")),
    responses((status = 204, description = "Removed"), (status = 404, body = super::error::Problem)))]
pub async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    service::remove(&state.ctx, &caller, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A hit, for the police.
#[derive(Debug, Serialize, ToSchema)]
pub struct HitView {
    /// Id.
    pub id: String,
    /// The alert.
    pub alert_id: String,
    /// The movement.
    pub movement_id: String,
    /// Where.
    pub poe: String,
    /// When the crossing occurred.
    pub occurred_at: DateTime<Utc>,
    /// The action shown at the post.
    pub action: String,
    /// Recorded.
    pub created_at: DateTime<Utc>,
    /// Acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// By whom.
    pub acknowledged_by: Option<String>,
}

impl From<HitRow> for HitView {
    fn from(h: HitRow) -> Self {
        Self {
            id: h.id,
            alert_id: h.alert_id,
            movement_id: h.movement_id,
            poe: h.poe.to_string(),
            occurred_at: h.occurred_at.and_utc(),
            action: h.action.as_str().to_owned(),
            created_at: h.created_at.and_utc(),
            acknowledged_at: h.acknowledged_at.map(|t| t.and_utc()),
            acknowledged_by: h.acknowledged_by,
        }
    }
}

/// Hits.
#[derive(Debug, Serialize, ToSchema)]
pub struct HitList {
    /// Newest crossing first.
    pub items: Vec<HitView>,
}

/// `GET /alert-hits`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HitsQuery {
    /// Only this POE (default: every POE you are posted at).
    #[param(value_type = Option<crate::domain::poe::PoeCode>)]
    pub poe: Option<String>,
    /// Only crossings on this local date.
    #[param(value_type = Option<crate::domain::schemas::LocalDate>)]
    pub date: Option<String>,
    /// Only this alert.
    pub alert_id: Option<String>,
    /// `true`: only hits not yet acknowledged.
    pub unacknowledged: Option<bool>,
    /// At most this many (1–500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Watchlist hits at your POEs.
#[utoipa::path(get, operation_id = "list_hits", path = "/api/v1/alert-hits", tag = "watchlist", params(HitsQuery), security(("bearer" = [])),
    responses((status = 200, body = HitList, links(
        ("AcknowledgeHit" = (operation_id = "acknowledge_hit", parameters(("path.id" = "$response.body#/items/0/id")))),
        ("GetHitMovement" = (operation_id = "get_movement", parameters(("path.id" = "$response.body#/items/0/movement_id")))),
    )), (status = 403, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
pub async fn hits(
    state: web::Data<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<HitsQuery>,
) -> Result<web::Json<HitList>> {
    let mut e = ValidationErrors::default();
    let poe = q
        .poe
        .as_deref()
        .and_then(|p| e.take("poe", PoeCode::parse(p)));
    let date = q.date.as_deref().and_then(|d| {
        e.take(
            "",
            parse_date("date", d)
                .map_err(|_| ValidationErrors::one("date", "must be a local date, YYYY-MM-DD")),
        )
    });
    let limit = e.take(
        "",
        PageSize::parse(q.limit, state.settings().movements.max_page_size),
    );
    let (Some(limit), true) = (limit, e.is_empty()) else {
        return Err(e.into());
    };
    let query = service::HitsQuery {
        poe,
        between: date.map(|d| {
            let start = start_of_local_day(d);
            (start, start + chrono::Duration::days(1))
        }),
        alert_id: q.alert_id,
        unacknowledged: q.unacknowledged.unwrap_or(false),
        limit,
    };
    let rows = service::hits(&state.ctx, &caller, query).await?;
    Ok(web::Json(HitList {
        items: rows.into_iter().map(HitView::from).collect(),
    }))
}

/// Acknowledge a hit (the police have dealt with it).
#[utoipa::path(post, operation_id = "acknowledge_hit", path = "/api/v1/alert-hits/{id}/acknowledge", tag = "watchlist", security(("bearer" = [])),
    params(("id" = String, Path, description = "Hit id")),
    responses((status = 200, body = HitView), (status = 404, body = super::error::Problem), (status = 409, description = "Acknowledged already", body = super::error::Problem)))]
pub async fn acknowledge(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<HitView>> {
    let hit = service::acknowledge(&state.ctx, &caller, id.into_inner()).await?;
    Ok(web::Json(hit.into()))
}
