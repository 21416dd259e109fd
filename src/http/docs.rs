//! The OpenAPI document (generated from the handlers' annotations) and the interactive page at
//! `/docs`, served from assets compiled into the binary.

use actix_web::{HttpResponse, web};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

use super::ApiDoc;

/// What the service is and the decisions an integrator needs, shown at the top of `/docs`.
pub const DESCRIPTION: &str = "\
The national record of every border crossing of the Kingdom of Lesotho.

* **Authentication.** `POST /auth/login` (officials) or `POST /auth/token` (POE systems) give a \
bearer token (JWT, HS256, 15 minutes). Roles, postings and revocation are read from the \
database on every request, so a disabled account or a revoked session stops working at once.
* **Errors** are RFC 9457 `application/problem+json`; a 422 lists every field that is wrong \
(`traveller.date_of_birth`, `mrz.composite`, `poes[0]`).
* **Exactly once.** A movement's `client_event_id` is its idempotency key per sender: the first \
time 201, a replay with the same payload 200 and the original record, the same key with \
another payload 409. Batches answer one result per item, in order.
* **Times.** Instants are RFC 3339; statistics buckets are Lesotho time (Africa/Maseru, UTC+2, \
no daylight saving), weeks from Monday; `from` inclusive, `to` exclusive.
* **Statistics** are exact at the moment of the query (late arrivals and voids included) and \
withhold counts from 1 to k-1 (k = 5 by default) in any breakdown by nationality, sex or age \
band; totals stay exact.
";

/// Adds the bearer scheme.
pub struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    Http::builder()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .description(Some("An access token from /auth/login or /auth/token"))
                        .build(),
                ),
            );
        }
    }
}

/// The OpenAPI document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "This document", content_type = "application/json")))]
pub async fn openapi(doc: web::Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(doc.get_ref())
}

/// The document, built once.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The interactive page at `/docs/`, reading `/api/v1/openapi.json`.
pub fn swagger_ui() -> SwaggerUi {
    SwaggerUi::new("/docs/{_:.*}").config(Config::from("/api/v1/openapi.json"))
}

/// `/docs` → `/docs/`.
pub async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}
