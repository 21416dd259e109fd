//! Liveness and readiness probes.

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::error::{Error, Result};

/// Probe answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `live` or `ready`.
    pub status: &'static str,
    /// The backend, on readiness.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// The process is up.
#[utoipa::path(get, operation_id = "live", path = "/health/live", tag = "operations", responses((status = 200, body = Health)))]
pub async fn live() -> web::Json<Health> {
    web::Json(Health {
        status: "live",
        database: None,
    })
}

/// The database answers; 503 while it does not (and back to 200 by itself when it does).
#[utoipa::path(get, operation_id = "ready", path = "/health/ready", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = super::error::Problem)))]
pub async fn ready(state: web::Data<AppState>) -> Result<web::Json<Health>> {
    state
        .ctx
        .db
        .ping()
        .await
        .map_err(|e| Error::Unavailable(e.to_string()))?;
    Ok(web::Json(Health {
        status: "ready",
        database: Some(state.ctx.db.backend().as_str()),
    }))
}
