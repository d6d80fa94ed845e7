//! Entry names: the allowed bytes and segments, the six entry classes, their required order and
//! the entry-set checks.
//!
//! spec: bundle-v0 §2.1 (names, entry set, order) and §2.2.1 (which entries may be deflated).

use std::cmp::Ordering;
use std::collections::BTreeSet;

use super::error::{ContainerError, ContainerErrorKind};

/// The manifest entry name.
pub const MANIFEST: &str = "manifest.json";
/// The journal entry name.
pub const JOURNAL: &str = "journal.ndjson";
/// Prefix of artifact entries.
pub const ARTIFACTS_PREFIX: &str = "artifacts/";
/// Prefix of key entries.
pub const KEYS_PREFIX: &str = "keys/";
/// Prefix of approval entries.
pub const APPROVALS_PREFIX: &str = "approvals/";
/// Prefix of signature entries.
pub const SIGNATURES_PREFIX: &str = "signatures/";

/// Longest entry name, in bytes (bundle-v0 §2.1.1).
pub const MAX_NAME_BYTES: usize = 255;

/// The kinds of entry a bundle holds, in their required order (bundle-v0 §2.1.3–§2.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntryClass {
    /// `manifest.json`.
    Manifest,
    /// `journal.ndjson`.
    Journal,
    /// `artifacts/<name>`.
    Artifact,
    /// `keys/<keyid-hex>.pub.pem`.
    Key,
    /// `approvals/NNNN.dsse.json`.
    Approval,
    /// `signatures/<keyid-hex>.dsse.json`.
    Signature,
}

impl EntryClass {
    /// The class of a full entry name of one of the §2.1.3 forms, or `None` for any other name.
    ///
    /// `name` is assumed to satisfy [`check_name`] (artifact names are not re-checked).
    pub fn of(name: &str) -> Option<Self> {
        if name == MANIFEST {
            Some(Self::Manifest)
        } else if name == JOURNAL {
            Some(Self::Journal)
        } else if let Some(rest) = name.strip_prefix(ARTIFACTS_PREFIX) {
            (!rest.is_empty()).then_some(Self::Artifact)
        } else if name.strip_prefix(KEYS_PREFIX).and_then(key_hex).is_some() {
            Some(Self::Key)
        } else if approval_number(name).is_some() {
            Some(Self::Approval)
        } else if signature_hex(name).is_some() {
            Some(Self::Signature)
        } else {
            None
        }
    }

    /// The class whose directory prefix `name` has (or whose exact name it is), whether or not
    /// the rest of the name has the §2.1.3 form; used for the per-class limits of §2.4.3 item 6.
    pub fn by_prefix(name: &str) -> Option<Self> {
        if name == MANIFEST {
            Some(Self::Manifest)
        } else if name == JOURNAL {
            Some(Self::Journal)
        } else if name.starts_with(ARTIFACTS_PREFIX) {
            Some(Self::Artifact)
        } else if name.starts_with(KEYS_PREFIX) {
            Some(Self::Key)
        } else if name.starts_with(APPROVALS_PREFIX) {
            Some(Self::Approval)
        } else if name.starts_with(SIGNATURES_PREFIX) {
            Some(Self::Signature)
        } else {
            None
        }
    }
}

/// Whether the entry `name` may be deflated: `manifest.json`, `journal.ndjson`, and artifacts
/// whose name ends in `.json` or `.ndjson` (bundle-v0 §2.2.1). Every other entry is stored.
pub fn deflate_allowed(name: &str) -> bool {
    match EntryClass::of(name) {
        Some(EntryClass::Manifest | EntryClass::Journal) => true,
        Some(EntryClass::Artifact) => name.ends_with(".json") || name.ends_with(".ndjson"),
        _ => false,
    }
}

