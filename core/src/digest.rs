//! SHA-256 digests in the two textual forms evidence uses.
//!
//! spec: primitives.md §1 — a field named `sha256` holds 64 lowercase hex digits; a field named
//! `digest` holds `sha256:` followed by the same 64 digits.

use sha2::{Digest as _, Sha256};

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest([u8; 32]);

impl Sha256Digest {
    /// Hashes `bytes` with SHA-256.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// Hashes everything `reader` yields, 64 KiB at a time (a bundle file's identity in a ledger
    /// record, ledger-v0.md §2.1, without reading the file into memory).
    pub fn of_reader<R: std::io::Read>(mut reader: R) -> std::io::Result<Self> {
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(buf.get(..n).unwrap_or_default());
        }
        Ok(Self(hasher.finalize().into()))
    }

    /// Wraps 32 raw digest bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 raw digest bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The digest as 64 lowercase hex digits (the `sha256` field form).
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// The digest as `sha256:<hex>` (the `digest` field form).
    pub fn to_prefixed(&self) -> String {
        format!("sha256:{}", self.to_hex())
    }

    /// Parses exactly 64 lowercase hex digits; anything else is `None`.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let (hi, lo) = match pair {
                [hi, lo] => (lower_hex_value(*hi)?, lower_hex_value(*lo)?),
                _ => return None,
            };
            *slot = (hi << 4) | lo;
        }
        Some(Self(out))
    }

    /// Parses `sha256:<64 lowercase hex>`; anything else is `None`.
    pub fn from_prefixed(text: &str) -> Option<Self> {
        Self::from_hex(text.strip_prefix("sha256:")?)
    }
}

impl std::fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{}", self.to_hex())
    }
}

impl std::fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{}", self.to_hex())
    }
}

/// Lowercase hex of `bytes`.
#[expect(clippy::indexing_slicing, reason = "a nibble is always < 16")]
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

fn lower_hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_has_the_known_digest() {
        let d = Sha256Digest::of(b"");
        assert_eq!(
            d.to_prefixed(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Sha256Digest::from_prefixed(&d.to_prefixed()), Some(d));
    }

    #[test]
    fn hex_forms_are_strict() {
        let upper = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
        assert_eq!(Sha256Digest::from_hex(upper), None);
        assert_eq!(Sha256Digest::from_hex("abc"), None);
        assert_eq!(Sha256Digest::from_prefixed("sha512:00"), None);
    }
}
