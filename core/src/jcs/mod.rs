//! RFC 8785 JSON Canonicalization Scheme over a strict I-JSON parser.
//!
//! spec: primitives.md §2. Everything Clyra signs or hashes as JSON passes through here: the parser
//! rejects what canonicalization would silently change (duplicate keys, lone surrogates, invalid
//! UTF-8, non-finite numbers, integers beyond ±(2^53−1)), and the writer emits the one canonical
//! byte form that every implementation (Rust, Go, Python, Node, browser) must reproduce.

mod error;
mod number;
mod parse;
mod stream;
mod tree;
mod value;
mod write;

pub use error::{JcsError, JcsErrorKind};
pub use number::{format_number, Number, MAX_SAFE_INTEGER};
pub use value::{Map, Value};
pub use write::{to_vec, write_value};

use crate::limits::Limits;

/// How integer literals beyond ±(2^53−1) are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntegerMode {
    /// Reject them (`jcs.integer_out_of_range`): canonicalization would change their value.
    /// All evidence is parsed this way.
    #[default]
    Strict,
    /// Round them to the nearest double, as other JCS tools do (`clyra canon --lossy`).
    Lossy,
}

/// Parses one JSON document strictly (integer literals limited to ±(2^53−1)).
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Value, JcsError> {
    parse_with(bytes, limits, IntegerMode::Strict)
}

/// Parses one JSON document, choosing how out-of-range integer literals are treated.
pub fn parse_with(bytes: &[u8], limits: &Limits, mode: IntegerMode) -> Result<Value, JcsError> {
    let mut sink = tree::TreeSink::default();
    parse::parse_into(bytes, limits, mode, &mut sink)?;
    Ok(sink.finish())
}

/// Parses `bytes` strictly and returns their canonical form.
pub fn canonicalize(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, JcsError> {
    canonicalize_with(bytes, limits, IntegerMode::Strict)
}

/// Parses `bytes` with the given integer mode and returns their canonical form.
pub fn canonicalize_with(
    bytes: &[u8],
    limits: &Limits,
    mode: IntegerMode,
) -> Result<Vec<u8>, JcsError> {
    let mut sink = stream::CanonicalSink::with_capacity(bytes.len());
    parse::parse_into(bytes, limits, mode, &mut sink)?;
    Ok(sink.finish())
}

/// Checks that `bytes` are strict JSON in canonical form, without building a value tree.
///
/// The cheapest form of the rule every verifier applies to signed JSON (manifests, journal
/// lines, DSSE payloads); use [`parse_canonical`] when the value is needed too.
pub fn check_canonical(bytes: &[u8], limits: &Limits) -> Result<(), JcsError> {
    let canonical = canonicalize(bytes, limits)?;
    match first_difference(&canonical, bytes) {
        None => Ok(()),
        Some(offset) => Err(JcsError::new(JcsErrorKind::NotCanonical, offset)),
    }
}

/// The first offset where `a` and `b` differ, if they do.
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    if a == b {
        return None;
    }
    Some(
        a.iter()
            .zip(b)
            .position(|(x, y)| x != y)
            .unwrap_or_else(|| a.len().min(b.len())),
    )
}

/// Parses `bytes` strictly and requires them to be canonical already.
///
/// Verifiers use this for every entry that must be canonical (manifests, journal lines, DSSE
/// payloads): the bytes that were signed must be the bytes every implementation would write.
/// On mismatch the error (`jcs.not_canonical`) names the first differing byte.
pub fn parse_canonical(bytes: &[u8], limits: &Limits) -> Result<Value, JcsError> {
    let value = parse(bytes, limits)?;
    check_canonical_value(&value, bytes)?;
    Ok(value)
}

/// Checks that `bytes`, already parsed into `value`, are its canonical form (`jcs.not_canonical`
/// at the first differing byte). For callers that need the parse error and the canonical error
/// apart, without parsing twice.
pub fn check_canonical_value(value: &Value, bytes: &[u8]) -> Result<(), JcsError> {
    let mut out = Vec::with_capacity(bytes.len());
    write_value(value, &mut out);
    match first_difference(&out, bytes) {
        Some(offset) => Err(JcsError::new(JcsErrorKind::NotCanonical, offset)),
        None => Ok(()),
    }
}
