//! Who may call what: the access table, and the middleware that enforces it on every API
//! request. The table is the single source: the middleware reads it, the README's access
//! table is rendered from it, and the access-matrix test calls every row as every role.
//!
//! Roles are checked here; the POE dimension ("at their POEs") depends on the object and is
//! checked where the object is known, through [`Principal::is_posted_at`].

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError, web};

use crate::app::AppState;
use crate::auth::Principal;
use crate::domain::user::Role;
use crate::error::Error;
use crate::service;

/// Prefix of every API path.
pub const API_PREFIX: &str = "/api/v1";

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// No token needed (sign-in endpoints; they check credentials themselves).
    Anyone,
    /// A token of a principal holding one of these roles.
    Roles(&'static [Role]),
    /// An edge's token (`POST /auth/token` with an edge credential): no user or POE system.
    Edge,
}

/// One row of the access table.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// HTTP method.
    pub method: &'static str,
    /// Path pattern under [`API_PREFIX`], as routed (`/users/{id}`).
    pub path: &'static str,
    /// Who may call it.
    pub who: Who,
    /// Limit by post, in words (for the README): where the object's POE is checked.
    pub scope: &'static str,
}

const fn rule(method: &'static str, path: &'static str, who: Who, scope: &'static str) -> Rule {
    Rule {
        method,
        path,
        who,
        scope,
    }
}

use Role::{Admin, Analyst, Immigration, Lra, PoeSystem, Police};

const ADMIN: Who = Who::Roles(&[Admin]);
const POLICE: Who = Who::Roles(&[Police]);
const STATISTICS: Who = Who::Roles(&[Analyst, Admin]);
const RECORDERS: Who = Who::Roles(&[Immigration, PoeSystem]);
const ANY_USER: Who = Who::Roles(&[Admin, Immigration, Police, Lra, Analyst]);

/// The access table.
pub const RULES: &[Rule] = &[
    rule("POST", "/auth/login", Who::Anyone, ""),
    rule(
        "POST",
        "/auth/refresh",
        Who::Anyone,
        "holder of the refresh token",
    ),
    rule(
        "POST",
        "/auth/logout",
        Who::Anyone,
        "holder of the refresh or access token",
    ),
    rule("POST", "/auth/token", Who::Anyone, "POE system credentials"),
    rule("POST", "/auth/password", ANY_USER, "their own account"),
    rule("POST", "/auth/mfa/setup", ANY_USER, "their own account"),
    rule("POST", "/auth/mfa/confirm", ANY_USER, "their own account"),
    rule("GET", "/users", ADMIN, ""),
    rule("POST", "/users", ADMIN, ""),
    rule("GET", "/users/{id}", ADMIN, ""),
    rule("PATCH", "/users/{id}", ADMIN, ""),
    rule("DELETE", "/users/{id}/mfa", ADMIN, ""),
    rule("GET", "/poe-systems", ADMIN, ""),
    rule("POST", "/poe-systems", ADMIN, ""),
    rule("DELETE", "/poe-systems/{id}", ADMIN, ""),
    rule("GET", "/poes", ANY_USER, ""),
    rule("PATCH", "/poes/{code}", ADMIN, ""),
    rule(
        "POST",
        "/movements",
        RECORDERS,
        "their POEs (a POE system: its own)",
    ),
    rule(
        "POST",
        "/movements/batch",
        RECORDERS,
        "their POEs (a POE system: its own), per item",
    ),
    rule(
        "GET",
        "/movements",
        Who::Roles(&[Immigration, Lra]),
        "their POEs; LRA: movements with a vehicle",
    ),
    rule(
        "GET",
        "/movements/{id}",
        Who::Roles(&[Immigration, Lra, Police]),
        "their POEs; LRA: movements with a vehicle; police: movements with a hit",
    ),
    rule(
        "POST",
        "/movements/{id}/void",
        Who::Roles(&[Immigration]),
        "the movement's POE",
    ),
    rule(
        "POST",
        "/movements/{id}/declarations",
        Who::Roles(&[Lra]),
        "the movement's POE; movements with a vehicle",
    ),
    rule(
        "GET",
        "/movements/{id}/declarations",
        Who::Roles(&[Lra]),
        "the movement's POE; movements with a vehicle",
    ),
    rule(
        "GET",
        "/travellers/history",
        Who::Roles(&[Immigration, Police]),
        "national; police state a reason",
    ),
    rule(
        "POST",
        "/travellers/search",
        Who::Roles(&[Immigration, Police]),
        "national; police state a reason",
    ),
    rule(
        "GET",
        "/travellers/report",
        Who::Roles(&[Immigration]),
        "national: a subject access request",
    ),
    rule(
        "GET",
        "/stays",
        Who::Roles(&[Immigration]),
        "stays opened at their POEs",
    ),
    rule("GET", "/watchlist", POLICE, ""),
    rule("POST", "/watchlist", POLICE, ""),
    rule("DELETE", "/watchlist/{id}", POLICE, ""),
    rule("GET", "/alert-hits", POLICE, "their POEs"),
    rule("GET", "/alert-hits/stream", POLICE, "their POEs"),
    rule(
        "POST",
        "/alert-hits/{id}/acknowledge",
        POLICE,
        "the hit's POE",
    ),
    rule("GET", "/stats/movements", STATISTICS, ""),
    rule("GET", "/stats/summary", STATISTICS, ""),
    rule("GET", "/stats/hour-profile", STATISTICS, ""),
    rule("GET", "/stats/citizen-flow", STATISTICS, ""),
    rule("POST", "/holds", POLICE, ""),
    rule("GET", "/holds", POLICE, ""),
    rule("DELETE", "/holds/{id}", POLICE, ""),
    rule("GET", "/audit", ADMIN, ""),
    rule("GET", "/audit/verify", ADMIN, ""),
    rule("GET", "/openapi.json", Who::Anyone, ""),
    rule("GET", "/edges", ADMIN, ""),
    rule("POST", "/edges", ADMIN, ""),
    rule("DELETE", "/edges/{id}", ADMIN, ""),
    rule("GET", "/edge/sync", Who::Edge, "the edge's post"),
    rule(
        "POST",
        "/edge/movements",
        Who::Edge,
        "the edge's post, per item",
    ),
    rule("GET", "/edge/status", ANY_USER, "at an edge"),
];

