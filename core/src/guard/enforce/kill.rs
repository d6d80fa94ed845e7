//! The kill switch: stops a scope (a tenant, a connector, the whole gateway) when its traffic
//! turns dangerous, and lets it recover by itself.
//!
//! spec: guard-enforce.md §5 — three triggers over a fixed window of `window_ms`: a data burst
//! (more bytes or rows than allowed), a threat spike (more threat findings than allowed), an
//! error rate (more than `max_error_percent` of at least `min_requests` requests failed). A
//! trigger trips the switch for `trip_ms` (TTL auto-recovery) and starts a fresh window. An
//! operator can engage it by hand (until a time or until released) or release it, which also
//! suppresses automatic trips for the given time.

use super::codec::{Reader, Writer};
use super::event::{int, map};
use super::{read_modify_write, store_key, Decision, EnforceError, StateStore, UnixMillis};
use crate::jcs::{Map, Value};

/// Thresholds of a kill switch; a `None` threshold never trips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KillSwitchConfig {
    /// The counting window, in milliseconds.
    pub window_ms: u64,
    /// Most bytes per window (data burst).
    pub max_bytes: Option<u64>,
    /// Most rows per window (data burst).
    pub max_rows: Option<u64>,
    /// Most threat findings per window (threat spike).
    pub max_threats: Option<u64>,
    /// Highest share of failed requests, in percent (error rate).
    pub max_error_percent: Option<u64>,
    /// Fewest requests in a window before the error rate counts.
    pub min_requests: u64,
    /// How long a trip lasts before the switch recovers by itself, in milliseconds.
    pub trip_ms: u64,
}

/// What a host reports to the switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Data that left (or was changed): bytes and rows.
    Data {
        /// Bytes.
        bytes: u64,
        /// Rows.
        rows: u64,
    },
    /// Threat findings (e.g. GenAI detector hits).
    Threat {
        /// How many.
        count: u64,
    },
    /// One request finished.
    Outcome {
        /// Whether it failed.
        error: bool,
    },
}

/// Why the switch tripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Too many bytes or rows in the window.
    DataBurst,
    /// Too many threat findings in the window.
    ThreatSpike,
    /// Too many failed requests in the window.
    ErrorRate,
}

impl Trigger {
    /// `data_burst`, `threat_spike` or `error_rate`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DataBurst => "data_burst",
            Self::ThreatSpike => "threat_spike",
            Self::ErrorRate => "error_rate",
        }
    }

    fn tag(self) -> u8 {
        match self {
            Self::DataBurst => 1,
            Self::ThreatSpike => 2,
            Self::ErrorRate => 3,
        }
    }

    fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            1 => Some(Self::DataBurst),
            2 => Some(Self::ThreatSpike),
            3 => Some(Self::ErrorRate),
            _ => None,
        }
    }
}

/// The switch's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillState {
    /// Traffic passes.
    Clear,
    /// A trigger tripped it; it recovers at `until`.
    Tripped {
        /// The trigger.
        trigger: Trigger,
        /// When it recovers by itself.
        until: UnixMillis,
    },
    /// An operator engaged it (`until` `None`: until released).
    Engaged {
        /// When it releases by itself.
        until: Option<UnixMillis>,
    },
    /// An operator released it; automatic trips are suppressed until `until`.
    Released {
        /// End of the suppression.
        until: UnixMillis,
    },
}

/// A kill-switch decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillDecision {
    /// Whether traffic of the scope may pass.
    pub allowed: bool,
    /// The state after the call.
    pub state: KillState,
    /// This call tripped the switch.
    pub tripped_now: bool,
    /// The scope.
    pub scope: String,
    /// When it was decided.
    pub at: UnixMillis,
}

impl Decision for KillDecision {
    fn kind(&self) -> &'static str {
        "guard.kill_switch"
    }

    fn at(&self) -> UnixMillis {
        self.at
    }

    fn data(&self) -> Map {
        let mut data = map([
            ("allowed", Value::from(self.allowed)),
            ("scope", Value::from(self.scope.as_str())),
            ("tripped_now", Value::from(self.tripped_now)),
        ]);
        let (state, until) = match self.state {
            KillState::Clear => ("clear", None),
            KillState::Tripped { trigger, until } => {
                data.insert("trigger", Value::from(trigger.as_str()));
                ("tripped", Some(until))
            }
            KillState::Engaged { until } => ("engaged", until),
            KillState::Released { until } => ("released", Some(until)),
        };
        data.insert("state", Value::from(state));
        if let Some(until) = until {
            data.insert("until_ms", int(until.0));
        }
        data
    }
}

