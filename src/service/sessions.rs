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
use crate::store::users::{LoginFailureRow, UserRow};
use crate::store::{self, StoreError};

const INVALID_CREDENTIALS: &str = "invalid username or password";

/// What a signed-in account may not yet do: a password set by an admin must be changed, and
/// roles that need a second factor must enrol one, before anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restriction {
    /// Only `/auth/password` and `/auth/logout`.
    PasswordChange,
    /// Only `/auth/mfa/*`, `/auth/password` and `/auth/logout`.
    MfaEnrolment,
}

impl Restriction {
    /// The restriction of an account, if any.
    pub fn of(user: &UserRow, mfa_required_roles: &[Role]) -> Option<Self> {
        if user.password_change_required {
            return Some(Self::PasswordChange);
        }
        Self::needs_mfa(user, mfa_required_roles).then_some(Self::MfaEnrolment)
    }

    /// Whether the account must still enrol a second factor (whether or not it must first
    /// change its password).
    pub fn needs_mfa(user: &UserRow, mfa_required_roles: &[Role]) -> bool {
        RoleSet::from_storage(&user.roles).is_some_and(|roles| {
            !user.totp_enabled && mfa_required_roles.iter().any(|r| roles.has(*r))
        })
    }

    /// Whether a restricted token may call `path` (under `/api/v1`).
    pub fn allows(self, path: &str) -> bool {
        match self {
            Self::PasswordChange => matches!(path, "/auth/password" | "/auth/logout"),
            Self::MfaEnrolment => {
                matches!(path, "/auth/password" | "/auth/logout") || path.starts_with("/auth/mfa/")
            }
        }
    }

    /// The refusal of anything else.
    pub fn refusal(self) -> Error {
        match self {
            Self::PasswordChange => Error::PasswordChangeRequired,
            Self::MfaEnrolment => Error::MfaEnrolmentRequired,
        }
    }
}

/// Whether a sign-in may go ahead, decided under the address's and the username's locks.
enum Gate {
    /// The client address has used up its failures (counted by every node): refused for
    /// this many seconds.
    AddressLimited(u64),
    /// Refused for this many seconds.
    Locked(u64),
    /// Counted as a failure until the password proves right; the account, if any.
    Open(Box<Option<UserRow>>),
}

