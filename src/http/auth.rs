//! `/auth/*`: sign-in, token rotation, sign-out, and tokens for POE systems.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, ClientInfo};
use crate::app::AppState;
use crate::auth::IssuedTokens;
use crate::error::{Error, Result};
use crate::service::{Caller, sessions as service};

/// `POST /auth/login`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login name.
    #[schema(example = "thabo.immigration")]
    pub username: String,
    /// Password.
    #[schema(example = "correct horse battery")]
    pub password: String,
    /// The current one-time code (six digits), for accounts with a second factor.
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    pub otp: Option<String>,
}

/// Tokens handed out by a sign-in or refresh.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    /// Single-use token for `POST /auth/refresh` (absent for POE systems).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The password was set by an admin: this token is good only for `POST /auth/password`
    /// and `/auth/logout` until it is changed.
    pub password_change_required: bool,
    /// The account's role needs a second factor: this token is good only for `/auth/mfa/*`,
    /// `/auth/password` and `/auth/logout` until one is set up.
    pub mfa_enrolment_required: bool,
}

impl From<IssuedTokens> for TokenResponse {
    fn from(t: IssuedTokens) -> Self {
        Self {
            access_token: t.access_token,
            token_type: "Bearer",
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
            password_change_required: t.password_change_required,
            mfa_enrolment_required: t.mfa_enrolment_required,
        }
    }
}

/// `POST /auth/refresh` and `POST /auth/logout`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last sign-in or refresh.
    pub refresh_token: String,
}

/// `POST /auth/logout`: the refresh token, or nothing when an access token is sent.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {
    /// The session's refresh token (or send the access token as the bearer instead).
    pub refresh_token: Option<String>,
}

/// `POST /auth/token`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientCredentials {
    /// The POE system's client id.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
}

/// Sign in with a username and password.
#[utoipa::path(post, operation_id = "login", path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong username or password, or account disabled; a wrong or used one-time code; or (type ending `otp-required`) a one-time code is needed", body = super::error::Problem),
        (status = 422, description = "`otp` is not six digits", body = super::error::Problem),
        (status = 429, description = "Username locked from this address (or everywhere) after repeated failures, or too many failures from this address", body = super::error::Problem),
        (status = 503, description = "Too many sign-ins being checked at once; retry after `Retry-After`", body = super::error::Problem),
    ))]
pub async fn login(
    state: web::Data<AppState>,
    ClientInfo(client): ClientInfo,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<web::Json<TokenResponse>> {
    if let Some(otp) = &body.otp {
        if otp.len() != 6 || !otp.bytes().all(|b| b.is_ascii_digit()) {
            return Err(crate::domain::validation::ValidationErrors::one(
                "otp",
                "must be six digits",
            )
            .into());
        }
    }
    let tokens = service::login(
        &state.ctx,
        &client,
        &body.username,
        &body.password,
        body.otp.as_deref(),
    )
    .await?;
    Ok(web::Json(tokens.into()))
}

/// Exchange a refresh token for new tokens. A refresh token works once; presenting a used one
/// revokes the whole session.
#[utoipa::path(post, operation_id = "refresh", path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "Unknown, expired, used or revoked refresh token", body = super::error::Problem),
    ))]
pub async fn refresh(
    state: web::Data<AppState>,
    ClientInfo(client): ClientInfo,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<web::Json<TokenResponse>> {
    let tokens = service::refresh(&state.ctx, &client, &body.refresh_token).await?;
    Ok(web::Json(tokens.into()))
}

/// Sign out: revoke the session of the refresh token given, or of the bearer access token.
#[utoipa::path(post, operation_id = "logout", path = "/api/v1/auth/logout", tag = "auth", request_body(content = Option<LogoutRequest>, description = "Optional when an access token is sent"),
    responses(
        (status = 204, description = "Session revoked"),
        (status = 401, description = "No valid refresh or access token", body = super::error::Problem),
    ), security((), ("bearer" = [])))]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    ClientInfo(client): ClientInfo,
    super::extract::ApiBytes(body): super::extract::ApiBytes,
) -> Result<HttpResponse> {
    let body: LogoutRequest = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutRequest::default()
    } else {
        // `null` is no body too, as the document's optional body allows.
        super::extract::parse_json::<Option<LogoutRequest>>(&body)?.unwrap_or_default()
    };
    if let Some(refresh) = body.refresh_token {
        service::logout_refresh(&state.ctx, &client, &refresh).await?;
        return Ok(HttpResponse::NoContent().finish());
    }
    let bearer = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .ok_or_else(|| {
            Error::Unauthenticated("send the refresh token or an access token".to_owned())
        })?;
    let principal = service::authenticate(&state.ctx, bearer.trim()).await?;
    service::logout_session(&state.ctx, &Caller { principal, client }).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A POE system exchanges its client id and secret for an access token bound to its POE.
