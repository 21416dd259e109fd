//! The officer terminal at `/terminal/`: a keyboard-first page for the posts without an
//! automated system, compiled into the binary (no CDN, no download at build or run time). It
//! signs in with the officer's own account and does everything through the public API with
//! that token, held in the page's memory only.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

const INDEX: &str = include_str!("terminal/index.html");
const APP_JS: &str = include_str!("terminal/app.js");
const MRZ_JS: &str = include_str!("terminal/mrz.js");
const I18N_JS: &str = include_str!("terminal/i18n.js");
const STYLE: &str = include_str!("terminal/style.css");

/// The page's content security policy: its own scripts and styles only, API calls to this
/// origin only, never framed, no forms sent anywhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(body)
}

/// `/terminal` → `/terminal/`.
pub async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/terminal/"))
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

/// The MRZ reader (ICAO 9303 check digits, the same rules as the service's).
pub async fn mrz_js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", MRZ_JS)
}

/// Its words, one table per language (English, Sesotho).
pub async fn i18n_js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", I18N_JS)
}

/// Its styles.
pub async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE)
}

/// Registers the terminal's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/terminal", web::get().to(redirect))
        .route("/terminal/", web::get().to(index))
        .route("/terminal/app.js", web::get().to(app_js))
        .route("/terminal/mrz.js", web::get().to(mrz_js))
        .route("/terminal/i18n.js", web::get().to(i18n_js))
        .route("/terminal/style.css", web::get().to(style));
}
