//! `/movements`: recording (single and batch), reading, listing and voiding.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiQuery, parse_json};
use crate::app::AppState;
use crate::domain::movement::{Direction, MovementInput, VoidReason};
use crate::domain::paging::PageSize;
use crate::domain::poe::PoeCode;
use crate::domain::stays::StayNote;
use crate::domain::time::parse_instant;
use crate::domain::validation::{FieldError, ValidationErrors};
use crate::domain::watchlist::OfficerAlert;
use crate::error::{Error, Result};
use crate::service::Caller;
use crate::service::movements::{self as service, ItemOutcome, ListQuery as Query, Recorded};
use crate::store::movements::MovementRow;

/// The traveller of a recorded movement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TravellerView {
    /// Document type.
    pub document_type: String,
    /// Document number (normalised).
    pub document_number: String,
    /// Issuing state.
    pub issuing_state: String,
    /// Nationality.
    pub nationality: String,
    /// Surname (upper case).
    pub surname: String,
    /// Given names (upper case).
    pub given_names: String,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// Sex.
    pub sex: String,
}

/// The vehicle of a recorded movement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VehicleView {
    /// Registration.
    pub registration: String,
    /// Registering state.
    pub country: String,
    /// Category.
    pub category: String,
}

/// What the watchlist asks of the official: the hit, the action with its fixed instruction,
/// and the category; never the police's reason. (Named apart from the police's view of an
/// alert, `watchlist::AlertView`.) LRA never sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = MovementAlert)]
pub struct AlertView {
    /// The hit (of the most urgent matching alert), for the police to acknowledge.
    pub hit_id: String,
    /// What to do.
    #[schema(value_type = crate::domain::watchlist::Action)]
    pub action: String,
    /// Why the police want to know, in a word.
    #[schema(value_type = crate::domain::watchlist::Category)]
    pub category: String,
    /// A fixed English sentence per action, for the officer to read.
    pub instruction: String,
}

impl From<OfficerAlert> for AlertView {
    fn from(a: OfficerAlert) -> Self {
        Self {
            hit_id: a.hit_id,
            action: a.action.as_str().to_owned(),
            category: a.category.as_str().to_owned(),
            instruction: a.action.instruction().to_owned(),
        }
    }
}

/// What the answer to recording a visitor's crossing says of the stay: an entry of a
/// non-citizen gives `permitted_until`; an exit that closes a visit gives `entered_at`,
/// `entered_poe`, `days`, `overstayed` and the visit's `permitted_until`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = MovementStay)]
pub struct StayView {
    /// The last authorised day of the stay (the permit given, else the default for the
    /// nationality), a Lesotho date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permitted_until: Option<NaiveDate>,
    /// Exits: when the visit's entry occurred.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entered_at: Option<DateTime<Utc>>,
    /// Exits: where the visit's entry was recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entered_poe: Option<String>,
    /// Exits: Lesotho calendar days from the entry's date to the exit's.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0)]
    pub days: Option<i64>,
    /// Exits: whether the exit came after the last authorised day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overstayed: Option<bool>,
}

impl From<StayNote> for StayView {
    fn from(note: StayNote) -> Self {
        match note {
            StayNote::Opened { ends_on } => Self {
                permitted_until: Some(ends_on),
                entered_at: None,
                entered_poe: None,
                days: None,
                overstayed: None,
            },
            StayNote::Closed {
                entered_at,
                entered_poe,
                ends_on,
                days,
                overstayed,
            } => Self {
                permitted_until: ends_on,
                entered_at: Some(entered_at.and_utc()),
                entered_poe: Some(entered_poe),
                days: Some(days),
                overstayed: Some(overstayed),
            },
        }
    }
}

/// A recorded movement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MovementView {
    /// Server-assigned id (UUIDv7).
    pub id: String,
    /// The sender's idempotency key.
    pub client_event_id: String,
    /// POE code.
    pub poe: String,
    /// `entry` or `exit`.
    pub direction: String,
    /// When the person crossed.
    pub occurred_at: DateTime<Utc>,
    /// When the server received it.
    pub recorded_at: DateTime<Utc>,
    /// Who sent it.
    pub recorded_by: String,
    /// Mode.
    pub mode: String,
    /// Purpose.
    pub purpose: String,
    /// The person.
    pub traveller: TravellerView,
    /// MRZ lines, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mrz: Option<Vec<String>>,
    /// End of the authorised stay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permitted_until: Option<NaiveDate>,
    /// Vehicle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<VehicleView>,
    /// Two entries or two exits in a row for this document.
    pub sequence_anomaly: bool,
    /// Outside the post's opening hours.
    pub outside_hours: bool,
    /// Received more than 24 hours after it occurred.
    pub late: bool,
    /// When voided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voided_at: Option<DateTime<Utc>>,
    /// Who voided it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voided_by: Option<String>,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub void_reason: Option<String>,
    /// Present when the traveller matched the watchlist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<AlertView>,
    /// When retention erased the traveller's personal fields: names and document number are
    /// then empty, MRZ and vehicle registration gone, and the date of birth only says the
    /// age band at the crossing (the crossing's date less the band's lowest age).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erased_at: Option<DateTime<Utc>>,
    /// In the answer to recording (and to its replay) only: the stay that a visitor's entry
    /// opens or that a visitor's exit closes. Absent for citizens and for an exit that closes
    /// no recorded entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stay: Option<StayView>,
}

