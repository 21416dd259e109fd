//! What every use case may reach: the database, the settings, the POE registry and the
//! credential machinery. Built once at start; cheap to clone (shared handles).

use std::sync::Arc;

use crate::auth::AuthService;
use crate::config::Settings;
use crate::error::Result;
use crate::store::{Db, DbConnection};

use super::group_commit::GroupCommit;
use super::hit_stream::HitHub;
use super::registry::RegistryCache;
use super::replica::ReadReplica;

/// What a statistics read found, and the instant (UTC) the data it read is at least as fresh
/// as (see [`crate::store::replica::as_of`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Fresh<T> {
    /// The answer.
    pub value: T,
    /// The data is as of this instant or later; `None` when a replica has replayed nothing
    /// since it started.
    pub as_of: Option<chrono::NaiveDateTime>,
}

/// The context of a use case.
#[derive(Clone)]
pub struct Context {
    /// The database.
    pub db: Db,
    /// Configuration.
    pub settings: Arc<Settings>,
    /// The POE registry, cached.
    pub registry: Arc<RegistryCache>,
    /// Password hashing, token keys and login throttles.
    pub auth: Arc<AuthService>,
    /// Statistics queries at once: at most half the pool, so recording never waits behind
    /// them.
    pub stats_slots: Arc<tokio::sync::Semaphore>,
    /// The police's live streams of hits in this process.
    pub hits: Arc<HitHub>,
    /// Group commit of single posts; `None` records each alone (`ingest.group_commit_max`
    /// 1, and the group commit's own writers).
    pub group_commit: Option<Arc<GroupCommit>>,
    /// The read replica statistics and the dashboard read (`database.read_url`), if any.
    pub replica: Option<Arc<ReadReplica>>,
    /// At a post (`edge.hq_url` set): the link to HQ and the post's code.
    pub edge: Option<Arc<super::edges::EdgeNode>>,
}

impl Context {
    /// Runs `work` in one transaction: committed when it answers `Ok`, rolled back when it
    /// answers `Err` (a refusal as much as a database failure).
    pub async fn write<T, F>(&self, work: F) -> Result<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db.write(work).await
    }

    /// Runs a statistics read, with the instant its data is as of: within
    /// [`Context::stats_slots`] (503 after waiting `database.connection_timeout_secs` for
    /// one), and on PostgreSQL with `stats.statement_timeout_ms` (a statement stopped by it is
    /// 503). With a read replica it reads there; when the replica cannot answer (down, or it
    /// cancelled the statement for a conflict with recovery) the read runs on the primary,
    /// counted in `crossings_read_replica_fallbacks_total`, and the replica is left alone for
    /// a few seconds (logged once).
    pub async fn stats_read<T, F>(&self, work: F) -> Result<Fresh<T>>
    where
        F: FnOnce(&mut DbConnection) -> Result<T> + Clone + Send + 'static,
        T: Send + 'static,
    {
        let wait = std::time::Duration::from_secs(self.settings.database.connection_timeout_secs);
        let busy = || crate::error::Error::Busy {
            detail: "too many statistics queries at once; try again shortly".to_owned(),
            retry_after_secs: 2,
        };
        let _slot = match tokio::time::timeout(wait, self.stats_slots.acquire()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(e)) => return Err(crate::error::Error::internal_from("statistics slots", e)),
            Err(_) => return Err(busy()),
        };
        if let Some(replica) = &self.replica {
            if replica.worth_trying() {
                match self.timed_read(replica.db(), work.clone()).await {
                    Err(e) if replica_cannot_answer(&e) => {
                        if replica.mark_down() {
                            tracing::warn!(
                                error = %e.chain(),
                                "the read replica cannot answer: statistics read the primary"
                            );
                        }
                    }
                    answer => {
                        if replica.mark_up() {
                            tracing::info!("the read replica answers again");
                        }
                        return answer;
                    }
                }
            }
            metrics::counter!("crossings_read_replica_fallbacks_total").increment(1);
        }
        self.timed_read(&self.db, work).await
    }

    /// `work` on `db` after reading how fresh its data is, under the statistics' statement
    /// timeout.
    async fn timed_read<T, F>(&self, db: &crate::store::Db, work: F) -> Result<Fresh<T>>
    where
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let limit_ms = self.settings.stats.statement_timeout_ms;
        let fresh = move |c: &mut DbConnection| -> Result<Fresh<T>> {
            let as_of = crate::store::replica::as_of(c)?;
            Ok(Fresh {
                value: work(c)?,
                as_of,
            })
        };
        let answer = db
            .read(move |c| {
                use diesel::Connection;
                if crate::store::supports_statement_timeout(c) {
                    c.transaction(|c| {
                        crate::store::set_statement_timeout(c, limit_ms)?;
                        fresh(c)
                    })
                } else {
                    fresh(c)
                }
            })
            .await;
        match answer {
            Err(e) if crate::store::is_statement_timeout(&e.chain()) => {
                metrics::counter!("crossings_stats_timeouts_total").increment(1);
                Err(crate::error::Error::Busy {
                    detail: format!(
                        "the statistics query ran longer than stats.statement_timeout_ms = {limit_ms}; ask for less"
                    ),
                    retry_after_secs: 5,
                })
            }
            other => other,
        }
    }

    /// Runs read-only `work` on a connection.
    pub async fn read<T, F>(&self, work: F) -> Result<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db.read(work).await
    }
}

/// Whether a replica's failure means "read the primary instead": it is unreachable, or it
/// cancelled the statement because replaying the primary's changes needed the rows.
fn replica_cannot_answer(e: &crate::error::Error) -> bool {
    use crate::store::DbFailure;
    e.is_unavailable() || e.chain().contains("conflict with recovery")
}
