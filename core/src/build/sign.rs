//! Producer signatures: the Statement a producer signs and its DSSE envelope.
//!
//! spec: bundle-v0.md §6.4 — an in-toto Statement v1 whose one subject is `manifest.json` with
//! the digest of its exact bytes, `predicateType` `https://clyra.dev/` + the format, and the
//! predicate `bundle_id`, `merkle_root`, `journal_head`, `signed_at`, `role` = `producer`,
//! `scheme`; the envelope is written as `signatures/<keyid-hex>.dsse.json` next to
//! `keys/<keyid-hex>.pub.pem`.

use crate::crypto::{PublicKey, Signer, SignerError};
use crate::digest::Sha256Digest;
use crate::dsse::{self, Statement, Subject, IN_TOTO_PAYLOAD_TYPE};
use crate::format::Format;
use crate::jcs::{Map, Value};

/// What a producer Statement binds.
pub(crate) struct Binding<'a> {
    pub format: Format,
    pub manifest_digest: Sha256Digest,
    pub bundle_id: &'a str,
    pub merkle_root: String,
    pub journal_head: String,
    pub signed_at: &'a str,
}

/// The encoded envelope of `key`'s producer Statement over `binding` (the signer's error when it
/// cannot sign).
pub(crate) fn producer_envelope<S: Signer + ?Sized>(
    binding: &Binding<'_>,
    key: &S,
) -> Result<Vec<u8>, SignerError> {
    let mut predicate = Map::new();
    predicate.insert("bundle_id", Value::from(binding.bundle_id));
    predicate.insert("merkle_root", Value::from(binding.merkle_root.as_str()));
    predicate.insert("journal_head", Value::from(binding.journal_head.as_str()));
    predicate.insert("signed_at", Value::from(binding.signed_at));
    predicate.insert("role", Value::from("producer"));
    predicate.insert("scheme", Value::from(key.scheme().as_str()));
    let statement = Statement {
        subject: vec![Subject {
            name: "manifest.json".to_owned(),
            sha256: binding.manifest_digest,
        }],
        predicate_type: binding.format.predicate_type().to_owned(),
        predicate: Value::from(predicate),
    };
    Ok(dsse::sign_with(IN_TOTO_PAYLOAD_TYPE, &statement.to_canonical_bytes(), key)?.encode())
}

/// The keyid-hex of a key: its keyid without `sha256:`.
pub(crate) fn keyid_hex(key: &PublicKey) -> &str {
    key.keyid().strip_prefix("sha256:").unwrap_or(key.keyid())
}

/// `keys/<keyid-hex>.pub.pem`.
pub(crate) fn key_entry(key: &PublicKey) -> String {
    format!("keys/{}.pub.pem", keyid_hex(key))
}

/// `signatures/<keyid-hex>.dsse.json`.
pub(crate) fn signature_entry(key: &PublicKey) -> String {
    format!("signatures/{}.dsse.json", keyid_hex(key))
}