/// Signs a user in. Wrong passwords, unknown and disabled accounts all answer the same
/// 401. Every attempt is counted as a failure *before* its password is checked, atomically
/// (under a per-username lock), and taken back only when it succeeds, so parallel guesses
/// cannot slip under the limits: `auth.lockout_threshold` failures for a username from one
/// address within `auth.lockout_minutes` refuse it from that address (429);
/// `auth.account_failure_limit` failures from anywhere within an hour refuse it everywhere
/// (429, audited); `auth.address_failure_limit` failures from an address within
/// `auth.address_failure_window_secs` refuse that address (429): counted first in this node's
/// memory, before any database work or hashing, then in the database, where the failures
/// every node recorded are counted (under a lock per address, so parallel attempts through
/// several nodes cannot all slip under the limit).
pub async fn login(
    ctx: &Context,
    client: &Client,
    username: &str,
    password: &str,
    otp: Option<&str>,
) -> Result<IssuedTokens> {
    let auth = &ctx.auth;
    let (addr, request_id) = (client.addr, client.request_id.clone());
    if let Some(ip) = addr {
        if let Err(wait) = auth.address_throttle.try_attempt(ip, Instant::now()) {
            tracing::warn!(client_addr = %ip, "login refused: too many failed logins from this address");
            return Err(Error::TooManyRequests {
                detail: "too many failed logins from this address".to_owned(),
                retry_after_secs: wait,
            });
        }
    }
    let forgive = || {
        if let Some(ip) = addr {
            auth.address_throttle.forgive(ip);
        }
    };
    // Bounded sign-ins in flight: a flood waits here, not in the blocking pool.
    let _slot = auth.sign_in_slot().await.inspect_err(|_| forgive())?;
    // Keep what is stored about unknown names bounded and printable.
    let typed: String = username
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    let now = crate::domain::time::now();
    let failure = LoginFailureRow {
        id: uuid::Uuid::now_v7().to_string(),
        username: typed.clone(),
        client_addr: addr.map(|a| a.to_string()).unwrap_or_default(),
        failed_at: now,
    };
    let (lockout, pair_limit, account_limit) = (
        auth.lockout,
        i64::from(auth.lockout_threshold),
        auth.account_failure_limit,
    );
    let (address_limit, address_window) = (
        i64::from(auth.address_throttle.limit()),
        chrono::Duration::from_std(auth.address_throttle.window()).unwrap_or(chrono::Duration::MAX),
    );
    let row = failure.clone();
    let gate = ctx
        .write(move |c| {
            if addr.is_some() {
                store::users::lock_client_addr(c, &row.client_addr)?;
                let since = now
                    .checked_sub_signed(address_window)
                    .unwrap_or(chrono::NaiveDateTime::MIN);
                let (n, earliest) =
                    store::users::client_failures_since(c, &row.client_addr, since)?;
                if n >= address_limit {
                    let wait = earliest
                        .map(|e| (e + address_window - now).num_seconds())
                        .unwrap_or(1);
                    return Ok(Gate::AddressLimited(
                        u64::try_from(wait.max(1)).unwrap_or(1),
                    ));
                }
            }
            store::users::lock_username(c, &row.username)?;
            let hour = now - chrono::Duration::hours(1);
            let locked_until = |latest: Option<chrono::NaiveDateTime>| {
                latest
                    .map(|l| l + lockout)
                    .filter(|until| *until > now)
                    .map(|until| u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1))
            };
            let (all, latest) = store::users::failures_since(c, &row.username, None, hour)?;
            if all >= account_limit {
                if let Some(wait) = locked_until(latest) {
                    return Ok(Gate::Locked(wait));
                }
            }
            let (here, latest) = store::users::failures_since(
                c,
                &row.username,
                Some(&row.client_addr),
                now - lockout,
            )?;
            if here >= pair_limit {
                if let Some(wait) = locked_until(latest) {
                    return Ok(Gate::Locked(wait));
                }
            }
            store::users::add_failure(c, &row)?;
            Ok(Gate::Open(Box::new(store::users::by_username(
                c,
                &row.username,
            )?)))
        })
        .await
        .inspect_err(|_| forgive())?;
    let user = match gate {
        Gate::AddressLimited(wait) => {
            forgive();
            metrics::counter!("crossings_login_address_refusals_total").increment(1);
            tracing::warn!(client_addr = ?addr, "login refused: too many failed logins from this address, counted by every node");
            return Err(Error::TooManyRequests {
                detail: "too many failed logins from this address".to_owned(),
                retry_after_secs: wait,
            });
        }
        Gate::Locked(wait) => {
            tracing::info!(username = %crate::telemetry::clip(&typed), "login refused: locked");
            return Err(Error::TooManyRequests {
                detail: "too many failed logins for this account; try again later".to_owned(),
                retry_after_secs: wait,
            });
        }
        Gate::Open(user) => *user,
    };
    let hash = match &user {
        Some(u) if u.active => u.password_hash.clone(),
        _ => auth.decoy_hash.clone(),
    };
    let matches = match auth.verify_password(password.to_owned(), hash).await {
        Ok(m) => m,
        Err(e) => {
            // Not checked: not a failure.
            let id = failure.id.clone();
            ctx.write(move |c| Ok(store::users::remove_failure(c, &id)?))
                .await?;
            forgive();
            return Err(e);
        }
    };
    let user = user.filter(|u| u.active && matches);

    let actor = Actor {
        name: typed.clone(),
        roles: user.as_ref().map(|u| u.roles.clone()).unwrap_or_default(),
        client_addr: addr.map(|a| a.to_string()),
        request_id,
    };
    let Some(user) = user else {
        return Err(failed(ctx, failure, actor, "auth.login_failed").await?);
    };

    // The password is right. A second factor, when on, is needed too.
    let mut totp_step = None;
    if user.totp_enabled {
        let Some(code) = otp.filter(|c| !c.is_empty()) else {
            let id = failure.id.clone();
            ctx.write(move |c| Ok(store::users::remove_failure(c, &id)?))
                .await?;
            forgive();
            return Err(Error::OtpRequired(
                "this account needs a one-time code: send `otp`".to_owned(),
            ));
        };
        match user
            .totp_secret
            .as_deref()
            .and_then(|secret| crate::auth::totp::matching_step(secret, code, now))
        {
            Some(step) => totp_step = Some(step),
            None => return Err(failed(ctx, failure, actor, "auth.otp_failed").await?),
        }
    }

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
    let (sid, uid) = (session_id.clone(), user.id.clone());
    let attempt = failure.clone();
    let step_fresh = ctx
        .write(move |c| {
            if let Some(step) = totp_step {
                if !store::users::use_totp_step(c, &uid, step)? {
                    return Ok(false);
                }
            }
            store::users::remove_failure(c, &attempt.id)?;
            store::users::clear_failures(c, &attempt.username, &attempt.client_addr)?;
            store::sessions::open(c, &sid, &uid, now)?;
            store::sessions::add_refresh_token(c, &refresh_row)?;
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::new("auth.login", format!("session:{sid}"))],
            )?;
            Ok(true)
        })
        .await?;
    if !step_fresh {
        let actor = Actor {
            name: typed.clone(),
            roles: user.roles.clone(),
            client_addr: addr.map(|a| a.to_string()),
            request_id: client.request_id.clone(),
        };
        return Err(failed(ctx, failure, actor, "auth.otp_replayed").await?);
    }
    forgive();
    tracing::info!(username = %user.username, session_id = %session_id, "signed in");
    // At an edge, the officer's own HQ session too (a no-op at HQ).
    super::edges::sign_in_at_hq(ctx, &session_id, &user.username, password, otp).await;
    let principal = principal_of_user(&user, session_id)?;
    Ok(IssuedTokens {
        access_token: auth.access_token_for(&principal, user_id)?,
        expires_in: auth.keys().ttl_secs(),
        refresh_token: Some(refresh),
        password_change_required: user.password_change_required,
        mfa_enrolment_required: Restriction::needs_mfa(&user, &auth.mfa_required_roles),
    })
}