impl From<Recorded> for MovementView {
    fn from(r: Recorded) -> Self {
        let mut view = Self::from(r.row);
        view.stay = r.stay.map(StayView::from);
        view.alert = r.alert.map(AlertView::from);
        view
    }
}

impl From<MovementRow> for MovementView {
    fn from(r: MovementRow) -> Self {
        let vehicle = match (
            r.vehicle_registration,
            r.vehicle_country,
            r.vehicle_category,
        ) {
            (Some(registration), Some(country), Some(category)) => Some(VehicleView {
                registration,
                country,
                category,
            }),
            _ => None,
        };
        Self {
            id: r.id,
            client_event_id: r.client_event_id,
            poe: r.poe.to_string(),
            direction: r.direction.as_str().to_owned(),
            occurred_at: r.occurred_at.and_utc(),
            recorded_at: r.recorded_at.and_utc(),
            recorded_by: r.recorded_by,
            mode: r.mode.as_str().to_owned(),
            purpose: r.purpose.as_str().to_owned(),
            traveller: TravellerView {
                document_type: r.document_type.as_str().to_owned(),
                document_number: r.document_number,
                issuing_state: r.issuing_state.to_string(),
                nationality: r.nationality.to_string(),
                surname: r.surname,
                given_names: r.given_names,
                date_of_birth: r.date_of_birth,
                sex: r.sex.as_str().to_owned(),
            },
            mrz: r.mrz.map(|m| m.split('\n').map(str::to_owned).collect()),
            permitted_until: r.permitted_until,
            vehicle,
            sequence_anomaly: r.sequence_anomaly,
            outside_hours: r.outside_hours,
            late: r.late,
            voided_at: r.voided_at.map(|t| t.and_utc()),
            voided_by: r.voided_by,
            void_reason: r.void_reason,
            alert: None,
            erased_at: r.erased_at.map(|t| t.and_utc()),
            stay: None,
        }
    }
}

impl MovementView {
    /// The view of a movement with what the watchlist asked of the officer (for callers who
    /// may know: the service answers `None` to the others).
    pub fn with_alert(row: MovementRow, alert: Option<OfficerAlert>) -> Self {
        let mut view = Self::from(row);
        view.alert = alert.map(AlertView::from);
        view
    }
}

/// `POST /movements/batch`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// 1 to 1,000 movements (`movements.max_batch_items`); each is judged on its own.
    #[schema(value_type = Vec<MovementInput>, min_items = 1, max_items = 1000)]
    pub movements: Vec<serde_json::Value>,
}

/// The fate of one item of a batch.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    /// Recorded now.
    Created,
    /// Recorded before (a replay): `id` is the original.
    Duplicate,
    /// Not recorded: see `errors`.
    Rejected,
}

/// One result of a batch, in the order of the items.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItemResult {
    /// Position of the item in the request, from 0.
    pub index: usize,
    /// What happened.
    pub status: ItemStatus,
    /// The movement's id (created or duplicate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The client's key, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_event_id: Option<String>,
    /// Flags of a created movement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_anomaly: Option<bool>,
    /// Flags of a created movement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_hours: Option<bool>,
    /// Flags of a created movement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late: Option<bool>,
    /// The watchlist's action, when the traveller matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<AlertView>,
    /// The stay a created visitor's entry opens or exit closes (see `MovementStay`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stay: Option<StayView>,
    /// Why it was rejected.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The answer to a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    /// Items recorded now.
    pub created: usize,
    /// Items recorded before.
    pub duplicates: usize,
    /// Items refused.
    pub rejected: usize,
    /// One result per item, in order.
    pub results: Vec<BatchItemResult>,
}

