//! The police's live stream of hits: who is listening in this process, how a new hit reaches
//! them, and what a reconnecting client is replayed.
//!
//! A hit is announced only after its movement's transaction commits: on PostgreSQL by a
//! `NOTIFY` inside that transaction (delivered at commit to every node's listener, whichever
//! node recorded it); on SQLite, where there is one process, by the recording service after
//! commit. Either way the ids go to this node's dispatcher thread, which loads the hits once
//! and hands each to the subscribers posted where it happened. Handing over never waits: each
//! subscriber has a bounded buffer, and one that is full (a slow client) or closed (a client
//! gone) is dropped. A dropped client reconnects with `Last-Event-ID` and is replayed what it
//! missed, from the database. Recording is never slowed or failed by any of this.

use std::collections::HashSet;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::{Caller, Context, access};
use crate::domain::audit::AuditEvent;
use crate::domain::time;
use crate::error::Result;
use crate::store::watchlist::{HitDetail, HitListener};
use crate::store::{self, Db};

/// One listening client.
struct Subscriber {
    /// Posts it may hear of (`None`: every post).
    poes: Option<Vec<String>>,
    /// Its buffer.
    tx: mpsc::Sender<Arc<HitDetail>>,
}

/// The subscribers of this process, and the way in for new hits' ids.
pub struct HitHub {
    subscribers: Mutex<Vec<Subscriber>>,
    announce: SyncSender<Vec<String>>,
    buffer: usize,
}

/// How many announcements may wait for the dispatcher before new ones are dropped (and
/// logged): far more than a node records between two loads.
const ANNOUNCEMENTS_WAITING: usize = 4096;

impl HitHub {
    /// A hub and its dispatcher thread, which loads announced hits from `db`. On PostgreSQL a
    /// listener thread on its own connection to `database_url` announces the hits every node
    /// records. Both threads end when the hub is dropped.
    pub fn start(db: Db, database_url: Option<String>, buffer: usize) -> Arc<Self> {
        let (announce, incoming) = sync_channel(ANNOUNCEMENTS_WAITING);
        let hub = Arc::new(Self {
            subscribers: Mutex::new(Vec::new()),
            announce,
            buffer,
        });
        let weak = Arc::downgrade(&hub);
        let spawned = std::thread::Builder::new()
            .name("hit-dispatcher".to_owned())
            .spawn(move || dispatch(db, incoming, weak));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the hit dispatcher: live alerts are off");
        }
        if let Some(url) = database_url {
            let weak = Arc::downgrade(&hub);
            let spawned = std::thread::Builder::new()
                .name("hit-listener".to_owned())
                .spawn(move || listen(url, weak));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start the hit listener: live alerts are off");
            }
        }
        hub
    }

    /// Hands hits recorded in this process to the dispatcher (SQLite; on PostgreSQL the
    /// listener hears them). Never waits; a failure is logged, not returned.
    pub fn announce(&self, ids: Vec<String>) {
        if ids.is_empty() {
            return;
        }
        match self.announce.try_send(ids) {
            Ok(()) => {}
            Err(TrySendError::Full(ids)) => tracing::warn!(
                hits = ids.len(),
                "hit dispatcher behind: live delivery of these hits skipped (clients get them on reconnect)"
            ),
            Err(TrySendError::Disconnected(_)) => {
                tracing::warn!("hit dispatcher stopped: live delivery skipped")
            }
        }
    }

    /// Adds a subscriber for `poes` (`None`: all).
    fn subscribe(&self, poes: Option<Vec<String>>) -> mpsc::Receiver<Arc<HitDetail>> {
        let (tx, rx) = mpsc::channel(self.buffer);
        self.lock().push(Subscriber { poes, tx });
        rx
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Subscriber>> {
        self.subscribers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hands each hit to the subscribers posted where it happened; drops the ones that are
    /// full or gone.
    pub fn publish(&self, hits: &[Arc<HitDetail>]) {
        let mut subscribers = self.lock();
        subscribers.retain(|s| {
            for hit in hits {
                let at_post = s
                    .poes
                    .as_ref()
                    .is_none_or(|p| p.iter().any(|c| c == hit.hit.poe.as_str()));
                if !at_post {
                    continue;
                }
                match s.tx.try_send(hit.clone()) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        metrics::counter!("crossings_alert_stream_dropped_total").increment(1);
                        tracing::warn!(
                            "a hit stream client fell behind and was dropped; it is replayed on reconnect"
                        );
                        return false;
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => return false,
                }
            }
            true
        });
        metrics::gauge!("crossings_alert_stream_clients").set(subscribers.len() as f64);
    }

    /// Ends every stream (their clients reconnect and are replayed): after the listener lost
    /// its connection, when hits may have gone unheard.
    fn reset(&self) {
        self.lock().clear();
    }

    /// Connected clients.
    pub fn clients(&self) -> usize {
        self.lock().len()
    }
}

