//! Authentication: logins, sessions and refresh tokens, POE-system credentials, and turning a
//! bearer token into a [`Principal`]. Authorisation (who may call what) is `http::access`.

pub mod accounts;
pub mod password;
pub mod principal;
pub mod systems;
pub mod throttle;
pub mod tokens;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;

use crate::config::AuthSettings;
use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::poe::PoeCode;
use crate::domain::user::{NewPassword, Postings, Role, RoleSet, Username};
use crate::error::{Error, Result};
use crate::store::users::{LoginThrottleRow, UserRow};
use crate::store::{self, Db, StoreError};
use password::HashCost;
pub use principal::{Identity, Principal};
use throttle::AddressThrottle;
use tokens::{TokenKeys, random_secret, secret_hash};

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
    decoy_hash: String,
    address_throttle: AddressThrottle,
    lockout_threshold: i32,
    lockout: chrono::Duration,
    refresh_ttl: chrono::Duration,
}

const INVALID_CREDENTIALS: &str = "invalid username or password";

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

    /// Signs a user in. Wrong passwords, unknown and disabled accounts all answer the same
    /// 401; a locked username (existing or not) answers 429; an address with too many
    /// failures answers 429. Only failures count towards either limit.
    pub async fn login(
        self: &Arc<Self>,
        db: &Db,
        username: &str,
        password: &str,
        addr: Option<IpAddr>,
        request_id: Option<String>,
    ) -> Result<IssuedTokens> {
        if let Some(ip) = addr {
            if let Some(wait) = self.address_throttle.blocked_for(ip, Instant::now()) {
                tracing::warn!(client_addr = %ip, "login refused: too many failed logins from this address");
                return Err(Error::TooManyRequests {
                    detail: "too many failed logins from this address".to_owned(),
                    retry_after_secs: wait,
                });
            }
        }
        // Keep what is stored about unknown names bounded and printable.
        let typed: String = username
            .trim()
            .to_ascii_lowercase()
            .chars()
            .take(64)
            .collect();
        let lookup = typed.clone();
        let (user, throttle) = db
            .read(move |c| {
                Ok((
                    store::users::by_username(c, &lookup)?,
                    store::users::throttle_state(c, &lookup)?,
                ))
            })
            .await?;
        let now = store::now();
        if let Some(until) = throttle.as_ref().and_then(|t| t.locked_until) {
            if until > now {
                let wait = (until - now).num_seconds().max(1);
                return Err(Error::TooManyRequests {
                    detail: "too many failed logins for this account; try again later".to_owned(),
                    retry_after_secs: u64::try_from(wait).unwrap_or(1),
                });
            }
        }
        let hash = match &user {
            Some(u) if u.active => u.password_hash.clone(),
            _ => self.decoy_hash.clone(),
        };
        let candidate = password.to_owned();
        let matches = blocking(move || Ok(password::verify(&candidate, &hash)?)).await?;
        let user = user.filter(|u| u.active && matches);

        let actor = Actor {
            name: typed.clone(),
            roles: user.as_ref().map(|u| u.roles.clone()).unwrap_or_default(),
            client_addr: addr.map(|a| a.to_string()),
            request_id,
        };
        let Some(user) = user else {
            if let Some(ip) = addr {
                self.address_throttle.record_failure(ip, Instant::now());
            }
            let locked = self
                .record_failure(db, typed.clone(), throttle, actor)
                .await?;
            metrics::counter!("crossings_login_failures_total").increment(1);
            tracing::warn!(username = %typed, locked, "login failed");
            return Err(Error::Unauthenticated(INVALID_CREDENTIALS.to_owned()));
        };

        let session_id = uuid::Uuid::now_v7().to_string();
        let refresh = random_secret();
        let refresh_row = store::sessions::RefreshTokenRow {
            token_hash: secret_hash(&refresh),
            session_id: session_id.clone(),
            issued_at: now,
            expires_at: now + self.refresh_ttl,
            used_at: None,
        };
        let user_id = user.id.clone();
        let (sid, uid, uname) = (session_id.clone(), user.id.clone(), user.username.clone());
        db.write(move |c| {
            store::users::clear_throttle(c, &uname)?;
            store::sessions::open(c, &sid, &uid, now)?;
            store::sessions::add_refresh_token(c, &refresh_row)?;
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::new("auth.login", format!("session:{sid}"))],
            )
        })
        .await?;
        tracing::info!(username = %user.username, session_id = %session_id, "signed in");
        let principal = principal_of_user(&user, session_id)?;
        Ok(IssuedTokens {
            access_token: self.access_token_for(&principal, user_id)?,
            expires_in: self.keys.ttl_secs(),
            refresh_token: Some(refresh),
        })
    }

    /// Counts a failure against a username; answers whether it is now locked.
    async fn record_failure(
        &self,
        db: &Db,
        username: String,
        previous: Option<LoginThrottleRow>,
        actor: Actor,
    ) -> Result<bool> {
        let now = store::now();
        let failures = previous
            .filter(|t| t.locked_until.is_none_or(|u| u <= now))
            .map(|t| t.failures)
            .unwrap_or(0)
            + 1;
        let locked = failures >= self.lockout_threshold;
        let row = LoginThrottleRow {
            username: username.clone(),
            failures: if locked { 0 } else { failures },
            locked_until: locked.then(|| now + self.lockout),
            last_failure_at: now,
        };
        db.write(move |c| {
            store::users::save_throttle(c, &row)?;
            let action = if locked {
                "auth.locked"
            } else {
                "auth.login_failed"
            };
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::new(action, format!("username:{username}"))],
            )
        })
        .await?;
        Ok(locked)
    }

    /// Exchanges a refresh token for new tokens. A token used twice revokes its session: one
    /// of the two holders is not the rightful one.
    pub async fn refresh(
        &self,
        db: &Db,
        refresh_token: &str,
        actor: Actor,
    ) -> Result<IssuedTokens> {
        let hash = secret_hash(refresh_token);
        let now = store::now();
        let new_refresh = random_secret();
        let new_hash = secret_hash(&new_refresh);
        let ttl = self.refresh_ttl;
        enum Outcome {
            Rotated(UserRow, String),
            Refused(&'static str),
            Reused(String),
        }
        let outcome = db
            .write(move |c| {
                let Some(row) = store::sessions::refresh_token(c, &hash)? else {
                    return Ok(Outcome::Refused("unknown refresh token"));
                };
                if row.used_at.is_some() || !store::sessions::consume_refresh_token(c, &hash, now)?
                {
                    store::sessions::revoke(c, &row.session_id, now, "refresh token reused")?;
                    store::audit::append(
                        c,
                        &actor,
                        now,
                        &[AuditEvent::new(
                            "auth.refresh_reused",
                            format!("session:{}", row.session_id),
                        )],
                    )?;
                    return Ok(Outcome::Reused(row.session_id));
                }
                if row.expires_at <= now {
                    return Ok(Outcome::Refused("refresh token expired"));
                }
                let Some(session) = store::sessions::session(c, &row.session_id)? else {
                    return Ok(Outcome::Refused("session not found"));
                };
                let Some(user) =
                    store::sessions::live_session_user(c, &row.session_id, &session.user_id)?
                else {
                    return Ok(Outcome::Refused("session revoked or account disabled"));
                };
                store::sessions::add_refresh_token(
                    c,
                    &store::sessions::RefreshTokenRow {
                        token_hash: new_hash,
                        session_id: row.session_id.clone(),
                        issued_at: now,
                        expires_at: now + ttl,
                        used_at: None,
                    },
                )?;
                Ok(Outcome::Rotated(user, row.session_id))
            })
            .await?;
        match outcome {
            Outcome::Rotated(user, session_id) => {
                let principal = principal_of_user(&user, session_id)?;
                Ok(IssuedTokens {
                    access_token: self.access_token_for(&principal, user.id.clone())?,
                    expires_in: self.keys.ttl_secs(),
                    refresh_token: Some(new_refresh),
                })
            }
            Outcome::Refused(why) => {
                tracing::info!(reason = why, "refresh refused");
                Err(Error::Unauthenticated("invalid refresh token".to_owned()))
            }
            Outcome::Reused(session_id) => {
                tracing::warn!(session_id = %session_id, "refresh token reused: session revoked");
                Err(Error::Unauthenticated("invalid refresh token".to_owned()))
            }
        }
    }

    /// Revokes the session of a refresh token (logout).
    pub async fn logout_refresh(&self, db: &Db, refresh_token: &str, actor: Actor) -> Result<()> {
        let hash = secret_hash(refresh_token);
        let now = store::now();
        let revoked = db
            .write(move |c| {
                let Some(row) = store::sessions::refresh_token(c, &hash)? else {
                    return Ok(false);
                };
                store::sessions::revoke(c, &row.session_id, now, "logout")?;
                store::audit::append(
                    c,
                    &actor,
                    now,
                    &[AuditEvent::new(
                        "auth.logout",
                        format!("session:{}", row.session_id),
                    )],
                )?;
                Ok(true)
            })
            .await?;
        if revoked {
            Ok(())
        } else {
            Err(Error::Unauthenticated("invalid refresh token".to_owned()))
        }
    }

    /// Revokes a session by id (logout with the access token).
    pub async fn logout_session(&self, db: &Db, session_id: String, actor: Actor) -> Result<()> {
        let now = store::now();
        db.write(move |c| {
            store::sessions::revoke(c, &session_id, now, "logout")?;
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::new(
                    "auth.logout",
                    format!("session:{session_id}"),
                )],
            )
        })
        .await?;
        Ok(())
    }

    /// Gives a POE system an access token bound to its POE.
    pub async fn system_token(
        &self,
        db: &Db,
        client_id: &str,
        client_secret: &str,
    ) -> Result<IssuedTokens> {
        let lookup = client_id.to_owned();
        let system = db
            .read(move |c| store::poe_systems::by_client_id(c, &lookup))
            .await?;
        let presented = secret_hash(client_secret);
        let Some(system) = system.filter(|s| {
            s.revoked_at.is_none()
                && constant_time_eq(s.secret_hash.as_bytes(), presented.as_bytes())
        }) else {
            metrics::counter!("crossings_login_failures_total").increment(1);
            tracing::warn!(client_id = %client_id, "POE system token refused");
            return Err(Error::Unauthenticated(
                "invalid client credentials".to_owned(),
            ));
        };
        let token = self.keys.issue(
            format!("system:{}", system.id),
            vec![Role::PoeSystem.as_str().to_owned()],
            vec![system.poe.clone()],
            None,
        )?;
        tracing::info!(client_id = %system.client_id, poe = %system.poe, "POE system token issued");
        Ok(IssuedTokens {
            access_token: token,
            expires_in: self.keys.ttl_secs(),
            refresh_token: None,
        })
    }

    fn access_token_for(&self, principal: &Principal, user_id: String) -> Result<String> {
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

    /// Turns a bearer token into the principal it stands for, reading roles, postings and
    /// revocation from the database, so that a disabled account, a revoked session or a
    /// changed posting takes effect at once.
    pub async fn authenticate(&self, db: &Db, bearer: &str) -> Result<Principal> {
        let claims = self.keys.verify(bearer).map_err(|e| {
            tracing::info!(error = %e, "access token refused");
            Error::Unauthenticated("invalid or expired access token".to_owned())
        })?;
        let refused = || Error::Unauthenticated("invalid or expired access token".to_owned());
        if let Some(user_id) = claims.sub.strip_prefix("user:") {
            let session_id = claims.sid.clone().ok_or_else(refused)?;
            let (uid, sid) = (user_id.to_owned(), session_id.clone());
            let user = db
                .read(move |c| store::sessions::live_session_user(c, &sid, &uid))
                .await?
                .ok_or_else(refused)?;
            principal_of_user(&user, session_id)
        } else if let Some(system_id) = claims.sub.strip_prefix("system:") {
            let id = system_id.to_owned();
            let system = db
                .read(move |c| store::poe_systems::by_id(c, &id))
                .await?
                .filter(|s| s.revoked_at.is_none())
                .ok_or_else(refused)?;
            let poe = PoeCode::parse(&system.poe)
                .map_err(|_| Error::Internal(format!("POE system {} has a bad POE", system.id)))?;
            Ok(Principal {
                identity: Identity::System {
                    id: system.id,
                    client_id: system.client_id,
                },
                roles: RoleSet::only(Role::PoeSystem),
                postings: Postings::Only([poe].into()),
            })
        } else {
            Err(refused())
        }
    }

    /// Creates the first admin when no active admin exists. Answers the generated password
    /// when none was given, so the caller can print it once.
    pub async fn bootstrap_admin(
        &self,
        db: &Db,
        configured: Option<SecretString>,
    ) -> Result<Option<BootstrapOutcome>> {
        if db.read(store::users::active_admin_exists).await? {
            return Ok(None);
        }
        let username = Username::parse("admin")?;
        let (secret, generated) = match configured {
            Some(s) => (s, false),
            None => (SecretString::from(random_secret()), true),
        };
        let password = NewPassword::parse(secrecy::ExposeSecret::expose_secret(&secret), &username)
            .map_err(|e| {
                Error::Internal(format!(
                    "CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD is not acceptable: {e}"
                ))
            })?;
        let hash = self.hash_password(&password).await?;
        let now = store::now();
        let row = UserRow {
            id: uuid::Uuid::now_v7().to_string(),
            username: username.as_str().to_owned(),
            password_hash: hash,
            roles: RoleSet::only(Role::Admin).to_storage(),
            poes: Postings::All.to_storage(),
            active: true,
            created_at: now,
            updated_at: now,
        };
        let id = row.id.clone();
        let created = db
            .write(move |c| {
                match store::users::insert(c, &row) {
                    Ok(()) => {}
                    Err(StoreError::Conflict(_)) => return Ok(false),
                    Err(e) => return Err(e),
                }
                store::audit::append(
                    c,
                    &Actor::command_line(),
                    now,
                    &[AuditEvent::new(
                        "user.bootstrap_admin",
                        format!("user:{id}"),
                    )],
                )?;
                Ok(true)
            })
            .await?;
        if !created {
            return Err(Error::Conflict(
                "no active admin exists, but the username `admin` is taken: re-enable it with `crossings user create` or the database".to_owned(),
            ));
        }
        Ok(Some(BootstrapOutcome {
            generated_password: generated.then_some(secret),
        }))
    }
}

/// What bootstrapping did.
pub struct BootstrapOutcome {
    /// The password made up for `admin`, when none was configured: print it once.
    pub generated_password: Option<SecretString>,
}

/// The principal of a stored account in a session.
pub fn principal_of_user(user: &UserRow, session_id: String) -> Result<Principal> {
    let roles = RoleSet::from_storage(&user.roles)
        .ok_or_else(|| Error::Internal(format!("user {} has unknown roles", user.id)))?;
    let postings = Postings::from_storage(&user.poes)
        .ok_or_else(|| Error::Internal(format!("user {} has bad postings", user.id)))?;
    Ok(Principal {
        identity: Identity::User {
            id: user.id.clone(),
            username: user.username.clone(),
            session_id,
        },
        roles,
        postings,
    })
}

/// Runs CPU-heavy work (argon2) on the blocking pool.
async fn blocking<T, F>(f: F) -> Result<T>
where
    F: FnOnce() -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    actix_web::web::block(move || span.in_scope(f))
        .await
        .map_err(|e| Error::Internal(format!("blocking task: {e}")))?
}

/// Compares without an early exit, so timing does not reveal how much of a secret matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
