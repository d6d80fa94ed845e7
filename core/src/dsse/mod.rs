//! DSSE v1 envelopes over in-toto Statement v1 payloads: encoding, signing, verification.
//!
//! spec: dsse.md — the signature covers the pre-authentication encoding (PAE) of the payload type
//! and payload; envelopes are decoded strictly (strict JSON, exact fields, canonical base64);
//! JSON payloads must be canonical (RFC 8785) bytes.

mod envelope;
mod error;
mod fields;
mod pae;
mod statement;

pub use envelope::{Envelope, Signature};
pub use error::DsseError;
pub use pae::pae;
pub use statement::{Statement, Subject, STATEMENT_TYPE};

use crate::crypto::{self, PublicKey, Scheme, Signer, SignerError, SigningKey};
use crate::jcs;
use crate::limits::Limits;

/// The payload type of an in-toto Statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Signs `payload` under `payload_type` with `key`: one signature whose keyid is the key's keyid.
///
/// The caller passes canonical bytes for JSON payload types (e.g. from
/// [`Statement::to_canonical_bytes`]); [`verify`] rejects anything else.
pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKey) -> Envelope {
    let sig = key.sign(&pae(payload_type, payload));
    Envelope {
        payload_type: payload_type.to_owned(),
        payload: payload.to_vec(),
        signatures: vec![Signature {
            keyid: key.public_key().keyid().to_owned(),
            sig,
        }],
    }
}

/// Signs `payload` under `payload_type` through `signer` (a key file, a token, a command): one
/// signature whose keyid is the signer's keyid, checked with its public key before it is returned.
///
/// spec: signer-command-v0.md §1 — the signer signs the PAE bytes; its errors carry `signer.*`.
pub fn sign_with<S: Signer + ?Sized>(
    payload_type: &str,
    payload: &[u8],
    signer: &S,
) -> Result<Envelope, SignerError> {
    let sig = crypto::sign_checked(signer, &pae(payload_type, payload))?;
    Ok(Envelope {
        payload_type: payload_type.to_owned(),
        payload: payload.to_vec(),
        signatures: vec![Signature {
            keyid: signer.public_key().keyid().to_owned(),
            sig,
        }],
    })
}

/// Verifies `envelope` with `key` under `scheme` and returns the authenticated payload.
///
/// spec: dsse.md §5 — in order: a signature whose keyid equals the key's keyid exactly
/// (`dsse.keyid_mismatch`), its signature over the PAE (`sig.*`), then, for JSON payload types,
/// the payload bytes are canonical JSON (`dsse.payload_not_canonical`). The payload is parsed only
/// after its signature verified.
pub fn verify<'e>(
    envelope: &'e Envelope,
    key: &PublicKey,
    scheme: Scheme,
    limits: &Limits,
) -> Result<&'e [u8], DsseError> {
    let payload = verify_signature(envelope, key, scheme)?;
    // spec: dsse.md §6 — JSON payloads must be canonical: bytes == canonicalize(bytes).
    if is_json_payload_type(&envelope.payload_type) {
        jcs::check_canonical(payload, limits)
            .map_err(|source| DsseError::PayloadNotCanonical { source })?;
    }
    Ok(payload)
}

/// Verifies only the signature of `envelope` (keyid match and PAE signature), not the canonical
/// form of its payload.
///
/// For callers that check the payload's canonical form themselves, e.g. because they parse it with
/// [`jcs::parse_canonical`] next anyway; [`verify`] is this plus that check.
pub fn verify_signature<'e>(
    envelope: &'e Envelope,
    key: &PublicKey,
    scheme: Scheme,
) -> Result<&'e [u8], DsseError> {
    // spec: dsse.md §5 — keyids are matched exactly, byte for byte.
    let mut candidates = envelope
        .signatures
        .iter()
        .filter(|s| s.keyid == key.keyid())
        .peekable();
    if candidates.peek().is_none() {
        return Err(DsseError::KeyidMismatch {
            keyid: key.keyid().to_owned(),
        });
    }
    let message = pae(&envelope.payload_type, &envelope.payload);
    let mut last = crypto::SignatureError::Invalid;
    for candidate in candidates {
        match crypto::verify(key, scheme, &message, &candidate.sig) {
            Ok(()) => return Ok(&envelope.payload),
            Err(err) => last = err,
        }
    }
    Err(DsseError::Signature(last))
}

/// Whether payloads of this type are JSON and so must be canonical: `application/json` and every
/// `+json` structured-syntax type (RFC 6839), including `application/vnd.in-toto+json`.
pub fn is_json_payload_type(payload_type: &str) -> bool {
    payload_type == "application/json" || payload_type.ends_with("+json")
}
