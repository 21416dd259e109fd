//! An edge's HTTP client of HQ: with the edge credential's token, `/edge/sync` and
//! `/edge/movements`; in an officer's own HQ session (opened when they sign in at the edge), a
//! traveller search and a password change. Plain calls: when to make them is `crate::edge`
//! (the background tasks) and `service::edges` (an officer's request at the post).

use std::time::Duration;

use secrecy::ExposeSecret;
use tokio::sync::Mutex;

use crate::config::EdgeSettings;
use crate::domain::edge::{ForwardedAnswer, ForwardedBatch, SyncPackage};
use crate::domain::search::SearchInput;

/// Why a call to HQ did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum HqError {
    /// No answer (down, cut, timed out).
    #[error("HQ did not answer: {0}")]
    Unreachable(String),
    /// HQ refused the credential.
    #[error("HQ refused the edge credential ({0})")]
    Refused(u16),
    /// HQ answered with an error: its status and what it said (a problem's detail).
    #[error("HQ answered {0}: {1}")]
    Status(u16, String),
    /// This node's own database.
    #[error("local: {0}")]
    Local(String),
}

impl From<crate::error::Error> for HqError {
    fn from(e: crate::error::Error) -> Self {
        Self::Local(e.chain())
    }
}

/// The edge's link to HQ: an HTTP client for the background work, a quicker one for calls an
/// officer waits on, and the edge's token.
pub struct Hq {
    http: reqwest::Client,
    quick: reqwest::Client,
    base: String,
    client_id: String,
    client_secret: secrecy::SecretString,
    token: Mutex<Option<String>>,
}

