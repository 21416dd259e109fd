//! The one error type of the service. Every failure a request can meet becomes one of these,
//! and `http::error` maps each to its RFC 9457 problem+json answer, once. Internal failures
//! keep their cause chain for the log; clients never see it.

use crate::domain::validation::ValidationErrors;
use crate::store::{DbFailure, StoreError};

/// A cause kept for the log.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The body or query cannot be read at all (400).
    #[error("malformed request: {0}")]
    BadRequest(String),
    /// No credentials, or bad ones (401).
    #[error("not authenticated: {0}")]
    Unauthenticated(String),
    /// The password is right but a one-time code is needed (401, type `otp-required`).
    #[error("one-time code required: {0}")]
    OtpRequired(String),
    /// The account must change its password before anything else (403, type
    /// `password-change-required`).
    #[error("password change required")]
    PasswordChangeRequired,
    /// The account must enrol a second factor before anything else (403, type
    /// `mfa-enrolment-required`).
    #[error("second factor enrolment required")]
    MfaEnrolmentRequired,
    /// Authenticated, but not allowed (403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No such thing, or not one the caller may know of (404).
    #[error("not found: {0}")]
    NotFound(String),
    /// The endpoint exists but not with this method (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Clashes with what is stored (409).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The body is over the configured limit (413).
    #[error("request body over the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body is not JSON by its `Content-Type` (415).
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    /// The body was read but its content is not acceptable (422).
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    /// Slow down (429).
    #[error("too many requests: {detail}")]
    TooManyRequests {
        /// What to tell the client.
        detail: String,
        /// Seconds until it may try again.
        retry_after_secs: u64,
    },
    /// The service is saturated (password hashing, statistics); retry after a while (503
    /// with `Retry-After`).
    #[error("busy: {detail}")]
    Busy {
        /// What to tell the client.
        detail: String,
        /// Seconds until it may try again.
        retry_after_secs: u64,
    },
    /// A dependency (the database) is down or overloaded; retry later (503).
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug. Logged with its cause chain; the client sees only an opaque 500.
    #[error("internal error: {context}")]
    Internal {
        /// What was being done.
        context: String,
        /// Why it failed, when another error says so.
        #[source]
        source: Option<Cause>,
    },
}

/// Result of request-level work.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A bug described in words.
    pub fn internal(context: impl Into<String>) -> Self {
        Self::Internal {
            context: context.into(),
            source: None,
        }
    }

    /// A bug caused by another error, kept for the log.
    pub fn internal_from(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Internal {
            context: context.into(),
            source: Some(Box::new(source)),
        }
    }

    /// The error and every cause under it, one line (for the log).
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut next = std::error::Error::source(self);
        while let Some(cause) = next {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            next = cause.source();
        }
        text
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => Self::Unavailable(m),
            StoreError::Conflict(m) => Self::Conflict(m),
            StoreError::NotFound => Self::NotFound("no such record".to_owned()),
            e @ (StoreError::Other(_) | StoreError::Migration(_) | StoreError::Task(_)) => {
                Self::internal_from("database", e)
            }
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl DbFailure for Error {
    fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_failure_keeps_its_cause_for_the_log() {
        let e: Error = StoreError::Other(diesel::result::Error::NotInTransaction).into();
        let chain = e.chain();
        assert!(chain.starts_with("internal error: database"), "{chain}");
        assert!(
            chain.contains(&diesel::result::Error::NotInTransaction.to_string()),
            "{chain}"
        );
    }
}
