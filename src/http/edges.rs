//! Posts that go offline: `/edges` (admins at HQ issue, list and revoke edge credentials),
//! `/edge/sync` and `/edge/movements` (an edge's credential only: what it pulls down and
//! what it forwards), `/edge/status` (at an edge, any signed-in user).

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiQuery, ClientInfo};
use crate::app::AppState;
use crate::domain::edge::{ForwardedAnswer, ForwardedBatch, SyncPackage};
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::service::Caller;
use crate::service::edges::{self as service, EdgeCaller};
use crate::store::edges::EdgeRow;

/// The edge authenticated by the access middleware, and where the request came from.
impl FromRequest for EdgeCaller {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let edge = req.extensions().get::<EdgeCaller>().cloned();
        std::future::ready(match edge {
            Some(mut e) => {
                e.client = ClientInfo::of(req);
                Ok(e)
            }
            None => Err(Error::Unauthenticated(
                "an edge's access token is required".to_owned(),
            )),
        })
    }
}

/// `POST /edges`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEdge {
    /// The post the edge runs at.
    #[schema(value_type = crate::domain::schemas::RegisteredPoe, example = "SNP")]
    pub poe: String,
    /// What it is, e.g. "Sani Pass, office PC": at most 200 characters.
    #[serde(default)]
    #[schema(max_length = 200, example = "Sani Pass, office PC")]
    pub label: String,
}

/// The answer to issuing an edge credential: the secret appears here once.
#[derive(Debug, Serialize, ToSchema)]
pub struct EdgeCredentials {
    /// Edge id (for revocation).
    pub id: String,
    /// `edge.client_id` of the edge.
    pub client_id: String,
    /// `edge.client_secret` of the edge: put it into the edge's configuration now.
    pub client_secret: String,
    /// Its post.
    pub poe: String,
}

/// An edge as HQ knows it (no secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct EdgeView {
    /// Edge id.
    pub id: String,
    /// Client id.
    pub client_id: String,
    /// Its post.
    pub poe: String,
    /// Label.
    pub label: String,
    /// Issued.
    pub created_at: DateTime<Utc>,
    /// Revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Its last sync or forward.
    pub last_contact_at: Option<DateTime<Utc>>,
    /// Movements waiting at the edge, as it last said.
    pub last_backlog: Option<i64>,
}

impl From<EdgeRow> for EdgeView {
    fn from(r: EdgeRow) -> Self {
        Self {
            id: r.id,
            client_id: r.client_id,
            poe: r.poe,
            label: r.label,
            created_at: r.created_at.and_utc(),
            revoked_at: r.revoked_at.map(|t| t.and_utc()),
            last_contact_at: r.last_contact_at.map(|t| t.and_utc()),
            last_backlog: r.last_backlog,
        }
    }
}

/// The edges.
#[derive(Debug, Serialize, ToSchema)]
pub struct EdgeList {
    /// Newest first.
    pub items: Vec<EdgeView>,
}

/// Edge credentials issued, with each edge's last contact and backlog.
#[utoipa::path(get, operation_id = "list_edges", path = "/api/v1/edges", tag = "edges", security(("bearer" = [])),
    responses((status = 200, body = EdgeList)))]
pub async fn list(state: web::Data<AppState>) -> Result<web::Json<EdgeList>> {
    let rows = service::list(&state.ctx).await?;
    Ok(web::Json(EdgeList {
        items: rows.into_iter().map(EdgeView::from).collect(),
    }))
}

