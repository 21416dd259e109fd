//! The edge's link to HQ: two background tasks of a node that runs at a post
//! (`edge.hq_url` set, or `crossings edge`).
//!
//! - **Sync**, every `edge.sync_interval_secs` while HQ answers: pulls the post's accounts,
//!   the watchlist's changes after the last one taken in, and the registry
//!   (`GET /api/v1/edge/sync`), and takes them in (`service::edges::apply_sync`).
//! - **Forward**: sends the movements recorded here, in the order recorded (SQLite rowid), in
//!   batches of `edge.forward_batch`, to `POST /api/v1/edge/movements`, and moves its
//!   position past a batch only once HQ has answered for every item of it. A batch whose
//!   answer is lost (HQ down, the link cut mid-request, this process killed) is sent again;
//!   HQ's idempotency on the officer's `client_event_id` makes it `duplicate`, so every
//!   movement arrives once.
//!
//! Recording never waits for either: officers are answered from the local database.

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use tokio::sync::Mutex;

use crate::domain::edge::{ForwardedAnswer, ForwardedBatch, ForwardedMovement, SyncPackage};
use crate::service::{Context, edges};

/// Why a call to HQ did not succeed.
#[derive(Debug, thiserror::Error)]
enum LinkError {
    /// No answer (down, cut, timed out).
    #[error("HQ did not answer: {0}")]
    Unreachable(String),
    /// HQ refused the credential.
    #[error("HQ refused the edge credential ({0})")]
    Refused(u16),
    /// HQ answered with an error.
    #[error("HQ answered {0}: {1}")]
    Status(u16, String),
    /// This node's own database.
    #[error("local: {0}")]
    Local(String),
}

impl From<crate::error::Error> for LinkError {
    fn from(e: crate::error::Error) -> Self {
        Self::Local(e.chain())
    }
}

/// The edge's HTTP client and token.
struct Link {
    http: reqwest::Client,
    base: String,
    client_id: String,
    client_secret: secrecy::SecretString,
    token: Mutex<Option<String>>,
}

impl Link {
    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    async fn token(&self, renew: bool) -> Result<String, LinkError> {
        let mut held = self.token.lock().await;
        if let (false, Some(t)) = (renew, held.as_ref()) {
            return Ok(t.clone());
        }
        let answer = self
            .http
            .post(self.url("/auth/token"))
            .json(&serde_json::json!({
                "client_id": self.client_id,
                "client_secret": self.client_secret.expose_secret(),
            }))
            .send()
            .await
            .map_err(|e| LinkError::Unreachable(e.to_string()))?;
        let status = answer.status().as_u16();
        if status == 401 || status == 403 {
            return Err(LinkError::Refused(status));
        }
        if status != 200 {
            return Err(LinkError::Status(status, "POST /auth/token".to_owned()));
        }
        let body: serde_json::Value = answer
            .json()
            .await
            .map_err(|e| LinkError::Unreachable(e.to_string()))?;
        let token = body["access_token"]
            .as_str()
            .ok_or_else(|| LinkError::Status(status, "no access_token".to_owned()))?
            .to_owned();
        *held = Some(token.clone());
        Ok(token)
    }

    /// Sends a request with the token, renewing it once when HQ says it expired.
    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<T, LinkError> {
        let mut renew = false;
        loop {
            let token = self.token(renew).await?;
            let answer = build(&self.http, &token)
                .send()
                .await
                .map_err(|e| LinkError::Unreachable(e.to_string()))?;
            let status = answer.status().as_u16();
            if status == 401 && !renew {
                renew = true;
                continue;
            }
            if status == 401 || status == 403 {
                return Err(LinkError::Refused(status));
            }
            if status != 200 {
                let text = answer.text().await.unwrap_or_default();
                return Err(LinkError::Status(status, crate::telemetry::clip(&text)));
            }
            return answer
                .json()
                .await
                .map_err(|e| LinkError::Unreachable(e.to_string()));
        }
    }
}

/// Starts the sync and forward tasks on the current runtime.
pub fn start(ctx: Context) {
    let settings = &ctx.settings.edge;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(settings.request_timeout_secs))
        .connect_timeout(Duration::from_secs(5))
        .build()
    {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "edge: cannot build an HTTP client; not linking to HQ");
            return;
        }
    };
    let link = Arc::new(Link {
        http,
        base: settings.hq_url.trim().trim_end_matches('/').to_owned(),
        client_id: settings.client_id.clone(),
        client_secret: settings.client_secret.clone(),
        token: Mutex::new(None),
    });
    tracing::info!(hq = %link.base, client_id = %link.client_id, "edge: linking to HQ");
    actix_web::rt::spawn(sync_forever(ctx.clone(), link.clone()));
    actix_web::rt::spawn(forward_forever(ctx, link));
}