/// A failed sign-in, already counted: audits it (and the lock it brings about, if it is the
/// one that reaches a limit), and answers the 401 to give.
async fn failed(
    ctx: &Context,
    failure: LoginFailureRow,
    actor: Actor,
    action: &'static str,
) -> Result<Error> {
    let auth = &ctx.auth;
    let (lockout, pair_limit, account_limit) = (
        auth.lockout,
        i64::from(auth.lockout_threshold),
        auth.account_failure_limit,
    );
    let now = failure.failed_at;
    let username = failure.username.clone();
    let (locked_here, locked_everywhere) = ctx
        .write(move |c| {
            let all = store::users::failure_rank(
                c,
                &failure.username,
                None,
                now - chrono::Duration::hours(1),
                &failure.id,
            )?;
            let here = store::users::failure_rank(
                c,
                &failure.username,
                Some(&failure.client_addr),
                now - lockout,
                &failure.id,
            )?;
            let object = format!("username:{}", failure.username);
            let mut events = vec![AuditEvent::new(action, object.clone())];
            if here == pair_limit {
                events.push(AuditEvent::new("auth.locked", object.clone()));
            }
            if all == account_limit {
                events.push(AuditEvent::new("auth.account_locked", object));
            }
            store::audit::append(c, &actor, now, &events)?;
            Ok((here >= pair_limit, all >= account_limit))
        })
        .await?;
    metrics::counter!("crossings_login_failures_total").increment(1);
    tracing::warn!(
        username = %crate::telemetry::clip(&username),
        locked_here,
        locked_everywhere,
        "login failed"
    );
    Ok(match action {
        "auth.otp_failed" | "auth.otp_replayed" => {
            Error::Unauthenticated("invalid or already used one-time code".to_owned())
        }
        _ => Error::Unauthenticated(INVALID_CREDENTIALS.to_owned()),
    })
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
    let session_max = auth.session_max;
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
            if session.created_at + session_max <= now {
                store::sessions::revoke(c, &row.session_id, now, "session lifetime over")?;
                return Ok(Outcome::Refused("session lifetime over"));
            }
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
                password_change_required: user.password_change_required,
                mfa_enrolment_required: Restriction::needs_mfa(&user, &auth.mfa_required_roles),
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
    super::edges::signed_out_here(ctx, session_id).await;
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
    if super::edges::is_edge_client_id(client_id) {
        return super::edges::token(ctx, client_id, client_secret).await;
    }
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
        tracing::warn!(client_id = %crate::telemetry::clip(client_id), "POE system token refused");
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
        password_change_required: false,
        mfa_enrolment_required: false,
    })
}

