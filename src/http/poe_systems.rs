//! `/poe-systems`: registering and revoking automated POE systems (admins).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::ApiJson;
use crate::app::AppState;
use crate::domain::poe::PoeCode;
use crate::domain::validation::ValidationErrors;
use crate::error::Result;
use crate::service::Caller;
use crate::service::poe_systems as service;
use crate::store::poe_systems::PoeSystemRow;

/// The answer to a registration: the secret appears here once and is never shown again.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoeSystemCredentials {
    /// Registration id (for revocation).
    pub id: String,
    /// Client id for `POST /auth/token`.
    pub client_id: String,
    /// Client secret for `POST /auth/token`: store it in the device now.
    pub client_secret: String,
    /// Its POE.
    pub poe: String,
}

impl From<service::PoeSystemCredentials> for PoeSystemCredentials {
    fn from(c: service::PoeSystemCredentials) -> Self {
        Self {
            id: c.id,
            client_id: c.client_id,
            client_secret: c.client_secret,
            poe: c.poe,
        }
    }
}

/// `POST /poe-systems`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePoeSystem {
    /// The POE the system pushes for.
    #[schema(value_type = crate::domain::schemas::RegisteredPoe, example = "MSU")]
    pub poe: String,
    /// What it is, e.g. "e-gate 3, arrivals hall": at most 200 characters.
    #[serde(default)]
    #[schema(max_length = 200, example = "e-gate 3, arrivals hall")]
    pub label: String,
}

/// A registered system (no secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct PoeSystemView {
    /// Registration id.
    pub id: String,
    /// Client id.
    pub client_id: String,
    /// POE.
    pub poe: String,
    /// Label.
    pub label: String,
    /// Registered.
    pub created_at: DateTime<Utc>,
    /// Revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Registered systems.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoeSystemList {
    /// Newest first.
    pub items: Vec<PoeSystemView>,
}

impl From<PoeSystemRow> for PoeSystemView {
    fn from(r: PoeSystemRow) -> Self {
        Self {
            id: r.id,
            client_id: r.client_id,
            poe: r.poe,
            label: r.label,
            created_at: r.created_at.and_utc(),
            revoked_at: r.revoked_at.map(|t| t.and_utc()),
        }
    }
}

/// The post and label of a machine credential asked for (a POE system's, an edge's): a POE
/// code, and a label of at most 200 characters (trimmed).
pub fn machine_at_post(poe: &str, label: &str) -> Result<(PoeCode, String), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let poe = PoeCode::parse(poe)
        .map_err(|e| errors.extend_prefixed("poe", e))
        .ok();
    if label.chars().count() > 200 {
        errors.push("label", "must be at most 200 characters");
    }
    match poe {
        Some(poe) if errors.is_empty() => Ok((poe, label.trim().to_owned())),
        _ => Err(errors),
    }
}

/// Registered POE systems.
#[utoipa::path(get, operation_id = "list_poe_systems", path = "/api/v1/poe-systems", tag = "poe-systems", security(("bearer" = [])),
    responses((status = 200, body = PoeSystemList)))]
pub async fn list(state: web::Data<AppState>) -> Result<web::Json<PoeSystemList>> {
    let rows = service::list(&state.ctx).await?;
    Ok(web::Json(PoeSystemList {
        items: rows.into_iter().map(PoeSystemView::from).collect(),
    }))
}

/// Register a POE system; the answer holds its secret, shown this once.
#[utoipa::path(post, operation_id = "create_poe_system", path = "/api/v1/poe-systems", tag = "poe-systems", request_body = CreatePoeSystem, security(("bearer" = [])),
    responses((status = 201, body = PoeSystemCredentials), (status = 422, body = super::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreatePoeSystem>,
) -> Result<HttpResponse> {
    let (poe, label) = machine_at_post(&body.poe, &body.label)?;
    let creds = service::register(&state.ctx, caller.actor(), poe, label).await?;
    Ok(HttpResponse::Created().json(PoeSystemCredentials::from(creds)))
}

/// Revoke a POE system: its tokens stop working at once.
#[utoipa::path(delete, operation_id = "revoke_poe_system", path = "/api/v1/poe-systems/{id}", tag = "poe-systems", security(("bearer" = [])),
    params(("id" = String, Path, description = "Registration id")),
    responses((status = 204, description = "Revoked"), (status = 404, body = super::error::Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    service::revoke(&state.ctx, caller.actor(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
