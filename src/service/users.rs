//! Creating, reading and changing user accounts, for the API and the command line alike.

use super::Context;
use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::time;
use crate::domain::user::{NewPassword, Postings, RoleSet, Username};
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::store::users::{UserChanges, UserRow};
use crate::store::{self, DbConnection, StoreResult};

/// A valid new account.
pub struct NewUser {
    /// Login name.
    pub username: Username,
    /// Password meeting the policy.
    pub password: NewPassword,
    /// Roles.
    pub roles: RoleSet,
    /// Postings.
    pub postings: Postings,
    /// May sign in.
    pub active: bool,
    /// Must change the password at first sign-in (an admin chose it); true unless the
    /// account's owner chose it.
    pub password_change_required: bool,
}

impl NewUser {
    /// Parses the raw fields, collecting every problem.
    pub fn parse(
        username: &str,
        password: &str,
        roles: &[String],
        poes: &[String],
        active: bool,
    ) -> std::result::Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let username = errors.take("username", Username::parse(username));
        let password = username
            .as_ref()
            .and_then(|u| errors.take("password", NewPassword::parse(password, u)));
        let roles = errors.take("roles", RoleSet::for_user(roles));
        let postings = errors.take("poes", Postings::parse(poes));
        match (username, password, roles, postings) {
            (Some(username), Some(password), Some(roles), Some(postings)) if errors.is_empty() => {
                Ok(Self {
                    username,
                    password,
                    roles,
                    postings,
                    active,
                    password_change_required: true,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Changes to an account, each optional.
#[derive(Default)]
pub struct UserPatch {
    /// New password, as typed: checked against the policy (which needs the account's
    /// username) by [`update`].
    pub password: Option<String>,
    /// New roles.
    pub roles: Option<RoleSet>,
    /// New postings.
    pub postings: Option<Postings>,
    /// Enable or disable.
    pub active: Option<bool>,
    /// The new password was not chosen by an admin for someone else (the demo's own
    /// accounts): no forced change.
    pub password_chosen_by_owner: bool,
}

/// Refuses postings to POEs that are not in the registry.
fn check_postings_exist(
    conn: &mut DbConnection,
    postings: &Postings,
) -> StoreResult<Option<ValidationErrors>> {
    let Some(codes) = postings.codes() else {
        return Ok(None);
    };
    let mut errors = ValidationErrors::default();
    for (i, code) in codes.iter().enumerate() {
        if store::poes::get(conn, code)?.is_none() {
            errors.push(format!("poes[{i}]"), format!("unknown POE {code}"));
        }
    }
    Ok((!errors.is_empty()).then_some(errors))
}

/// Every account, by username.
pub async fn list(ctx: &Context) -> Result<Vec<UserRow>> {
    ctx.read(|c| Ok(store::users::list(c)?)).await
}

/// One account.
pub async fn get(ctx: &Context, id: String) -> Result<UserRow> {
    ctx.read(move |c| store::users::by_id(c, &id)?.ok_or_else(no_such_user))
        .await
}

/// One account, by login name.
pub async fn by_username(ctx: &Context, username: String) -> Result<Option<UserRow>> {
    ctx.read(move |c| Ok(store::users::by_username(c, &username)?))
        .await
}

fn no_such_user() -> Error {
    Error::NotFound("no such user".to_owned())
}

/// Creates an account.
pub async fn create(ctx: &Context, actor: Actor, user: NewUser) -> Result<UserRow> {
    let hash = ctx.auth.hash_password(&user.password).await?;
    let now = time::now();
    let row = UserRow {
        id: uuid::Uuid::now_v7().to_string(),
        username: user.username.as_str().to_owned(),
        password_hash: hash,
        roles: user.roles.to_storage(),
        poes: user.postings.to_storage(),
        active: user.active,
        created_at: now,
        updated_at: now,
        // The admin knows this password: the account chooses its own at first sign-in.
        password_change_required: user.password_change_required,
        totp_secret: None,
        totp_enabled: false,
        totp_last_step: None,
    };
    let postings = user.postings;
    ctx.write(move |c| {
        if let Some(errors) = check_postings_exist(c, &postings)? {
            return Err(errors.into());
        }
        store::users::insert(c, &row).map_err(|e| match e {
            store::StoreError::Conflict(_) => {
                Error::Conflict(format!("the username {} is taken", row.username))
            }
            e => e.into(),
        })?;
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new("user.create", format!("user:{}", row.id))],
        )?;
        Ok(row)
    })
    .await
}

/// Changes an account. Refuses (409) a change that would leave no active admin; a password
/// change or disabling revokes the account's sessions.
pub async fn update(ctx: &Context, actor: Actor, id: String, patch: UserPatch) -> Result<UserRow> {
    let hash = match &patch.password {
        Some(typed) => {
            let existing = get(ctx, id.clone()).await?;
            let username = Username::parse(&existing.username)?;
            let password = NewPassword::parse(typed, &username).map_err(|e| {
                let mut errors = ValidationErrors::default();
                errors.extend_prefixed("password", e);
                errors
            })?;
            Some(ctx.auth.hash_password(&password).await?)
        }
        None => None,
    };
    let now = time::now();
    let changes = UserChanges {
        password_hash: hash.clone(),
        roles: patch.roles.as_ref().map(RoleSet::to_storage),
        poes: patch.postings.as_ref().map(Postings::to_storage),
        active: patch.active,
        updated_at: Some(now),
        // A password an admin set is changed by its owner at the next sign-in.
        password_change_required: hash.is_some().then_some(!patch.password_chosen_by_owner),
        ..UserChanges::default()
    };
    let postings = patch.postings;
    let password_changed = changes.password_hash.is_some();
    ctx.write(move |c| {
        if let Some(p) = &postings {
            if let Some(errors) = check_postings_exist(c, p)? {
                return Err(errors.into());
            }
        }
        let row = store::users::update(c, &id, &changes)?.ok_or_else(no_such_user)?;
        if !store::users::active_admin_exists(c)? {
            // Returning an error rolls the transaction back.
            return Err(Error::Conflict("no active admin would remain".to_owned()));
        }
        if changes.active == Some(false) || password_changed {
            store::sessions::revoke_all_of_user(c, &id, now, "account changed")?;
        }
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new("user.update", format!("user:{id}"))],
        )?;
        Ok(row)
    })
    .await
}

/// Turns an account's second factor off (it lost its device); it enrols again at its next
/// sign-in if its role requires one. Audited; the account's sessions are revoked.
pub async fn reset_mfa(ctx: &Context, actor: Actor, id: String) -> Result<()> {
    let now = time::now();
    ctx.write(move |c| {
        let changes = UserChanges {
            totp_secret: Some(None),
            totp_enabled: Some(false),
            totp_last_step: Some(None),
            updated_at: Some(now),
            ..UserChanges::default()
        };
        store::users::update(c, &id, &changes)?.ok_or_else(no_such_user)?;
        store::sessions::revoke_all_of_user(c, &id, now, "second factor reset")?;
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new("user.mfa_reset", format!("user:{id}"))],
        )?;
        Ok(())
    })
    .await
}
