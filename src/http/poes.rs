//! `/poes`: the registry of Points of Entry.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::ApiJson;
use crate::app::AppState;
use crate::domain::poe::{OpeningHours, Poe, PoeChanges, PoeKind};
use crate::error::Result;
use crate::service::{Caller, poes as service};

/// The registry.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoeList {
    /// POEs by code.
    pub items: Vec<Poe>,
}

/// `PATCH /poes/{code}`: any subset of the fields; the code never changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePoe {
    /// Name: 1 to 100 characters, not blank.
    #[schema(schema_with = crate::domain::schemas::text_1_100_or_null)]
    pub name: Option<String>,
    /// District: 1 to 100 characters, not blank.
    #[schema(schema_with = crate::domain::schemas::text_1_100_or_null)]
    pub district: Option<String>,
    /// `land` or `air`.
    pub kind: Option<PoeKind>,
    /// South African counterpart.
    pub sa_counterpart: Option<String>,
    /// Automated (e-gates, readers).
    pub automated: Option<bool>,
    /// Opening hours (replace the whole schedule).
    pub hours: Option<OpeningHours>,
}

/// The POE registry, for any signed-in user.
#[utoipa::path(get, operation_id = "list_poes", path = "/api/v1/poes", tag = "poes", security(("bearer" = [])),
    responses((status = 200, body = PoeList), (status = 401, body = super::error::Problem)))]
pub async fn list(state: web::Data<AppState>) -> Result<web::Json<PoeList>> {
    let items = service::list(&state.ctx).await?;
    Ok(web::Json(PoeList { items }))
}

/// Change a POE's data: hours for Easter, the festive season or snow; automation; names.
#[utoipa::path(patch, operation_id = "update_poe", path = "/api/v1/poes/{code}", tag = "poes", request_body = UpdatePoe, security(("bearer" = [])),
    params(("code" = String, Path, description = "POE code", example = "SNP")),
    responses((status = 200, body = Poe), (status = 404, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
    ApiJson(body): ApiJson<UpdatePoe>,
) -> Result<web::Json<Poe>> {
    let changes = PoeChanges {
        name: body.name,
        district: body.district,
        kind: body.kind,
        sa_counterpart: body.sa_counterpart,
        automated: body.automated,
        hours: body.hours,
    }
    .validated()?;
    let poe = service::update(&state.ctx, caller.actor(), code.into_inner(), changes).await?;
    Ok(web::Json(poe))
}