/// Record one movement. 201 the first time; 200 with the original on a replay of the same
/// `client_event_id` and payload; 409 when the key was used with another payload.
#[utoipa::path(post, operation_id = "record_movement", path = "/api/v1/movements", tag = "movements", request_body = MovementInput, security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = MovementView, links(
            ("GetMovement" = (operation_id = "get_movement", parameters(("path.id" = "$response.body#/id")))),
            ("VoidMovement" = (operation_id = "void_movement", parameters(("path.id" = "$response.body#/id")))),
            ("ListHitsAtPoe" = (operation_id = "list_hits", parameters(("query.poe" = "$response.body#/poe"), ("query.unacknowledged" = "true")))),
            ("DeclareOnMovement" = (operation_id = "create_declaration", parameters(("path.id" = "$response.body#/id")))),
            ("ListDeclarations" = (operation_id = "list_declarations", parameters(("path.id" = "$response.body#/id")))),
        )),
        (status = 200, description = "A replay: the original record", body = MovementView, links(
            ("GetMovement" = (operation_id = "get_movement", parameters(("path.id" = "$response.body#/id")))),
        )),
        (status = 403, description = "Not posted at this POE", body = super::error::Problem),
        (status = 409, description = "client_event_id used before with another payload", body = super::error::Problem),
        (status = 422, description = "A field breaks a rule; each is named", body = super::error::Problem),
    ))]
pub async fn record_one(
    state: web::Data<AppState>,
    caller: Caller,
    super::extract::ApiBytes(body): super::extract::ApiBytes,
) -> Result<HttpResponse> {
    let value: serde_json::Value = parse_json(&body)?;
    let outcomes = service::record(&state.ctx, &caller, vec![value]).await?;
    match outcomes.into_iter().next() {
        Some(ItemOutcome::Created(recorded)) => {
            Ok(HttpResponse::Created().json(MovementView::from(*recorded)))
        }
        Some(ItemOutcome::Duplicate(recorded)) => {
            Ok(HttpResponse::Ok().json(MovementView::from(*recorded)))
        }
        Some(ItemOutcome::Rejected(errors)) => Err(errors.into()),
        Some(ItemOutcome::NotPosted(poe)) => {
            Err(Error::Forbidden(format!("you are not posted at {poe}")))
        }
        Some(ItemOutcome::Conflict { existing_id }) => Err(Error::Conflict(format!(
            "client_event_id was used before with a different payload (movement {existing_id})"
        ))),
        None => Err(Error::internal("no outcome for a single movement")),
    }
}

/// Record up to 1,000 movements; one result per item, in order. Each item stands alone: a
/// rejected item never loses its neighbours, and a replayed batch answers `duplicate` for
/// every item recorded before.
#[utoipa::path(post, operation_id = "record_batch", path = "/api/v1/movements/batch", tag = "movements", request_body = BatchRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "One result per item", body = BatchResponse),
        (status = 422, description = "Not a batch (no items, or too many)", body = super::error::Problem),
    ))]
pub async fn record_batch(
    state: web::Data<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<BatchRequest>,
) -> Result<web::Json<BatchResponse>> {
    let max = state.settings().movements.max_batch_items;
    if body.movements.is_empty() || body.movements.len() > max {
        return Err(
            ValidationErrors::one("movements", format!("must hold 1 to {max} movements")).into(),
        );
    }
    let keys: Vec<Option<String>> = body
        .movements
        .iter()
        .map(|v| {
            v.get("client_event_id")
                .and_then(|k| k.as_str())
                .map(str::to_owned)
        })
        .collect();
    let outcomes = service::record(&state.ctx, &caller, body.movements).await?;
    let mut response = BatchResponse {
        created: 0,
        duplicates: 0,
        rejected: 0,
        results: Vec::with_capacity(outcomes.len()),
    };
    for (index, (outcome, key)) in outcomes.into_iter().zip(keys).enumerate() {
        let mut item = BatchItemResult {
            index,
            status: ItemStatus::Rejected,
            id: None,
            client_event_id: key,
            sequence_anomaly: None,
            outside_hours: None,
            late: None,
            alert: None,
            stay: None,
            errors: Vec::new(),
        };
        match outcome {
            ItemOutcome::Created(recorded) => {
                let Recorded { row, stay, alert } = *recorded;
                response.created += 1;
                item.stay = stay.map(StayView::from);
                item.status = ItemStatus::Created;
                item.sequence_anomaly = Some(row.sequence_anomaly);
                item.outside_hours = Some(row.outside_hours);
                item.late = Some(row.late);
                item.alert = alert.map(AlertView::from);
                item.id = Some(row.id);
            }
            ItemOutcome::Duplicate(recorded) => {
                response.duplicates += 1;
                item.status = ItemStatus::Duplicate;
                item.id = Some(recorded.row.id);
            }
            ItemOutcome::Rejected(errors) => {
                response.rejected += 1;
                item.errors = errors.0;
            }
            ItemOutcome::NotPosted(poe) => {
                response.rejected += 1;
                item.errors =
                    ValidationErrors::one("poe", format!("you are not posted at {poe}")).0;
            }
            ItemOutcome::Conflict { existing_id } => {
                response.rejected += 1;
                item.errors = ValidationErrors::one(
                    "client_event_id",
                    format!("used before with a different payload (movement {existing_id})"),
                )
                .0;
            }
        }
        response.results.push(item);
    }
    Ok(web::Json(response))
}

