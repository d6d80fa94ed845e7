//! Enforcement primitives: pure decisions with `now` passed in and state behind a
//! [`StateStore`] (spec: guard-enforce.md).
//!
//! [`Idempotency`] (HMAC-SHA256 fingerprints of canonical payloads, per the IETF
//! Idempotency-Key draft), [`RateLimiter`] (GCRA with `Retry-After`), [`TenantFence`],
//! [`KillSwitch`] (data bursts, threat spikes, error rates; TTL recovery; manual override),
//! [`LoopBreaker`] (repeated agent steps, cool-off) and [`CircuitBreaker`] (closed / open /
//! half-open). Every decision converts to a journal event ([`Decision::to_event`]).
//! [`MemoryStore`] keeps state in process; a gateway implements the trait over Redis.

mod circuit;
mod codec;
mod error;
mod event;
mod fence;
mod idempotency;
mod kill;
mod loop_breaker;
mod rate;
mod store;

pub use circuit::{CircuitBreaker, CircuitDecision, CircuitState};
pub use error::EnforceError;
pub use event::{Decision, UnixMillis};
pub use fence::{FenceDecision, FenceOutcome, TenantFence};
pub use idempotency::{Idempotency, IdempotencyDecision, IdempotencyOutcome};
pub use kill::{KillDecision, KillState, KillSwitch, KillSwitchConfig, Signal, Trigger};
pub use loop_breaker::{LoopBreaker, LoopDecision};
pub use rate::{RateDecision, RateKey, RateLimiter};
pub use store::{MemoryStore, StateStore};

/// How many times a read-modify-write retries a lost compare-and-set before
/// `enforce.contention`.
const CAS_ATTEMPTS: usize = 8;

/// A store key from a primitive's prefix and parts, each part length-prefixed so that no two
/// part lists give the same key (`a:b`+`c` differs from `a`+`b:c`).
fn store_key(prefix: &str, parts: &[&str]) -> String {
    let mut key =
        String::with_capacity(prefix.len() + parts.iter().map(|p| p.len() + 4).sum::<usize>());
    key.push_str(prefix);
    for part in parts {
        key.push(':');
        key.push_str(&part.len().to_string());
        key.push(':');
        key.push_str(part);
    }
    key
}

/// Runs `update` over the live value at `key` until its compare-and-set wins: `update` returns
/// the new value (`None` deletes), its TTL, and what to hand back.
fn read_modify_write<S: StateStore + ?Sized, T>(
    store: &mut S,
    key: &str,
    now: UnixMillis,
    mut update: impl FnMut(Option<&[u8]>) -> Result<(Option<Vec<u8>>, u64, T), EnforceError>,
) -> Result<T, EnforceError> {
    for _ in 0..CAS_ATTEMPTS {
        let current = store.get(key, now)?;
        let (new, ttl_ms, out) = update(current.as_deref())?;
        if new.as_deref() == current.as_deref() {
            return Ok(out);
        }
        if store.compare_and_set(key, current.as_deref(), new.as_deref(), ttl_ms, now)? {
            return Ok(out);
        }
    }
    Err(EnforceError::Contention(key.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::store_key;

    #[test]
    fn store_keys_are_unambiguous() {
        assert_ne!(store_key("p", &["a:b", "c"]), store_key("p", &["a", "b:c"]));
        assert_eq!(store_key("rate", &["t", "a"]), "rate:1:t:1:a");
    }
}
