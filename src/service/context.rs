//! What every use case may reach: the database, the settings, the POE registry and the
//! credential machinery. Built once at start; cheap to clone (shared handles).

use std::sync::Arc;

use crate::auth::AuthService;
use crate::config::Settings;
use crate::error::Result;
use crate::store::{Db, DbConnection};

use super::group_commit::GroupCommit;
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

    /// Runs read-only `work` on a connection.
    pub async fn read<T, F>(&self, work: F) -> Result<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db.read(work).await
    }
}