/// One movement: immigration at its POE; LRA at its POE when it has a vehicle (never its
/// alert); police at its POE when it left a hit.
#[utoipa::path(get, operation_id = "get_movement", path = "/api/v1/movements/{id}", tag = "movements", security(("bearer" = [])),
    params(("id" = String, Path, description = "Movement id")),
    responses((status = 200, body = MovementView), (status = 404, description = "No such movement at your posts", body = super::error::Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<MovementView>> {
    let (row, alert) = service::read_one(&state.ctx, &caller, id.into_inner()).await?;
    Ok(web::Json(MovementView::with_alert(row, alert)))
}

/// `GET /movements` filters and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// One POE (default: every POE you are posted at).
    #[param(value_type = Option<crate::domain::poe::PoeCode>)]
    pub poe: Option<String>,
    /// Only entries or only exits.
    #[param(value_type = Option<Direction>)]
    pub direction: Option<String>,
    /// From (RFC 3339, inclusive), on `occurred_at`; before `to`.
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<String>,
    /// To (RFC 3339, exclusive).
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<String>,
    /// `next_cursor` of the previous page (opaque: only values this service gave out).
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
    /// Page size, 1–500 (`movements.max_page_size`; default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A page of movements.
#[derive(Debug, Serialize, ToSchema)]
pub struct MovementPage {
    /// Movements in `occurred_at` order (ties by id).
    pub items: Vec<MovementView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// Movements at your POEs, oldest first, with keyset paging. LRA officers see only movements
/// with a vehicle.
#[utoipa::path(get, operation_id = "list_movements", path = "/api/v1/movements", tag = "movements", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = MovementPage), (status = 403, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<web::Json<MovementPage>> {
    let mut e = ValidationErrors::default();
    let limit = e.take(
        "",
        PageSize::parse(q.limit, state.settings().movements.max_page_size),
    );
    let poe = q
        .poe
        .as_deref()
        .and_then(|p| e.take("poe", PoeCode::parse(p)));
    let direction = q
        .direction
        .as_deref()
        .and_then(|d| e.take("direction", Direction::parse(d)));
    let from = q
        .from
        .as_deref()
        .and_then(|s| e.take("", parse_instant("from", s)));
    let to =
        q.to.as_deref()
            .and_then(|s| e.take("", parse_instant("to", s)));
    let after = q
        .cursor
        .as_deref()
        .and_then(|c| e.take("", super::cursor::decode(c)));
    let (Some(limit), true) = (limit, e.is_empty()) else {
        return Err(e.into());
    };
    let query = Query {
        poe,
        direction,
        from,
        to,
        after,
        limit,
    };
    let (page, mut alerts) = service::list(&state.ctx, &caller, query).await?;
    let next_cursor = page
        .more
        .then(|| page.items.last())
        .flatten()
        .map(|r| super::cursor::encode(r.occurred_at, &r.id));
    Ok(web::Json(MovementPage {
        items: page
            .items
            .into_iter()
            .map(|r| {
                let alert = alerts.remove(&r.id);
                MovementView::with_alert(r, alert)
            })
            .collect(),
        next_cursor,
    }))
}

/// `POST /movements/{id}/void`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    /// Why the record is wrong: 3 to 500 characters once trimmed.
    #[schema(schema_with = crate::domain::schemas::text_3_500, example = "Recorded at the wrong desk: duplicate of a scan")]
    pub reason: String,
}

/// Void a movement recorded in error. The original stays, showing who voided it, when and
/// why; a void is final; the movement leaves statistics, stays and sequence checks.
#[utoipa::path(post, operation_id = "void_movement", path = "/api/v1/movements/{id}/void", tag = "movements", request_body = VoidRequest, security(("bearer" = [])),
    params(("id" = String, Path, description = "Movement id")),
    responses(
        (status = 200, description = "Voided", body = MovementView, links(
            ("GetMovement" = (operation_id = "get_movement", parameters(("path.id" = "$response.body#/id")))),
        )),
        (status = 404, description = "No such movement at your posts", body = super::error::Problem),
        (status = 409, description = "Voided already", body = super::error::Problem),
        (status = 422, body = super::error::Problem),
    ))]
pub async fn void(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    ApiJson(body): ApiJson<VoidRequest>,
) -> Result<web::Json<MovementView>> {
    let reason = VoidReason::parse(&body.reason)?;
    let (row, alert) = service::void(&state.ctx, &caller, id.into_inner(), reason).await?;
    Ok(web::Json(MovementView::with_alert(row, alert)))
}