/// Turns a bearer token into the principal it stands for, reading roles, postings and
/// revocation from the database, so that a disabled account, a revoked session or a
/// changed posting takes effect at once.
pub async fn authenticate(ctx: &Context, bearer: &str) -> Result<Principal> {
    Ok(authenticate_restricted(ctx, bearer).await?.0)
}

/// [`authenticate`], with what the account may not yet do.
pub async fn authenticate_restricted(
    ctx: &Context,
    bearer: &str,
) -> Result<(Principal, Option<Restriction>)> {
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
        let restriction = Restriction::of(&user, &ctx.auth.mfa_required_roles);
        Ok((principal_of_user(&user, session_id)?, restriction))
    } else if let Some(system_id) = claims.sub.strip_prefix("system:") {
        let id = system_id.to_owned();
        let system = ctx
            .read(move |c| Ok(store::poe_systems::by_id(c, &id)?))
            .await?
            .filter(|s| s.revoked_at.is_none())
            .ok_or_else(refused)?;
        let poe = PoeCode::parse(&system.poe)
            .map_err(|_| Error::internal(format!("POE system {} has a bad POE", system.id)))?;
        Ok((
            Principal {
                identity: Identity::System {
                    id: system.id,
                    client_id: system.client_id,
                },
                roles: RoleSet::only(Role::PoeSystem),
                postings: Postings::Only([poe].into()),
            },
            None,
        ))
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
    let password =
        NewPassword::parse_configured(secrecy::ExposeSecret::expose_secret(&secret), &username)
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
        // A generated password has been printed to a log: it is changed at first sign-in.
        password_change_required: generated,
        totp_secret: None,
        totp_enabled: false,
        totp_last_step: None,
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

fn own_account(caller: &Caller) -> Result<String> {
    match &caller.principal.identity {
        Identity::User { id, .. } => Ok(id.clone()),
        Identity::System { .. } => Err(Error::Forbidden(
            "POE systems have no password or second factor".to_owned(),
        )),
    }
}

/// A signed-in user changes their own password: the current one must be right; the new one
/// must meet the policy (which includes the list of common passwords) and differ from it.
/// Lifts the forced change; the account's other sessions are revoked.
pub async fn change_password(
    ctx: &Context,
    caller: &Caller,
    current_password: &str,
    new_password: &str,
) -> Result<()> {
    let user_id = own_account(caller)?;
    let lookup = user_id.clone();
    let user = ctx
        .read(move |c| Ok(store::users::by_id(c, &lookup)?))
        .await?
        .ok_or_else(|| Error::Unauthenticated("no such account".to_owned()))?;
    let username = Username::parse(&user.username)?;
    let mut errors = crate::domain::validation::ValidationErrors::default();
    let new = match NewPassword::parse(new_password, &username) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.extend_prefixed("new_password", e);
            None
        }
    };
    if new_password == current_password {
        errors.push("new_password", "must differ from the current password");
    }
    let right = ctx
        .auth
        .verify_password(current_password.to_owned(), user.password_hash.clone())
        .await?;
    if !right {
        errors.push("current_password", "is not the current password");
    }
    let Some(new) = new.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    // At an edge, HQ makes the change first (a no-op at HQ).
    super::edges::change_password_at_hq(ctx, caller, current_password, new_password).await?;
    let hash = ctx.auth.hash_password(&new).await?;
    let now = crate::domain::time::now();
    let actor = caller.actor();
    let keep = match &caller.principal.identity {
        Identity::User { session_id, .. } => session_id.clone(),
        Identity::System { .. } => String::new(),
    };
    ctx.write(move |c| {
        let changes = store::users::UserChanges {
            password_hash: Some(hash),
            password_change_required: Some(false),
            updated_at: Some(now),
            ..Default::default()
        };
        store::users::update(c, &user_id, &changes)?;
        store::sessions::revoke_others_of_user(c, &user_id, &keep, now, "password changed")?;
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new(
                "auth.password_changed",
                format!("user:{user_id}"),
            )],
        )?;
        Ok(())
    })
    .await
}

