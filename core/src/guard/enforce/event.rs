//! Time as the primitives take it, and decisions as journal events (bundle-v0.md §3.2: the
//! builder adds `seq` and `prev`; a decision supplies `at`, `kind` and `data`).

use crate::jcs::{Map, Number, Value};
use crate::time::Timestamp;

/// Milliseconds since 1970-01-01T00:00:00Z, as the host's clock read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// The instant `ms` milliseconds later (saturating).
    pub fn plus(self, ms: u64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// Milliseconds from `self` until `later` (0 when `later` is not later).
    pub fn until(self, later: UnixMillis) -> u64 {
        later.0.saturating_sub(self.0)
    }
}

/// A decision that can be recorded in a journal.
pub trait Decision {
    /// The event kind, e.g. `guard.rate_limit` (guard-enforce.md §8).
    fn kind(&self) -> &'static str;

    /// When the decision was made.
    fn at(&self) -> UnixMillis;

    /// The event's `data` object.
    fn data(&self) -> Map;

    /// The journal event `{"at","data","kind"}`; `at` is whole seconds (`at` before year 0 or
    /// after 9999 is written as the epoch, which no host clock reads).
    fn to_event(&self) -> Value {
        let seconds = i64::try_from(self.at().0 / 1_000).unwrap_or(i64::MAX);
        let at = Timestamp::from_unix_seconds(seconds)
            .or_else(|| Timestamp::from_unix_seconds(0))
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default();
        let mut event = Map::new();
        event.insert("at", Value::from(at));
        event.insert("data", Value::from(self.data()));
        event.insert("kind", Value::from(self.kind()));
        Value::from(event)
    }
}

/// A JSON integer for event data (values beyond 2^53−1 are clamped to it).
pub(super) fn int(n: u64) -> Value {
    let n = i64::try_from(n.min(crate::jcs::MAX_SAFE_INTEGER)).unwrap_or(0);
    Value::Number(Number::from_i64(n).unwrap_or(Number::from(0u32)))
}

/// A map from `(name, value)` pairs.
pub(super) fn map<const N: usize>(pairs: [(&str, Value); N]) -> Map {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k, v);
    }
    m
}
