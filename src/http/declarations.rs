//! `/movements/{id}/declarations`: customs declarations by LRA on movements with a vehicle.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::ApiJson;
use crate::app::AppState;
use crate::domain::declaration::{Declaration, DeclarationInput};
use crate::error::Result;
use crate::service::{Caller, declarations as service};
use crate::store::declarations::DeclarationRow;

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

/// Record a customs declaration on a movement with a vehicle at your POE.
#[utoipa::path(post, operation_id = "create_declaration", path = "/api/v1/movements/{id}/declarations", tag = "declarations", request_body = DeclarationInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "Movement id")),
    responses(
        (status = 201, body = DeclarationView),
        (status = 404, description = "No such movement with a vehicle at your posts", body = super::error::Problem),
        (status = 422, description = "A bad field", body = super::error::Problem),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    ApiJson(body): ApiJson<DeclarationInput>,
) -> Result<HttpResponse> {
    let declaration = Declaration::parse(body)?;
    let row = service::create(&state.ctx, &caller, id.into_inner(), declaration).await?;
    Ok(HttpResponse::Created().json(DeclarationView::from(row)))
}

/// The declarations of a movement with a vehicle at your POE.
#[utoipa::path(get, operation_id = "list_declarations", path = "/api/v1/movements/{id}/declarations", tag = "declarations", security(("bearer" = [])),
    params(("id" = String, Path, description = "Movement id")),
    responses((status = 200, body = DeclarationList), (status = 404, body = super::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<DeclarationList>> {
    let rows = service::list(&state.ctx, &caller, id.into_inner()).await?;
    Ok(web::Json(DeclarationList {
        items: rows.into_iter().map(DeclarationView::from).collect(),
    }))
}