/// Issue a credential for an edge at a post; the answer holds its secret, shown this once.
#[utoipa::path(post, operation_id = "create_edge", path = "/api/v1/edges", tag = "edges", request_body = CreateEdge, security(("bearer" = [])),
    responses((status = 201, body = EdgeCredentials), (status = 422, body = super::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateEdge>,
) -> Result<HttpResponse> {
    let (poe, label) = super::poe_systems::machine_at_post(&body.poe, &body.label)?;
    let c = service::register(&state.ctx, caller.actor(), poe, label).await?;
    Ok(HttpResponse::Created().json(EdgeCredentials {
        id: c.id,
        client_id: c.client_id,
        client_secret: c.client_secret,
        poe: c.poe,
    }))
}

/// Revoke an edge: its tokens stop working at once and it receives nothing more.
#[utoipa::path(delete, operation_id = "revoke_edge", path = "/api/v1/edges/{id}", tag = "edges", security(("bearer" = [])),
    params(("id" = String, Path, description = "Edge id")),
    responses((status = 204, description = "Revoked"), (status = 404, body = super::error::Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    service::revoke(&state.ctx, caller.actor(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /edge/sync`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SyncQuery {
    /// The last watchlist change the edge holds (0 or absent: send all).
    #[param(minimum = 0)]
    pub since: Option<i64>,
    /// Movements waiting at the edge (shown to HQ's admins).
    #[param(minimum = 0)]
    pub backlog: Option<i64>,
}

/// What an edge pulls down: its post's accounts, the watchlist's changes, the POE registry.
#[utoipa::path(get, operation_id = "edge_sync", path = "/api/v1/edge/sync", tag = "edges", security(("bearer" = [])),
    params(SyncQuery),
    responses((status = 200, body = SyncPackage), (status = 422, body = super::error::Problem)))]
pub async fn sync(
    state: web::Data<AppState>,
    edge: EdgeCaller,
    ApiQuery(q): ApiQuery<SyncQuery>,
) -> Result<web::Json<SyncPackage>> {
    let since = q.since.unwrap_or(0);
    if since < 0 {
        return Err(ValidationErrors::one("since", "must not be negative").into());
    }
    if q.backlog.is_some_and(|b| b < 0) {
        return Err(ValidationErrors::one("backlog", "must not be negative").into());
    }
    Ok(web::Json(
        service::sync(&state.ctx, &edge, since, q.backlog).await?,
    ))
}

/// Movements recorded at an edge, forwarded in the order recorded; one result per item.
#[utoipa::path(post, operation_id = "edge_forward_movements", path = "/api/v1/edge/movements", tag = "edges", request_body = ForwardedBatch, security(("bearer" = [])),
    responses((status = 200, body = ForwardedAnswer), (status = 422, body = super::error::Problem)))]
pub async fn forward(
    state: web::Data<AppState>,
    edge: EdgeCaller,
    ApiJson(batch): ApiJson<ForwardedBatch>,
) -> Result<web::Json<ForwardedAnswer>> {
    Ok(web::Json(service::receive(&state.ctx, &edge, batch).await?))
}

/// A movement HQ refused, kept at the edge for an admin.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedView {
    /// The movement's id at the edge.
    pub id: String,
    /// HQ's reason.
    pub reason: String,
}

/// `GET /edge/status`
#[derive(Debug, Serialize, ToSchema)]
pub struct EdgeStatusView {
    /// Whether this node is an edge (at HQ: false, and the rest is empty).
    pub edge: bool,
    /// Movements recorded here that HQ has not answered for yet.
    pub backlog: i64,
    /// When the oldest of them was recorded.
    pub oldest_waiting: Option<DateTime<Utc>>,
    /// When the last package from HQ was taken in.
    pub last_sync: Option<DateTime<Utc>>,
    /// Whether HQ answered the last attempt (null at HQ).
    pub hq_reachable: Option<bool>,
    /// Movements HQ rejected, kept here.
    pub rejected: Vec<RejectedView>,
}

/// The edge's link to HQ: backlog, oldest waiting, last sync, whether HQ answers.
#[utoipa::path(get, operation_id = "edge_status", path = "/api/v1/edge/status", tag = "edges", security(("bearer" = [])),
    responses((status = 200, body = EdgeStatusView)))]
pub async fn status(state: web::Data<AppState>) -> Result<web::Json<EdgeStatusView>> {
    if !state.settings().edge.enabled() {
        return Ok(web::Json(EdgeStatusView {
            edge: false,
            backlog: 0,
            oldest_waiting: None,
            last_sync: None,
            hq_reachable: None,
            rejected: Vec::new(),
        }));
    }
    let s = service::status(&state.ctx).await?;
    Ok(web::Json(EdgeStatusView {
        edge: true,
        backlog: s.backlog,
        oldest_waiting: s.oldest_waiting,
        last_sync: s.last_sync,
        hq_reachable: Some(s.hq_reachable),
        rejected: s
            .rejected
            .into_iter()
            .map(|(id, reason)| RejectedView { id, reason })
            .collect(),
    }))
}
