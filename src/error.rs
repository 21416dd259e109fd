//! The one error type of the service. Every failure a request can meet becomes one of these,
//! and `http::error` maps each to its RFC 9457 problem+json answer, once.

use crate::domain::validation::ValidationErrors;
use crate::store::StoreError;

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The body or query cannot be read at all (400).
    #[error("malformed request: {0}")]
    BadRequest(String),
    /// No credentials, or bad ones (401).
    #[error("not authenticated: {0}")]
    Unauthenticated(String),
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
    /// A dependency (the database) is down or overloaded; retry later (503).
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug. Logged with its cause; the client sees only an opaque 500.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result of request-level work.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => Self::Unavailable(m),
            StoreError::Conflict(m) => Self::Conflict(m),
            StoreError::NotFound => Self::NotFound("no such record".to_owned()),
            StoreError::Other(e) => Self::Internal(format!("database: {e}")),
            StoreError::Migration(m) => Self::Internal(format!("migration: {m}")),
            StoreError::Task(m) => Self::Internal(format!("blocking task: {m}")),
        }
    }
}

impl From<crate::auth::password::HashError> for Error {
    fn from(e: crate::auth::password::HashError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<crate::auth::tokens::TokenError> for Error {
    fn from(e: crate::auth::tokens::TokenError) -> Self {
        Self::Internal(e.to_string())
    }
}
