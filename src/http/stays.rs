//! `/stays`: stays of visitors (and trips of citizens) for immigration, at their POEs.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::ApiQuery;
use super::movements::{MovementView, TravellerView};
use super::travellers::StayView;
use crate::app::AppState;
use crate::domain::paging::PageSize;
use crate::domain::poe::PoeCode;
use crate::domain::stays::{StayKind, StayStatus};
use crate::domain::time::local_today;
use crate::domain::validation::ValidationErrors;
use crate::error::Result;
use crate::service::{Caller, stays as service};

/// `GET /stays`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StaysQuery {
    /// `open`, `overstayed` (default) or `closed`.
    #[param(value_type = Option<crate::domain::schemas::StayStatus>)]
    pub status: Option<String>,
    /// `visit` (non-citizens in Lesotho; default) or `trip` (citizens abroad).
    #[param(value_type = Option<crate::domain::schemas::StayKind>)]
    pub kind: Option<String>,
    /// Only stays that opened at this POE (default: every POE you are posted at).
    #[param(value_type = Option<crate::domain::poe::PoeCode>)]
    pub poe: Option<String>,
    /// `next_cursor` of the previous page (opaque: only values this service gave out).
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
    /// Page size, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A stay with its traveller.
#[derive(Debug, Serialize, ToSchema)]
pub struct StayItem {
    /// The traveller, as recorded at the opening crossing.
    pub traveller: TravellerView,
    /// The stay.
    #[serde(flatten)]
    pub stay: StayView,
}

/// A page of stays.
#[derive(Debug, Serialize, ToSchema)]
pub struct StayPage {
    /// Stays by opening time.
    pub items: Vec<StayItem>,
    /// For the next page.
    pub next_cursor: Option<String>,
}

/// Stays of visitors from entry/exit pairs: open ones, overstayed ones (open past their end,
/// or closed after it) or closed ones; `kind=trip` for citizens' trips abroad.
#[utoipa::path(get, operation_id = "list_stays", path = "/api/v1/stays", tag = "stays", params(StaysQuery), security(("bearer" = [])),
    responses((status = 200, body = StayPage), (status = 403, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<StaysQuery>,
) -> Result<web::Json<StayPage>> {
    let mut e = ValidationErrors::default();
    let status = match q.status.as_deref() {
        None => Some(StayStatus::Overstayed),
        Some(s) => e.take(
            "status",
            StayStatus::parse(s)
                .map_err(|_| ValidationErrors::one("", "must be open, overstayed or closed")),
        ),
    };
    let kind = match q.kind.as_deref() {
        None => Some(StayKind::Visit),
        Some(k) => e.take("kind", StayKind::parse(k)),
    };
    let poe = q
        .poe
        .as_deref()
        .and_then(|p| e.take("poe", PoeCode::parse(p)));
    let limit = e.take(
        "",
        PageSize::parse(q.limit, state.settings().movements.max_page_size),
    );
    let after = q
        .cursor
        .as_deref()
        .and_then(|c| e.take("", super::cursor::decode(c)));
    let (Some(status), Some(kind), Some(limit), true) = (status, kind, limit, e.is_empty()) else {
        return Err(e.into());
    };
    let query = service::StaysQuery {
        kind,
        status,
        poe,
        after,
        limit,
    };
    let page = service::list(&state.ctx, &caller, query).await?;
    let today = local_today();
    let next_cursor = page
        .more
        .then(|| page.items.last())
        .flatten()
        .map(|s| super::cursor::encode(s.stay.opened_at, &s.stay.opening_id));
    let items = page
        .items
        .into_iter()
        .map(|s| StayItem {
            traveller: MovementView::from(s.opening).traveller,
            stay: StayView::of(s.stay, today),
        })
        .collect();
    Ok(web::Json(StayPage { items, next_cursor }))
}
