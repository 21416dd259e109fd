//! `/movements/{id}/declarations`: customs declarations by LRA on movements with a vehicle.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{ApiJson, ClientInfo};
use crate::auth::Principal;
use crate::domain::audit::AuditEvent;
use crate::domain::declaration::{Declaration, DeclarationInput};
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::service::movements::visible_to;
use crate::startup::AppState;
use crate::store::{self, declarations::DeclarationRow};

/// A recorded declaration.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeclarationView {
    /// Id.
    pub id: String,
    /// The movement.
    pub movement_id: String,
    /// Reference.
    pub reference: String,
    /// Goods.
    pub goods: String,
    /// Value, decimal string.
    pub value: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// Recorded.
    pub created_at: DateTime<Utc>,
    /// By whom.
    pub created_by: String,
}

impl From<DeclarationRow> for DeclarationView {
    fn from(d: DeclarationRow) -> Self {
        Self {
            id: d.id,
            movement_id: d.movement_id,
            reference: d.reference,
            goods: d.goods,
            value: d.value,
            currency: d.currency,
            created_at: d.created_at.and_utc(),
            created_by: d.created_by,
        }
    }
}

/// Declarations of a movement.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeclarationList {
    /// Oldest first.
    pub items: Vec<DeclarationView>,
}

enum Found<T> {
    Done(T),
    Missing,
    NoVehicle,
}

/// Record a customs declaration on a movement with a vehicle at your POE.
#[utoipa::path(post, operation_id = "create_declaration", path = "/api/v1/movements/{id}/declarations", tag = "declarations", request_body = DeclarationInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "Movement id")),
    responses(
        (status = 201, body = DeclarationView),
        (status = 404, description = "No such movement at your posts", body = super::error::Problem),
        (status = 422, description = "A bad field, or a movement without a vehicle", body = super::error::Problem),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    client: ClientInfo,
    id: web::Path<String>,
    ApiJson(body): ApiJson<DeclarationInput>,
) -> Result<HttpResponse> {
    let declaration = Declaration::parse(body)?;
    let movement_id = id.into_inner();
    let p = principal.clone();
    let by = principal.display_name();
    let actor = principal.actor(client.addr_string(), client.request_id);
    let outcome = state
        .db
        .write(move |c| {
            let Some(m) = store::movements::by_id(c, &movement_id)? else {
                return Ok(Found::Missing);
            };
            if !crate::domain::poe::PoeCode::parse(&m.poe).is_ok_and(|poe| p.is_posted_at(&poe)) {
                return Ok(Found::Missing);
            }
            if m.vehicle_registration.is_none() {
                return Ok(Found::NoVehicle);
            }
            let now = store::now();
            let row = DeclarationRow {
                id: uuid::Uuid::now_v7().to_string(),
                movement_id: movement_id.clone(),
                reference: declaration.reference,
                goods: declaration.goods,
                value: declaration.value,
                currency: declaration.currency,
                created_at: now,
                created_by: by,
            };
            store::declarations::insert(c, &row)?;
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::new(
                    "declaration.create",
                    format!("movement:{movement_id}"),
                )],
            )?;
            Ok(Found::Done(row))
        })
        .await?;
    match outcome {
        Found::Done(row) => Ok(HttpResponse::Created().json(DeclarationView::from(row))),
        Found::Missing => Err(Error::NotFound("no such movement at your posts".to_owned())),
        Found::NoVehicle => Err(ValidationErrors::one(
            "movement",
            "has no vehicle: customs declarations are recorded on movements with a vehicle",
        )
        .into()),
    }
}

/// The declarations of a movement with a vehicle at your POE.
#[utoipa::path(get, operation_id = "list_declarations", path = "/api/v1/movements/{id}/declarations", tag = "declarations", security(("bearer" = [])),
    params(("id" = String, Path, description = "Movement id")),
    responses((status = 200, body = DeclarationList), (status = 404, body = super::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    client: ClientInfo,
    id: web::Path<String>,
) -> Result<web::Json<DeclarationList>> {
    let movement_id = id.into_inner();
    let p = principal.clone();
    let actor = principal.actor(client.addr_string(), client.request_id);
    let outcome = state
        .db
        .write(move |c| {
            let Some(m) = store::movements::by_id(c, &movement_id)? else {
                return Ok(Found::Missing);
            };
            if !visible_to(&m, &p) {
                return Ok(Found::Missing);
            }
            let rows = store::declarations::of_movement(c, &movement_id)?;
            store::audit::append(
                c,
                &actor,
                store::now(),
                &[AuditEvent::new(
                    "declaration.list",
                    format!("movement:{movement_id}"),
                )],
            )?;
            Ok(Found::Done(rows))
        })
        .await?;
    match outcome {
        Found::Done(rows) => Ok(web::Json(DeclarationList {
            items: rows.into_iter().map(DeclarationView::from).collect(),
        })),
        Found::Missing | Found::NoVehicle => {
            Err(Error::NotFound("no such movement at your posts".to_owned()))
        }
    }
}
