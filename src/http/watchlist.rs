//! `/watchlist` and `/alert-hits`: the police's alerts and what they caught.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiQuery, ClientInfo};
use crate::auth::Principal;
use crate::domain::audit::AuditEvent;
use crate::domain::movement::utc_of_local;
use crate::domain::poe::PoeCode;
use crate::domain::validation::ValidationErrors;
use crate::domain::watchlist::{AlertInput, NewAlert};
use crate::error::{Error, Result};
use crate::startup::AppState;
use crate::store::{
    self,
    watchlist::{AlertRow, HitFilter, HitRow},
};

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
            category: r.category,
            action: r.action,
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

fn actor(principal: &Principal, client: &ClientInfo) -> crate::domain::audit::Actor {
    principal.actor(client.addr_string(), client.request_id.clone())
}

/// The watchlist.
#[utoipa::path(get, operation_id = "list_alerts", path = "/api/v1/watchlist", tag = "watchlist", params(WatchlistQuery), security(("bearer" = [])),
    responses((status = 200, body = AlertList), (status = 422, body = super::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    client: ClientInfo,
    ApiQuery(q): ApiQuery<WatchlistQuery>,
) -> Result<web::Json<AlertList>> {
    let live_only = match q.show.as_deref() {
        None | Some("live") => true,
        Some("all") => false,
        Some(_) => return Err(ValidationErrors::one("show", "must be live or all").into()),
    };
    let now = store::now();
    let actor = actor(&principal, &client);
    let rows = state
        .db
        .write(move |c| {
            let rows = store::watchlist::list(c, live_only, now)?;
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::new("alert.list", "watchlist")],
            )?;
            Ok(rows)
        })
        .await?;
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
    principal: Principal,
    client: ClientInfo,
    ApiJson(body): ApiJson<AlertInput>,
) -> Result<HttpResponse> {
    let alert = NewAlert::parse(body, Utc::now())?;
    let row = crate::service::watchlist::add(&state.db, alert, actor(&principal, &client)).await?;
    let now = store::now();
    Ok(HttpResponse::Created().json(AlertView::of(row, now)))
}

/// Take an alert off the watchlist. It is kept, marked removed, and the removal is audited.
#[utoipa::path(delete, operation_id = "remove_alert", path = "/api/v1/watchlist/{id}", tag = "watchlist", security(("bearer" = [])),
    params(("id" = String, Path, description = "Alert id")),
    responses((status = 204, description = "Removed"), (status = 404, body = super::error::Problem)))]
pub async fn remove(
    state: web::Data<AppState>,
    principal: Principal,
    client: ClientInfo,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let now = store::now();
    let by = principal.display_name();
    let actor = actor(&principal, &client);
    let removed = state
        .db
        .write(move |c| {
            if !store::watchlist::remove(c, &id, now, &by)? {
                return Ok(false);
            }
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::new("alert.remove", format!("alert:{id}"))],
            )?;
            Ok(true)
        })
        .await?;
    if removed {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(Error::NotFound("no such alert on the watchlist".to_owned()))
    }
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
            poe: h.poe,
            occurred_at: h.occurred_at.and_utc(),
            action: h.action,
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
    principal: Principal,
    client: ClientInfo,
    ApiQuery(q): ApiQuery<HitsQuery>,
) -> Result<web::Json<HitList>> {
    let mut e = ValidationErrors::default();
    let poe = q
        .poe
        .as_deref()
        .and_then(|p| e.take("poe", PoeCode::parse(p)));
    let date =
        q.date
            .as_deref()
            .and_then(|d| match NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    e.push("date", "must be a local date, YYYY-MM-DD");
                    None
                }
            });
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        e.push("limit", "must be between 1 and 500");
    }
    if !e.is_empty() {
        return Err(e.into());
    }
    let poes = match poe {
        Some(p) if !principal.is_posted_at(&p) => {
            return Err(Error::Forbidden(format!("you are not posted at {p}")));
        }
        Some(p) => Some(vec![p.to_string()]),
        None => principal.postings.codes(),
    };
    let (from, to) = match date {
        Some(d) => {
            let start = utc_of_local(d.and_hms_opt(0, 0, 0).unwrap_or_default());
            (Some(start), Some(start + chrono::Duration::days(1)))
        }
        None => (None, None),
    };
    let filter = HitFilter {
        poes,
        alert_id: q.alert_id,
        from,
        to,
        unacknowledged: q.unacknowledged.unwrap_or(false),
    };
    let actor = actor(&principal, &client);
    let rows = state
        .db
        .write(move |c| {
            let rows = store::watchlist::hits(c, &filter, limit)?;
            store::audit::append(
                c,
                &actor,
                store::now(),
                &[AuditEvent::new("alert_hit.list", "alert_hits")],
            )?;
            Ok(rows)
        })
        .await?;
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
    principal: Principal,
    client: ClientInfo,
    id: web::Path<String>,
) -> Result<web::Json<HitView>> {
    let id = id.into_inner();
    let p = principal.clone();
    let by = principal.display_name();
    let actor = actor(&principal, &client);
    enum Acked {
        Done(Box<HitRow>),
        Missing,
        Already,
    }
    let outcome = state
        .db
        .write(move |c| {
            let Some(hit) = store::watchlist::hit(c, &id)? else {
                return Ok(Acked::Missing);
            };
            if !PoeCode::parse(&hit.poe).is_ok_and(|poe| p.is_posted_at(&poe)) {
                return Ok(Acked::Missing);
            }
            let now = store::now();
            if !store::watchlist::acknowledge(c, &id, now, &by)? {
                return Ok(Acked::Already);
            }
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::new(
                    "alert_hit.acknowledge",
                    format!("alert_hit:{id}"),
                )],
            )?;
            Ok(store::watchlist::hit(c, &id)?.map_or(Acked::Missing, |h| Acked::Done(Box::new(h))))
        })
        .await?;
    match outcome {
        Acked::Done(h) => Ok(web::Json((*h).into())),
        Acked::Missing => Err(Error::NotFound("no such hit at your posts".to_owned())),
        Acked::Already => Err(Error::Conflict(
            "the hit is acknowledged already".to_owned(),
        )),
    }
}
