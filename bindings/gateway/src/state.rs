//! Shared state behind the core's `StateStore` trait: the core's in-memory store for one
//! replica, Redis for many (spec: gateway-config-v0.md §4).

use std::sync::Mutex;

use clyra_core::guard::enforce::{EnforceError, MemoryStore, StateStore};

use crate::redis_store::{Prefetch, RedisStore};

/// The store every primitive of every request uses.
pub enum Shared {
    /// In process.
    Memory(Mutex<MemoryStore>),
    /// Redis, through a small pool of connections.
    Redis(RedisStore),
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Memory(_) => f.write_str("Shared::Memory"),
            Self::Redis(_) => f.write_str("Shared::Redis"),
        }
    }
}

impl Shared {
    /// An empty in-memory store with the core's default bound.
    pub fn memory() -> Self {
        Self::Memory(Mutex::new(MemoryStore::default()))
    }

    /// Runs `f` over the store.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&mut dyn StateStore) -> Result<T, EnforceError>,
    ) -> Result<T, EnforceError> {
        match self {
            Self::Memory(m) => {
                let mut guard = m
                    .lock()
                    .map_err(|_| EnforceError::Store("the memory store lock is poisoned".into()))?;
                f(&mut *guard)
            }
            // A round trip on loopback takes tens of microseconds: it runs on the async worker
            // (moving the worker's other tasks away with `block_in_place` costs more than it
            // saves); the 500 ms I/O timeout bounds a stuck Redis.
            Self::Redis(r) => r.with(f),
        }
    }

    /// [`Shared::with`] for one step of a request: Redis also reads the keys `pre` wants
    /// along with its first command (one round trip for several checks); memory ignores `pre`.
    pub fn with_prefetch<T>(
        &self,
        pre: &mut Prefetch,
        f: impl FnOnce(&mut dyn StateStore) -> Result<T, EnforceError>,
    ) -> Result<T, EnforceError> {
        match self {
            Self::Memory(_) => self.with(f),
            Self::Redis(r) => r.with_prefetch(pre, f),
        }
    }

    /// Whether the store is remote (then a request names the keys it will read ahead).
    pub fn prefetches(&self) -> bool {
        matches!(self, Self::Redis(_))
    }
}
