//! The read replica (`database.read_url`): a second pool that statistics and the dashboard
//! read, how fresh it is, and what happens while it is down (they read the primary).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::store::{self, Db};

use super::Context;

/// How long a replica found down is left alone before it is tried again: meanwhile reads go
/// straight to the primary instead of waiting for a connection each time.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// How long a readiness probe waits for the replica's answer before calling it down.
const PROBE_WAIT: Duration = Duration::from_secs(1);

/// A streaming replica's pool, and whether it was last found down.
pub struct ReadReplica {
    db: Db,
    down_until: Mutex<Option<Instant>>,
}

impl ReadReplica {
    /// Wraps the replica's pool.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            down_until: Mutex::new(None),
        }
    }

    /// The replica's pool.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Whether reads should try the replica now: it was not found down within
    /// [`RETRY_AFTER`].
    pub fn worth_trying(&self) -> bool {
        let down = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
        down.is_none_or(|until| Instant::now() >= until)
    }

    /// Records that the replica failed a read; answers whether it was up until now (so that
    /// the change is logged once, not at every read).
    pub fn mark_down(&self) -> bool {
        let mut down = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
        let was_up = down.is_none();
        *down = Some(Instant::now() + RETRY_AFTER);
        was_up
    }

    /// Records that the replica answered; answers whether it had been down.
    pub fn mark_up(&self) -> bool {
        self.down_until
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .is_some()
    }
}

/// The replica as `/health/ready` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaHealth {
    /// It answered.
    pub up: bool,
    /// It is a standby replaying the primary (false: `database.read_url` names a primary).
    pub in_recovery: bool,
    /// Seconds behind the primary (see [`store::replica::ReplicaLag`]).
    pub lag_secs: Option<f64>,
}

/// What readiness found.
#[derive(Debug, Clone, PartialEq)]
pub struct Readiness {
    /// The primary's backend.
    pub backend: store::Backend,
    /// The replica, when one is configured.
    pub replica: Option<ReplicaHealth>,
}

/// The primary answers (else 503: the node is not ready); the replica, when configured, is
/// reported with its lag but never makes the node unready: statistics read the primary
/// while it is down.
pub async fn readiness(ctx: &Context) -> Result<Readiness> {
    ctx.db
        .ping()
        .await
        .map_err(|e| Error::Unavailable(e.to_string()))?;
    let replica = match &ctx.replica {
        None => None,
        Some(replica) => {
            let asked = tokio::time::timeout(
                PROBE_WAIT,
                replica
                    .db()
                    .read(|c| -> store::StoreResult<_> { store::replica::lag(c) }),
            )
            .await;
            Some(match asked {
                Ok(Ok(lag)) => {
                    if replica.mark_up() {
                        tracing::info!("the read replica answers again");
                    }
                    if let Some(secs) = lag.lag_secs {
                        metrics::gauge!("crossings_read_replica_lag_seconds").set(secs);
                    }
                    if !lag.in_recovery {
                        tracing::warn!(
                            "database.read_url is not a replica (not in recovery): statistics read a primary"
                        );
                    }
                    ReplicaHealth {
                        up: true,
                        in_recovery: lag.in_recovery,
                        lag_secs: lag.lag_secs,
                    }
                }
                Ok(Err(e)) => down(replica, &e.to_string()),
                Err(_) => down(replica, "no answer within a second"),
            })
        }
    };
    Ok(Readiness {
        backend: ctx.db.backend(),
        replica,
    })
}

fn down(replica: &ReadReplica, why: &str) -> ReplicaHealth {
    if replica.mark_down() {
        tracing::warn!(error = %why, "the read replica is down: statistics read the primary");
    }
    ReplicaHealth {
        up: false,
        in_recovery: false,
        lag_secs: None,
    }
}
