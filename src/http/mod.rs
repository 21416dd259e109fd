//! The HTTP layer: routes, extractors, access control and the error mapping. Handlers are
//! thin: they parse input into domain values, call the store or a service, and shape the
//! answer.

pub mod access;
pub mod audit;
pub mod auth;
pub mod csv;
pub mod cursor;
pub mod dashboard;
pub mod declarations;
pub mod docs;
pub mod edges;
pub mod error;
pub mod extract;
pub mod health;
pub mod holds;
pub mod metrics;
pub mod movements;
pub mod observe;
pub mod poe_systems;
pub mod poes;
pub mod stats;
pub mod stays;
pub mod terminal;
pub mod travellers;
pub mod users;
pub mod watchlist;

use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{Scope, web};

use crate::error::Error;
use docs::{BearerScheme, ProblemResponses};

/// Declares the API routes once: registers them and lists them in [`API_ROUTES`], which the
/// access table and the OpenAPI document are checked against.
macro_rules! api_routes {
    ($( $method:ident $path:literal => $handler:path ),* $(,)?) => {
        /// Every API route: method and path under `/api/v1`, in registration order.
        pub const API_ROUTES: &[(&str, &str)] = &[ $( (stringify!($method), $path) ),* ];

        fn api_scope() -> Scope {
            web::scope(access::API_PREFIX)
                $( .route($path, web::$method().to($handler)) )*
        }

        /// The OpenAPI document of every route above, plus the probes and metrics.
        #[derive(utoipa::OpenApi)]
        #[openapi(
            info(title = "crossings", description = docs::DESCRIPTION, license(name = "Apache-2.0")),
            paths($($handler),*, health::live, health::ready),
            components(schemas(
                error::Problem,
                crate::domain::validation::FieldError,
                // Named by query parameters only, which do not collect their schemas.
                crate::domain::poe::PoeCode,
                crate::domain::stats::Dimension,
                crate::domain::schemas::AgeBand,
                crate::domain::schemas::AnswerFormat,
                crate::domain::schemas::DateOrInstant,
                crate::domain::schemas::Interval,
                crate::domain::schemas::LocalDate,
                crate::domain::schemas::StayKind,
                crate::domain::schemas::StayStatus,
                crate::domain::schemas::WatchlistShow,
                travellers::ReportFormat,
            )),
            modifiers(&BearerScheme, &ProblemResponses),
            tags(
                (name = "auth", description = "Sign-in and tokens"),
                (name = "users", description = "Accounts (admins)"),
                (name = "poe-systems", description = "Automated POE systems (admins)"),
                (name = "poes", description = "The POE registry"),
                (name = "movements", description = "Recording and reading crossings"),
                (name = "declarations", description = "Customs declarations (LRA)"),
                (name = "travellers", description = "A traveller's national history, by document or by name"),
                (name = "stays", description = "Stays and overstays (immigration)"),
                (name = "watchlist", description = "Alerts and hits (police)"),
                (name = "statistics", description = "HOBA statistics (analysts, admins)"),
                (name = "holds", description = "Police holds: records kept past retention"),
                (name = "audit", description = "The audit log (admins)"),
                (name = "operations", description = "Probes, metrics, this document"),
                (name = "edges", description = "Posts that go offline: edge credentials (admins), what an edge pulls and forwards (edge credential), its status (at an edge)"),
            )
        )]
        pub struct ApiDoc;
    };
}

api_routes! {
    post "/auth/login" => auth::login,
    post "/auth/refresh" => auth::refresh,
    post "/auth/logout" => auth::logout,
    post "/auth/token" => auth::system_token,
    post "/auth/password" => auth::change_password,
    post "/auth/mfa/setup" => auth::mfa_setup,
    post "/auth/mfa/confirm" => auth::mfa_confirm,
    get "/users" => users::list,
    post "/users" => users::create,
    get "/users/{id}" => users::get,
    patch "/users/{id}" => users::update,
    delete "/users/{id}/mfa" => users::reset_mfa,
    get "/poe-systems" => poe_systems::list,
    post "/poe-systems" => poe_systems::create,
    delete "/poe-systems/{id}" => poe_systems::delete,
    get "/poes" => poes::list,
    patch "/poes/{code}" => poes::update,
    post "/movements" => movements::record_one,
    get "/movements" => movements::list,
    post "/movements/batch" => movements::record_batch,
    get "/movements/{id}" => movements::get,
    post "/movements/{id}/void" => movements::void,
    post "/movements/{id}/declarations" => declarations::create,
    get "/movements/{id}/declarations" => declarations::list,
    get "/travellers/history" => travellers::history,
    get "/travellers/report" => travellers::report,
    post "/travellers/search" => travellers::search,
    get "/stays" => stays::list,
    get "/watchlist" => watchlist::list,
    post "/watchlist" => watchlist::create,
    delete "/watchlist/{id}" => watchlist::remove,
    get "/alert-hits" => watchlist::hits,
    get "/alert-hits/stream" => watchlist::stream,
    post "/alert-hits/{id}/acknowledge" => watchlist::acknowledge,
    get "/stats/movements" => stats::movements,
    get "/stats/summary" => stats::summary,
    get "/stats/hour-profile" => stats::hour_profile,
    get "/stats/citizen-flow" => stats::citizen_flow,
    post "/holds" => holds::create,
    get "/holds" => holds::list,
    delete "/holds/{id}" => holds::release,
    get "/audit" => audit::list,
    get "/audit/verify" => audit::verify,
    get "/openapi.json" => docs::openapi,
    get "/edges" => edges::list,
    post "/edges" => edges::create,
    delete "/edges/{id}" => edges::delete,
    get "/edge/sync" => edges::sync,
    post "/edge/movements" => edges::forward,
    get "/edge/status" => edges::status,
}

/// Registers every route. The API scope is wrapped in the access middleware.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        api_scope()
            .wrap(from_fn(access::enforce))
            .wrap(DefaultHeaders::new().add(("Cache-Control", "no-store"))),
    )
    .app_data(web::Data::new(docs::document()))
    .service(docs::swagger_ui())
    .service(web::resource("/docs").get(docs::redirect))
    .configure(dashboard::configure)
    .configure(terminal::configure)
    // Resources (not bare routes), so that another method gets 405, not 404.
    .service(web::resource("/health/live").get(health::live))
    .service(web::resource("/health/ready").get(health::ready));
    // `/metrics` is not here: it is served on telemetry.metrics_bind only.
}

/// The answer for paths that match no route.
pub async fn not_found() -> Result<actix_web::HttpResponse, Error> {
    Err(Error::NotFound("no such endpoint".to_owned()))
}
