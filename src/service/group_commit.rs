//! Group commit of single posts: concurrent `POST /movements` share one transaction, and so
//! one commit (one WAL flush on PostgreSQL, one turn of the writer on SQLite), instead of
//! paying one each.
//!
//! A request hands its checked movement to a queue and waits for its own outcome. A few
//! writer threads take turns gathering a group: the first post waiting, then whatever
//! follows within `ingest.group_commit_wait_ms`, up to `ingest.group_commit_max`. While one
//! writer gathers, the others write the groups they gathered, so the database is kept busy
//! and a post waits at most one window and one write. A group is recorded with the batch's
//! recipe (`movements::record_singles`): each post keeps its idempotency key (a replay or a
//! conflicting payload answers as it would alone), its answer and its audit entry with its
//! own actor. When the group's transaction fails, nothing of it was committed, and each post
//! is recorded again alone, so one post that the database refuses fails only itself.
//!
//! An answer is sent only after the commit: a post answered 201 is recorded, and a post whose
//! client went away may or may not be (its replay then answers 200 or 201: once either way).

use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::Context;
use super::movements::{Outcome, Single, record_singles};
use crate::config::IngestSettings;
use crate::error::{Error, Result};

/// A post in the queue, with where its outcome goes.
struct Pending {
    single: Single,
    answer: oneshot::Sender<Result<Outcome>>,
}

/// The queue of single posts and its writers.
pub struct GroupCommit {
    queue: SyncSender<Pending>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

/// How a group is gathered.
#[derive(Debug, Clone, Copy)]
struct Window {
    max: usize,
    wait: Duration,
}

impl GroupCommit {
    /// Starts the writers, which record through `ctx` (a context without group commit: the
    /// writers call the recipe directly). They stop when the last handle is dropped.
    pub fn start(ctx: Context, settings: &IngestSettings) -> std::io::Result<Self> {
        let window = Window {
            max: settings.group_commit_max.max(1),
            wait: Duration::from_millis(settings.group_commit_wait_ms),
        };
        // Room for a few groups a writer: beyond that, a post waits for room (backpressure)
        // instead of the queue growing without bound.
        let writers = settings.writers();
        let (queue, rx) = mpsc::sync_channel(window.max * writers * 4);
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..writers {
            let (rx, ctx) = (rx.clone(), ctx.clone());
            std::thread::Builder::new()
                .name(format!("group-commit-{n}"))
                .spawn(move || write_groups(&ctx, &rx, window))?;
        }
        Ok(Self { queue })
    }

    /// Records one single post in the next group and answers its own outcome.
    pub(super) async fn record(&self, single: Single) -> Result<Outcome> {
        let (answer, outcome) = oneshot::channel();
        let queue = self.queue.clone();
        let pending = Pending { single, answer };
        // `try_send` first: the queue is rarely full, and a full one is waited for off the
        // async worker.
        match queue.try_send(pending) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(pending)) => {
                actix_web::rt::task::spawn_blocking(move || queue.send(pending).is_ok())
                    .await
                    .map_err(|e| Error::internal_from("group commit", e))?
                    .then_some(())
                    .ok_or_else(|| Error::internal("the group commit writers stopped"))?;
            }
            Err(mpsc::TrySendError::Disconnected(_)) => {
                return Err(Error::internal("the group commit writers stopped"));
            }
        }
        outcome
            .await
            .map_err(|_| Error::internal("a group commit writer dropped a post"))?
    }
}

/// A writer: gathers a group (one writer at a time holds the queue), writes it, answers each
/// post; until the queue is closed.
fn write_groups(ctx: &Context, rx: &Mutex<mpsc::Receiver<Pending>>, window: Window) {
    loop {
        let group = {
            let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
            match gather(&rx, window) {
                Some(group) => group,
                None => return,
            }
        };
        write(ctx, group);
    }
}

/// The next group: the first post waiting, then what follows within the window. `None` when
/// the queue is closed and empty.
fn gather(rx: &mpsc::Receiver<Pending>, window: Window) -> Option<Vec<Pending>> {
    let first = rx.recv().ok()?;
    let deadline = Instant::now() + window.wait;
    let mut group = Vec::with_capacity(window.max);
    group.push(first);
    while group.len() < window.max {
        match rx.try_recv() {
            Ok(p) => group.push(p),
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                match rx.recv_timeout(left) {
                    Ok(p) => group.push(p),
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                }
            }
        }
    }
    Some(group)
}

/// Records a group in one transaction and answers each post; when that fails, records each
/// post alone.
fn write(ctx: &Context, group: Vec<Pending>) {
    let size = group.len();
    metrics::histogram!("crossings_group_commit_size").record(size as f64);
    let (singles, answers): (Vec<Single>, Vec<_>) =
        group.into_iter().map(|p| (p.single, p.answer)).unzip();
    match record_singles(ctx, &singles) {
        Ok(outcomes) if outcomes.len() == size => {
            for (answer, outcome) in answers.into_iter().zip(outcomes) {
                // The client may have gone away: its post is recorded all the same.
                let _ = answer.send(Ok(outcome));
            }
        }
        Ok(outcomes) => {
            let e = Error::internal(format!(
                "group commit: {} outcomes for {size} posts",
                outcomes.len()
            ));
            tracing::error!(error = %e, "group commit answered the wrong number of posts");
            for answer in answers {
                let _ = answer.send(Err(Error::internal("group commit lost track of a post")));
            }
        }
        Err(e) if size == 1 => {
            if let Some(answer) = answers.into_iter().next() {
                let _ = answer.send(Err(e));
            }
        }
        Err(e) => {
            // Nothing of the group was committed: each post on its own, so that one the
            // database refuses fails alone.
            metrics::counter!("crossings_group_commit_fallbacks_total").increment(1);
            tracing::warn!(error = %e, posts = size, "a group failed: recording its posts one by one");
            for (single, answer) in singles.into_iter().zip(answers) {
                let outcome = record_singles(ctx, std::slice::from_ref(&single))
                    .and_then(|mut o| o.pop().ok_or_else(|| Error::internal("no outcome")));
                let _ = answer.send(outcome);
            }
        }
    }
}
