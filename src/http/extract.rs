//! Extractors that turn a request into typed input, mapping every failure to [`Error`]:
//! unreadable JSON is 400, JSON of the wrong shape is 422 naming the field, a body over the
//! limit is 413.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::auth::Principal;
use crate::error::Error;
use crate::service::{Caller, Client};

/// A JSON body deserialised into `T`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = ApiBytes::from_request(req, payload);
        Box::pin(async move { parse_json(&bytes.await?.0).map(ApiJson) })
    }
}

/// The raw body, read up to the configured limit: over it is a 413 problem (not actix's plain
/// text), unreadable is a 400, and a `Content-Type` other than JSON is a 415.
#[derive(Debug)]
pub struct ApiBytes(pub web::Bytes);

impl FromRequest for ApiBytes {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings().server.body_limit_bytes)
            .unwrap_or(1 << 20);
        let media_type = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("?").to_owned());
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if let Some(media_type) = media_type {
                let essence = media_type
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                if essence != "application/json" && !essence.ends_with("+json") {
                    return Err(Error::UnsupportedMediaType);
                }
            }
            bytes
                .await
                .map(ApiBytes)
                .map_err(|e| match e.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => Error::PayloadTooLarge { limit },
                    _ => Error::BadRequest(format!("the body could not be read: {e}")),
                })
        })
    }
}

/// Parses JSON text into `T`: text that is not JSON is 400, JSON of the wrong shape is 422
/// with the field's path.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::BadRequest("a JSON body is required".to_owned()));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::BadRequest(format!("malformed JSON: {e}")))?;
    Ok(crate::domain::validation::from_json_value(value)?)
}

/// A query string deserialised into `T`; failures are 422 naming the parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(
            form_urlencoded::parse(req.query_string().as_bytes()),
        ))
        .map(ApiQuery)
        .map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            Error::Validation(crate::domain::validation::shape_error(&path, &inner))
        });
        std::future::ready(parsed)
    }
}

/// The request's id (set by the request-id middleware).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Where a request came from, for the audit log and rate limits: the service's [`Client`].
#[derive(Debug, Clone)]
pub struct ClientInfo(pub Client);

impl ClientInfo {
    /// Reads the client's address and request id off a request.
    pub fn of(req: &HttpRequest) -> Client {
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|s| crate::net::parse_proxies(&s.settings().server.trusted_proxies))
            .and_then(Result::ok)
            .unwrap_or_default();
        let addr = req.peer_addr().map(|peer| {
            let forwarded: Vec<&str> = req
                .headers()
                .get_all("x-forwarded-for")
                .map(|v| v.to_str().unwrap_or("not text"))
                .collect();
            crate::net::client_address(peer.ip(), &forwarded, &trusted)
        });
        Client {
            addr,
            request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        }
    }
}

impl FromRequest for ClientInfo {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self(Self::of(req))))
    }
}

/// The authenticated caller (the access middleware has checked the token and the role) and
/// where the request came from.
impl FromRequest for Caller {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let principal = match Principal::from_request(req, payload).into_inner() {
            Ok(p) => p,
            Err(e) => return std::future::ready(Err(e)),
        };
        std::future::ready(Ok(Caller {
            principal,
            client: ClientInfo::of(req),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[expect(dead_code, reason = "fields are read by serde only")]
    struct Inner {
        date: chrono::NaiveDate,
    }

    #[derive(Debug, Deserialize)]
    #[expect(dead_code, reason = "fields are read by serde only")]
    struct Outer {
        name: String,
        inner: Inner,
    }

    fn field_of(e: Error) -> String {
        match e {
            Error::Validation(v) => v.0[0].field.clone(),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn syntax_errors_are_400() {
        assert!(matches!(
            parse_json::<Outer>(b"{\"name\": "),
            Err(Error::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Outer>(b"not json"),
            Err(Error::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Outer>(b""),
            Err(Error::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Outer>(br#"{"name":"a","inner":{"date":"2026-01-01"}} trailing"#),
            Err(Error::BadRequest(_))
        ));
    }

    #[test]
    fn shape_errors_are_422_naming_the_field() {
        assert_eq!(
            field_of(parse_json::<Outer>(br#"{"inner":{"date":"2026-01-01"}}"#).unwrap_err()),
            "name"
        );
        assert_eq!(
            field_of(
                parse_json::<Outer>(br#"{"name":"a","inner":{"date":"2026-02-30"}}"#).unwrap_err()
            ),
            "inner.date"
        );
        assert_eq!(
            field_of(parse_json::<Outer>(br#"{"name":"a","inner":{}}"#).unwrap_err()),
            "inner.date"
        );
        assert_eq!(field_of(parse_json::<Outer>(b"42").unwrap_err()), "body");
    }
}