/// Reads that are audited by the access middleware itself, with their parameters (the query
/// string), before they run: queries of the statistics and of the audit log. (Reads of
/// personal data are audited by their use cases, with the objects they return.)
pub const AUDITED_READS: &[(&str, &str, &str)] = &[
    ("GET", "/stats/movements", "stats.query"),
    ("GET", "/stats/summary", "stats.query"),
    ("GET", "/stats/hour-profile", "stats.query"),
    ("GET", "/stats/citizen-flow", "stats.query"),
    ("GET", "/audit", "audit.read"),
    ("GET", "/audit/verify", "audit.verify"),
];

/// The audit action of a read that the middleware audits, if this rule is one.
pub fn audited_read(rule: &Rule) -> Option<&'static str> {
    AUDITED_READS
        .iter()
        .find(|(m, p, _)| *m == rule.method && *p == rule.path)
        .map(|(_, _, action)| *action)
}

/// Most characters of a query string kept in an audit entry.
const AUDITED_QUERY_CHARS: usize = 1000;

/// The rule for a request, by method and full routed pattern (`/api/v1/users/{id}`).
pub fn rule_for(method: &str, pattern: &str) -> Option<&'static Rule> {
    let path = pattern.strip_prefix(API_PREFIX)?;
    RULES.iter().find(|r| r.method == method && r.path == path)
}

