//! The HTTP layer: routes, extractors, access control and the error mapping. Handlers are
//! thin: they parse input into domain values, call the store or a service, and shape the
//! answer.

pub mod access;
pub mod audit;
pub mod auth;
pub mod csv;
pub mod error;
pub mod extract;
pub mod health;
pub mod metrics;
pub mod movements;
pub mod observe;
pub mod poe_systems;
pub mod poes;
pub mod stats;
pub mod users;

use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::web;

use crate::error::Error;

/// Registers every route. The API scope is wrapped in the access middleware.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(access::API_PREFIX)
            .wrap(from_fn(access::enforce))
            .wrap(DefaultHeaders::new().add(("Cache-Control", "no-store")))
            .route("/auth/login", web::post().to(auth::login))
            .route("/auth/refresh", web::post().to(auth::refresh))
            .route("/auth/logout", web::post().to(auth::logout))
            .route("/auth/token", web::post().to(auth::system_token))
            .route("/users", web::get().to(users::list))
            .route("/users", web::post().to(users::create))
            .route("/users/{id}", web::get().to(users::get))
            .route("/users/{id}", web::patch().to(users::update))
            .route("/poe-systems", web::get().to(poe_systems::list))
            .route("/poe-systems", web::post().to(poe_systems::create))
            .route("/poe-systems/{id}", web::delete().to(poe_systems::delete))
            .route("/poes", web::get().to(poes::list))
            .route("/poes/{code}", web::patch().to(poes::update))
            .route("/movements", web::post().to(movements::record_one))
            .route("/movements", web::get().to(movements::list))
            .route("/movements/batch", web::post().to(movements::record_batch))
            .route("/movements/{id}", web::get().to(movements::get))
            .route("/movements/{id}/void", web::post().to(movements::void))
            .route("/stats/movements", web::get().to(stats::movements))
            .route("/stats/summary", web::get().to(stats::summary))
            .route("/stats/hour-profile", web::get().to(stats::hour_profile))
            .route("/stats/citizen-flow", web::get().to(stats::citizen_flow))
            .route("/audit", web::get().to(audit::list))
            .route("/audit/verify", web::get().to(audit::verify)),
    )
    .route("/health/live", web::get().to(health::live))
    .route("/health/ready", web::get().to(health::ready))
    .route("/metrics", web::get().to(metrics::render));
}

/// The answer for paths that match no route.
pub async fn not_found() -> Result<actix_web::HttpResponse, Error> {
    Err(Error::NotFound("no such endpoint".to_owned()))
}