/// Checks the §2.1.1 rules on a raw entry name and returns it as text.
///
/// spec: bundle-v0 §2.1.1 — only `A–Z a–z 0–9 . _ / -`, 1 to 255 bytes, no leading or trailing
/// `/`, no empty, `.` or `..` segment. Else `zip.name`.
pub fn check_name(raw: &[u8]) -> Result<&str, ContainerError> {
    let err = || ContainerError::new(ContainerErrorKind::Name).with_entry(raw);
    if raw.is_empty() || raw.len() > MAX_NAME_BYTES {
        return Err(err());
    }
    let allowed = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-');
    if !raw.iter().all(allowed) {
        return Err(err());
    }
    // A leading or trailing `/`, and `//`, all show up as an empty segment.
    if raw
        .split(|b| *b == b'/')
        .any(|seg| seg.is_empty() || seg == b"." || seg == b"..")
    {
        return Err(err());
    }
    std::str::from_utf8(raw).map_err(|_| err())
}

/// Compares two entry names by the required order: class first (§2.1.4), then the bytes of the
/// full name. Names of no class sort after every class (they are rejected before order matters).
pub fn cmp_expected(a: &str, b: &str) -> Ordering {
    let rank = |n: &str| EntryClass::of(n).map_or(6, |c| c as u8);
    rank(a)
        .cmp(&rank(b))
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// The entry-set and order checks, in the spec's order: `bundle.missing_entry`, then
/// `bundle.unexpected_entry`, then `bundle.entry_order`.
///
/// spec: bundle-v0 §2.4.4. `names` are the entry names in central-directory order, each already
/// accepted by the per-entry checks (so valid and without case-fold duplicates).
pub fn check_entry_set<S: AsRef<str>>(names: &[S]) -> Result<(), ContainerError> {
    let present: BTreeSet<&str> = names.iter().map(AsRef::as_ref).collect();
    let missing = |name: &str| {
        ContainerError::new(ContainerErrorKind::MissingEntry).with_entry(name.as_bytes())
    };

    // spec: bundle-v0 §2.1.3 — required entries, then signer keys, then approval gaps.
    for required in [MANIFEST, JOURNAL] {
        if !present.contains(required) {
            return Err(missing(required));
        }
    }
    let signatures: Vec<&str> = present.iter().copied().filter_map(signature_hex).collect();
    if signatures.is_empty() {
        return Err(missing(SIGNATURES_PREFIX));
    }
    for hex in &signatures {
        let key = format!("{KEYS_PREFIX}{hex}.pub.pem");
        if !present.contains(key.as_str()) {
            return Err(missing(&key));
        }
    }
    let approvals: BTreeSet<u16> = present
        .iter()
        .copied()
        .filter_map(approval_number)
        .collect();
    if let Some(&highest) = approvals.last() {
        if let Some(gap) = (1..highest).find(|n| !approvals.contains(n)) {
            return Err(missing(&approval_name(gap)));
        }
    }

    for name in names.iter().map(AsRef::as_ref) {
        if EntryClass::of(name).is_none() {
            return Err(ContainerError::new(ContainerErrorKind::UnexpectedEntry)
                .with_entry(name.as_bytes()));
        }
    }

    for pair in names.windows(2) {
        if let [a, b] = pair {
            if cmp_expected(a.as_ref(), b.as_ref()) != Ordering::Less {
                return Err(ContainerError::new(ContainerErrorKind::EntryOrder)
                    .with_entry(b.as_ref().as_bytes()));
            }
        }
    }
    Ok(())
}

/// The entry name of approval number `n`: `approvals/NNNN.dsse.json`.
pub fn approval_name(n: u16) -> String {
    format!("{APPROVALS_PREFIX}{n:04}.dsse.json")
}

/// The keyid-hex of `keys/<hex>.pub.pem`'s `<hex>.pub.pem` part.
fn key_hex(rest: &str) -> Option<&str> {
    rest.strip_suffix(".pub.pem").filter(|h| is_keyid_hex(h))
}

/// The keyid-hex of a `signatures/<hex>.dsse.json` name.
fn signature_hex(name: &str) -> Option<&str> {
    name.strip_prefix(SIGNATURES_PREFIX)?
        .strip_suffix(".dsse.json")
        .filter(|h| is_keyid_hex(h))
}

/// The number of an `approvals/NNNN.dsse.json` name: exactly four digits, from 0001.
fn approval_number(name: &str) -> Option<u16> {
    let digits = name
        .strip_prefix(APPROVALS_PREFIX)?
        .strip_suffix(".dsse.json")?;
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n >= 1)
}

