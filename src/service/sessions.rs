//! Sessions: signing in (users), tokens for POE systems, refreshing and signing out, and
//! turning a bearer token into the [`Principal`] it stands for.

use std::time::Instant;

use secrecy::SecretString;

use super::{Caller, Client, Context};
use crate::auth::tokens::{random_secret, secret_hash};
use crate::auth::{Identity, IssuedTokens, Principal};
use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::poe::PoeCode;
use crate::domain::user::{NewPassword, Postings, Role, RoleSet, Username};
use crate::error::{Error, Result};
use crate::store::users::{LoginThrottleRow, UserRow};
use crate::store::{self, StoreError};

const INVALID_CREDENTIALS: &str = "invalid username or password";

/// Signs a user in. Wrong passwords, unknown and disabled accounts all answer the same
/// 401; a locked username (existing or not) answers 429; an address with too many
/// failures answers 429. Only failures count towards either limit.
pub async fn login(
    ctx: &Context,
    client: &Client,
    username: &str,
    password: &str,
) -> Result<IssuedTokens> {
    let auth = &ctx.auth;
    let (addr, request_id) = (client.addr, client.request_id.clone());
    if let Some(ip) = addr {
        if let Some(wait) = auth.address_throttle.blocked_for(ip, Instant::now()) {
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
    let (user, throttle) = ctx
        .read(move |c| {
            Ok((
                store::users::by_username(c, &lookup)?,
                store::users::throttle_state(c, &lookup)?,
            ))
        })
        .await?;
    let now = crate::domain::time::now();
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
        _ => auth.decoy_hash.clone(),
    };
    let matches = auth.verify_password(password.to_owned(), hash).await?;
    let user = user.filter(|u| u.active && matches);

    let actor = Actor {
        name: typed.clone(),
        roles: user.as_ref().map(|u| u.roles.clone()).unwrap_or_default(),
        client_addr: addr.map(|a| a.to_string()),
        request_id,
    };
    let Some(user) = user else {
        if let Some(ip) = addr {
            auth.address_throttle.record_failure(ip, Instant::now());
        }
        let locked = record_failure(ctx, typed.clone(), throttle, actor).await?;
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
        expires_at: now + auth.refresh_ttl,
        used_at: None,
    };
    let user_id = user.id.clone();
    let (sid, uid, uname) = (session_id.clone(), user.id.clone(), user.username.clone());
    ctx.write(move |c| {
        store::users::clear_throttle(c, &uname)?;
        store::sessions::open(c, &sid, &uid, now)?;
        store::sessions::add_refresh_token(c, &refresh_row)?;
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new("auth.login", format!("session:{sid}"))],
        )?;
        Ok(())
    })
    .await?;
    tracing::info!(username = %user.username, session_id = %session_id, "signed in");
    let principal = principal_of_user(&user, session_id)?;
    Ok(IssuedTokens {
        access_token: auth.access_token_for(&principal, user_id)?,
        expires_in: auth.keys().ttl_secs(),
        refresh_token: Some(refresh),
    })
}

/// Counts a failure against a username; answers whether it is now locked.
async fn record_failure(
    ctx: &Context,
    username: String,
    previous: Option<LoginThrottleRow>,
    actor: Actor,
) -> Result<bool> {
    let auth = &ctx.auth;
    let now = crate::domain::time::now();
    let failures = previous
        .filter(|t| t.locked_until.is_none_or(|u| u <= now))
        .map(|t| t.failures)
        .unwrap_or(0)
        + 1;
    let locked = failures >= auth.lockout_threshold;
    let row = LoginThrottleRow {
        username: username.clone(),
        failures: if locked { 0 } else { failures },
        locked_until: locked.then(|| now + auth.lockout),
        last_failure_at: now,
    };
    ctx.write(move |c| {
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
        )?;
        Ok(())
    })
    .await?;
    Ok(locked)
}

