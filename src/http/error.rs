//! The one mapping from [`Error`] to RFC 9457 problem+json.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::validation::FieldError;
use crate::error::Error;

/// The body of every error answer (`application/problem+json`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    #[schema(example = "urn:crossings:problem:validation")]
    pub type_uri: String,
    /// Short summary of the kind of problem.
    #[schema(example = "Unprocessable content")]
    pub title: String,
    /// The HTTP status.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// For 422: each field that is wrong and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Error {
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            Error::BadRequest(_) => ("bad-request", "Malformed request"),
            Error::Unauthenticated(_) => ("unauthenticated", "Not authenticated"),
            Error::Forbidden(_) => ("forbidden", "Forbidden"),
            Error::OtpRequired(_) => ("otp-required", "One-time code required"),
            Error::PasswordChangeRequired => {
                ("password-change-required", "Password change required")
            }
            Error::MfaEnrolmentRequired => {
                ("mfa-enrolment-required", "Second factor enrolment required")
            }
            Error::Busy { .. } => ("busy", "Service busy"),
            Error::NotFound(_) => ("not-found", "Not found"),
            Error::MethodNotAllowed => ("method-not-allowed", "Method not allowed"),
            Error::Conflict(_) => ("conflict", "Conflict"),
            Error::PayloadTooLarge { .. } => ("payload-too-large", "Request body too large"),
            Error::UnsupportedMediaType => ("unsupported-media-type", "Unsupported media type"),
            Error::Validation(_) => ("validation", "Unprocessable content"),
            Error::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            Error::Unavailable(_) => ("unavailable", "Service unavailable"),
            Error::Internal { .. } => ("internal", "Internal server error"),
        }
    }

    /// What the client is told. Internal and unavailable causes stay in the log.
    fn public_detail(&self) -> String {
        match self {
            Error::BadRequest(m)
            | Error::Unauthenticated(m)
            | Error::Forbidden(m)
            | Error::NotFound(m)
            | Error::Conflict(m)
            | Error::OtpRequired(m) => m.clone(),
            Error::PasswordChangeRequired => "this account must change its password first: POST /api/v1/auth/password".to_owned(),
            Error::MfaEnrolmentRequired => "this account must set up a second factor first: POST /api/v1/auth/mfa/setup, then /auth/mfa/confirm".to_owned(),
            Error::TooManyRequests { detail, .. } | Error::Busy { detail, .. } => detail.clone(),
            Error::PayloadTooLarge { .. }
            | Error::MethodNotAllowed
            | Error::UnsupportedMediaType => self.to_string(),
            Error::Validation(v) => match v.0.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                many => format!("{} fields are not acceptable", many.len()),
            },
            Error::Unavailable(_) => {
                "the database is unavailable; the request was not carried out, retry later"
                    .to_owned()
            }
            Error::Internal { .. } => {
                "an internal error occurred; it has been logged with this request's id".to_owned()
            }
        }
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) | Error::PasswordChangeRequired | Error::MfaEnrolmentRequired => {
                StatusCode::FORBIDDEN
            }
            Error::OtpRequired(_) => StatusCode::UNAUTHORIZED,
            Error::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            Error::Internal { .. } => {
                tracing::error!(cause = %self.chain(), "request failed: internal error")
            }
            Error::Unavailable(cause) => {
                tracing::warn!(cause = %cause, "request failed: database unavailable")
            }
            _ => {}
        }
        let (slug, title) = self.kind();
        let problem = Problem {
            type_uri: format!("urn:crossings:problem:{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: self.public_detail(),
            errors: match self {
                Error::Validation(v) => v.0.clone(),
                _ => Vec::new(),
            },
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            Error::TooManyRequests {
                retry_after_secs, ..
            }
            | Error::Busy {
                retry_after_secs, ..
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Error::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            Error::Unauthenticated(_) | Error::OtpRequired(_) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"crossings\""),
                ));
            }
            _ => {}
        }
        response.json(problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validation::ValidationErrors;

    #[test]
    fn internal_causes_are_not_shown_to_clients() {
        let e = Error::internal("password column missing in users");
        assert!(!e.public_detail().contains("password column"));
        let e = Error::Unavailable("connection refused to 10.0.0.5".into());
        assert!(!e.public_detail().contains("10.0.0.5"));
    }

    #[test]
    fn statuses_follow_the_contract() {
        let cases = [
            (Error::BadRequest("x".into()), 400),
            (Error::Unauthenticated("x".into()), 401),
            (Error::Forbidden("x".into()), 403),
            (Error::NotFound("x".into()), 404),
            (Error::Conflict("x".into()), 409),
            (Error::PayloadTooLarge { limit: 1 }, 413),
            (
                Error::Validation(ValidationErrors::one("poe", "unknown")),
                422,
            ),
            (
                Error::TooManyRequests {
                    detail: "x".into(),
                    retry_after_secs: 1,
                },
                429,
            ),
            (Error::Unavailable("x".into()), 503),
            (Error::internal("x"), 500),
        ];
        for (e, status) in cases {
            assert_eq!(e.status_code().as_u16(), status, "{e}");
        }
    }
}