/// The access table as Markdown, for the README.
pub fn markdown_table() -> String {
    let mut out = String::from("| method | path | who | limited to |\n|---|---|---|---|\n");
    for r in RULES {
        let who = match r.who {
            Who::Anyone => "anyone".to_owned(),
            Who::Edge => "edge".to_owned(),
            Who::Roles(roles) => roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        out.push_str(&format!(
            "| {} | `{}{}` | {} | {} |\n",
            r.method, API_PREFIX, r.path, who, r.scope
        ));
    }
    out
}

fn bearer(req: &ServiceRequest) -> Option<String> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The middleware function, wrapped around the API scope.
pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(pattern) = req.match_pattern() else {
        // Not a route: let the router answer 404.
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let Some(rule) = rule_for(req.method().as_str(), &pattern) else {
        // Fail closed: a route without a row is unreachable (and the access test fails).
        return Ok(refuse(req, Error::MethodNotAllowed));
    };
    let allowed = match rule.who {
        Who::Anyone => {
            return next
                .call(req)
                .await
                .map(ServiceResponse::map_into_left_body);
        }
        Who::Edge => return enforce_edge(req, next).await,
        Who::Roles(allowed) => allowed,
    };
    let Some(token) = bearer(&req) else {
        return Ok(refuse(
            req,
            Error::Unauthenticated("a bearer access token is required".to_owned()),
        ));
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(refuse(req, Error::internal("application state missing")));
    };
    let (principal, restriction) =
        match service::sessions::authenticate_restricted(&state.ctx, &token).await {
            Ok(p) => p,
            Err(e) => return Ok(refuse(req, e)),
        };
    if let Some(restriction) = restriction.filter(|r| !r.allows(rule.path)) {
        tracing::info!(principal = %principal.display_name(), route = %pattern, "refused: restricted token");
        return Ok(refuse(req, restriction.refusal()));
    }
    if !principal.roles.any_of(allowed) {
        tracing::info!(principal = %principal.display_name(), route = %pattern, "refused: role not allowed");
        return Ok(refuse(
            req,
            Error::Forbidden("your role does not allow this".to_owned()),
        ));
    }
    if let Some(action) = audited_read(rule) {
        let client = super::extract::ClientInfo::of(req.request());
        let actor = principal.actor(client.addr_string(), client.request_id.clone());
        let query: String = req
            .query_string()
            .chars()
            .take(AUDITED_QUERY_CHARS)
            .collect();
        let object = if query.is_empty() {
            rule.path.to_owned()
        } else {
            format!("{}?{query}", rule.path)
        };
        if let Err(e) = service::audit::record(&state.ctx, actor, action, object).await {
            return Ok(refuse(req, e));
        }
    }
    req.extensions_mut().insert(principal);
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// An edge's endpoints: its token, read against the database (a revoked edge is refused).
async fn enforce_edge<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let Some(token) = bearer(&req) else {
        return Ok(refuse(
            req,
            Error::Unauthenticated("an edge's access token is required".to_owned()),
        ));
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(refuse(req, Error::internal("application state missing")));
    };
    let edge =
        match service::edges::authenticate(&state.ctx, &token, service::Client::default()).await {
            Ok(e) => e,
            // A user's or a POE system's valid token is not an edge's: 403, as for a role.
            Err(Error::Unauthenticated(m))
                if service::sessions::authenticate(&state.ctx, &token)
                    .await
                    .is_ok() =>
            {
                tracing::info!(cause = %m, "refused: not an edge");
                return Ok(refuse(
                    req,
                    Error::Forbidden("only an edge's credential may call this".to_owned()),
                ));
            }
            Err(e) => return Ok(refuse(req, e)),
        };
    req.extensions_mut().insert(edge);
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn refuse<B>(req: ServiceRequest, e: Error) -> ServiceResponse<EitherBody<B>> {
    req.into_response(e.error_response()).map_into_right_body()
}

impl FromRequest for Principal {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(
            req.extensions().get::<Principal>().cloned().ok_or_else(|| {
                Error::Unauthenticated("a bearer access token is required".to_owned())
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_unique() {
        for (i, a) in RULES.iter().enumerate() {
            for b in &RULES[i + 1..] {
                assert!(
                    !(a.method == b.method && a.path == b.path),
                    "{} {} twice",
                    a.method,
                    a.path
                );
            }
        }
    }

    #[test]
    fn poe_systems_may_only_push_movements() {
        for r in RULES {
            if let Who::Roles(roles) = r.who {
                if roles.contains(&PoeSystem) {
                    assert!(
                        r.path.starts_with("/movements") && r.method == "POST",
                        "{r:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_route_has_exactly_one_row_and_every_row_a_route() {
        for (method, path) in crate::http::API_ROUTES {
            let method = method.to_ascii_uppercase();
            assert!(
                RULES.iter().any(|r| r.method == method && r.path == *path),
                "{method} {path} has no row in the access table"
            );
        }
        for r in RULES {
            assert!(
                crate::http::API_ROUTES
                    .iter()
                    .any(|(m, p)| m.eq_ignore_ascii_case(r.method) && *p == r.path),
                "the access table names {} {}, which is not a route",
                r.method,
                r.path
            );
        }
    }

    #[test]
    fn every_audited_read_is_a_route() {
        for (method, path, _) in AUDITED_READS {
            assert!(
                RULES.iter().any(|r| r.method == *method && r.path == *path),
                "{method} {path}"
            );
        }
    }

    #[test]
    fn lookup_uses_the_full_pattern() {
        assert!(rule_for("GET", "/api/v1/users/{id}").is_some());
        assert!(rule_for("DELETE", "/api/v1/users/{id}").is_none());
        assert!(rule_for("GET", "/users/{id}").is_none());
    }
}
