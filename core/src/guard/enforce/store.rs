//! State behind the primitives: a trait with the three operations they need, shaped after
//! Redis (`GET`, `SET NX GET PX`, and a compare-and-set script), and an in-memory store.

use std::collections::HashMap;

use super::{EnforceError, UnixMillis};

/// Key-value state with per-entry TTL. A value whose TTL has run out at `now` is absent.
/// `ttl_ms == 0` stores without expiry.
pub trait StateStore {
    /// The live value at `key`.
    fn get(&mut self, key: &str, now: UnixMillis) -> Result<Option<Vec<u8>>, EnforceError>;

    /// Stores `value` when `key` is absent and returns `None`; otherwise changes nothing and
    /// returns the live value (Redis `SET key value NX GET PX ttl`).
    fn put_if_absent(
        &mut self,
        key: &str,
        value: &[u8],
        ttl_ms: u64,
        now: UnixMillis,
    ) -> Result<Option<Vec<u8>>, EnforceError>;

    /// Replaces the live value with `new` (`None` deletes) only when it equals `expected`
    /// (`None` = absent); returns whether it did.
    fn compare_and_set(
        &mut self,
        key: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
        ttl_ms: u64,
        now: UnixMillis,
    ) -> Result<bool, EnforceError>;
}

#[derive(Debug, Clone)]
struct Entry {
    value: Vec<u8>,
    /// `None` never expires.
    expires_at: Option<u64>,
}

impl Entry {
    fn live(&self, now: UnixMillis) -> bool {
        self.expires_at.is_none_or(|t| now.0 < t)
    }
}

/// A [`StateStore`] in process memory, bounded by `store_max_entries` (limits.md L31):
/// expired entries are dropped when the bound is reached, and [`MemoryStore::purge`] drops
/// them on demand.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    entries: HashMap<String, Entry>,
    max_entries: usize,
}

impl MemoryStore {
    /// An empty store holding at most `max_entries` live entries.
    pub fn new(max_entries: usize) -> Self {
        Self {
            entries: HashMap::new(),
            max_entries,
        }
    }

    /// Drops every entry expired at `now`; returns how many.
    pub fn purge(&mut self, now: UnixMillis) -> usize {
        let before = self.entries.len();
        self.entries.retain(|_, e| e.live(now));
        before - self.entries.len()
    }

    /// Entries held, live or not yet purged.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn live(&self, key: &str, now: UnixMillis) -> Option<&Entry> {
        self.entries.get(key).filter(|e| e.live(now))
    }

    fn write(
        &mut self,
        key: &str,
        value: &[u8],
        ttl_ms: u64,
        now: UnixMillis,
    ) -> Result<(), EnforceError> {
        if !self.entries.contains_key(key) && self.entries.len() >= self.max_entries {
            self.purge(now);
            if self.entries.len() >= self.max_entries {
                return Err(EnforceError::StoreFull(self.entries.len()));
            }
        }
        let expires_at = (ttl_ms > 0).then(|| now.0.saturating_add(ttl_ms));
        match self.entries.get_mut(key) {
            Some(entry) => {
                entry.value.clear();
                entry.value.extend_from_slice(value);
                entry.expires_at = expires_at;
            }
            None => {
                self.entries.insert(
                    key.to_owned(),
                    Entry {
                        value: value.to_vec(),
                        expires_at,
                    },
                );
            }
        }
        Ok(())
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(crate::Limits::default().store_max_entries)
    }
}

impl StateStore for MemoryStore {
    fn get(&mut self, key: &str, now: UnixMillis) -> Result<Option<Vec<u8>>, EnforceError> {
        Ok(self.live(key, now).map(|e| e.value.clone()))
    }

    fn put_if_absent(
        &mut self,
        key: &str,
        value: &[u8],
        ttl_ms: u64,
        now: UnixMillis,
    ) -> Result<Option<Vec<u8>>, EnforceError> {
        if let Some(e) = self.live(key, now) {
            return Ok(Some(e.value.clone()));
        }
        self.write(key, value, ttl_ms, now)?;
        Ok(None)
    }

    fn compare_and_set(
        &mut self,
        key: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
        ttl_ms: u64,
        now: UnixMillis,
    ) -> Result<bool, EnforceError> {
        if self.live(key, now).map(|e| e.value.as_slice()) != expected {
            return Ok(false);
        }
        match new {
            Some(value) => self.write(key, value, ttl_ms, now)?,
            None => {
                self.entries.remove(key);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: UnixMillis = UnixMillis(1_000);

    #[test]
    fn ttl_expiry_makes_entries_absent() {
        let mut s = MemoryStore::new(10);
        assert_eq!(s.put_if_absent("k", b"v", 100, T0).unwrap(), None);
        assert_eq!(
            s.put_if_absent("k", b"w", 100, T0).unwrap(),
            Some(b"v".to_vec())
        );
        assert_eq!(s.get("k", UnixMillis(1_099)).unwrap(), Some(b"v".to_vec()));
        assert_eq!(s.get("k", UnixMillis(1_100)).unwrap(), None);
        assert_eq!(
            s.put_if_absent("k", b"w", 0, UnixMillis(1_100)).unwrap(),
            None
        );
        assert_eq!(
            s.get("k", UnixMillis(u64::MAX)).unwrap(),
            Some(b"w".to_vec())
        );
    }

    #[test]
    fn compare_and_set_checks_the_live_value() {
        let mut s = MemoryStore::new(10);
        assert!(s.compare_and_set("k", None, Some(b"a"), 10, T0).unwrap());
        assert!(!s.compare_and_set("k", None, Some(b"b"), 10, T0).unwrap());
        assert!(!s
            .compare_and_set("k", Some(b"x"), Some(b"b"), 10, T0)
            .unwrap());
        assert!(s
            .compare_and_set("k", Some(b"a"), Some(b"b"), 10, T0)
            .unwrap());
        assert!(s.compare_and_set("k", Some(b"b"), None, 10, T0).unwrap());
        assert_eq!(s.get("k", T0).unwrap(), None);
        // An expired value counts as absent.
        assert!(s.compare_and_set("e", None, Some(b"a"), 5, T0).unwrap());
        assert!(s
            .compare_and_set("e", None, Some(b"b"), 5, UnixMillis(1_005))
            .unwrap());
    }

    #[test]
    fn bounded_with_purge_of_expired_entries() {
        let mut s = MemoryStore::new(2);
        s.put_if_absent("a", b"1", 10, T0).unwrap();
        s.put_if_absent("b", b"1", 0, T0).unwrap();
        let full = s.put_if_absent("c", b"1", 10, T0).unwrap_err();
        assert_eq!(crate::Coded::code(&full), "enforce.store_full");
        // Once `a` expires, room is made by purging.
        assert_eq!(
            s.put_if_absent("c", b"1", 10, UnixMillis(1_010)).unwrap(),
            None
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s.purge(UnixMillis(2_000)), 1);
        assert!(!s.is_empty());
    }
}
