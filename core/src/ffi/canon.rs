//! `canonicalize`: any strict JSON text to its RFC 8785 form (primitives.md §2).

use serde::{Deserialize, Serialize};

use super::{parse_call, Answer, DetailedError};
use crate::jcs;
use crate::limits::Limits;

/// The call of [`canonicalize`]: the JSON text to canonicalize.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanonicalizeCall {
    /// A JSON text; parsed strictly (duplicate keys, lone surrogates, non-I-JSON numbers rejected).
    pub json: String,
}

/// The result of [`canonicalize`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Canonical {
    /// The canonical JSON text.
    pub canonical: String,
    /// `sha256:<hex>` of the canonical bytes.
    pub digest: String,
}

/// Canonicalizes `call.json`; a rejected document is a failure with its `jcs.*` code and offset.
pub fn canonicalize(call: &[u8]) -> Vec<u8> {
    Answer::of(parse_call::<CanonicalizeCall>(call).and_then(|c| canonical_of(c.json.as_bytes())))
        .to_json()
}

/// Canonical form and digest of strict JSON `bytes` (shared by every host's `canon`).
pub fn canonical_of(bytes: &[u8]) -> Result<Canonical, Vec<DetailedError>> {
    let canonical =
        jcs::canonicalize(bytes, &Limits::default()).map_err(|e| vec![DetailedError::of(&e)])?;
    let digest = crate::digest::Sha256Digest::of(&canonical).to_prefixed();
    // INVARIANT: the canonical writer emits UTF-8 only.
    let canonical = String::from_utf8(canonical).map_err(|_| {
        vec![DetailedError::new(
            "ffi.answer",
            "canonical form is not UTF-8",
        )]
    })?;
    Ok(Canonical { canonical, digest })
}

#[cfg(test)]
mod tests {
    use super::canonicalize;

    #[test]
    fn canonicalizes_and_digests() {
        let out = canonicalize(br#"{"json":"{\"b\":1, \"a\":[1.0,2e1]}"}"#);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(r#"{"type":"success","result":{"canonical":"{\"a\":[1,20],\"b\":1}","digest":"sha256:"#), "{text}");
    }

    #[test]
    fn duplicate_key_is_a_coded_failure() {
        let out = String::from_utf8(canonicalize(br#"{"json":"{\"a\":1,\"a\":2}"}"#)).unwrap();
        assert!(out.contains(r#""code":"jcs.duplicate_key""#), "{out}");
        assert!(out.starts_with(r#"{"type":"failure""#), "{out}");
    }

    #[test]
    fn unknown_call_field_is_ffi_call() {
        let out = String::from_utf8(canonicalize(br#"{"json":"1","extra":true}"#)).unwrap();
        assert!(out.contains(r#""code":"ffi.call""#), "{out}");
    }
}
