//! The error of the enforcement primitives: bad inputs, bad configuration, store trouble.
//! A denial is a decision, never an error.

use crate::error::Coded;

/// Why an enforcement call could not decide.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnforceError {
    /// An idempotency key that is empty, too long (limits.md L29) or not visible ASCII.
    #[error("idempotency key must be 1 to {0} visible ascii characters")]
    IdempotencyKey(usize),
    /// A payload to fingerprint that is not strict JSON (the `jcs.*` code is the detail).
    #[error("payload is not strict json: {0}")]
    Payload(String),
    /// A response larger than an idempotency record may store (limits.md L30).
    #[error("response of {0} bytes is larger than the limit of {1} bytes")]
    ResponseTooLarge(usize, usize),
    /// `complete` or `abandon` without the matching in-flight record.
    #[error("no in-flight request for idempotency key `{0}` with this payload")]
    NotInFlight(String),
    /// A configuration value out of range (zero rate, period, threshold…).
    #[error("configuration: {0}")]
    Config(String),
    /// The in-memory store holds its limit of live entries (limits.md L31).
    #[error("the state store is full ({0} live entries)")]
    StoreFull(usize),
    /// A stored value that does not decode: another writer or a different version.
    #[error("stored state at `{0}` does not decode")]
    StoreCorrupt(String),
    /// A store backend failure (network, server), reported by a host's store.
    #[error("state store: {0}")]
    Store(String),
    /// A read-modify-write lost its compare-and-set too many times in a row.
    #[error("state at `{0}` changed under every attempt")]
    Contention(String),
}

impl Coded for EnforceError {
    fn code(&self) -> &'static str {
        match self {
            Self::IdempotencyKey(_) => "enforce.idempotency_key",
            Self::Payload(_) => "enforce.payload",
            Self::ResponseTooLarge(..) => "enforce.response_too_large",
            Self::NotInFlight(_) => "enforce.not_in_flight",
            Self::Config(_) => "enforce.config",
            Self::StoreFull(_) => "enforce.store_full",
            Self::StoreCorrupt(_) => "enforce.store_corrupt",
            Self::Store(_) => "enforce.store",
            Self::Contention(_) => "enforce.contention",
        }
    }
}