/// 64 lowercase hex digits.
fn is_keyid_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Coded;

    const HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    fn code(r: Result<(), ContainerError>) -> &'static str {
        r.map_or_else(|e| e.code(), |()| "ok")
    }

    #[test]
    fn name_rules() {
        for good in ["manifest.json", "a", "artifacts/x/y.z-_", &"a".repeat(255)] {
            assert!(check_name(good.as_bytes()).is_ok(), "{good}");
        }
        let long = "a".repeat(256);
        for bad in [
            "",
            "/a",
            "a/",
            "a//b",
            "./a",
            "a/./b",
            "a/../b",
            "..",
            "a\\b",
            "a b",
            "é",
            "a:b",
            long.as_str(),
        ] {
            assert!(check_name(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(check_name(b"a\0").is_err());
    }

    #[test]
    fn classes() {
        let key = format!("keys/{HEX}.pub.pem");
        let sig = format!("signatures/{HEX}.dsse.json");
        assert_eq!(EntryClass::of("manifest.json"), Some(EntryClass::Manifest));
        assert_eq!(EntryClass::of("journal.ndjson"), Some(EntryClass::Journal));
        assert_eq!(EntryClass::of("artifacts/a/b"), Some(EntryClass::Artifact));
        assert_eq!(EntryClass::of(&key), Some(EntryClass::Key));
        assert_eq!(
            EntryClass::of("approvals/0001.dsse.json"),
            Some(EntryClass::Approval)
        );
        assert_eq!(EntryClass::of(&sig), Some(EntryClass::Signature));
        for none in [
            "Manifest.json",
            "approvals/0000.dsse.json",
            "approvals/1.dsse.json",
            "approvals/00001.dsse.json",
            "keys/ABC.pub.pem",
            &format!("keys/{}.pub.pem", HEX.to_uppercase()),
            &format!("signatures/{HEX}.json"),
            "other",
        ] {
            assert_eq!(EntryClass::of(none), None, "{none}");
        }
        assert!(deflate_allowed("artifacts/run_results.json"));
        assert!(deflate_allowed("artifacts/x.ndjson"));
        assert!(!deflate_allowed("artifacts/x.txt"));
        assert!(!deflate_allowed(&key));
        assert!(!deflate_allowed("approvals/0001.dsse.json"));
    }

    #[test]
    fn entry_set() {
        let key = format!("keys/{HEX}.pub.pem");
        let sig = format!("signatures/{HEX}.dsse.json");
        let good = vec![
            "manifest.json".to_owned(),
            "journal.ndjson".to_owned(),
            "artifacts/a.json".to_owned(),
            "artifacts/b".to_owned(),
            key.clone(),
            "approvals/0001.dsse.json".to_owned(),
            "approvals/0002.dsse.json".to_owned(),
            sig.clone(),
        ];
        assert_eq!(code(check_entry_set(&good)), "ok");
        let without =
            |drop: &str| -> Vec<String> { good.iter().filter(|n| *n != drop).cloned().collect() };
        assert_eq!(
            code(check_entry_set(&without("manifest.json"))),
            "bundle.missing_entry"
        );
        assert_eq!(
            code(check_entry_set(&without("journal.ndjson"))),
            "bundle.missing_entry"
        );
        assert_eq!(
            code(check_entry_set(&without(&sig))),
            "bundle.missing_entry"
        );
        assert_eq!(
            code(check_entry_set(&without(&key))),
            "bundle.missing_entry"
        );
        let gap = without("approvals/0001.dsse.json");
        let e = check_entry_set(&gap).unwrap_err();
        assert_eq!(e.entry(), Some("approvals/0001.dsse.json"));
        let mut extra = good.clone();
        extra.push("zzz".to_owned());
        assert_eq!(code(check_entry_set(&extra)), "bundle.unexpected_entry");
        let mut swapped = good.clone();
        swapped.swap(2, 3);
        assert_eq!(code(check_entry_set(&swapped)), "bundle.entry_order");
        let mut swapped = good;
        swapped.swap(0, 1);
        let e = check_entry_set(&swapped).unwrap_err();
        assert_eq!(
            (e.code(), e.entry()),
            ("bundle.entry_order", Some("manifest.json"))
        );
    }
}