/// A kill switch with its thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KillSwitch {
    config: KillSwitchConfig,
}

/// Counters of the current window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Window {
    start: u64,
    bytes: u64,
    rows: u64,
    threats: u64,
    requests: u64,
    errors: u64,
}

const TRIPPED: u8 = 1;
const ENGAGED: u8 = 2;
const RELEASED: u8 = 3;

fn decode_state(bytes: Option<&[u8]>, key: &str) -> Result<KillState, EnforceError> {
    let Some(bytes) = bytes else {
        return Ok(KillState::Clear);
    };
    let mut r = Reader::new(bytes, key);
    let (tag, trigger, until) = (r.u8()?, r.u8()?, r.u64()?);
    r.end()?;
    let corrupt = || EnforceError::StoreCorrupt(key.to_owned());
    Ok(match tag {
        TRIPPED => KillState::Tripped {
            trigger: Trigger::from_tag(trigger).ok_or_else(corrupt)?,
            until: UnixMillis(until),
        },
        ENGAGED => KillState::Engaged {
            until: (until > 0).then_some(UnixMillis(until)),
        },
        RELEASED => KillState::Released {
            until: UnixMillis(until),
        },
        _ => return Err(corrupt()),
    })
}

fn encode_state(tag: u8, trigger: u8, until: u64) -> Vec<u8> {
    Writer::default().u8(tag).u8(trigger).u64(until).0
}

impl KillSwitch {
    /// The state-store key of `scope`'s switch state (a host may prefetch it with other keys).
    pub fn store_key(scope: &str) -> String {
        store_key("kill", &[scope])
    }

    /// The state-store key of `scope`'s signal window.
    pub fn window_key(scope: &str) -> String {
        store_key("killw", &[scope])
    }

    /// A switch with `config`; the window and trip time must be positive and the error
    /// percentage at most 100.
    pub fn new(config: KillSwitchConfig) -> Result<Self, EnforceError> {
        if config.window_ms == 0 || config.trip_ms == 0 {
            return Err(EnforceError::Config(
                "kill switch window and trip time must be positive".into(),
            ));
        }
        if config.max_error_percent.is_some_and(|p| p > 100) {
            return Err(EnforceError::Config(
                "kill switch error percentage must be at most 100".into(),
            ));
        }
        Ok(Self { config })
    }

    fn decision(
        &self,
        state: KillState,
        scope: &str,
        tripped_now: bool,
        now: UnixMillis,
    ) -> KillDecision {
        KillDecision {
            allowed: matches!(state, KillState::Clear | KillState::Released { .. }),
            state,
            tripped_now,
            scope: scope.to_owned(),
            at: now,
        }
    }

