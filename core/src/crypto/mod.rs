//! Signature schemes, public and signing keys, and signature verification.
//!
//! spec: signatures.md — four schemes (`ed25519`, `ecdsa-p256-sha256`, `rsa-pkcs1v15-sha256`,
//! `rsa-pss-sha256`), strict key encodings checked before any crypto call, keyids derived from the
//! SPKI DER, and verification rules chosen to agree with Go's standard library. Production code
//! signs with Ed25519 and P-256 only; RSA is verify-only.

mod error;
mod pem;
mod public_key;
mod scheme;
mod signer;
mod signing_key;
mod verify;

pub use error::{KeyError, SignatureError};
pub use public_key::{KeyAlgorithm, PublicKey};
pub use scheme::Scheme;
pub use signer::{sign_checked, Signer, SignerError, SignerErrorKind};
pub use signing_key::SigningKey;
pub use verify::verify;

// Test-only path for Wycheproof keys outside the key rules (see `internal::conformance`).
pub(crate) use verify::verify_rsa_spki_unchecked;
