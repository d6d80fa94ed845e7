//! Idempotency keys (IETF draft-ietf-httpapi-idempotency-key-header): the first request with a
//! key proceeds; a retry while it runs is a conflict (409); the same key with another payload is
//! a mismatch (422); a retry after completion replays the stored response.
//!
//! spec: guard-enforce.md §2 — the fingerprint is HMAC-SHA256(secret, len(tenant) ‖ tenant ‖
//! JCS(payload)), so equal JSON in any member order or spacing is the same request, and a
//! stored fingerprint reveals nothing without the secret. Keys are scoped per tenant.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::codec::{Reader, Writer};
use super::event::map;
use super::{store_key, Decision, EnforceError, StateStore, UnixMillis};
use crate::digest::to_hex;
use crate::jcs::{Map, Value};
use crate::Limits;

const IN_FLIGHT: u8 = 1;
const COMPLETED: u8 = 2;

/// The idempotency primitive: a secret, how long records live, and the limits.
#[derive(Clone)]
pub struct Idempotency {
    mac: Hmac<Sha256>,
    ttl_ms: u64,
    lock_ttl_ms: u64,
    limits: Limits,
}

impl std::fmt::Debug for Idempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotency")
            .field("ttl_ms", &self.ttl_ms)
            .field("lock_ttl_ms", &self.lock_ttl_ms)
            .finish_non_exhaustive()
    }
}

/// What to do with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyOutcome {
    /// First request with this key: run it, then call [`Idempotency::complete`].
    Proceed,
    /// The same request is still running: answer 409 Conflict.
    Conflict,
    /// The key was used with a different payload: answer 422 Unprocessable Content.
    Mismatch,
    /// The request completed before: answer with this stored response.
    Replay(Vec<u8>),
}

/// A decision about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyDecision {
    /// What to do.
    pub outcome: IdempotencyOutcome,
    /// The request's fingerprint (pass it to `complete` or `abandon`).
    pub fingerprint: [u8; 32],
    /// The tenant scope.
    pub tenant: String,
    /// The idempotency key.
    pub key: String,
    /// When it was decided.
    pub at: UnixMillis,
}

impl IdempotencyDecision {
    /// The HTTP status the draft gives this outcome (`None` when the request proceeds).
    pub fn http_status(&self) -> Option<u16> {
        match self.outcome {
            IdempotencyOutcome::Proceed => None,
            IdempotencyOutcome::Conflict => Some(409),
            IdempotencyOutcome::Mismatch => Some(422),
            IdempotencyOutcome::Replay(_) => Some(200),
        }
    }

    /// `proceed`, `conflict`, `mismatch` or `replay`.
    pub fn name(&self) -> &'static str {
        match self.outcome {
            IdempotencyOutcome::Proceed => "proceed",
            IdempotencyOutcome::Conflict => "conflict",
            IdempotencyOutcome::Mismatch => "mismatch",
            IdempotencyOutcome::Replay(_) => "replay",
        }
    }
}

impl Decision for IdempotencyDecision {
    fn kind(&self) -> &'static str {
        "guard.idempotency"
    }

    fn at(&self) -> UnixMillis {
        self.at
    }

    fn data(&self) -> Map {
        map([
            ("decision", Value::from(self.name())),
            ("fingerprint", Value::from(to_hex(&self.fingerprint))),
            ("key", Value::from(self.key.as_str())),
            ("tenant", Value::from(self.tenant.as_str())),
        ])
    }
}

impl Idempotency {
    /// A primitive keyed by `secret` (at least 32 bytes); completed records live `ttl_ms`,
    /// in-flight ones `lock_ttl_ms` (a crashed request frees its key then).
    pub fn new(
        secret: &[u8],
        ttl_ms: u64,
        lock_ttl_ms: u64,
        limits: &Limits,
    ) -> Result<Self, EnforceError> {
        if secret.len() < 32 {
            return Err(EnforceError::Config(
                "idempotency secret must be at least 32 bytes".into(),
            ));
        }
        if ttl_ms == 0 || lock_ttl_ms == 0 {
            return Err(EnforceError::Config(
                "idempotency ttls must be positive".into(),
            ));
        }
        let mac = Hmac::<Sha256>::new_from_slice(secret)
            .map_err(|_| EnforceError::Config("idempotency secret is unusable".into()))?;
        Ok(Self {
            mac,
            ttl_ms,
            lock_ttl_ms,
            limits: limits.clone(),
        })
    }

