//! The circuit breaker: closed (calls pass, consecutive failures counted), open (calls fail
//! fast until `open_ms` passed), half-open (a few probes pass; enough successes close it, one
//! failure opens it again).
//!
//! spec: guard-enforce.md §7. Call [`CircuitBreaker::acquire`] before a call and
//! [`CircuitBreaker::record`] with its result after.

use super::codec::{Reader, Writer};
use super::event::{int, map};
use super::{read_modify_write, store_key, Decision, EnforceError, StateStore, UnixMillis};
use crate::jcs::{Map, Value};

/// The breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    /// Calls pass.
    Closed,
    /// Calls fail fast.
    Open,
    /// A limited number of probe calls pass.
    HalfOpen,
}

impl CircuitState {
    /// `closed`, `open` or `half_open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

/// A circuit breaker's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitBreaker {
    failure_threshold: u64,
    open_ms: u64,
    probes: u64,
    success_threshold: u64,
}

/// The answer of `acquire`, or the state after `record`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitDecision {
    /// Whether the call may go ahead (`record` decisions: always true).
    pub allowed: bool,
    /// The state after the decision.
    pub state: CircuitState,
    /// When denied: milliseconds until a probe may pass.
    pub retry_after_ms: u64,
    /// The circuit's name (an upstream, a route).
    pub name: String,
    /// When it was decided.
    pub at: UnixMillis,
}

impl Decision for CircuitDecision {
    fn kind(&self) -> &'static str {
        "guard.circuit"
    }

    fn at(&self) -> UnixMillis {
        self.at
    }

    fn data(&self) -> Map {
        map([
            ("allowed", Value::from(self.allowed)),
            ("circuit", Value::from(self.name.as_str())),
            ("retry_after_ms", int(self.retry_after_ms)),
            ("state", Value::from(self.state.as_str())),
        ])
    }
}

/// Stored: state, consecutive failures, half-open successes, probes in flight, opened at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    state: CircuitState,
    failures: u64,
    successes: u64,
    probes: u64,
    opened_at: u64,
}

const CLOSED: Record = Record {
    state: CircuitState::Closed,
    failures: 0,
    successes: 0,
    probes: 0,
    opened_at: 0,
};

impl Record {
    fn encode(&self) -> Vec<u8> {
        let tag = match self.state {
            CircuitState::Closed => 0,
            CircuitState::Open => 1,
            CircuitState::HalfOpen => 2,
        };
        Writer::default()
            .u8(tag)
            .u64(self.failures)
            .u64(self.successes)
            .u64(self.probes)
            .u64(self.opened_at)
            .0
    }

    fn decode(bytes: Option<&[u8]>, key: &str) -> Result<Self, EnforceError> {
        let Some(bytes) = bytes else {
            return Ok(CLOSED);
        };
        let mut r = Reader::new(bytes, key);
        let state = match r.u8()? {
            0 => CircuitState::Closed,
            1 => CircuitState::Open,
            2 => CircuitState::HalfOpen,
            _ => return Err(EnforceError::StoreCorrupt(key.to_owned())),
        };
        let record = Self {
            state,
            failures: r.u64()?,
            successes: r.u64()?,
            probes: r.u64()?,
            opened_at: r.u64()?,
        };
        r.end()?;
        Ok(record)
    }

    fn open(now: UnixMillis) -> Self {
        Self {
            state: CircuitState::Open,
            opened_at: now.0,
            ..CLOSED
        }
    }
}

impl CircuitBreaker {
    /// The state-store key of circuit `name` (a host may prefetch it with other keys).
    pub fn store_key(name: &str) -> String {
        store_key("circuit", &[name])
    }

    /// Opens after `failure_threshold` consecutive failures, for `open_ms`; then lets `probes`
    /// calls through at a time and closes after `success_threshold` successes (all ≥ 1).
    pub fn new(
        failure_threshold: u64,
        open_ms: u64,
        probes: u64,
        success_threshold: u64,
    ) -> Result<Self, EnforceError> {
        if failure_threshold == 0 || open_ms == 0 || probes == 0 || success_threshold == 0 {
            return Err(EnforceError::Config(
                "circuit thresholds, open time and probes must be positive".into(),
            ));
        }
        Ok(Self {
            failure_threshold,
            open_ms,
            probes,
            success_threshold,
        })
    }

    /// Asks to make a call through circuit `name`.
    pub fn acquire<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        name: &str,
        now: UnixMillis,
    ) -> Result<CircuitDecision, EnforceError> {
        let key = Self::store_key(name);
        let (allowed, state, retry) = read_modify_write(store, &key, now, |current| {
            let mut r = Record::decode(current, &key)?;
            let out = match r.state {
                CircuitState::Closed => (true, r.state, 0),
                CircuitState::Open => {
                    let reopen = UnixMillis(r.opened_at).plus(self.open_ms);
                    if now < reopen {
                        (false, r.state, now.until(reopen))
                    } else {
                        r = Record {
                            state: CircuitState::HalfOpen,
                            probes: 1,
                            ..CLOSED
                        };
                        (true, r.state, 0)
                    }
                }
                CircuitState::HalfOpen if r.probes < self.probes => {
                    r.probes += 1;
                    (true, r.state, 0)
                }
                // Every probe slot is taken: wait for a probe's result.
                CircuitState::HalfOpen => (false, r.state, 0),
            };
            Ok((Some(r.encode()), 0, out))
        })?;
        Ok(CircuitDecision {
            allowed,
            state,
            retry_after_ms: retry,
            name: name.to_owned(),
            at: now,
        })
    }

    /// Records the result of a call made after `acquire` allowed it.
    pub fn record<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        name: &str,
        success: bool,
        now: UnixMillis,
    ) -> Result<CircuitDecision, EnforceError> {
        let key = Self::store_key(name);
        let state = read_modify_write(store, &key, now, |current| {
            let mut r = Record::decode(current, &key)?;
            r = match (r.state, success) {
                (CircuitState::Closed, true) => CLOSED,
                (CircuitState::Closed, false) if r.failures + 1 >= self.failure_threshold => {
                    Record::open(now)
                }
                (CircuitState::Closed, false) => Record {
                    failures: r.failures + 1,
                    ..r
                },
                (CircuitState::HalfOpen, true) if r.successes + 1 >= self.success_threshold => {
                    CLOSED
                }
                (CircuitState::HalfOpen, true) => Record {
                    successes: r.successes + 1,
                    probes: r.probes.saturating_sub(1),
                    ..r
                },
                (CircuitState::HalfOpen, false) => Record::open(now),
                // A late result while open changes nothing.
                (CircuitState::Open, _) => r,
            };
            Ok((Some(r.encode()), 0, r.state))
        })?;
        Ok(CircuitDecision {
            allowed: true,
            state,
            retry_after_ms: 0,
            name: name.to_owned(),
            at: now,
        })
    }
}
