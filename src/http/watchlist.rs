//! `/watchlist` and `/alert-hits`: the police's alerts and what they caught.

use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiQuery};
use crate::app::AppState;
use crate::domain::paging::PageSize;
use crate::domain::poe::PoeCode;
use crate::domain::time::{self, parse_date, start_of_local_day};
use crate::domain::validation::ValidationErrors;
use crate::domain::watchlist::{Acknowledgement, AlertInput, NewAlert};
use crate::error::Result;
use crate::service::{Caller, hit_stream, watchlist as service};
use crate::store::watchlist::{AlertRow, HitDetail};

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

/// The traveller of a hit, as the movement recorded them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = HitTraveller)]
pub struct HitTraveller {
    /// Document type.
    pub document_type: String,
    /// Document number (normalised).
    pub document_number: String,
    /// Issuing state.
    pub issuing_state: String,
    /// Nationality.
    pub nationality: String,
    /// Surname.
    pub surname: String,
    /// Given names.
    pub given_names: String,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// Sex.
    pub sex: String,
}

/// How the police dealt with a hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcknowledgementView {
    /// When.
    pub at: DateTime<Utc>,
    /// By whom.
    pub by: Option<String>,
    /// What came of it (none for hits acknowledged before outcomes were asked for).
    #[schema(value_type = Option<crate::domain::watchlist::Outcome>)]
    pub outcome: Option<String>,
    /// The police's note.
    pub note: Option<String>,
}

/// A hit, for the police: enough to act on without another look-up.
#[derive(Debug, Serialize, ToSchema)]
pub struct HitView {
    /// Id.
    pub id: String,
    /// The stream's cursor (`id:` of its event).
    pub seq: i64,
    /// The movement (police may read it: `GET /movements/{id}`).
    pub movement_id: String,
    /// The alert.
    pub alert_id: String,
    /// Why the police want to know.
    #[schema(value_type = crate::domain::watchlist::Category)]
    pub category: String,
    /// What the post was asked to do.
    #[schema(value_type = crate::domain::watchlist::Action)]
    pub action: String,
    /// `document` or `person`.
    #[schema(value_type = crate::domain::watchlist::MatchedBy)]
    pub matched_by: String,
    /// Where.
    pub poe: String,
    /// `entry` or `exit`.
    #[schema(value_type = crate::domain::movement::Direction)]
    pub direction: String,
    /// When the crossing occurred.
    pub occurred_at: DateTime<Utc>,
    /// When the movement was recorded (the hit with it).
    pub created_at: DateTime<Utc>,
    /// The traveller.
    pub traveller: HitTraveller,
    /// The vehicle, when there was one.
    pub vehicle: Option<super::movements::VehicleView>,
    /// How the police dealt with it; none while open.
    pub acknowledgement: Option<AcknowledgementView>,
    /// Acknowledged (same as `acknowledgement.at`; kept for older clients).
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// By whom (kept for older clients).
    pub acknowledged_by: Option<String>,
}

impl From<HitDetail> for HitView {
    fn from(d: HitDetail) -> Self {
        let (h, m) = (d.hit, d.movement);
        let vehicle = match (
            m.vehicle_registration,
            m.vehicle_country,
            m.vehicle_category,
        ) {
            (Some(registration), Some(country), Some(category)) => {
                Some(super::movements::VehicleView {
                    registration,
                    country,
                    category,
                })
            }
            _ => None,
        };
        Self {
            acknowledgement: h.acknowledged_at.map(|at| AcknowledgementView {
                at: at.and_utc(),
                by: h.acknowledged_by.clone(),
                outcome: h.outcome.as_ref().map(|o| o.0.as_str().to_owned()),
                note: h.note.clone(),
            }),
            id: h.id,
            seq: h.seq,
            movement_id: h.movement_id,
            alert_id: h.alert_id,
            category: d.category.as_str().to_owned(),
            action: h.action.as_str().to_owned(),
            matched_by: d.matched_by.as_str().to_owned(),
            poe: h.poe.to_string(),
            direction: m.direction.as_str().to_owned(),
            occurred_at: h.occurred_at.and_utc(),
            created_at: h.created_at.and_utc(),
            traveller: HitTraveller {
                document_type: m.document_type.as_str().to_owned(),
                document_number: m.document_number,
                issuing_state: m.issuing_state.to_string(),
                nationality: m.nationality.to_string(),
                surname: m.surname,
                given_names: m.given_names,
                date_of_birth: m.date_of_birth,
                sex: m.sex.as_str().to_owned(),
            },
            vehicle,
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

/// `POST /alert-hits/{id}/acknowledge`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeRequest {
    /// What came of it.
    #[schema(value_type = crate::domain::watchlist::Outcome, example = "intercepted")]
    pub outcome: String,
    /// What happened, for the record: at most 1,000 characters.
    #[schema(max_length = 1000, example = "Held at the desk; handed to CID Maseru")]
    pub note: Option<String>,
}

/// Acknowledge a hit (the police have dealt with it), saying what came of it.
#[utoipa::path(post, operation_id = "acknowledge_hit", path = "/api/v1/alert-hits/{id}/acknowledge", tag = "watchlist", request_body = AcknowledgeRequest, security(("bearer" = [])),
    params(("id" = String, Path, description = "Hit id")),
    responses((status = 200, body = HitView), (status = 404, body = super::error::Problem), (status = 409, description = "Acknowledged already", body = super::error::Problem), (status = 422, body = super::error::Problem)))]
