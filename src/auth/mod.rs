//! Authentication's machinery: password hashing, token keys, the login throttles, and the
//! [`Principal`] a token stands for. The use cases that combine them with the database
//! (signing in, refreshing, signing out, authenticating a request) are `service::sessions`;
//! authorisation (who may call what) is `http::access`.

pub mod password;
pub mod principal;
pub mod throttle;
pub mod tokens;
pub mod totp;

use std::time::Duration;

use crate::config::AuthSettings;
use crate::domain::user::{NewPassword, Role};
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
    /// The token is good only for changing the password (and signing out).
    pub password_change_required: bool,
    /// The token is good only for enrolling a second factor (and the password, signing out).
    pub mfa_enrolment_required: bool,
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
    /// Failures for one username from anywhere within an hour that lock it everywhere.
    pub account_failure_limit: i64,
    /// A session's absolute lifetime.
    pub session_max: chrono::Duration,
    /// Roles that must enrol a second factor first.
    pub mfa_required_roles: Vec<Role>,
    /// Password verifications in flight (each holds ~19 MiB).
    hashing: tokio::sync::Semaphore,
    /// Sign-ins in flight (their database work and their hashing): twice the hashing slots,
    /// so that a flood waits on this, cheaply, instead of filling the blocking pool with
    /// threads (each of which costs memory) that wait for the database or for hashing.
    signing_in: tokio::sync::Semaphore,
}

/// How long a login waits for a hashing slot before 503.
const HASH_WAIT: Duration = Duration::from_secs(1);

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
            account_failure_limit: i64::from(settings.account_failure_limit),
            session_max: chrono::Duration::seconds(settings.session_max_secs),
            mfa_required_roles: settings
                .mfa_required_roles
                .iter()
                .filter_map(|r| Role::parse(r))
                .collect(),
            hashing: tokio::sync::Semaphore::new(settings.hash_permits()),
            signing_in: tokio::sync::Semaphore::new(settings.hash_permits().saturating_mul(2)),
        })
    }

    /// The token keys (tests forge tokens with them).
    pub fn keys(&self) -> &TokenKeys {
        &self.keys
    }

    /// Hashes a new password on the blocking pool, within the bound on hashes at once.
    pub async fn hash_password(&self, password: &NewPassword) -> Result<String> {
        let _slot = self.hashing_slot().await?;
        let secret = password.secret().clone();
        let cost = self.cost;
        blocking(move || Ok(password::hash(&secret, cost)?)).await
    }

    /// Checks a password against a stored hash on the blocking pool, within the bound on
    /// hashes at once: a check that cannot start within a second is 503 with `Retry-After`.
    pub async fn verify_password(&self, candidate: String, hash: String) -> Result<bool> {
        let _slot = self.hashing_slot().await?;
        blocking(move || Ok(password::verify(&candidate, &hash)?)).await
    }

    /// A place among the sign-ins in flight; 503 with `Retry-After` after a second's wait.
    pub async fn sign_in_slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>> {
        Self::slot(&self.signing_in).await
    }

    async fn hashing_slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>> {
        Self::slot(&self.hashing).await
    }

    async fn slot(semaphore: &tokio::sync::Semaphore) -> Result<tokio::sync::SemaphorePermit<'_>> {
        match tokio::time::timeout(HASH_WAIT, semaphore.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(e)) => Err(Error::internal_from("hashing semaphore", e)),
            Err(_) => {
                metrics::counter!("crossings_login_hash_busy_total").increment(1);
                Err(Error::Busy {
                    detail: "too many sign-ins at once; try again shortly".to_owned(),
                    retry_after_secs: 1,
                })
            }
        }
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
