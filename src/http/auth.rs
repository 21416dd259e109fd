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
}

impl From<IssuedTokens> for TokenResponse {
    fn from(t: IssuedTokens) -> Self {
        Self {
            access_token: t.access_token,
            token_type: "Bearer",
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
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
        (status = 401, description = "Wrong username or password, or account disabled", body = super::error::Problem),
        (status = 429, description = "Account locked after repeated failures, or too many failures from this address", body = super::error::Problem),
    ))]
pub async fn login(
    state: web::Data<AppState>,
    ClientInfo(client): ClientInfo,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<web::Json<TokenResponse>> {
    let tokens = service::login(&state.ctx, &client, &body.username, &body.password).await?;
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
