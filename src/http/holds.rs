//! `/holds`: police holds that keep a document's records past retention.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::ApiJson;
use crate::app::AppState;
use crate::domain::retention::NewHold;
use crate::domain::time::{self, local_today, parse_date};
use crate::error::Result;
use crate::service::{Caller, holds as service};
use crate::store::holds::HoldRow;

/// A hold as the police place it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldInput {
    /// Issuing state of the document (ICAO code).
    #[schema(value_type = crate::domain::traveller::StateCode, example = "ZAF")]
    pub issuing_state: String,
    /// Document number: 1 to 20 letters and digits (spaces, hyphens and `<` ignored).
    #[schema(pattern = "^[ <-]*([A-Za-z0-9][ <-]*){1,20}$", example = "M12345678")]
    pub document_number: String,
    /// Why the records must be kept (an inquiry, a court case): 5 to 500 characters once
    /// trimmed. Shown to immigration in a subject access report.
    #[schema(schema_with = crate::domain::schemas::text_5_500, example = "Inquiry MSU-CR-42/2026")]
    pub reason: String,
    /// The last day (Lesotho) the hold keeps the records: after today, at most 10 years
    /// ahead.
    #[schema(value_type = crate::domain::schemas::LocalDate, example = "2027-06-30")]
    pub until: String,
}

/// A hold.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldView {
    /// Id.
    pub id: String,
    /// Issuing state.
    pub issuing_state: String,
    /// Document number (normalised).
    pub document_number: String,
    /// Why.
    pub reason: String,
    /// Last day it keeps the records.
    pub until: NaiveDate,
    /// Placed.
    pub created_at: DateTime<Utc>,
    /// By whom.
    pub created_by: String,
    /// Released early.
    pub released_at: Option<DateTime<Utc>>,
    /// By whom.
    pub released_by: Option<String>,
    /// Whether it keeps the records today.
    pub in_force: bool,
}

impl HoldView {
    /// The view of a stored hold, judged on `today` (local).
    pub fn of(r: HoldRow, today: NaiveDate) -> Self {
        Self {
            in_force: r.released_at.is_none() && r.until >= today,
            id: r.id,
            issuing_state: r.issuing_state,
            document_number: r.document_number,
            reason: r.reason,
            until: r.until,
            created_at: r.created_at.and_utc(),
            created_by: r.created_by,
            released_at: r.released_at.map(|t| t.and_utc()),
            released_by: r.released_by,
        }
    }
}

/// The holds in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldList {
    /// Newest first.
    pub items: Vec<HoldView>,
}

/// Keep every record of a document past retention until `until` (police). Audited with the
/// reason.
#[utoipa::path(post, operation_id = "create_hold", path = "/api/v1/holds", tag = "holds", request_body = HoldInput, security(("bearer" = [])),
    responses((status = 201, body = HoldView, links(
        ("ReleaseHold" = (operation_id = "release_hold", parameters(("path.id" = "$response.body#/id")))),
    )), (status = 422, body = super::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<HoldInput>,
) -> Result<HttpResponse> {
    let today = local_today();
    let until = match parse_date("until", &body.until) {
        Ok(d) => d,
        Err(mut e) => {
            // Report the other fields' problems too.
            if let Err(more) = NewHold::parse(
                &body.issuing_state,
                &body.document_number,
                &body.reason,
                NaiveDate::MAX,
                today,
            ) {
                e.0.extend(more.0.into_iter().filter(|f| f.field != "until"));
            }
            return Err(e.into());
        }
    };
    let hold = NewHold::parse(
        &body.issuing_state,
        &body.document_number,
        &body.reason,
        until,
        today,
    )?;
    let row = service::place(&state.ctx, &caller, hold).await?;
    Ok(HttpResponse::Created().json(HoldView::of(row, today)))
}

/// The holds in force today (police). Audited.
#[utoipa::path(get, operation_id = "list_holds", path = "/api/v1/holds", tag = "holds", security(("bearer" = [])),
    responses((status = 200, body = HoldList)))]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<HoldList>> {
    let rows = service::list(&state.ctx, &caller).await?;
    let today = local_today();
    Ok(web::Json(HoldList {
        items: rows.into_iter().map(|r| HoldView::of(r, today)).collect(),
    }))
}

/// Release a hold before its date (police): the document's records follow retention again.
/// Kept, marked released; audited.
#[utoipa::path(delete, operation_id = "release_hold", path = "/api/v1/holds/{id}", tag = "holds", security(("bearer" = [])),
    params(("id" = String, Path, description = "Hold id")),
    responses((status = 200, body = HoldView), (status = 404, body = super::error::Problem),
        (status = 409, description = "Released already", body = super::error::Problem)))]
pub async fn release(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<HoldView>> {
    let row = service::release(&state.ctx, &caller, id.into_inner()).await?;
    Ok(web::Json(HoldView::of(
        row,
        time::local_time(time::now()).date(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_released_or_lapsed_hold_is_not_in_force() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        let row = HoldRow {
            id: "h".into(),
            issuing_state: "ZAF".into(),
            document_number: "A1".into(),
            reason: "inquiry".into(),
            until: today,
            created_at: time::now(),
            created_by: "p".into(),
            released_at: None,
            released_by: None,
        };
        assert!(HoldView::of(row.clone(), today).in_force);
        assert!(!HoldView::of(row.clone(), today.succ_opt().unwrap_or(today)).in_force);
        let released = HoldRow {
            released_at: Some(time::now()),
            ..row
        };
        assert!(!HoldView::of(released, today).in_force);
    }
}
