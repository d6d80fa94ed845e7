//! Rate limits by the generic cell rate algorithm (GCRA): one stored number per key, the
//! theoretical arrival time (TAT), and an exact `Retry-After`.
//!
//! spec: guard-enforce.md §3 — emission interval T = period / limit, tolerance τ = T × burst.
//! A request at `now` is allowed when `max(TAT, now) + T − τ ≤ now`; the new TAT is then
//! `max(TAT, now) + T`. Otherwise it waits `max(TAT, now) + T − τ − now`. Arithmetic is in
//! microseconds; the stored TAT expires when it no longer constrains anything.

use super::codec::{Reader, Writer};
use super::event::{int, map};
use super::{read_modify_write, store_key, Decision, EnforceError, StateStore, UnixMillis};
use crate::jcs::{Map, Value};

/// Who and what a limit applies to. A limit per tenant only passes an empty actor and route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateKey<'a> {
    /// The tenant.
    pub tenant: &'a str,
    /// The caller within the tenant.
    pub actor: &'a str,
    /// The route or tool.
    pub route: &'a str,
}

/// A GCRA limiter: `limit` requests per `period_ms`, bursts of up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimiter {
    interval_us: u64,
    tolerance_us: u64,
    limit: u64,
    period_ms: u64,
    burst: u64,
}

/// The answer for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether the request may pass.
    pub allowed: bool,
    /// Requests that could pass right now after this one (0 when denied).
    pub remaining: u64,
    /// When denied: milliseconds until the request would pass (rounded up).
    pub retry_after_ms: u64,
    /// Milliseconds until the limiter is back to a full burst (rounded up).
    pub reset_after_ms: u64,
    /// The key's tenant, actor and route.
    pub key: (String, String, String),
    /// The configured limit and period.
    pub limit: u64,
    /// The configured period in milliseconds.
    pub period_ms: u64,
    /// When it was decided.
    pub at: UnixMillis,
}

impl RateDecision {
    /// The `Retry-After` header value in whole seconds (rounded up), when denied.
    pub fn retry_after_secs(&self) -> Option<u64> {
        (!self.allowed).then(|| self.retry_after_ms.div_ceil(1_000))
    }
}

impl Decision for RateDecision {
    fn kind(&self) -> &'static str {
        "guard.rate_limit"
    }

    fn at(&self) -> UnixMillis {
        self.at
    }

    fn data(&self) -> Map {
        map([
            ("actor", Value::from(self.key.1.as_str())),
            ("allowed", Value::from(self.allowed)),
            ("limit", int(self.limit)),
            ("period_ms", int(self.period_ms)),
            ("remaining", int(self.remaining)),
            ("retry_after_ms", int(self.retry_after_ms)),
            ("route", Value::from(self.key.2.as_str())),
            ("tenant", Value::from(self.key.0.as_str())),
        ])
    }
}

impl RateLimiter {
    /// The state-store key of the bucket of `key` (a host may prefetch it with other keys).
    pub fn store_key(key: RateKey<'_>) -> String {
        store_key("rate", &[key.tenant, key.actor, key.route])
    }

    /// `limit` requests per `period_ms` with bursts of `burst`; all at least 1, and the
    /// emission interval `period / limit` at least 1 µs.
    pub fn new(limit: u64, period_ms: u64, burst: u64) -> Result<Self, EnforceError> {
        if limit == 0 || period_ms == 0 || burst == 0 {
            return Err(EnforceError::Config(
                "rate limit, period and burst must be positive".into(),
            ));
        }
        let period_us = period_ms
            .checked_mul(1_000)
            .ok_or_else(|| EnforceError::Config("rate period is too long".into()))?;
        let interval_us = period_us / limit;
        if interval_us == 0 {
            return Err(EnforceError::Config(
                "rate limit is more than one request per microsecond".into(),
            ));
        }
        let tolerance_us = interval_us
            .checked_mul(burst)
            .ok_or_else(|| EnforceError::Config("rate burst is too large".into()))?;
        Ok(Self {
            interval_us,
            tolerance_us,
            limit,
            period_ms,
            burst,
        })
    }

    /// Decides one request for `key` at `now`, and records it when allowed.
    pub fn check<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        key: RateKey<'_>,
        now: UnixMillis,
    ) -> Result<RateDecision, EnforceError> {
        let skey = Self::store_key(key);
        let now_us = now.0.saturating_mul(1_000);
        let (allowed, wait_us, tat_us) = read_modify_write(store, &skey, now, |current| {
            let tat = match current {
                None => now_us,
                Some(bytes) => {
                    let mut r = Reader::new(bytes, &skey);
                    let tat = r.u64()?;
                    r.end()?;
                    tat.max(now_us)
                }
            };
            let new_tat = tat.saturating_add(self.interval_us);
            let allow_at = new_tat.saturating_sub(self.tolerance_us);
            if now_us < allow_at {
                // Denied: the state does not change.
                let unchanged = current.map(<[u8]>::to_vec);
                return Ok((unchanged, 0, (false, allow_at - now_us, tat)));
            }
            let ttl_ms = (new_tat - now_us).div_ceil(1_000).max(1);
            let value = Writer::default().u64(new_tat).0;
            Ok((Some(value), ttl_ms, (true, 0, new_tat)))
        })?;
        let used = tat_us.saturating_sub(now_us);
        let remaining = if allowed {
            self.tolerance_us.saturating_sub(used) / self.interval_us
        } else {
            0
        };
        Ok(RateDecision {
            allowed,
            remaining: remaining.min(self.burst),
            retry_after_ms: wait_us.div_ceil(1_000),
            reset_after_ms: used.div_ceil(1_000),
            key: (
                key.tenant.to_owned(),
                key.actor.to_owned(),
                key.route.to_owned(),
            ),
            limit: self.limit,
            period_ms: self.period_ms,
            at: now,
        })
    }
}
