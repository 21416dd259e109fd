//! Prometheus metrics: the recorder (installed once per process) and `/metrics`, served on
//! its own listener (`telemetry.metrics_bind`), never on the API's. Labels are bounded:
//! [`method_label`] and the matched route pattern (or `unmatched`).

use std::sync::OnceLock;

use actix_web::{HttpResponse, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::app::AppState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide recorder's handle; installed on first call.
pub fn handle() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("duration_seconds".to_owned()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                        10.0,
                    ],
                )
                .ok()?
                .install_recorder()
                .ok()
        })
        .clone()
}

/// Prometheus text exposition, on the metrics listener (`telemetry.metrics_bind`) only.
pub async fn render(state: web::Data<AppState>) -> HttpResponse {
    let (in_use, idle) = state.ctx.db.pool_state();
    metrics::gauge!("crossings_db_connections", "state" => "in_use").set(f64::from(in_use));
    metrics::gauge!("crossings_db_connections", "state" => "idle").set(f64::from(idle));
    let body = handle().map(|h| h.render()).unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}

/// The `method` label: one of the standard methods, or `OTHER`, so that made-up methods
/// cannot grow the label set.
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        use actix_web::http::Method;
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"FOO").unwrap()), "OTHER");
        assert_eq!(method_label(&Method::from_bytes(b"BAR").unwrap()), "OTHER");
    }
}
