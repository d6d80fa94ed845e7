//! Tenant fencing: a request never reaches another tenant's resource, and an operator can
//! fence a whole tenant off for a while (an incident, an unpaid bill, a compromised key).
//!
//! spec: guard-enforce.md §4 — cross-tenant access is denied first, then a live fence of the
//! caller's tenant; a fence lifts itself when its TTL runs out, or by [`TenantFence::lift`].

use super::codec::{Reader, Writer};
use super::event::{int, map};
use super::{read_modify_write, store_key, Decision, EnforceError, StateStore, UnixMillis};
use crate::jcs::{Map, Value};

/// Tenant fencing over a store.
#[derive(Debug, Clone, Copy, Default)]
pub struct TenantFence;

/// Why a request was or was not let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FenceOutcome {
    /// Same tenant, no fence.
    Allowed,
    /// The resource belongs to another tenant.
    CrossTenant {
        /// The resource's tenant.
        owner: String,
    },
    /// The caller's tenant is fenced until `until` (`None`: until lifted).
    Fenced {
        /// When the fence lifts by itself.
        until: Option<UnixMillis>,
        /// Why it was set.
        reason: String,
    },
}

/// A fencing decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenceDecision {
    /// The outcome.
    pub outcome: FenceOutcome,
    /// The caller's tenant.
    pub tenant: String,
    /// When it was decided.
    pub at: UnixMillis,
}

impl FenceDecision {
    /// Whether the request may pass.
    pub fn allowed(&self) -> bool {
        self.outcome == FenceOutcome::Allowed
    }
}

impl Decision for FenceDecision {
    fn kind(&self) -> &'static str {
        "guard.tenant_fence"
    }

    fn at(&self) -> UnixMillis {
        self.at
    }

    fn data(&self) -> Map {
        let mut data = map([
            ("allowed", Value::from(self.allowed())),
            ("tenant", Value::from(self.tenant.as_str())),
        ]);
        match &self.outcome {
            FenceOutcome::Allowed => {}
            FenceOutcome::CrossTenant { owner } => {
                data.insert("owner", Value::from(owner.as_str()));
                data.insert("reason", Value::from("cross_tenant"));
            }
            FenceOutcome::Fenced { until, reason } => {
                data.insert("reason", Value::from(reason.as_str()));
                if let Some(until) = until {
                    data.insert("until_ms", int(until.0));
                }
            }
        }
        data
    }
}

impl TenantFence {
    /// The state-store key of `tenant`'s fence (a host may prefetch it with other keys).
    pub fn store_key(tenant: &str) -> String {
        store_key("fence", &[tenant])
    }

    /// Decides whether `tenant` may act on a resource of `owner` (`None`: not tenant-owned).
    pub fn check<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        tenant: &str,
        owner: Option<&str>,
        now: UnixMillis,
    ) -> Result<FenceDecision, EnforceError> {
        let decided = |outcome| FenceDecision {
            outcome,
            tenant: tenant.to_owned(),
            at: now,
        };
        if let Some(owner) = owner.filter(|o| *o != tenant) {
            return Ok(decided(FenceOutcome::CrossTenant {
                owner: owner.to_owned(),
            }));
        }
        let key = Self::store_key(tenant);
        let Some(bytes) = store.get(&key, now)? else {
            return Ok(decided(FenceOutcome::Allowed));
        };
        let mut r = Reader::new(&bytes, &key);
        let until = r.u64()?;
        let reason = String::from_utf8_lossy(r.rest()).into_owned();
        Ok(decided(FenceOutcome::Fenced {
            until: (until > 0).then_some(UnixMillis(until)),
            reason,
        }))
    }

    /// Fences `tenant` off for `ttl_ms` (0: until lifted), replacing any fence.
    pub fn fence<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        tenant: &str,
        reason: &str,
        ttl_ms: u64,
        now: UnixMillis,
    ) -> Result<(), EnforceError> {
        let key = Self::store_key(tenant);
        let until = if ttl_ms == 0 { 0 } else { now.plus(ttl_ms).0 };
        let value = Writer::default().u64(until).bytes(reason.as_bytes()).0;
        read_modify_write(store, &key, now, |_| Ok((Some(value.clone()), ttl_ms, ())))
    }

    /// Lifts the fence of `tenant`, if any.
    pub fn lift<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        tenant: &str,
        now: UnixMillis,
    ) -> Result<(), EnforceError> {
        let key = Self::store_key(tenant);
        read_modify_write(store, &key, now, |_| Ok((None, 0, ())))
    }
}
