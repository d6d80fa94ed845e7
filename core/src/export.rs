//! Sigstore export: one producer DSSE envelope as a Sigstore bundle v0.3 (spec: dsse.md §9).
//!
//! [`sigstore_bundle`] is pure: envelope bytes in, bundle JSON bytes out. It copies the payload,
//! payloadType and signature unchanged, names the key by a public-key hint (standard base64 of the
//! 32 raw bytes of the keyid digest, i.e. of SHA-256 over the key's SPKI DER), records no
//! transparency-log entries and empties the keyid in the copy. It does not verify the signature:
//! verify the bundle first (`clyra verify`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::digest::Sha256Digest;
use crate::dsse::{DsseError, Envelope, IN_TOTO_PAYLOAD_TYPE};
use crate::error::Coded;
use crate::jcs::{self, Map, Value};
use crate::limits::Limits;

/// The media type of a Sigstore bundle v0.3.
pub const SIGSTORE_BUNDLE_V03_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// Why an envelope cannot be exported (`export.*`, spec: verdicts.md).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The envelope fails strict decoding (dsse.md §3); the `dsse.*` / `jcs.*` code is the detail.
    #[error("the envelope is not a valid DSSE envelope: {0}")]
    Envelope(#[source] DsseError),
    /// The envelope holds other than exactly one signature (dsse.md §4).
    #[error("the envelope holds {0} signatures; a producer envelope holds exactly one")]
    Signatures(usize),
    /// The payloadType is not `application/vnd.in-toto+json`.
    #[error("payloadType `{0}` is not `application/vnd.in-toto+json`")]
    PayloadType(String),
    /// The keyid is not `sha256:` followed by 64 lowercase hex digits.
    #[error("keyid `{0}` is not `sha256:` and 64 lowercase hex digits")]
    Keyid(String),
}

impl ExportError {
    /// The code of the underlying `dsse.*` / `jcs.*` error, if any.
    pub fn detail(&self) -> Option<&'static str> {
        match self {
            ExportError::Envelope(inner) => Some(inner.code()),
            _ => None,
        }
    }
}

impl Coded for ExportError {
    fn code(&self) -> &'static str {
        match self {
            ExportError::Envelope(_) => "export.envelope",
            ExportError::Signatures(_) => "export.signatures",
            ExportError::PayloadType(_) => "export.payload_type",
            ExportError::Keyid(_) => "export.keyid",
        }
    }
}

/// Builds the Sigstore bundle v0.3 JSON (canonical, RFC 8785) for one producer envelope.
///
/// spec: dsse.md §9. The envelope is decoded strictly (§3) under `limits`; it must hold exactly
/// one signature, payloadType `application/vnd.in-toto+json` and a `sha256:<hex>` keyid.
pub fn sigstore_bundle(envelope_bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, ExportError> {
    let envelope = Envelope::decode(envelope_bytes, limits).map_err(ExportError::Envelope)?;
    let [signature] = envelope.signatures.as_slice() else {
        return Err(ExportError::Signatures(envelope.signatures.len()));
    };
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(ExportError::PayloadType(envelope.payload_type.clone()));
    }
    let digest = Sha256Digest::from_prefixed(&signature.keyid)
        .ok_or_else(|| ExportError::Keyid(signature.keyid.clone()))?;

    let mut hint = Map::new();
    hint.insert("hint", Value::from(STANDARD.encode(digest.as_bytes())));
    let mut material = Map::new();
    material.insert("publicKey", Value::from(hint));
    material.insert("tlogEntries", Value::from(Vec::<Value>::new()));

    let mut sig = Map::new();
    sig.insert("keyid", Value::from(""));
    sig.insert("sig", Value::from(STANDARD.encode(&signature.sig)));
    let mut dsse = Map::new();
    dsse.insert("payload", Value::from(STANDARD.encode(&envelope.payload)));
    dsse.insert("payloadType", Value::from(envelope.payload_type.as_str()));
    dsse.insert("signatures", Value::from(vec![Value::from(sig)]));

    let mut bundle = Map::new();
    bundle.insert("dsseEnvelope", Value::from(dsse));
    bundle.insert("mediaType", Value::from(SIGSTORE_BUNDLE_V03_MEDIA_TYPE));
    bundle.insert("verificationMaterial", Value::from(material));
    Ok(jcs::to_vec(&Value::from(bundle)))
}