pub async fn acknowledge(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    ApiJson(body): ApiJson<AcknowledgeRequest>,
) -> Result<web::Json<HitView>> {
    let ack = Acknowledgement::parse(&body.outcome, body.note.as_deref())?;
    let hit = service::acknowledge(&state.ctx, &caller, id.into_inner(), ack).await?;
    Ok(web::Json(hit.into()))
}

/// One Server-Sent Event of a hit.
fn hit_event(hit: HitDetail) -> Bytes {
    let seq = hit.hit.seq;
    let data = serde_json::to_string(&HitView::from(hit)).unwrap_or_else(|_| "{}".to_owned());
    Bytes::from(format!("id: {seq}\nevent: hit\ndata: {data}\n\n"))
}

/// What the live part of a stream waits for.
enum Next {
    Hit(Option<std::sync::Arc<HitDetail>>),
    Quiet,
}

/// Hits at your posts as they are recorded, as Server-Sent Events (`text/event-stream`): each
/// event has `id:` (the hit's `seq`), `event: hit` and `data:` (the hit, as in `GET
/// /alert-hits`). Reconnect with `Last-Event-ID` to be sent first the hits you missed. A
/// comment line (`: heartbeat`) follows every 15 s without an event. A client that falls
/// behind is disconnected (and replayed on reconnect); it never slows recording.
#[utoipa::path(get, operation_id = "stream_hits", path = "/api/v1/alert-hits/stream", tag = "watchlist", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<i64>, Header, description = "The `id:` of the last event received: the hits after it are sent first", minimum = 0)),
    responses((status = 200, description = "An endless stream of hits", content_type = "text/event-stream", body = String),
        (status = 422, description = "A bad Last-Event-ID", body = super::error::Problem)))]
pub async fn stream(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let last_event_id = match req.headers().get("last-event-id") {
        None => None,
        Some(v) => match v.to_str().ok().and_then(|s| s.trim().parse::<i64>().ok()) {
            Some(n) if n >= 0 => Some(n),
            _ => {
                return Err(ValidationErrors::one(
                    "Last-Event-ID",
                    "must be the id of an event of this stream (a whole number)",
                )
                .into());
            }
        },
    };
    let sub = hit_stream::subscribe(&state.ctx, &caller, last_event_id).await?;
    let every = Duration::from_secs(state.settings().alerts.stream_heartbeat_secs);
    let opening = std::iter::once(Bytes::from_static(b"retry: 2000\n: connected\n\n"))
        .chain(sub.replay.into_iter().map(hit_event))
        .map(Ok::<Bytes, actix_web::Error>);
    let live = futures_util::stream::unfold(
        (sub.live, sub.replayed),
        move |(mut rx, replayed)| async move {
            loop {
                let next = {
                    let recv = std::pin::pin!(rx.recv());
                    let quiet = std::pin::pin!(actix_web::rt::time::sleep(every));
                    match futures_util::future::select(recv, quiet).await {
                        futures_util::future::Either::Left((hit, _)) => Next::Hit(hit),
                        futures_util::future::Either::Right(_) => Next::Quiet,
                    }
                };
                match next {
                    // Dropped (fell behind, or the node lost its listener): the client
                    // reconnects with Last-Event-ID.
                    Next::Hit(None) => return None,
                    Next::Hit(Some(hit)) if replayed.contains(&hit.hit.id) => continue,
                    Next::Hit(Some(hit)) => {
                        let event = hit_event((*hit).clone());
                        return Some((Ok(event), (rx, replayed)));
                    }
                    Next::Quiet => {
                        return Some((Ok(Bytes::from_static(b": heartbeat\n\n")), (rx, replayed)));
                    }
                }
            }
        },
    );
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(futures_util::stream::iter(opening).chain(live)))
}
