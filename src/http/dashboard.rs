//! The HOBA dashboard at `/dashboard/`: a static page compiled into the binary (no CDN, no
//! download at build or run time) that signs in with the analyst's own account and draws
//! from the statistics API.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

const INDEX: &str = include_str!("dashboard/index.html");
const APP_JS: &str = include_str!("dashboard/app.js");
const I18N_JS: &str = include_str!("dashboard/i18n.js");
const STYLE: &str = include_str!("dashboard/style.css");

/// The page's content security policy: its own scripts and styles only, API calls to this
/// origin only, never framed.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

/// `/dashboard` → `/dashboard/`.
pub async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/dashboard/"))
        .finish()
}

/// The page.
pub async fn index() -> HttpResponse {
    asset("text/html; charset=utf-8", INDEX)
}

/// Its script.
pub async fn app_js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", APP_JS)
}

/// Its words, one table per language (English, Sesotho).
pub async fn i18n_js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", I18N_JS)
}

/// Its styles.
pub async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE)
}

/// Registers the dashboard's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(redirect))
        .route("/dashboard/", web::get().to(index))
        .route("/dashboard/app.js", web::get().to(app_js))
        .route("/dashboard/i18n.js", web::get().to(i18n_js))
        .route("/dashboard/style.css", web::get().to(style));
}
