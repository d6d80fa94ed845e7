//! The DSSE envelope JSON: strict decoding and encoding.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::fields;
use super::DsseError;
use crate::jcs::{self, Map, Value};
use crate::limits::Limits;

/// A DSSE v1 envelope: a typed payload and its signatures over the PAE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The payload's media type, e.g. `application/vnd.in-toto+json`.
    pub payload_type: String,
    /// The payload bytes (base64 in the JSON form).
    pub payload: Vec<u8>,
    /// The signatures; Clyra writes exactly one per envelope file.
    pub signatures: Vec<Signature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The signing key's keyid (`sha256:<hex>` for Clyra keys), matched exactly.
    pub keyid: String,
    /// The raw signature bytes (base64 in the JSON form).
    pub sig: Vec<u8>,
}

impl Envelope {
    /// Decodes an envelope file strictly.
    ///
    /// spec: dsse.md §3 — strict JSON (`jcs.*` codes: duplicate keys, invalid UTF-8, ...); the
    /// envelope holds exactly `payload`, `payloadType` and `signatures`, each signature exactly
    /// `keyid` and `sig`; base64 is the standard alphabet with padding, zero pad bits and no
    /// whitespace; sizes and counts are bounded by `limits`.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Envelope, DsseError> {
        if bytes.len() > limits.dsse_max_envelope_bytes {
            return Err(DsseError::TooLarge {
                size: bytes.len(),
                limit: limits.dsse_max_envelope_bytes,
            });
        }
        let value = jcs::parse(bytes, limits).map_err(DsseError::Json)?;
        // spec: dsse.md §3 — each rule over the whole envelope before the next: types, missing
        // fields, unknown fields, base64, payload size, signature count; within a rule, fields in
        // the order payload, payloadType, signatures, then keyid and sig of each signature.
        let top = fields::object(&value, "")?;
        let wrong =
            |field: String, expected: &'static str| DsseError::WrongType { field, expected };
        for name in ["payload", "payloadType"] {
            if top.get(name).is_some_and(|v| v.as_str().is_none()) {
                return Err(wrong(name.to_owned(), "a string"));
            }
        }
        let list: &[Value] = match top.get("signatures") {
            None => &[],
            Some(v) => v
                .as_array()
                .ok_or_else(|| wrong("signatures".to_owned(), "an array"))?,
        };
        let mut entries = Vec::with_capacity(list.len());
        for (i, entry) in list.iter().enumerate() {
            let path = format!("signatures[{i}]");
            let map = fields::object(entry, &path)?;
            for name in ["keyid", "sig"] {
                if map.get(name).is_some_and(|v| v.as_str().is_none()) {
                    return Err(wrong(fields::join(&path, name), "a string"));
                }
            }
            entries.push((path, map));
        }
        fields::require(top, &["payload", "payloadType", "signatures"], "")?;
        for (path, map) in &entries {
            fields::require(map, &["keyid", "sig"], path)?;
        }
        fields::only(top, &["payload", "payloadType", "signatures"], "")?;
        for (path, map) in &entries {
            fields::only(map, &["keyid", "sig"], path)?;
        }
        let payload = decode_base64(fields::string(top, "payload", "")?, "payload")?;
        let mut signatures = Vec::with_capacity(entries.len());
        for (path, map) in &entries {
            signatures.push(Signature {
                keyid: fields::string(map, "keyid", path)?.to_owned(),
                sig: decode_base64(
                    fields::string(map, "sig", path)?,
                    &fields::join(path, "sig"),
                )?,
            });
        }
        if payload.len() > limits.dsse_max_payload_bytes {
            return Err(DsseError::PayloadTooLarge {
                limit: limits.dsse_max_payload_bytes,
            });
        }
        if signatures.is_empty() {
            return Err(DsseError::NoSignatures);
        }
        if signatures.len() > limits.dsse_max_signatures {
            return Err(DsseError::TooManySignatures {
                count: signatures.len(),
                limit: limits.dsse_max_signatures,
            });
        }
        let payload_type = fields::string(top, "payloadType", "")?.to_owned();
        Ok(Envelope {
            payload_type,
            payload,
            signatures,
        })
    }

    /// Encodes the envelope as canonical JSON (RFC 8785), standard padded base64.
    pub fn encode(&self) -> Vec<u8> {
        let signatures = self
            .signatures
            .iter()
            .map(|s| {
                let mut map = Map::new();
                map.insert("keyid", Value::from(s.keyid.as_str()));
                map.insert("sig", Value::from(STANDARD.encode(&s.sig)));
                Value::from(map)
            })
            .collect::<Vec<_>>();
        let mut map = Map::new();
        map.insert("payload", Value::from(STANDARD.encode(&self.payload)));
        map.insert("payloadType", Value::from(self.payload_type.as_str()));
        map.insert("signatures", Value::from(signatures));
        jcs::to_vec(&Value::from(map))
    }
}

/// Decodes canonical standard base64: the `+/` alphabet, `=` padding required, zero pad bits,
/// no whitespace or line breaks (spec: dsse.md §3.2; Go `StdEncoding.Strict()` plus a CR/LF check).
fn decode_base64(text: &str, field: &str) -> Result<Vec<u8>, DsseError> {
    // The STANDARD engine requires canonical padding and rejects non-zero trailing bits and every
    // byte outside the alphabet, whitespace included.
    STANDARD.decode(text).map_err(|_| DsseError::Base64 {
        field: field.to_owned(),
    })
}
