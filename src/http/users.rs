//! `/users`: account administration (admins).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::ApiJson;
use crate::app::AppState;
use crate::domain::user::{Postings, RoleSet};
use crate::domain::validation::ValidationErrors;
use crate::error::Result;
use crate::service::Caller;
use crate::service::users::{self as service, NewUser, UserPatch};
use crate::store::users::UserRow;

/// An account as the API shows it (never the password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// Id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Roles.
    #[schema(example = json!(["immigration"]))]
    pub roles: Vec<String>,
    /// POE codes, or `["*"]` for all.
    #[schema(example = json!(["MSU"]))]
    pub poes: Vec<String>,
    /// May sign in.
    pub active: bool,
    /// Must change the password at the next sign-in (it was set by an admin).
    pub password_change_required: bool,
    /// Signs in with a one-time code too.
    pub mfa_enabled: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        Self {
            id: u.id,
            username: u.username,
            roles: u
                .roles
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            poes: u
                .poes
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            active: u.active,
            password_change_required: u.password_change_required,
            mfa_enabled: u.totp_enabled,
            created_at: u.created_at.and_utc(),
            updated_at: u.updated_at.and_utc(),
        }
    }
}

/// A list of accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    /// Accounts by username.
    pub items: Vec<UserView>,
}

/// `POST /users`: give `role` or `roles`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Login name: 3–64 of a–z, 0–9, `.`, `_`, `-` (upper case is lower-cased).
    #[schema(pattern = "^[A-Za-z0-9._-]{3,64}$", example = "thabo.m")]
    pub username: String,
    /// At least 12 characters and at most 1024 bytes, not the username.
    #[schema(min_length = 12, max_length = 1024, example = "a long passphrase")]
    pub password: String,
    /// One role (instead of `roles`; not both).
    #[schema(value_type = Option<crate::domain::schemas::UserRole>)]
    pub role: Option<String>,
    /// Roles (instead of `role`; not both): at least one.
    #[schema(schema_with = crate::domain::schemas::user_roles_or_null)]
    pub roles: Option<Vec<String>>,
    /// POE codes, or `["*"]`; default none.
    #[serde(default)]
    #[schema(value_type = crate::domain::schemas::Postings)]
    pub poes: Vec<String>,
    /// Default true.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// `PATCH /users/{id}`: any subset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// New password (revokes the account's sessions): at least 12 characters and at most
    /// 1024 bytes, not the username.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: Option<String>,
    /// One role (replaces all roles; instead of `roles`, not both).
    #[schema(value_type = Option<crate::domain::schemas::UserRole>)]
    pub role: Option<String>,
    /// Roles (replace all roles; instead of `role`, not both): at least one.
    #[schema(schema_with = crate::domain::schemas::user_roles_or_null)]
    pub roles: Option<Vec<String>>,
    /// POE codes or `["*"]` (replace all postings).
    #[schema(value_type = Option<crate::domain::schemas::Postings>)]
    pub poes: Option<Vec<String>>,
    /// Enable or disable (disabling revokes the account's sessions).
    pub active: Option<bool>,
}

fn roles_of(
    role: Option<String>,
    roles: Option<Vec<String>>,
) -> std::result::Result<Option<Vec<String>>, ValidationErrors> {
    match (role, roles) {
        (Some(_), Some(_)) => Err(ValidationErrors::one(
            "roles",
            "give `role` or `roles`, not both",
        )),
        (Some(r), None) => Ok(Some(vec![r])),
        (None, r) => Ok(r),
    }
}

/// List accounts.
#[utoipa::path(get, operation_id = "list_users", path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = UserList), (status = 401, body = super::error::Problem), (status = 403, body = super::error::Problem)))]
pub async fn list(state: web::Data<AppState>) -> Result<web::Json<UserList>> {
    let rows = service::list(&state.ctx).await?;
    Ok(web::Json(UserList {
        items: rows.into_iter().map(UserView::from).collect(),
    }))
}

/// Create an account.
#[utoipa::path(post, operation_id = "create_user", path = "/api/v1/users", tag = "users", request_body = CreateUser, security(("bearer" = [])),
    responses(
        (status = 201, body = UserView),
        (status = 409, description = "Username taken", body = super::error::Problem),
        (status = 422, description = "Invalid field (password policy, unknown role or POE)", body = super::error::Problem),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<HttpResponse> {
    let roles = roles_of(body.role, body.roles)?
        .ok_or_else(|| ValidationErrors::one("roles", "at least one role is required"))?;
    let user = NewUser::parse(
        &body.username,
        &body.password,
        &roles,
        &body.poes,
        body.active,
    )?;
    let row = service::create(&state.ctx, caller.actor(), user).await?;
    Ok(HttpResponse::Created().json(UserView::from(row)))
}

/// One account.
#[utoipa::path(get, operation_id = "get_user", path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 404, body = super::error::Problem)))]
pub async fn get(state: web::Data<AppState>, id: web::Path<String>) -> Result<web::Json<UserView>> {
    let row = service::get(&state.ctx, id.into_inner()).await?;
    Ok(web::Json(row.into()))
}

/// Change an account: password, roles, postings, active flag.
#[utoipa::path(patch, operation_id = "update_user", path = "/api/v1/users/{id}", tag = "users", request_body = UpdateUser, security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, body = UserView),
        (status = 404, body = super::error::Problem),
        (status = 409, description = "The change would leave no active admin", body = super::error::Problem),
        (status = 422, body = super::error::Problem),
    ))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> Result<web::Json<UserView>> {
    let mut errors = ValidationErrors::default();
    let roles = match roles_of(body.role, body.roles) {
        Ok(r) => r.and_then(|r| errors.take("roles", RoleSet::for_user(&r))),
        Err(e) => {
            errors.extend_prefixed("", e);
            None
        }
    };
    let postings = body
        .poes
        .and_then(|p| errors.take("poes", Postings::parse(&p)));
    errors.into_result(())?;
    let patch = UserPatch {
        password: body.password,
        roles,
        postings,
        active: body.active,
        password_chosen_by_owner: false,
    };
    let row = service::update(&state.ctx, caller.actor(), id.into_inner(), patch).await?;
    Ok(web::Json(row.into()))
}

/// Turn an account's second factor off (a lost device), audited; its sessions are revoked,
/// and it enrols again at its next sign-in if its role requires a second factor.
#[utoipa::path(delete, operation_id = "reset_user_mfa", path = "/api/v1/users/{id}/mfa", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Second factor off"),
        (status = 404, body = super::error::Problem),
    ))]
pub async fn reset_mfa(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<actix_web::HttpResponse> {
    service::reset_mfa(&state.ctx, caller.actor(), id.into_inner()).await?;
    Ok(actix_web::HttpResponse::NoContent().finish())
}
