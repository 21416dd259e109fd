//! The outermost middleware: gives every request an id (echoing a sane incoming
//! `X-Request-Id`), runs it inside a tracing span carrying that id, logs its outcome, and
//! counts it for Prometheus.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Instrument;

use super::extract::RequestId;

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Whether an incoming id is safe to echo and log: 1–128 visible characters of a small set.
fn acceptable_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// The middleware function (`actix_web::middleware::from_fn(observe)`).
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = super::metrics::method_label(req.method());
    // The path as the client wrote it is client-controlled: clipped and escaped. The query
    // string is never logged (it may carry personal data).
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %crate::telemetry::clip(req.method().as_str()),
        path = %crate::telemetry::clip(req.path())
    );
    let started = Instant::now();
    let mut res = next
        .call(req)
        .instrument(span.clone())
        .await?
        .map_into_boxed_body();
    if res.status() == actix_web::http::StatusCode::METHOD_NOT_ALLOWED {
        res = method_not_allowed(res);
    }

    let elapsed = started.elapsed();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16();
    metrics::counter!(
        "crossings_http_requests_total",
        "route" => route.clone(), "method" => method, "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!(
        "crossings_http_request_duration_seconds",
        "route" => route.clone(), "method" => method
    )
    .record(elapsed.as_secs_f64());
    span.in_scope(|| {
        let ms = elapsed.as_secs_f64() * 1000.0;
        if route.starts_with("/health") || route == "/metrics" {
            tracing::debug!(status, route = %route, latency_ms = ms, "served");
        } else if status >= 500 {
            tracing::error!(status, route = %route, latency_ms = ms, "served with a server error");
        } else {
            tracing::info!(status, route = %route, latency_ms = ms, "served");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}

/// A 405 as a problem, with the `Allow` header RFC 9110 asks for: the API's methods of the
/// path from the access table; everything outside the API is GET only.
fn method_not_allowed(res: ServiceResponse) -> ServiceResponse {
    use actix_web::ResponseError;
    let pattern = res.request().match_pattern().unwrap_or_default();
    let allowed: Vec<&str> = match pattern.strip_prefix(super::access::API_PREFIX) {
        Some(path) => super::access::RULES
            .iter()
            .filter(|r| r.path == path)
            .map(|r| r.method)
            .collect(),
        None => vec!["GET"],
    };
    let (req, _) = res.into_parts();
    let mut response = crate::error::Error::MethodNotAllowed.error_response();
    if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
        response
            .headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    ServiceResponse::new(req, response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sane_ids_are_echoed() {
        assert!(acceptable_id("3f9c2a10-aaaa-4bbb-8ccc-1234567890ab"));
        assert!(acceptable_id("gate-7:req.42"));
        assert!(!acceptable_id(""));
        assert!(!acceptable_id("has space"));
        assert!(!acceptable_id("inject\nlog line"));
        assert!(!acceptable_id(&"x".repeat(129)));
    }
}
