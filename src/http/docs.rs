//! The OpenAPI document (generated from the handlers' annotations) and the interactive page at
//! `/docs`, served from assets compiled into the binary.

use actix_web::{HttpResponse, web};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

use super::ApiDoc;
use crate::domain::schemas::REGISTERED_POE;
use crate::startup::AppState;

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

/// Documents the problems every operation can answer, where its annotation did not already:
/// 401 and 403 where a token is needed, 400, 413, 415 and 422 where input is read, 404 where a
/// path names an object, 500 and 503 everywhere.
pub struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                ("GET", item.get.as_mut()),
                ("POST", item.post.as_mut()),
                ("PATCH", item.patch.as_mut()),
                ("DELETE", item.delete.as_mut()),
            ];
            for (method, op) in operations {
                let Some(op) = op else { continue };
                let secured = super::access::rule_for(method, path).is_some_and(|r| {
                    matches!(
                        r.who,
                        super::access::Who::Roles(_) | super::access::Who::Edge
                    )
                });
                let body = op.request_body.is_some();
                let params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let mut wanted: Vec<(&str, &str)> = Vec::new();
                if secured {
                    wanted.push((
                        "401",
                        "No bearer token, or an invalid, expired or revoked one",
                    ));
                    wanted.push(("403", "The caller's role (or post) does not allow this"));
                }
                if body {
                    wanted.push(("400", "The body is not JSON"));
                    wanted.push(("413", "The body is over the configured limit"));
                    wanted.push(("415", "The body's Content-Type is not JSON"));
                }
                if body || params {
                    wanted.push((
                        "422",
                        "A field or parameter breaks a rule; each is named in `errors`",
                    ));
                }
                if path.contains('{') {
                    wanted.push(("404", "No such object (or not one the caller may know of)"));
                }
                wanted.push(("500", "A bug: logged with the request id, never detailed"));
                wanted.push(("503", "The database is unavailable; retry later"));
                for (status, description) in wanted {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description).into());
                }
                // Errors annotated on a handler are problems too, whatever media type the
                // annotation defaulted to.
                for (status, response) in op.responses.responses.iter_mut() {
                    let error = status.starts_with('4') || status.starts_with('5');
                    if let (true, utoipa::openapi::RefOr::T(response)) = (error, response) {
                        if let Some(content) = response.content.shift_remove("application/json") {
                            response
                                .content
                                .insert("application/problem+json".to_owned(), content);
                        }
                    }
                }
            }
        }
    }
}

/// The OpenAPI document. The schema of a registered POE lists the registry's codes as they
/// are now (the registry is data, not code); when the database cannot be read, the document is
/// served without that list.
#[utoipa::path(get, operation_id = "openapi", path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "This document", content_type = "application/json")))]
pub async fn openapi(
    doc: web::Data<utoipa::openapi::OpenApi>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let mut doc = doc.get_ref().clone();
    match crate::service::poes::registry(&state.ctx).await {
        Ok(registry) => list_registered_poes(&mut doc, registry.iter().map(|p| p.code.clone())),
        Err(e) => {
            tracing::warn!(error = %e, "the OpenAPI document is served without the POE registry")
        }
    }
    HttpResponse::Ok().json(doc)
}

/// Narrows the schema of a registered POE to these codes.
pub fn list_registered_poes(
    doc: &mut utoipa::openapi::OpenApi,
    codes: impl IntoIterator<Item = String>,
) {
    use utoipa::openapi::schema::Schema;
    let schema = doc
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut(REGISTERED_POE));
    if let Some(utoipa::openapi::RefOr::T(Schema::Object(object))) = schema {
        object.enum_values = Some(codes.into_iter().map(serde_json::Value::from).collect());
    }
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
