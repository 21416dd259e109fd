//! The POE registry, cached: every movement needs it (codes, kinds, opening hours), and it
//! changes a few times a year. A change made through this node is seen at once; one made
//! through another node on the same database within `TTL` (half a second: a node in use reads
//! the fifteen rows at most twice a second, which costs nothing worth a notification channel).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::domain::poe::Poe;
use crate::store::{self, Db, StoreResult};

/// How long a cached registry is used before it is read again.
pub const TTL: Duration = Duration::from_millis(500);

/// A cached copy of the registry.
#[derive(Default)]
pub struct RegistryCache {
    cached: RwLock<Option<(Instant, Arc<Vec<Poe>>)>>,
}

impl RegistryCache {
    /// The registry, from the cache when it is fresh.
    pub async fn get(&self, db: &Db) -> StoreResult<Arc<Vec<Poe>>> {
        if let Some((at, poes)) = self
            .cached
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            if at.elapsed() < TTL {
                return Ok(poes.clone());
            }
        }
        let poes = Arc::new(db.read(store::poes::list).await?);
        *self.cached.write().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), poes.clone()));
        Ok(poes)
    }

    /// Forgets the cached copy (after a change).
    pub fn invalidate(&self) {
        *self.cached.write().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
