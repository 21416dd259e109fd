//! Authentication's machinery: password hashing, token keys, the login throttles, and the
//! [`Principal`] a token stands for. The use cases that combine them with the database
//! (signing in, refreshing, signing out, authenticating a request) are `service::sessions`;
//! authorisation (who may call what) is `http::access`.

pub mod password;
pub mod principal;
pub mod throttle;
pub mod tokens;

use std::time::Duration;

use crate::config::AuthSettings;
use crate::domain::user::NewPassword;
use crate::error::{Error, Result};
use password::HashCost;
pub use principal::{Identity, Principal};
use throttle::AddressThrottle;
use tokens::TokenKeys;

/// What a successful login or refresh hands out.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    /// The JWT.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// The single-use refresh token (users only).
    pub refresh_token: Option<String>,
}

/// Everything authentication needs, built once at start.
pub struct AuthService {
    keys: TokenKeys,
    cost: HashCost,
    /// A hash verified in place of a missing or disabled account's, so that every failed
    /// sign-in costs the same.
    pub decoy_hash: String,
    /// Failed sign-ins per client address.
    pub address_throttle: AddressThrottle,
    /// Failed sign-ins in a row that lock a username.
    pub lockout_threshold: i32,
    /// How long a lock lasts.
    pub lockout: chrono::Duration,
    /// Lifetime of a refresh token.
    pub refresh_ttl: chrono::Duration,
}

impl AuthService {
    /// Builds the service (hashes one decoy password, so call it off the async workers).
    pub fn new(settings: &AuthSettings) -> Result<Self> {
        let cost = HashCost {
            memory_kib: settings.argon2_memory_kib,
            iterations: settings.argon2_iterations,
            parallelism: settings.argon2_parallelism,
        };
        Ok(Self {
            keys: TokenKeys::new(
                &settings.jwt_secret,
                &settings.issuer,
                &settings.audience,
                settings.access_token_ttl_secs,
            )?,
            cost,
            decoy_hash: password::decoy_hash(cost)?,
            address_throttle: AddressThrottle::new(
                settings.address_failure_limit,
                Duration::from_secs(settings.address_failure_window_secs),
            ),
            lockout_threshold: i32::try_from(settings.lockout_threshold).unwrap_or(i32::MAX),
            lockout: chrono::Duration::minutes(settings.lockout_minutes),
            refresh_ttl: chrono::Duration::seconds(settings.refresh_token_ttl_secs),
        })
    }

    /// The token keys (tests forge tokens with them).
    pub fn keys(&self) -> &TokenKeys {
        &self.keys
    }

    /// Hashes a new password on the blocking pool.
    pub async fn hash_password(&self, password: &NewPassword) -> Result<String> {
        let secret = password.secret().clone();
        let cost = self.cost;
        blocking(move || Ok(password::hash(&secret, cost)?)).await
    }

    /// Checks a password against a stored hash on the blocking pool.
    pub async fn verify_password(&self, candidate: String, hash: String) -> Result<bool> {
        blocking(move || Ok(password::verify(&candidate, &hash)?)).await
    }

    /// Signs an access token for a user in a session.
    pub fn access_token_for(&self, principal: &Principal, user_id: String) -> Result<String> {
        let sid = match &principal.identity {
            Identity::User { session_id, .. } => Some(session_id.clone()),
            Identity::System { .. } => None,
        };
        Ok(self.keys.issue(
            format!("user:{user_id}"),
            principal.roles.names(),
            principal.postings.names(),
            sid,
        )?)
    }
}

/// Runs CPU-heavy work (argon2) on the blocking pool, inside the current tracing span.
async fn blocking<T, F>(f: F) -> Result<T>
where
    F: FnOnce() -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    actix_web::web::block(move || span.in_scope(f))
        .await
        .map_err(|e| Error::internal_from("blocking task", e))?
}