async fn sync_forever(ctx: Context, link: Arc<Link>) {
    let interval = Duration::from_secs(ctx.settings.edge.sync_interval_secs);
    loop {
        match sync_once(&ctx, &link).await {
            Ok(more) => {
                note(&ctx, true).await;
                if more {
                    continue;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "edge: sync with HQ failed; working offline");
                if !matches!(e, LinkError::Local(_)) {
                    note(&ctx, false).await;
                }
            }
        }
        actix_web::rt::time::sleep(interval).await;
    }
}

async fn note(ctx: &Context, reachable: bool) {
    if let Err(e) = edges::note_reachable(ctx, reachable).await {
        tracing::warn!(error = %e.chain(), "edge: cannot note HQ's state");
    }
}

/// One pull; answers whether more watchlist changes wait.
async fn sync_once(ctx: &Context, link: &Link) -> Result<bool, LinkError> {
    let since = edges::watchlist_seq(ctx).await?;
    let (_, backlog) = edges::outbox(ctx, 0).await?;
    let url = link.url("/edge/sync");
    let package: SyncPackage = link
        .send(|http, token| {
            http.get(&url)
                .bearer_auth(token)
                .query(&[("since", since), ("backlog", backlog)])
        })
        .await?;
    let more = package.watchlist_more;
    let (accounts, alerts) = (package.accounts.len(), package.alerts.len());
    edges::apply_sync(ctx, package).await?;
    metrics::gauge!("crossings_edge_last_sync_timestamp_seconds")
        .set(chrono::Utc::now().timestamp() as f64);
    metrics::gauge!("crossings_edge_backlog").set(backlog as f64);
    tracing::debug!(accounts, alerts, "edge: synced with HQ");
    Ok(more)
}

async fn forward_forever(ctx: Context, link: Arc<Link>) {
    let mut backoff = Duration::from_millis(500);
    loop {
        match forward_once(&ctx, &link).await {
            Ok(0) => {
                backoff = Duration::from_millis(500);
                actix_web::rt::time::sleep(Duration::from_millis(200)).await;
            }
            Ok(_) => backoff = Duration::from_millis(500),
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "edge: forwarding to HQ failed; the backlog waits");
                if !matches!(e, LinkError::Local(_)) {
                    note(&ctx, false).await;
                }
                actix_web::rt::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Forwards one batch of movements and voids; answers how many HQ answered for.
async fn forward_once(ctx: &Context, link: &Link) -> Result<usize, LinkError> {
    let limit = i64::try_from(ctx.settings.edge.forward_batch).unwrap_or(500);
    let (waiting, backlog) = edges::outbox(ctx, limit).await?;
    let voids = edges::void_outbox(ctx, limit).await?;
    metrics::gauge!("crossings_edge_backlog").set((backlog + voids.len() as i64) as f64);
    if waiting.is_empty() && voids.is_empty() {
        return Ok(0);
    }
    let mut rejected: Vec<(String, String)> = Vec::new();
    let mut items: Vec<ForwardedMovement> = Vec::with_capacity(waiting.len());
    for (_, row) in &waiting {
        match edges::forwarded(row) {
            Some(item) => items.push(item),
            None => rejected.push((
                row.id.clone(),
                "not recorded by an officer's account; not forwarded".to_owned(),
            )),
        }
    }
    let (sent, sent_voids) = (items.len(), voids.len());
    let mut void_answers: Vec<(String, String, String)> = Vec::new();
    if sent + sent_voids > 0 {
        let batch = ForwardedBatch {
            movements: items,
            voids,
            backlog: Some(backlog - waiting.len() as i64),
        };
        let url = link.url("/edge/movements");
        let answer: ForwardedAnswer = link
            .send(|http, token| http.post(&url).bearer_auth(token).json(&batch))
            .await?;
        if answer.results.len() != sent || answer.void_results.len() != sent_voids {
            return Err(LinkError::Status(
                200,
                format!(
                    "{} results for {sent} movements, {} for {sent_voids} voids",
                    answer.results.len(),
                    answer.void_results.len()
                ),
            ));
        }
        for r in answer.results {
            match r.status.as_str() {
                "created" | "duplicate" => {}
                _ => {
                    tracing::warn!(movement_id = %r.id, reason = r.reason.as_deref().unwrap_or(""), "edge: HQ rejected a movement; kept here for an admin");
                    rejected.push((r.id, r.reason.unwrap_or_default()));
                }
            }
        }
        for r in answer.void_results {
            if r.status == "rejected" {
                tracing::warn!(movement_id = %r.id, reason = r.reason.as_deref().unwrap_or(""), "edge: HQ rejected a void; kept here for an admin");
            }
            void_answers.push((r.id, r.status, r.reason.unwrap_or_default()));
        }
    }
    if let Some(&(upto, _)) = waiting.last() {
        edges::mark_forwarded(ctx, upto, rejected).await?;
    }
    edges::mark_voids_sent(ctx, void_answers).await?;
    metrics::counter!("crossings_edge_forwarded_total").increment((sent + sent_voids) as u64);
    metrics::gauge!("crossings_edge_backlog").set((backlog - waiting.len() as i64) as f64);
    note(ctx, true).await;
    Ok(waiting.len() + sent_voids)
}
