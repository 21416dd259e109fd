//! Creating and changing user accounts, for the API and the command line alike.

use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::user::{NewPassword, Postings, RoleSet, Username};
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::store::users::{UserChanges, UserRow};
use crate::store::{self, Db, DbConnection, StoreError, StoreResult};

use super::AuthService;

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
                })
            }
            _ => Err(errors),
        }
    }
}

/// Changes to an account, each optional.
#[derive(Default)]
pub struct UserPatch {
    /// New password.
    pub password: Option<NewPassword>,
    /// New roles.
    pub roles: Option<RoleSet>,
    /// New postings.
    pub postings: Option<Postings>,
    /// Enable or disable.
    pub active: Option<bool>,
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

/// What a store transaction answered, beyond database errors.
enum Outcome<T> {
    Done(T),
    Invalid(ValidationErrors),
    Refused(Error),
}

/// Creates an account.
pub async fn create(db: &Db, auth: &AuthService, user: NewUser, actor: Actor) -> Result<UserRow> {
    let hash = auth.hash_password(&user.password).await?;
    let now = store::now();
    let row = UserRow {
        id: uuid::Uuid::now_v7().to_string(),
        username: user.username.as_str().to_owned(),
        password_hash: hash,
        roles: user.roles.to_storage(),
        poes: user.postings.to_storage(),
        active: user.active,
        created_at: now,
        updated_at: now,
    };
    let postings = user.postings;
    let outcome = db
        .write(move |c| {
            if let Some(errors) = check_postings_exist(c, &postings)? {
                return Ok(Outcome::Invalid(errors));
            }
            match store::users::insert(c, &row) {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => {
                    return Ok(Outcome::Refused(Error::Conflict(format!(
                        "the username {} is taken",
                        row.username
                    ))));
                }
                Err(e) => return Err(e),
            }
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::new("user.create", format!("user:{}", row.id))],
            )?;
            Ok(Outcome::Done(row))
        })
        .await?;
    finish(outcome)
}

/// Changes an account. Refuses (409) a change that would leave no active admin.
pub async fn update(
    db: &Db,
    auth: &AuthService,
    id: String,
    patch: UserPatch,
    actor: Actor,
) -> Result<UserRow> {
    let hash = match &patch.password {
        Some(p) => Some(auth.hash_password(p).await?),
        None => None,
    };
    let now = store::now();
    let changes = UserChanges {
        password_hash: hash,
        roles: patch.roles.as_ref().map(RoleSet::to_storage),
        poes: patch.postings.as_ref().map(Postings::to_storage),
        active: patch.active,
        updated_at: Some(now),
    };
    let postings = patch.postings;
    let password_changed = changes.password_hash.is_some();
    let outcome = db
        .write(move |c| {
            if let Some(p) = &postings {
                if let Some(errors) = check_postings_exist(c, p)? {
                    return Ok(Outcome::Invalid(errors));
                }
            }
            let Some(row) = store::users::update(c, &id, &changes)? else {
                return Ok(Outcome::Refused(Error::NotFound("no such user".to_owned())));
            };
            if !store::users::active_admin_exists(c)? {
                // Returning an error rolls the transaction back.
                return Err(StoreError::Conflict(
                    "no active admin would remain".to_owned(),
                ));
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
            Ok(Outcome::Done(row))
        })
        .await;
    match outcome {
        Err(StoreError::Conflict(m)) => Err(Error::Conflict(m)),
        other => finish(other?),
    }
}

fn finish<T>(outcome: Outcome<T>) -> Result<T> {
    match outcome {
        Outcome::Done(v) => Ok(v),
        Outcome::Invalid(e) => Err(Error::Validation(e)),
        Outcome::Refused(e) => Err(e),
    }
}