impl std::fmt::Debug for Hq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hq")
            .field("base", &self.base)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl Hq {
    /// The link configured by `edge.*`.
    pub fn new(settings: &EdgeSettings) -> Result<Self, HqError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let build = |timeout: Duration| {
            reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(Duration::from_secs(5).min(timeout))
                .build()
                .map_err(|e| HqError::Local(format!("cannot build an HTTP client: {e}")))
        };
        Ok(Self {
            http: build(Duration::from_secs(settings.request_timeout_secs))?,
            quick: build(Duration::from_millis(settings.officer_timeout_ms))?,
            base: settings.hq_url.trim().trim_end_matches('/').to_owned(),
            client_id: settings.client_id.clone(),
            client_secret: settings.client_secret.clone(),
            token: Mutex::new(None),
        })
    }

    /// HQ's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The edge credential's client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    async fn token(&self, http: &reqwest::Client, renew: bool) -> Result<String, HqError> {
        let mut held = self.token.lock().await;
        if let (false, Some(t)) = (renew, held.as_ref()) {
            return Ok(t.clone());
        }
        let answer = http
            .post(self.url("/auth/token"))
            .json(&serde_json::json!({
                "client_id": self.client_id,
                "client_secret": self.client_secret.expose_secret(),
            }))
            .send()
            .await
            .map_err(|e| HqError::Unreachable(e.to_string()))?;
        let status = answer.status().as_u16();
        if status == 401 || status == 403 {
            return Err(HqError::Refused(status));
        }
        if status != 200 {
            return Err(HqError::Status(status, "POST /auth/token".to_owned()));
        }
        let body: serde_json::Value = answer
            .json()
            .await
            .map_err(|e| HqError::Unreachable(e.to_string()))?;
        let token = body["access_token"]
            .as_str()
            .ok_or_else(|| HqError::Status(status, "no access_token".to_owned()))?
            .to_owned();
        *held = Some(token.clone());
        Ok(token)
    }

    /// Sends a request with the token, renewing it once when HQ says it expired.
    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        http: &reqwest::Client,
        build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<T, HqError> {
        let mut renew = false;
        loop {
            let token = self.token(http, renew).await?;
            let answer = build(http, &token)
                .send()
                .await
                .map_err(|e| HqError::Unreachable(e.to_string()))?;
            let status = answer.status().as_u16();
            if status == 401 && !renew {
                renew = true;
                continue;
            }
            if status == 401 || status == 403 {
                return Err(HqError::Refused(status));
            }
            if status != 200 {
                let text = answer.text().await.unwrap_or_default();
                let detail = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|p| p["detail"].as_str().map(str::to_owned))
                    .unwrap_or(text);
                return Err(HqError::Status(status, crate::telemetry::clip(&detail)));
            }
            return answer
                .json()
                .await
                .map_err(|e| HqError::Unreachable(e.to_string()));
        }
    }

    /// `GET /edge/sync`: the post's accounts, the watchlist's changes after `since`, the
    /// registry.
    pub async fn sync(&self, since: i64, backlog: i64) -> Result<SyncPackage, HqError> {
        let url = self.url("/edge/sync");
        self.send(&self.http, |http, token| {
            http.get(&url)
                .bearer_auth(token)
                .query(&[("since", since), ("backlog", backlog)])
        })
        .await
    }

    /// `POST /edge/movements`: one batch of movements and voids.
    pub async fn forward(&self, batch: &ForwardedBatch) -> Result<ForwardedAnswer, HqError> {
        let url = self.url("/edge/movements");
        self.send(&self.http, |http, token| {
            http.post(&url).bearer_auth(token).json(batch)
        })
        .await
    }

    /// Signs an officer in at HQ with what they typed at the edge (`POST /auth/login`): the
    /// officer's own HQ session, through which the edge reads HQ's records for them.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        otp: Option<&str>,
    ) -> Result<OfficerSession, HqError> {
        let answer = self
            .quick
            .post(self.url("/auth/login"))
            .json(&serde_json::json!({"username": username, "password": password, "otp": otp}))
            .send()
            .await
            .map_err(|e| HqError::Unreachable(e.to_string()))?;
        OfficerSession::from_answer(answer).await
    }

    /// A new access token for an officer's HQ session (`POST /auth/refresh`; the refresh
    /// token rotates).
    async fn refresh(&self, session: &OfficerSession) -> Result<OfficerSession, HqError> {
        let answer = self
            .quick
            .post(self.url("/auth/refresh"))
            .json(&serde_json::json!({"refresh_token": session.refresh_token.expose_secret()}))
            .send()
            .await
            .map_err(|e| HqError::Unreachable(e.to_string()))?;
        OfficerSession::from_answer(answer).await
    }

    /// A request in an officer's HQ session, within `edge.officer_timeout_ms`; when HQ says the
    /// access token expired, the session is refreshed (`session` then holds the new tokens)
    /// and the request made once more. Answers the status and the body (JSON, or null).
    pub async fn as_officer(
        &self,
        session: &mut OfficerSession,
        build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<(u16, serde_json::Value), HqError> {
        let mut refreshed = false;
        loop {
            let answer = build(&self.quick, session.access_token.expose_secret())
                .send()
                .await
                .map_err(|e| HqError::Unreachable(e.to_string()))?;
            let status = answer.status().as_u16();
            if status == 401 && !refreshed {
                *session = self.refresh(session).await?;
                refreshed = true;
                continue;
            }
            let text = answer
                .text()
                .await
                .map_err(|e| HqError::Unreachable(e.to_string()))?;
            let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
            return Ok((status, body));
        }
    }

    /// `POST /travellers/search` in an officer's HQ session: HQ's answer (its JSON).
    pub async fn search(
        &self,
        session: &mut OfficerSession,
        search: &SearchInput,
    ) -> Result<serde_json::Value, HqError> {
        let url = self.url("/travellers/search");
        match self
            .as_officer(session, |http, token| {
                http.post(&url).bearer_auth(token).json(search)
            })
            .await?
        {
            (200, body) => Ok(body),
            (status, body) => Err(HqError::Status(status, detail(&body))),
        }
    }

    /// `POST /auth/password` in an officer's HQ session.
    pub async fn change_password(
        &self,
        session: &mut OfficerSession,
        current_password: &str,
        new_password: &str,
    ) -> Result<(), HqError> {
        let url = self.url("/auth/password");
        let body = serde_json::json!({
            "current_password": current_password,
            "new_password": new_password,
        });
        match self
            .as_officer(session, |http, token| {
                http.post(&url).bearer_auth(token).json(&body)
            })
            .await?
        {
            (204 | 200, _) => Ok(()),
            (status, body) => Err(HqError::Status(status, detail(&body))),
        }
    }
}

/// A problem's detail (or the body as it came).
fn detail(body: &serde_json::Value) -> String {
    body["detail"]
        .as_str()
        .map_or_else(|| crate::telemetry::clip(&body.to_string()), str::to_owned)
}

/// An officer's own session at HQ, opened when they signed in at the edge (their password and
/// code went to HQ then, never kept): the edge reads HQ's records and changes their password
/// in it, never with its own credential.
pub struct OfficerSession {
    access_token: secrecy::SecretString,
    refresh_token: secrecy::SecretString,
}

impl std::fmt::Debug for OfficerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OfficerSession")
    }
}

impl OfficerSession {
    async fn from_answer(answer: reqwest::Response) -> Result<Self, HqError> {
        let status = answer.status().as_u16();
        let body: serde_json::Value = answer.json().await.unwrap_or(serde_json::Value::Null);
        if status != 200 {
            return Err(HqError::Status(status, detail(&body)));
        }
        let token = |name: &str| {
            body[name]
                .as_str()
                .map(|t| secrecy::SecretString::from(t.to_owned()))
                .ok_or_else(|| HqError::Status(status, format!("no {name}")))
        };
        Ok(Self {
            access_token: token("access_token")?,
            refresh_token: token("refresh_token")?,
        })
    }
}
