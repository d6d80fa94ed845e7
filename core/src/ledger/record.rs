//! The leaf record of a bundle (spec: ledger-v0.md §2): what identifies it, as canonical JSON.

use std::io::{Read, Seek};

use serde::{Deserialize, Serialize};

use super::{Hash, LedgerError, LedgerErrorKind as K};
use crate::bundle::Container;
use crate::digest::Sha256Digest;
use crate::jcs;
use crate::limits::Limits;
use crate::time::Timestamp;

// Largest record, in bytes: the entry bundle's `uint16` length prefix (ledger-v0.md §2.2).
pub use super::limits::MAX_RECORD_BYTES;
use super::limits::{MAX_RECORD_APPROVALS, MAX_SUBJECT_BYTES};

/// One approval as a record keeps it: the envelope file's digest and the issued nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordApproval {
    /// `sha256:<hex>` of the approval envelope file.
    pub digest: String,
    /// The nonce the producer issued for it.
    pub nonce: String,
}

/// A leaf record (schema `ledger-record-v0`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Always 0.
    pub v: u8,
    /// The manifest's `bundle_id`.
    pub bundle_id: String,
    /// SHA-256 of the bundle file's bytes, 64 lowercase hex.
    pub bundle_sha256: String,
    /// `sha256:<hex>` of `manifest.json`.
    pub manifest_digest: String,
    /// `def/v0` or `pef/v0`.
    pub format: String,
    /// The manifest's `created_at`.
    pub created_at: String,
    /// The manifest's `change.subject`.
    pub subject: String,
    /// The manifest's `change.environment`.
    pub environment: String,
    /// The manifest's approvals, in order.
    pub approvals: Vec<RecordApproval>,
    /// The appender's clock at append time (a claim, not a proof).
    pub logged_at: String,
}

impl Record {
    /// The record of the bundle read from `source` (`len` bytes whose SHA-256 is `bundle_sha256`),
    /// logged at `logged_at`. The container and manifest must read (`ledger.bundle_invalid`).
    pub fn of_bundle<R: Read + Seek>(
        source: R,
        len: u64,
        bundle_sha256: &Sha256Digest,
        logged_at: &str,
        limits: &Limits,
    ) -> Result<Self, LedgerError> {
        let invalid = |why: String| LedgerError::new(K::BundleInvalid, why);
        let mut container = Container::open(source, len, limits)
            .map_err(|e| invalid(format!("not a bundle: {e}")))?;
        let index = container
            .entries()
            .iter()
            .position(|e| e.name == "manifest.json")
            .ok_or_else(|| invalid("the bundle has no manifest.json".into()))?;
        let bytes = container
            .read_small_entry(index, limits.bundle_max_manifest_bytes)
            .map_err(|e| invalid(format!("manifest.json cannot be read: {e}")))?;
        Self::of_manifest(&bytes, bundle_sha256, logged_at, limits)
    }

    /// The record of a bundle whose `manifest.json` bytes are `manifest`.
    pub fn of_manifest(
        manifest: &[u8],
        bundle_sha256: &Sha256Digest,
        logged_at: &str,
        limits: &Limits,
    ) -> Result<Self, LedgerError> {
        let invalid =
            |why: &str| LedgerError::new(K::BundleInvalid, format!("manifest.json: {why}"));
        let value =
            jcs::parse_canonical(manifest, limits).map_err(|_| invalid("not canonical JSON"))?;
        let text = |path: &[&str]| -> Result<String, LedgerError> {
            let mut at = &value;
            for key in path {
                at = at
                    .get(key)
                    .ok_or_else(|| invalid(&format!("no `{}`", path.join("."))))?;
            }
            at.as_str()
                .map(str::to_owned)
                .ok_or_else(|| invalid(&format!("`{}` is not a string", path.join("."))))
        };
        let mut approvals = Vec::new();
        if let Some(entries) = value
            .get("approvals")
            .and_then(|a| a.get("entries"))
            .and_then(|e| e.as_array())
        {
            for entry in entries {
                let field = |k: &str| {
                    entry
                        .get(k)
                        .and_then(|v| v.as_str())
                        .map(str::to_owned)
                        .ok_or_else(|| invalid(&format!("an approval has no `{k}`")))
                };
                approvals.push(RecordApproval {
                    digest: field("digest")?,
                    nonce: field("nonce")?,
                });
            }
        }
        let record = Self {
            v: 0,
            bundle_id: text(&["bundle_id"])?,
            bundle_sha256: bundle_sha256.to_hex(),
            manifest_digest: Sha256Digest::of(manifest).to_prefixed(),
            format: text(&["format"])?,
            created_at: text(&["created_at"])?,
            subject: text(&["change", "subject"])?,
            environment: text(&["change", "environment"])?,
            approvals,
            logged_at: logged_at.to_owned(),
        };
        record
            .check()
            .map_err(|e| LedgerError::new(K::BundleInvalid, e.to_string()))?;
        Ok(record)
    }

