//! `/stays`: stays of visitors (and trips of citizens) for immigration, at their POEs.

use actix_web::web;
use chrono::{NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiQuery, ClientInfo};
use super::movements::TravellerView;
use super::travellers::StayView;
use crate::auth::Principal;
use crate::domain::audit::AuditEvent;
use crate::domain::movement::local_time;
use crate::domain::poe::PoeCode;
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::startup::AppState;
use crate::store::{self, stays::StayStatus};

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
    principal: Principal,
    client: ClientInfo,
    ApiQuery(q): ApiQuery<StaysQuery>,
) -> Result<web::Json<StayPage>> {
    let mut e = ValidationErrors::default();
    let status = match q.status.as_deref().map(str::trim) {
        None | Some("overstayed") => Some(StayStatus::Overstayed),
        Some("open") => Some(StayStatus::Open),
        Some("closed") => Some(StayStatus::Closed),
        Some(_) => {
            e.push("status", "must be open, overstayed or closed");
            None
        }
    };
    let kind = match q.kind.as_deref().map(str::trim) {
        None | Some("visit") => "visit",
        Some("trip") => "trip",
        Some(_) => {
            e.push("kind", "must be visit or trip");
            "visit"
        }
    };
    let poe = q
        .poe
        .as_deref()
        .and_then(|p| e.take("poe", PoeCode::parse(p)));
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        e.push("limit", "must be between 1 and 500");
    }
    let after = q.cursor.as_deref().and_then(|c| {
        super::cursor::decode(c)
            .map_err(|x| e.extend_prefixed("", x))
            .ok()
    });
    if !e.is_empty() {
        return Err(e.into());
    }
    let status = status.unwrap_or(StayStatus::Overstayed);
    let poes = match poe {
        Some(p) if !principal.is_posted_at(&p) => {
            return Err(Error::Forbidden(format!("you are not posted at {p}")));
        }
        Some(p) => Some(vec![p.to_string()]),
        None => principal.postings.codes(),
    };
    let today = local_time(Utc::now().naive_utc()).date();
    let actor = principal.actor(client.addr_string(), client.request_id);
    let description = format!(
        "stays:kind={kind};status={};poe={}",
        q.status.as_deref().unwrap_or("overstayed"),
        q.poe.as_deref().unwrap_or("*")
    );
    let (rows, openings) = state
        .db
        .write(move |c| {
            let rows =
                store::stays::list(c, kind, status, poes.as_deref(), today, after, limit + 1)?;
            let ids: Vec<String> = rows.iter().map(|r| r.opening_id.clone()).collect();
            let mut openings = Vec::new();
            for id in &ids {
                if let Some(m) = store::movements::by_id(c, id)? {
                    openings.push(m);
                }
            }
            store::audit::append(
                c,
                &actor,
                store::now(),
                &[AuditEvent::new("stay.list", description)],
            )?;
            Ok((rows, openings))
        })
        .await?;
    let more = rows.len() as i64 > limit;
    let mut items = Vec::new();
    let mut last: Option<(NaiveDateTime, String)> = None;
    for row in rows.into_iter().take(limit as usize) {
        let Some(m) = openings.iter().find(|m| m.id == row.opening_id) else {
            continue;
        };
        last = Some((row.opened_at, row.opening_id.clone()));
        let view = super::movements::MovementView::from(m.clone());
        items.push(StayItem {
            traveller: view.traveller,
            stay: StayView::of(row, today),
        });
    }
    let next_cursor = if more {
        last.map(|(at, id)| super::cursor::encode(at, &id))
    } else {
        None
    };
    Ok(web::Json(StayPage { items, next_cursor }))
}
