//! `/poes`: the registry of Points of Entry.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, ClientInfo};
use crate::auth::Principal;
use crate::domain::audit::AuditEvent;
use crate::domain::poe::{OpeningHours, Poe, PoeKind};
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::startup::AppState;
use crate::store;

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
    let items = state.db.read(store::poes::list).await?;
    Ok(web::Json(PoeList { items }))
}

/// Change a POE's data: hours for Easter, the festive season or snow; automation; names.
#[utoipa::path(patch, operation_id = "update_poe", path = "/api/v1/poes/{code}", tag = "poes", request_body = UpdatePoe, security(("bearer" = [])),
    params(("code" = String, Path, description = "POE code", example = "SNP")),
    responses((status = 200, body = Poe), (status = 404, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    client: ClientInfo,
    code: web::Path<String>,
    ApiJson(body): ApiJson<UpdatePoe>,
) -> Result<web::Json<Poe>> {
    let mut errors = ValidationErrors::default();
    for (field, value) in [("name", &body.name), ("district", &body.district)] {
        if value
            .as_deref()
            .is_some_and(|v| !(1..=100).contains(&v.trim().chars().count()))
        {
            errors.push(field, "must be 1 to 100 characters");
        }
    }
    if let Some(hours) = &body.hours {
        if let Err(e) = hours.validate() {
            errors.extend_prefixed("hours", e);
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let code = code.into_inner();
    let actor = principal.actor(client.addr_string(), client.request_id);
    let updated = state
        .db
        .write(move |c| {
            let Some(mut poe) = store::poes::get(c, &code)? else {
                return Ok(None);
            };
            if let Some(v) = body.name {
                poe.name = v.trim().to_owned();
            }
            if let Some(v) = body.district {
                poe.district = v.trim().to_owned();
            }
            if let Some(v) = body.kind {
                poe.kind = v;
            }
            if let Some(v) = body.sa_counterpart {
                poe.sa_counterpart = v.trim().to_owned();
            }
            if let Some(v) = body.automated {
                poe.automated = v;
            }
            if let Some(v) = body.hours {
                poe.hours = v;
            }
            let now = store::now();
            store::poes::replace(c, &poe, now)?;
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::new("poe.update", format!("poe:{code}"))],
            )?;
            Ok(Some(poe))
        })
        .await?
        .ok_or_else(|| Error::NotFound("no such POE".to_owned()))?;
    state.registry.invalidate();
    Ok(web::Json(updated))
}