/// Exchanges a refresh token for new tokens. A token used twice revokes its session: one
/// of the two holders is not the rightful one.
pub async fn refresh(ctx: &Context, client: &Client, refresh_token: &str) -> Result<IssuedTokens> {
    let auth = &ctx.auth;
    let actor = client.anonymous_actor("anonymous");
    let hash = secret_hash(refresh_token);
    let now = crate::domain::time::now();
    let new_refresh = random_secret();
    let new_hash = secret_hash(&new_refresh);
    let ttl = auth.refresh_ttl;
    enum Outcome {
        Rotated(UserRow, String),
        Refused(&'static str),
        Reused(String),
    }
    let outcome = ctx
        .write(move |c| {
            let Some(row) = store::sessions::refresh_token(c, &hash)? else {
                return Ok(Outcome::Refused("unknown refresh token"));
            };
            if row.used_at.is_some() || !store::sessions::consume_refresh_token(c, &hash, now)? {
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
                access_token: auth.access_token_for(&principal, user.id.clone())?,
                expires_in: auth.keys().ttl_secs(),
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
pub async fn logout_refresh(ctx: &Context, client: &Client, refresh_token: &str) -> Result<()> {
    let actor = client.anonymous_actor("anonymous");
    let hash = secret_hash(refresh_token);
    let now = crate::domain::time::now();
    let revoked = ctx
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
pub async fn logout_session(ctx: &Context, caller: &Caller) -> Result<()> {
    let Identity::User { session_id, .. } = &caller.principal.identity else {
        return Err(Error::Unauthenticated(
            "POE systems have no session".to_owned(),
        ));
    };
    let (session_id, actor) = (session_id.clone(), caller.actor());
    let now = crate::domain::time::now();
    ctx.write(move |c| {
        store::sessions::revoke(c, &session_id, now, "logout")?;
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new(
                "auth.logout",
                format!("session:{session_id}"),
            )],
        )?;
        Ok(())
    })
    .await?;
    Ok(())
}

/// Gives a POE system an access token bound to its POE.
pub async fn system_token(
    ctx: &Context,
    client_id: &str,
    client_secret: &str,
) -> Result<IssuedTokens> {
    let auth = &ctx.auth;
    let lookup = client_id.to_owned();
    let system = ctx
        .read(move |c| Ok(store::poe_systems::by_client_id(c, &lookup)?))
        .await?;
    let presented = secret_hash(client_secret);
    let Some(system) = system.filter(|s| {
        s.revoked_at.is_none() && constant_time_eq(s.secret_hash.as_bytes(), presented.as_bytes())
    }) else {
        metrics::counter!("crossings_login_failures_total").increment(1);
        tracing::warn!(client_id = %client_id, "POE system token refused");
        return Err(Error::Unauthenticated(
            "invalid client credentials".to_owned(),
        ));
    };
    let token = auth.keys().issue(
        format!("system:{}", system.id),
        vec![Role::PoeSystem.as_str().to_owned()],
        vec![system.poe.clone()],
        None,
    )?;
    tracing::info!(client_id = %system.client_id, poe = %system.poe, "POE system token issued");
    Ok(IssuedTokens {
        access_token: token,
        expires_in: auth.keys().ttl_secs(),
        refresh_token: None,
    })
}

/// Turns a bearer token into the principal it stands for, reading roles, postings and
/// revocation from the database, so that a disabled account, a revoked session or a
/// changed posting takes effect at once.
pub async fn authenticate(ctx: &Context, bearer: &str) -> Result<Principal> {
    let claims = ctx.auth.keys().verify(bearer).map_err(|e| {
        tracing::info!(error = %e, "access token refused");
        Error::Unauthenticated("invalid or expired access token".to_owned())
    })?;
    let refused = || Error::Unauthenticated("invalid or expired access token".to_owned());
    if let Some(user_id) = claims.sub.strip_prefix("user:") {
        let session_id = claims.sid.clone().ok_or_else(refused)?;
        let (uid, sid) = (user_id.to_owned(), session_id.clone());
        let user = ctx
            .read(move |c| Ok(store::sessions::live_session_user(c, &sid, &uid)?))
            .await?
            .ok_or_else(refused)?;
        principal_of_user(&user, session_id)
    } else if let Some(system_id) = claims.sub.strip_prefix("system:") {
        let id = system_id.to_owned();
        let system = ctx
            .read(move |c| Ok(store::poe_systems::by_id(c, &id)?))
            .await?
            .filter(|s| s.revoked_at.is_none())
            .ok_or_else(refused)?;
        let poe = PoeCode::parse(&system.poe)
            .map_err(|_| Error::internal(format!("POE system {} has a bad POE", system.id)))?;
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
    ctx: &Context,
    configured: Option<SecretString>,
) -> Result<Option<BootstrapOutcome>> {
    if ctx
        .read(|c| Ok(store::users::active_admin_exists(c)?))
        .await?
    {
        return Ok(None);
    }
    let username = Username::parse("admin")?;
    let (secret, generated) = match configured {
        Some(s) => (s, false),
        None => (SecretString::from(random_secret()), true),
    };
    let password = NewPassword::parse(secrecy::ExposeSecret::expose_secret(&secret), &username)
        .map_err(|e| {
            Error::internal(format!(
                "CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD is not acceptable: {e}"
            ))
        })?;
    let hash = ctx.auth.hash_password(&password).await?;
    let now = crate::domain::time::now();
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
    let created = ctx
        .write(move |c| {
            match store::users::insert(c, &row) {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => return Ok(false),
                Err(e) => return Err(e.into()),
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

/// What bootstrapping did.
pub struct BootstrapOutcome {
    /// The password made up for `admin`, when none was configured: print it once.
    pub generated_password: Option<SecretString>,
}

/// The principal of a stored account in a session.
pub fn principal_of_user(user: &UserRow, session_id: String) -> Result<Principal> {
    let roles = RoleSet::from_storage(&user.roles)
        .ok_or_else(|| Error::internal(format!("user {} has unknown roles", user.id)))?;
    let postings = Postings::from_storage(&user.poes)
        .ok_or_else(|| Error::internal(format!("user {} has bad postings", user.id)))?;
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

/// Compares without an early exit, so timing does not reveal how much of a secret matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
