//! Liveness and readiness probes.

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::error::Result;

/// Probe answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `live` or `ready`.
    pub status: &'static str,
    /// The backend, on readiness.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
    /// The read replica (`database.read_url`), on readiness when one is configured. Its
    /// being down never makes the node unready: statistics then read the primary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica: Option<ReplicaHealth>,
}

/// The read replica, as readiness found it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplicaHealth {
    /// `up`; `down` when it did not answer within a second; `not_a_replica` when
    /// `database.read_url` names a server that is not in recovery.
    #[schema(example = "up")]
    pub status: &'static str,
    /// Seconds behind the primary: 0 when it has replayed all it received, else the age of
    /// the last commit it replayed; absent when down or not known yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_seconds: Option<f64>,
}

/// The process is up.
#[utoipa::path(get, operation_id = "live", path = "/health/live", tag = "operations", responses((status = 200, body = Health)))]
pub async fn live() -> web::Json<Health> {
    web::Json(Health {
        status: "live",
        database: None,
        replica: None,
    })
}

/// The database answers; 503 while it does not (and back to 200 by itself when it does).
/// A read replica, when configured, is reported with its lag, up or down.
#[utoipa::path(get, operation_id = "ready", path = "/health/ready", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = super::error::Problem)))]
pub async fn ready(state: web::Data<AppState>) -> Result<web::Json<Health>> {
    let found = crate::service::replica::readiness(&state.ctx).await?;
    Ok(web::Json(Health {
        status: "ready",
        database: Some(found.backend.as_str()),
        replica: found.replica.map(|r| ReplicaHealth {
            status: match (r.up, r.in_recovery) {
                (false, _) => "down",
                (true, false) => "not_a_replica",
                (true, true) => "up",
            },
            lag_seconds: r.lag_secs,
        }),
    }))
}
