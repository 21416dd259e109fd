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

    /// Runs a statistics read: within [`Context::stats_slots`] (503 after waiting
    /// `database.connection_timeout_secs` for one), and on PostgreSQL with
    /// `stats.statement_timeout_ms` (a statement stopped by it is 503).
    pub async fn stats_read<T, F>(&self, work: F) -> Result<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
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
        let limit_ms = self.settings.stats.statement_timeout_ms;
        let answer = self
            .db
            .read(move |c| {
                use diesel::Connection;
                if crate::store::supports_statement_timeout(c) {
                    c.transaction(|c| {
                        crate::store::set_statement_timeout(c, limit_ms)?;
                        work(c)
                    })
                } else {
                    work(c)
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
