//! The prompt-loop breaker: an agent that repeats the same step (prompt or tool call) too often
//! within a window is stopped for a cool-off period.
//!
//! spec: guard-enforce.md §6 — each step is reduced to a fingerprint (the first 8 bytes of its
//! SHA-256); the last `history` steps within `window_ms` are kept; a step whose fingerprint
//! occurs `max_repeats` times among them (itself included) breaks the loop: every step is denied
//! until `cool_off_ms` has passed, then the history starts afresh. Alternating loops (A, B, A,
//! B, …) are caught the same way, since each step is counted among the recent ones.

use sha2::{Digest, Sha256};

use super::codec::{Reader, Writer};
use super::event::{int, map};
use super::{read_modify_write, store_key, Decision, EnforceError, StateStore, UnixMillis};
use crate::jcs::{Map, Value};

/// Most steps a breaker may remember.
const MAX_HISTORY: usize = 64;

/// A loop breaker's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopBreaker {
    window_ms: u64,
    max_repeats: u64,
    history: usize,
    cool_off_ms: u64,
}

/// The answer for one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopDecision {
    /// Whether the step may run.
    pub allowed: bool,
    /// This step broke the loop (the first denial of a cool-off).
    pub broke: bool,
    /// How often this step occurs among the recent ones, itself included.
    pub repeats: u64,
    /// When denied: the end of the cool-off.
    pub cool_off_until: Option<UnixMillis>,
    /// The scope (tenant and session).
    pub scope: (String, String),
    /// When it was decided.
    pub at: UnixMillis,
}

impl Decision for LoopDecision {
    fn kind(&self) -> &'static str {
        "guard.loop_breaker"
    }

    fn at(&self) -> UnixMillis {
        self.at
    }

    fn data(&self) -> Map {
        let mut data = map([
            ("allowed", Value::from(self.allowed)),
            ("broke", Value::from(self.broke)),
            ("repeats", int(self.repeats)),
            ("session", Value::from(self.scope.1.as_str())),
            ("tenant", Value::from(self.scope.0.as_str())),
        ]);
        if let Some(until) = self.cool_off_until {
            data.insert("cool_off_until_ms", int(until.0));
        }
        data
    }
}

impl LoopBreaker {
    /// The state-store key of the steps of `session` of `tenant` (a host may prefetch it).
    pub fn store_key(tenant: &str, session: &str) -> String {
        store_key("loop", &[tenant, session])
    }

    /// Breaks at `max_repeats` (≥ 2) occurrences among the last `history` (1–64) steps within
    /// `window_ms`; cools off for `cool_off_ms`.
    pub fn new(
        window_ms: u64,
        max_repeats: u64,
        history: usize,
        cool_off_ms: u64,
    ) -> Result<Self, EnforceError> {
        if window_ms == 0 || cool_off_ms == 0 || max_repeats < 2 {
            return Err(EnforceError::Config(
                "loop window and cool-off must be positive and max repeats at least 2".into(),
            ));
        }
        if history == 0 || history > MAX_HISTORY {
            return Err(EnforceError::Config(format!(
                "loop history must be 1 to {MAX_HISTORY} steps"
            )));
        }
        Ok(Self {
            window_ms,
            max_repeats,
            history,
            cool_off_ms,
        })
    }

    /// Decides one `step` (any bytes that identify it: canonical tool call, normalised prompt)
    /// of `session` in `tenant`, and records it.
    pub fn step<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        tenant: &str,
        session: &str,
        step: &[u8],
        now: UnixMillis,
    ) -> Result<LoopDecision, EnforceError> {
        let digest = Sha256::digest(step);
        let mut head = [0u8; 8];
        head.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
        let fp = u64::from_le_bytes(head);
        let key = Self::store_key(tenant, session);
        let ttl = self.window_ms.max(self.cool_off_ms);
        let (allowed, broke, repeats, until) = read_modify_write(store, &key, now, |current| {
            let (cooled_until, mut steps) = match current {
                None => (0, Vec::new()),
                Some(bytes) => decode(bytes, &key)?,
            };
            if now.0 < cooled_until {
                let same = current.map(<[u8]>::to_vec);
                return Ok((same, ttl, (false, false, 0, Some(UnixMillis(cooled_until)))));
            }
            steps.retain(|(at, _)| now.0.saturating_sub(*at) < self.window_ms);
            let repeats = steps.iter().filter(|(_, f)| *f == fp).count() as u64 + 1;
            if repeats >= self.max_repeats {
                let until = now.plus(self.cool_off_ms);
                let value = encode(until.0, &[]);
                return Ok((
                    Some(value),
                    self.cool_off_ms,
                    (false, true, repeats, Some(until)),
                ));
            }
            steps.push((now.0, fp));
            let excess = steps.len().saturating_sub(self.history);
            steps.drain(..excess);
            Ok((Some(encode(0, &steps)), ttl, (true, false, repeats, None)))
        })?;
        Ok(LoopDecision {
            allowed,
            broke,
            repeats,
            cool_off_until: until,
            scope: (tenant.to_owned(), session.to_owned()),
            at: now,
        })
    }
}

fn encode(cooled_until: u64, steps: &[(u64, u64)]) -> Vec<u8> {
    let mut w = Writer::default().u64(cooled_until);
    for (at, fp) in steps {
        w = w.u64(*at).u64(*fp);
    }
    w.0
}

fn decode(bytes: &[u8], key: &str) -> Result<(u64, Vec<(u64, u64)>), EnforceError> {
    let mut r = Reader::new(bytes, key);
    let cooled = r.u64()?;
    let rest = r.rest();
    if !rest.len().is_multiple_of(16) || rest.len() / 16 > MAX_HISTORY {
        return Err(EnforceError::StoreCorrupt(key.to_owned()));
    }
    let mut r = Reader::new(rest, key);
    let mut steps = Vec::with_capacity(rest.len() / 16);
    for _ in 0..rest.len() / 16 {
        steps.push((r.u64()?, r.u64()?));
    }
    Ok((cooled, steps))
}
