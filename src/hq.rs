//! An edge's HTTP client of HQ: the edge credential's token, and the calls an edge makes
//! (`/edge/sync`, `/edge/movements`, a traveller search and a password change on an officer's
//! behalf). Plain calls: when to make them is `crate::edge` (the background tasks) and
//! `service::edges` (an officer's request at the post).

use std::time::Duration;

use secrecy::ExposeSecret;
use tokio::sync::Mutex;

use crate::config::EdgeSettings;
use crate::domain::edge::{
    ForwardedAnswer, ForwardedBatch, OfficerPasswordChange, OfficerSearch, SyncPackage,
};

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

    /// `POST /edge/travellers/search`: HQ's answer to an officer's search (the JSON of
    /// `POST /travellers/search`), within `edge.officer_timeout_ms`.
    pub async fn search(&self, search: &OfficerSearch) -> Result<serde_json::Value, HqError> {
        let url = self.url("/edge/travellers/search");
        self.send(&self.quick, |http, token| {
            http.post(&url).bearer_auth(token).json(search)
        })
        .await
    }

    /// `POST /edge/accounts/password`: an officer's password change, made at HQ.
    pub async fn change_password(&self, change: &OfficerPasswordChange) -> Result<(), HqError> {
        let url = self.url("/edge/accounts/password");
        let _: serde_json::Value = self
            .send(&self.quick, |http, token| {
                http.post(&url).bearer_auth(token).json(change)
            })
            .await?;
        Ok(())
    }
}