    /// Parses record bytes: strict canonical JSON, the schema's members and rules (`ledger.record`).
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Self, LedgerError> {
        let bad = |why: String| LedgerError::new(K::Record, format!("bad record: {why}"));
        if bytes.len() > MAX_RECORD_BYTES {
            return Err(bad("longer than 65,535 bytes".into()));
        }
        jcs::parse_canonical(bytes, limits).map_err(|e| bad(e.to_string()))?;
        let record: Self = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        record.check()?;
        Ok(record)
    }

    /// The canonical bytes: the leaf data.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising this struct cannot fail (strings, an integer and arrays only), and the
        // result is valid JSON, so canonicalisation only reorders keys.
        let json = serde_json::to_vec(self).unwrap_or_default();
        jcs::canonicalize(&json, &Limits::default()).unwrap_or(json)
    }

    /// The leaf hash, `leaf(canonical bytes)`.
    pub fn leaf_hash(&self) -> Hash {
        crate::merkle::leaf_hash(&self.to_bytes())
    }

    /// The rules of the schema that serde does not enforce.
    fn check(&self) -> Result<(), LedgerError> {
        let bad = |why: &str| Err(LedgerError::new(K::Record, format!("bad record: {why}")));
        let id_ok = |s: &str| {
            (1..=256).contains(&s.len())
                && s.bytes()
                    .enumerate()
                    .all(|(i, b)| b.is_ascii_alphanumeric() || (i > 0 && b"._:/@+-".contains(&b)))
        };
        if self.v != 0 {
            return bad("`v` is not 0");
        }
        if !id_ok(&self.bundle_id) {
            return bad("`bundle_id` is not an identifier");
        }
        if Sha256Digest::from_hex(&self.bundle_sha256).is_none() {
            return bad("`bundle_sha256` is not 64 lowercase hex digits");
        }
        if Sha256Digest::from_prefixed(&self.manifest_digest).is_none() {
            return bad("`manifest_digest` is not a digest");
        }
        if !["def/v0", "pef/v0"].contains(&self.format.as_str()) {
            return bad("`format` is not def/v0 or pef/v0");
        }
        if Timestamp::parse(&self.created_at).is_err() || Timestamp::parse(&self.logged_at).is_err()
        {
            return bad("a time is not YYYY-MM-DDTHH:MM:SSZ");
        }
        if self.subject.is_empty() || self.subject.len() > MAX_SUBJECT_BYTES {
            return bad("`subject` is empty or longer than 4096 bytes");
        }
        if !["production", "staging", "development", "test"].contains(&self.environment.as_str()) {
            return bad("`environment` is not a known environment");
        }
        if self.approvals.len() > MAX_RECORD_APPROVALS {
            return bad("more than 16 approvals");
        }
        for a in &self.approvals {
            if Sha256Digest::from_prefixed(&a.digest).is_none() || !id_ok(&a.nonce) {
                return bad("an approval's digest or nonce is malformed");
            }
        }
        if self.to_bytes().len() > MAX_RECORD_BYTES {
            return bad("longer than 65,535 bytes");
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    pub(crate) fn sample(n: u32) -> Record {
        Record {
            v: 0,
            bundle_id: format!("b-{n}"),
            bundle_sha256: Sha256Digest::of(&n.to_be_bytes()).to_hex(),
            manifest_digest: Sha256Digest::of(b"m").to_prefixed(),
            format: "def/v0".into(),
            created_at: "2026-11-20T09:01:15Z".into(),
            subject: "model.shop.orders".into(),
            environment: "production".into(),
            approvals: vec![],
            logged_at: "2026-11-20T09:02:00Z".into(),
        }
    }

    #[test]
    fn round_trips_canonically_and_rejects_extras() {
        let r = sample(1);
        let bytes = r.to_bytes();
        assert!(bytes.starts_with(b"{\"approvals\":[],\"bundle_id\":\"b-1\""));
        assert_eq!(Record::parse(&bytes, &Limits::default()).unwrap(), r);
        let mut extra = String::from_utf8(bytes.clone()).unwrap();
        extra.insert_str(1, "\"a\":1,");
        assert_eq!(
            Record::parse(extra.as_bytes(), &Limits::default())
                .unwrap_err()
                .kind(),
            K::Record
        );
        let spaced = String::from_utf8(bytes).unwrap().replacen(':', ": ", 1);
        assert!(Record::parse(spaced.as_bytes(), &Limits::default()).is_err());
    }
}