/// At an edge, a second factor is not enrolled (409): HQ holds the accounts, and the next
/// sync would undo a secret set here alone.
fn refuse_at_edge(ctx: &Context) -> Result<()> {
    if ctx.edge.is_some() {
        return Err(Error::Conflict(
            "a second factor is enrolled at HQ (this is a post's edge): sign in at HQ's terminal to set it up".to_owned(),
        ));
    }
    Ok(())
}

/// A new, not yet active TOTP secret for the caller, shown this once.
pub struct MfaSetup {
    /// Base32 secret.
    pub secret: String,
    /// `otpauth://` URI for authenticator apps.
    pub otpauth_uri: String,
}

/// Starts enrolling a second factor: stores a new pending secret (replacing an earlier
/// pending one) and answers it. Refused (409) when a second factor is already on: an admin
/// resets it first.
pub async fn mfa_setup(ctx: &Context, caller: &Caller) -> Result<MfaSetup> {
    let user_id = own_account(caller)?;
    refuse_at_edge(ctx)?;
    let secret = crate::auth::totp::new_secret();
    let uri = crate::auth::totp::otpauth_uri(&secret, &caller.principal.display_name())
        .ok_or_else(|| Error::internal("otpauth URI"))?;
    let (stored, actor) = (secret.clone(), caller.actor());
    let now = crate::domain::time::now();
    ctx.write(move |c| {
        let user = store::users::by_id(c, &user_id)?
            .ok_or_else(|| Error::Unauthenticated("no such account".to_owned()))?;
        if user.totp_enabled {
            return Err(Error::Conflict(
                "a second factor is already on; an admin can reset it".to_owned(),
            ));
        }
        let changes = store::users::UserChanges {
            totp_secret: Some(Some(stored)),
            totp_last_step: Some(None),
            updated_at: Some(now),
            ..Default::default()
        };
        store::users::update(c, &user_id, &changes)?;
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new("auth.mfa_setup", format!("user:{user_id}"))],
        )?;
        Ok(())
    })
    .await?;
    Ok(MfaSetup {
        secret,
        otpauth_uri: uri,
    })
}

/// Turns the pending second factor on, given a current code from it (422 naming `code`
/// when the code is wrong or nothing is pending).
pub async fn mfa_confirm(ctx: &Context, caller: &Caller, code: &str) -> Result<()> {
    let user_id = own_account(caller)?;
    refuse_at_edge(ctx)?;
    let (code, actor) = (code.to_owned(), caller.actor());
    let now = crate::domain::time::now();
    ctx.write(move |c| {
        let user = store::users::by_id(c, &user_id)?
            .ok_or_else(|| Error::Unauthenticated("no such account".to_owned()))?;
        if user.totp_enabled {
            return Err(Error::Conflict(
                "the second factor is already on".to_owned(),
            ));
        }
        let Some(secret) = user.totp_secret else {
            return Err(crate::domain::validation::ValidationErrors::one(
                "code",
                "no second factor is being set up: POST /auth/mfa/setup first",
            )
            .into());
        };
        let Some(step) = crate::auth::totp::matching_step(&secret, &code, now) else {
            return Err(crate::domain::validation::ValidationErrors::one(
                "code",
                "is not the current code of the secret being set up",
            )
            .into());
        };
        let changes = store::users::UserChanges {
            totp_enabled: Some(true),
            totp_last_step: Some(Some(step)),
            updated_at: Some(now),
            ..Default::default()
        };
        store::users::update(c, &user_id, &changes)?;
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new(
                "auth.mfa_enabled",
                format!("user:{user_id}"),
            )],
        )?;
        Ok(())
    })
    .await
}