    /// Whether traffic of `scope` may pass at `now`.
    pub fn check<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        scope: &str,
        now: UnixMillis,
    ) -> Result<KillDecision, EnforceError> {
        let key = Self::store_key(scope);
        let state = decode_state(store.get(&key, now)?.as_deref(), &key)?;
        Ok(self.decision(state, scope, false, now))
    }

    /// Counts `signal` for `scope` and trips the switch when a threshold is crossed.
    pub fn record<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        scope: &str,
        signal: Signal,
        now: UnixMillis,
    ) -> Result<KillDecision, EnforceError> {
        let c = self.config;
        let wkey = Self::window_key(scope);
        let window = read_modify_write(store, &wkey, now, |current| {
            let mut w = match current {
                None => Window::default(),
                Some(bytes) => {
                    let mut r = Reader::new(bytes, &wkey);
                    let w = Window {
                        start: r.u64()?,
                        bytes: r.u64()?,
                        rows: r.u64()?,
                        threats: r.u64()?,
                        requests: r.u64()?,
                        errors: r.u64()?,
                    };
                    r.end()?;
                    w
                }
            };
            if current.is_none() || now.0 >= w.start.saturating_add(c.window_ms) {
                w = Window {
                    start: now.0,
                    ..Window::default()
                };
            }
            match signal {
                Signal::Data { bytes, rows } => {
                    w.bytes = w.bytes.saturating_add(bytes);
                    w.rows = w.rows.saturating_add(rows);
                }
                Signal::Threat { count } => w.threats = w.threats.saturating_add(count),
                Signal::Outcome { error } => {
                    w.requests += 1;
                    w.errors += u64::from(error);
                }
            }
            let ttl = w
                .start
                .saturating_add(c.window_ms)
                .saturating_sub(now.0)
                .max(1);
            let value = Writer::default()
                .u64(w.start)
                .u64(w.bytes)
                .u64(w.rows)
                .u64(w.threats)
                .u64(w.requests)
                .u64(w.errors)
                .0;
            Ok((Some(value), ttl, w))
        })?;
        let over = |value: u64, max: Option<u64>| max.is_some_and(|m| value > m);
        let trigger = if over(window.bytes, c.max_bytes) || over(window.rows, c.max_rows) {
            Some(Trigger::DataBurst)
        } else if over(window.threats, c.max_threats) {
            Some(Trigger::ThreatSpike)
        } else if window.requests >= c.min_requests.max(1)
            && c.max_error_percent.is_some_and(|p| {
                u128::from(window.errors) * 100 > u128::from(p) * u128::from(window.requests)
            })
        {
            Some(Trigger::ErrorRate)
        } else {
            None
        };
        let key = Self::store_key(scope);
        let Some(trigger) = trigger else {
            return self.check(store, scope, now);
        };
        let until = now.plus(c.trip_ms);
        let (state, tripped) = read_modify_write(store, &key, now, |current| {
            let state = decode_state(current, &key)?;
            if state != KillState::Clear {
                return Ok((current.map(<[u8]>::to_vec), 0, (state, false)));
            }
            let value = encode_state(TRIPPED, trigger.tag(), until.0);
            Ok((
                Some(value),
                c.trip_ms,
                (KillState::Tripped { trigger, until }, true),
            ))
        })?;
        if tripped {
            // A fresh window: recovery does not re-trip on the counts that caused the trip.
            read_modify_write(store, &wkey, now, |_| Ok((None, 0, ())))?;
        }
        Ok(self.decision(state, scope, tripped, now))
    }

    /// Engages the switch by hand for `ttl_ms` (0: until released).
    pub fn engage<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        scope: &str,
        ttl_ms: u64,
        now: UnixMillis,
    ) -> Result<KillDecision, EnforceError> {
        let until = (ttl_ms > 0).then(|| now.plus(ttl_ms));
        let value = encode_state(ENGAGED, 0, until.map_or(0, |u| u.0));
        self.set(store, scope, value, ttl_ms, now)?;
        Ok(self.decision(KillState::Engaged { until }, scope, false, now))
    }

    /// Releases the switch by hand; automatic trips are suppressed for `ttl_ms` (0: none).
    pub fn release<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        scope: &str,
        ttl_ms: u64,
        now: UnixMillis,
    ) -> Result<KillDecision, EnforceError> {
        let state = if ttl_ms == 0 {
            self.clear(store, scope, now)?;
            KillState::Clear
        } else {
            let until = now.plus(ttl_ms);
            self.set(
                store,
                scope,
                encode_state(RELEASED, 0, until.0),
                ttl_ms,
                now,
            )?;
            KillState::Released { until }
        };
        Ok(self.decision(state, scope, false, now))
    }

    fn set<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        scope: &str,
        value: Vec<u8>,
        ttl_ms: u64,
        now: UnixMillis,
    ) -> Result<(), EnforceError> {
        let key = Self::store_key(scope);
        read_modify_write(store, &key, now, |_| Ok((Some(value.clone()), ttl_ms, ())))
    }

    fn clear<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        scope: &str,
        now: UnixMillis,
    ) -> Result<(), EnforceError> {
        let key = Self::store_key(scope);
        read_modify_write(store, &key, now, |_| Ok((None, 0, ())))
    }
}
