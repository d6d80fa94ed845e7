//! The hold-expiry sweep (spec: gateway-config-v0.md §8.1): every `approvals.sweep_ms` it finds
//! the holds past their `expires_at` through an index in the state store and records each one's
//! `gateway.hold_expired` event, so the evidence shows every expired hold without a resume call.
//! The index and the claims go through the store's compare-and-set, so replicas sharing Redis
//! record each hold once, and a sweep racing a resume records it once.

use std::time::Duration;

use clyra_core::guard::enforce::EnforceError;
use clyra_core::jcs::{self, Map, Value};
use clyra_core::time::Timestamp;

use crate::chain::{now_ms, now_timestamp};
use crate::gateway::Gateway;

/// Store key of the hold index: a JSON object hold id → `expires_at` in Unix seconds.
pub const INDEX_KEY: &str = "holds:index";
/// Most holds the index keeps; a hold beyond is not indexed (logged) and its expiry is recorded
/// at a resume only.
pub const MAX_INDEXED_HOLDS: usize = 100_000;
/// Compare-and-set attempts of one index update before it gives up (logged).
const CAS_ATTEMPTS: usize = 32;

/// The index as stored (absent or unreadable: empty).
fn read_index(bytes: Option<&[u8]>, gw: &Gateway) -> Map {
    match bytes.map(|b| jcs::parse(b, &gw.limits)) {
        Some(Ok(Value::Object(m))) => m,
        _ => Map::new(),
    }
}

/// How long the index lives without a write: longer than any hold it names.
fn index_ttl_ms(gw: &Gateway) -> u64 {
    gw.hold_ttl_s
        .saturating_mul(1_000)
        .saturating_add(86_400_000)
}

/// Changes the index with `edit` under compare-and-set, retried on a concurrent change.
/// `edit` returns whether it changed anything (nothing is written otherwise).
fn update_index(gw: &Gateway, edit: impl Fn(&mut Map) -> bool) -> Result<bool, EnforceError> {
    for _ in 0..CAS_ATTEMPTS {
        let done = gw.store.with(|s| {
            let now = now_ms();
            let current = s.get(INDEX_KEY, now)?;
            let mut index = read_index(current.as_deref(), gw);
            if !edit(&mut index) {
                return Ok(Some(false));
            }
            let new = jcs::to_vec(&Value::from(index));
            let set = s.compare_and_set(
                INDEX_KEY,
                current.as_deref(),
                Some(&new),
                index_ttl_ms(gw),
                now,
            )?;
            Ok(set.then_some(true))
        })?;
        if let Some(changed) = done {
            return Ok(changed);
        }
    }
    Err(EnforceError::Store(format!(
        "`{INDEX_KEY}` kept changing: {CAS_ATTEMPTS} compare-and-set attempts failed"
    )))
}

/// Adds a new hold to the index (called when the hold is stored); a failure is logged and
/// leaves the hold to be recorded expired at a resume only.
pub fn index_hold(gw: &Gateway, hold_id: &str, expires_at: Option<&Value>) {
    let Some(expires) = expires_at
        .and_then(Value::as_str)
        .and_then(|t| Timestamp::parse(t).ok())
    else {
        eprintln!("clyra-gateway: hold `{hold_id}` has no expires_at: not indexed for the sweep");
        return;
    };
    let secs = expires.unix_seconds();
    // The edit declines only when the index is full.
    let added = update_index(gw, |index| {
        if index.len() >= MAX_INDEXED_HOLDS {
            return false;
        }
        index.insert(
            hold_id,
            crate::evidence::int(u64::try_from(secs).unwrap_or(0)),
        );
        true
    });
    match added {
        Ok(true) => {}
        Ok(false) => eprintln!(
            "clyra-gateway: hold `{hold_id}` not indexed: {MAX_INDEXED_HOLDS} holds are \
             indexed; its expiry is recorded at a resume only"
        ),
        Err(e) => eprintln!(
            "clyra-gateway: hold `{hold_id}` not indexed for the sweep: {e} (gateway.store)"
        ),
    }
}

/// One sweep: records every indexed hold past its expiry that is still stored (claimed first),
/// drops index entries whose hold is gone; returns how many expiries it recorded.
pub async fn sweep_once(gw: &Gateway) -> Result<usize, EnforceError> {
    let now = now_timestamp().unix_seconds();
    let index = gw
        .store
        .with(|s| s.get(INDEX_KEY, now_ms()))
        .map(|b| read_index(b.as_deref(), gw))?;
    // Expired as the core's resume sees it: `now > expires_at`, whole seconds.
    let due: Vec<String> = index
        .iter()
        .filter(|(_, exp)| {
            exp.as_u64()
                .and_then(|e| i64::try_from(e).ok())
                .is_none_or(|e| now > e)
        })
        .map(|(id, _)| id.to_owned())
        .collect();
    let mut recorded = 0;
    let mut done = Vec::with_capacity(due.len());
    for id in due {
        let key = format!("hold:{id}");
        match gw.store.with(|s| s.get(&key, now_ms()))? {
            // Released, or recorded by a resume: only the index entry is left.
            None => done.push(id),
            Some(stored) => {
                if crate::hold::record_expired(gw, &key, &stored, &id, "sweep").await? {
                    recorded += 1;
                }
                done.push(id);
            }
        }
    }
    if !done.is_empty() {
        update_index(gw, |index| {
            let before = index.len();
            for id in &done {
                index.remove(id);
            }
            index.len() != before
        })?;
    }
    Ok(recorded)
}

/// Runs [`sweep_once`] every `approvals.sweep_ms` for as long as the gateway serves (holds are
/// made without `approvals` too, so it then sweeps at the default interval).
pub async fn run(gw: std::sync::Arc<Gateway>) {
    let every = gw
        .config
        .approvals
        .as_ref()
        .map_or(crate::config::DEFAULT_SWEEP_MS, |a| a.sweep_ms);
    let mut tick = tokio::time::interval(Duration::from_millis(every.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = sweep_once(&gw).await {
            eprintln!("clyra-gateway: hold-expiry sweep: {e} (gateway.store); retried next sweep");
        }
    }
}

/// The sweep's task, stopped when this is dropped: the accept loop's task holds it, so the sweep
/// stops with the loop (aborted or ended) and never runs on the loop's own task (a slow store
/// call would delay accepting connections).
pub struct Sweeper(tokio::task::JoinHandle<()>);

impl Sweeper {
    /// Spawns [`run`] on the runtime.
    pub fn start(gw: std::sync::Arc<Gateway>) -> Self {
        Self(tokio::spawn(run(gw)))
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}
