//! `/audit`: reading and verifying the audit log (admins).

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::ApiQuery;
use crate::app::AppState;
use crate::domain::paging::PageSize;
use crate::error::Result;
use crate::service::audit as service;
use crate::store::audit::{AuditFilter, AuditRow, Verification};

/// Filters and paging of `GET /audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only this actor (username or `poe-system:<client id>`).
    pub actor: Option<String>,
    /// Only this action, e.g. `movement.record`, `traveller.history.read`.
    pub action: Option<String>,
    /// Only this object, e.g. `movement:0193…`.
    pub object: Option<String>,
    /// From (RFC 3339, inclusive).
    pub from: Option<DateTime<Utc>>,
    /// To (RFC 3339, exclusive).
    pub to: Option<DateTime<Utc>>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<i64>,
    /// Page size, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the chain.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// With which roles.
    pub roles: String,
    /// What.
    pub action: String,
    /// To what.
    pub object: String,
    /// From where.
    pub client_addr: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// Stated reason.
    pub reason: Option<String>,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        Self {
            seq: r.seq,
            at: r.at.and_utc(),
            actor: r.actor,
            roles: r.roles,
            action: r.action,
            object: r.object,
            client_addr: r.client_addr,
            request_id: r.request_id,
            reason: r.reason,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// A page of the log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Entries in chain order.
    pub items: Vec<AuditEntry>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<i64>,
}

/// The audit log, oldest first.
#[utoipa::path(get, operation_id = "list_audit", path = "/api/v1/audit", tag = "audit", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = AuditPage), (status = 422, body = super::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<web::Json<AuditPage>> {
    let limit = PageSize::parse(q.limit, state.settings().movements.max_page_size)?;
    let filter = AuditFilter {
        actor: q.actor,
        action: q.action,
        object: q.object,
        from: q.from.map(|t| t.naive_utc()),
        to: q.to.map(|t| t.naive_utc()),
        after_seq: q.cursor,
    };
    let page = service::list(&state.ctx, filter, limit).await?;
    let next_cursor = page
        .more
        .then(|| page.items.last().map(|e| e.seq))
        .flatten();
    Ok(web::Json(AuditPage {
        items: page.items.into_iter().map(AuditEntry::from).collect(),
        next_cursor,
    }))
}

/// Recompute the chain: `ok`, how many entries, and the first one that fails.
#[utoipa::path(get, operation_id = "verify_audit", path = "/api/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = Verification)))]
pub async fn verify(state: web::Data<AppState>) -> Result<web::Json<Verification>> {
    Ok(web::Json(service::verify(&state.ctx).await?))
}