#[utoipa::path(post, operation_id = "system_token", path = "/api/v1/auth/token", tag = "auth", request_body = ClientCredentials,
    responses(
        (status = 200, description = "Access token with role poe_system", body = TokenResponse),
        (status = 401, description = "Unknown or revoked client, or wrong secret", body = super::error::Problem),
    ))]
pub async fn system_token(
    state: web::Data<AppState>,
    ApiJson(body): ApiJson<ClientCredentials>,
) -> Result<web::Json<TokenResponse>> {
    let tokens = service::system_token(&state.ctx, &body.client_id, &body.client_secret).await?;
    Ok(web::Json(tokens.into()))
}

/// `POST /auth/password`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// The password signed in with.
    #[schema(min_length = 1, max_length = 1024)]
    pub current_password: String,
    /// At least 12 characters and at most 1024 bytes, not containing the username, not the
    /// current one, not a common password.
    #[schema(
        min_length = 12,
        max_length = 1024,
        example = "a long passphrase of mine"
    )]
    pub new_password: String,
}

/// Change your own password. Lifts a forced change; your other sessions are signed out.
#[utoipa::path(post, operation_id = "change_password", path = "/api/v1/auth/password", tag = "auth", request_body = ChangePassword, security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = 422, description = "`current_password` is wrong, or `new_password` breaks the policy", body = super::error::Problem),
        (status = 503, description = "Too many passwords being checked at once", body = super::error::Problem),
    ))]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ChangePassword>,
) -> Result<HttpResponse> {
    service::change_password(
        &state.ctx,
        &caller,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new second-factor secret, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaSetupResponse {
    /// The TOTP secret, base32 (RFC 6238: SHA-1, 6 digits, 30 s).
    pub secret: String,
    /// The same as an `otpauth://` URI, for authenticator apps.
    pub otpauth_uri: String,
}

/// Start setting up a second factor (TOTP): answers a new secret, not yet on. Confirm it with
/// a code from it (`POST /auth/mfa/confirm`).
#[utoipa::path(post, operation_id = "mfa_setup", path = "/api/v1/auth/mfa/setup", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The secret, shown this once", body = MfaSetupResponse),
        (status = 409, description = "A second factor is already on, or this node is an edge (enrol at HQ)", body = super::error::Problem),
    ))]
pub async fn mfa_setup(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<MfaSetupResponse>> {
    let setup = service::mfa_setup(&state.ctx, &caller).await?;
    Ok(web::Json(MfaSetupResponse {
        secret: setup.secret,
        otpauth_uri: setup.otpauth_uri,
    }))
}

/// `POST /auth/mfa/confirm`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaConfirm {
    /// The current code of the secret being set up.
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    pub code: String,
}

/// Turn the second factor on with a current code of the secret from setup. From then on
/// sign-in needs `otp`.
#[utoipa::path(post, operation_id = "mfa_confirm", path = "/api/v1/auth/mfa/confirm", tag = "auth", request_body = MfaConfirm, security(("bearer" = [])),
    responses(
        (status = 204, description = "Second factor on"),
        (status = 409, description = "Already on, or this node is an edge (enrol at HQ)", body = super::error::Problem),
        (status = 422, description = "Wrong code, or nothing being set up", body = super::error::Problem),
    ))]
pub async fn mfa_confirm(
    state: web::Data<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<MfaConfirm>,
) -> Result<HttpResponse> {
    service::mfa_confirm(&state.ctx, &caller, &body.code).await?;
    Ok(HttpResponse::NoContent().finish())
}