    /// HMAC-SHA256 over the tenant and the canonical form of `payload` (strict JSON).
    pub fn fingerprint(&self, tenant: &str, payload: &[u8]) -> Result<[u8; 32], EnforceError> {
        let canonical = crate::jcs::canonicalize(payload, &self.limits)
            .map_err(|e| EnforceError::Payload(format!("{e} ({})", crate::Coded::code(&e))))?;
        let mut mac = self.mac.clone();
        mac.update(&(tenant.len() as u64).to_be_bytes());
        mac.update(tenant.as_bytes());
        mac.update(&canonical);
        Ok(mac.finalize().into_bytes().into())
    }

    fn check_key(&self, key: &str) -> Result<(), EnforceError> {
        let max = self.limits.idempotency_max_key_bytes;
        if key.is_empty()
            || key.len() > max
            || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        {
            return Err(EnforceError::IdempotencyKey(max));
        }
        Ok(())
    }

    fn in_flight(fingerprint: &[u8; 32]) -> Vec<u8> {
        Writer::default().u8(IN_FLIGHT).bytes(fingerprint).0
    }

    /// Claims `key` for `payload` or says why not.
    pub fn begin<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        tenant: &str,
        key: &str,
        payload: &[u8],
        now: UnixMillis,
    ) -> Result<IdempotencyDecision, EnforceError> {
        self.check_key(key)?;
        let fingerprint = self.fingerprint(tenant, payload)?;
        let skey = store_key("idem", &[tenant, key]);
        let existing =
            store.put_if_absent(&skey, &Self::in_flight(&fingerprint), self.lock_ttl_ms, now)?;
        let outcome = match existing {
            None => IdempotencyOutcome::Proceed,
            Some(bytes) => {
                let mut r = Reader::new(&bytes, &skey);
                let state = r.u8()?;
                let stored = r.take(32)?;
                if stored != fingerprint.as_slice() {
                    IdempotencyOutcome::Mismatch
                } else if state == IN_FLIGHT {
                    r.end()?;
                    IdempotencyOutcome::Conflict
                } else if state == COMPLETED {
                    IdempotencyOutcome::Replay(r.rest().to_vec())
                } else {
                    return Err(EnforceError::StoreCorrupt(skey));
                }
            }
        };
        Ok(IdempotencyDecision {
            outcome,
            fingerprint,
            tenant: tenant.to_owned(),
            key: key.to_owned(),
            at: now,
        })
    }

    /// Stores `response` for replay; the in-flight record of `fingerprint` must be live.
    pub fn complete<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        tenant: &str,
        key: &str,
        fingerprint: &[u8; 32],
        response: &[u8],
        now: UnixMillis,
    ) -> Result<(), EnforceError> {
        let max = self.limits.idempotency_max_response_bytes;
        if response.len() > max {
            return Err(EnforceError::ResponseTooLarge(response.len(), max));
        }
        let skey = store_key("idem", &[tenant, key]);
        let done = Writer::default()
            .u8(COMPLETED)
            .bytes(fingerprint)
            .bytes(response)
            .0;
        let expected = Self::in_flight(fingerprint);
        if store.compare_and_set(&skey, Some(&expected), Some(&done), self.ttl_ms, now)? {
            Ok(())
        } else {
            Err(EnforceError::NotInFlight(key.to_owned()))
        }
    }

    /// Frees `key` after a failed request so that a retry runs again.
    pub fn abandon<S: StateStore + ?Sized>(
        &self,
        store: &mut S,
        tenant: &str,
        key: &str,
        fingerprint: &[u8; 32],
        now: UnixMillis,
    ) -> Result<(), EnforceError> {
        let skey = store_key("idem", &[tenant, key]);
        let expected = Self::in_flight(fingerprint);
        if store.compare_and_set(&skey, Some(&expected), None, 0, now)? {
            Ok(())
        } else {
            Err(EnforceError::NotInFlight(key.to_owned()))
        }
    }
}
