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

use std::time::Duration;

use crate::domain::edge::{ForwardedAnswer, ForwardedBatch, ForwardedMovement};
use crate::hq::{Hq, HqError};
use crate::service::{Context, edges};

/// Starts the sync and forward tasks on the current runtime (a node that is not an edge has
/// nothing to start).
pub fn start(ctx: Context) {
    let Some(node) = ctx.edge.clone() else {
        return;
    };
    tracing::info!(hq = %node.hq.base(), client_id = %node.hq.client_id(), "edge: linking to HQ");
    actix_web::rt::spawn(sync_forever(ctx.clone(), node.clone()));
    actix_web::rt::spawn(forward_forever(ctx, node));
}

async fn sync_forever(ctx: Context, node: std::sync::Arc<edges::EdgeNode>) {
    let interval = Duration::from_secs(ctx.settings.edge.sync_interval_secs);
    loop {
        match sync_once(&ctx, &node.hq).await {
            Ok(more) => {
                note(&ctx, true).await;
                if more {
                    continue;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "edge: sync with HQ failed; working offline");
                if !matches!(e, HqError::Local(_)) {
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
async fn sync_once(ctx: &Context, hq: &Hq) -> Result<bool, HqError> {
    let since = edges::watchlist_seq(ctx).await?;
    let (_, backlog) = edges::outbox(ctx, 0).await?;
    let package = hq.sync(since, backlog).await?;
    let more = package.watchlist_more;
    let (accounts, alerts) = (package.accounts.len(), package.alerts.len());
    edges::apply_sync(ctx, package).await?;
    metrics::gauge!("crossings_edge_last_sync_timestamp_seconds")
        .set(chrono::Utc::now().timestamp() as f64);
    metrics::gauge!("crossings_edge_backlog").set(backlog as f64);
    tracing::debug!(accounts, alerts, "edge: synced with HQ");
    Ok(more)
}

async fn forward_forever(ctx: Context, node: std::sync::Arc<edges::EdgeNode>) {
    let mut backoff = Duration::from_millis(500);
    loop {
        match forward_once(&ctx, &node.hq).await {
            Ok(0) => {
                backoff = Duration::from_millis(500);
                actix_web::rt::time::sleep(Duration::from_millis(200)).await;
            }
            Ok(_) => backoff = Duration::from_millis(500),
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "edge: forwarding to HQ failed; the backlog waits");
                if !matches!(e, HqError::Local(_)) {
                    note(&ctx, false).await;
                }
                actix_web::rt::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Forwards one batch of movements and voids; answers how many HQ answered for.
async fn forward_once(ctx: &Context, hq: &Hq) -> Result<usize, HqError> {
    let limit = i64::try_from(ctx.settings.edge.forward_batch).unwrap_or(500);
    let (waiting, backlog) = edges::outbox(ctx, limit).await?;
    let voids = edges::void_outbox(ctx, limit).await?;
    metrics::gauge!("crossings_edge_backlog").set((backlog + voids.len() as i64) as f64);
    if waiting.is_empty() && voids.is_empty() {
        return Ok(0);
    }
    let mut rejected: Vec<(String, String)> = Vec::new();
    let mut items: Vec<ForwardedMovement> = Vec::with_capacity(waiting.len());
    for (_, row, hits) in &waiting {
        match edges::forwarded(row, hits) {
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
        let answer: ForwardedAnswer = hq.forward(&batch).await?;
        if answer.results.len() != sent || answer.void_results.len() != sent_voids {
            return Err(HqError::Status(
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
    if let Some(&(upto, _, _)) = waiting.last() {
        edges::mark_forwarded(ctx, upto, rejected).await?;
    }
    edges::mark_voids_sent(ctx, void_answers).await?;
    metrics::counter!("crossings_edge_forwarded_total").increment((sent + sent_voids) as u64);
    metrics::gauge!("crossings_edge_backlog").set((backlog - waiting.len() as i64) as f64);
    note(ctx, true).await;
    Ok(waiting.len() + sent_voids)
}