/// Loads announced hits and publishes them, until the hub is gone.
fn dispatch(db: Db, incoming: Receiver<Vec<String>>, hub: Weak<HitHub>) {
    loop {
        let ids = match incoming.recv_timeout(Duration::from_secs(1)) {
            Ok(ids) => ids,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if hub.strong_count() == 0 {
                    return;
                }
                continue;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
        };
        let Some(hub) = hub.upgrade() else { return };
        if hub.clients() == 0 {
            continue;
        }
        let mut ids = ids;
        // Take what else is waiting: one load for many announcements.
        while let Ok(more) = incoming.try_recv() {
            ids.extend(more);
        }
        match db.read_sync(|c| store::watchlist::hits_by_ids(c, &ids)) {
            Ok(hits) => {
                let hits: Vec<Arc<HitDetail>> = hits.into_iter().map(Arc::new).collect();
                hub.publish(&hits);
            }
            Err(e) => {
                tracing::warn!(error = %e, hits = ids.len(), "cannot load new hits for the live stream; clients get them on reconnect");
                hub.reset();
            }
        }
    }
}

/// Listens for hits announced by every node (PostgreSQL), reconnecting on loss, until the hub
/// is gone.
fn listen(url: String, hub: Weak<HitHub>) {
    const POLL: Duration = Duration::from_millis(100);
    const PING: Duration = Duration::from_secs(5);
    let mut listener: Option<HitListener> = None;
    let mut last_ping = Instant::now();
    loop {
        let Some(strong) = hub.upgrade() else { return };
        match listener.as_mut() {
            None => match HitListener::connect(&url) {
                Ok(l) => {
                    listener = Some(l);
                    // What was announced while nobody listened is replayed on reconnect.
                    strong.reset();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "hit listener cannot connect; retrying");
                    drop(strong);
                    std::thread::sleep(Duration::from_secs(1));
                    continue;
                }
            },
            Some(l) => {
                let polled = l.poll().and_then(|ids| {
                    if last_ping.elapsed() >= PING {
                        last_ping = Instant::now();
                        l.ping()?;
                    }
                    Ok(ids)
                });
                match polled {
                    Ok(ids) => strong.announce(ids),
                    Err(e) => {
                        tracing::warn!(error = %e, "hit listener lost its connection; reconnecting");
                        listener = None;
                        strong.reset();
                    }
                }
            }
        }
        drop(strong);
        std::thread::sleep(POLL);
    }
}

/// A police client's stream: what it missed, then what comes.
pub struct Subscription {
    /// Hits after the client's `Last-Event-ID`, oldest first.
    pub replay: Vec<HitDetail>,
    /// Hits as they are recorded.
    pub live: mpsc::Receiver<Arc<HitDetail>>,
    /// Ids in `replay`, so that a hit heard live as well is sent once.
    pub replayed: HashSet<String>,
}

/// Opens a stream of hits at the caller's posts; with `last_event_id` (a hit's `seq`), first
/// the hits after it. Audited (one entry per connection).
pub async fn subscribe(
    ctx: &Context,
    caller: &Caller,
    last_event_id: Option<i64>,
) -> Result<Subscription> {
    let poes = access::list_scope(&caller.principal, None)?;
    // Listen first, then read: a hit committed in between is heard, not lost.
    let live = ctx.hits.subscribe(poes.clone());
    let actor = caller.actor();
    let max = ctx.settings.alerts.stream_replay_max;
    let replay = ctx
        .write(move |c| {
            let replay = match last_event_id {
                Some(after) => store::watchlist::hits_after(c, after, poes.as_deref(), max)?,
                None => Vec::new(),
            };
            store::audit::append(
                c,
                &actor,
                time::now(),
                &[AuditEvent::new(
                    "alert_hit.stream",
                    format!("alert_hits:after={}", last_event_id.unwrap_or(-1)),
                )],
            )?;
            Ok(replay)
        })
        .await?;
    let replayed = replay.iter().map(|h| h.hit.id.clone()).collect();
    Ok(Subscription {
        replay,
        live,
        replayed,
    })
}
