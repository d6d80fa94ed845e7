//! Steps 2–5: the manifest (bundle-v0.md §5.18), the artifacts it lists (§7.1), the journal
//! (§3.5) and the Merkle root over both (§4).

use super::container::{Loaded, MANIFEST};
use super::{Sealed, VerifyInputs};
use crate::bundle::EntryClass;
use crate::digest::Sha256Digest;
use crate::error::Coded;
use crate::format::{check_manifest, Format, Manifest, ManifestErrorKind, Schemas};
use crate::jcs::{self, Map, Number, Value};
use crate::journal::{self, JournalExpectation};
use crate::limits::Limits;
use crate::merkle::TreeBuilder;
use crate::time::Timestamp;
use crate::verdict::{Check, Severity, Step};

/// Step 2. Records the manifest's checks; `None` when one of them stops the run.
pub(super) fn manifest(
    loaded: &Loaded,
    inputs: &VerifyInputs<'_>,
    checks: &mut Vec<Check>,
) -> Option<Sealed> {
    // The container step guarantees the entry, and L14 bounds it; the fallback is defensive.
    let Some(bytes) = loaded.bytes(MANIFEST) else {
        checks.push(
            Check::new(Step::Manifest, "bundle.missing_entry", Severity::Fail)
                .with_subject(MANIFEST)
                .with_message("manifest.json could not be read"),
        );
        return None;
    };
    manifest_checks(bytes, MANIFEST, inputs.schemas, inputs.limits, checks)
}

/// The manifest checks of bundle-v0.md §5.18 over `bytes`, recorded with `subject`
/// (`manifest.json` in a bundle, `manifest` in a receipt); `None` when one of them stops the run.
pub(crate) fn manifest_checks(
    bytes: &[u8],
    subject: &str,
    schemas: &Schemas,
    limits: &Limits,
    checks: &mut Vec<Check>,
) -> Option<Sealed> {
    let fail = |code: &'static str, severity: Severity, message: String| {
        Check::new(Step::Manifest, code, severity)
            .with_subject(subject)
            .with_message(message)
    };
    let (manifest, findings) = match check_manifest(bytes, schemas, limits) {
        Ok(found) => found,
        Err(err) => {
            let severity = if err.kind() == ManifestErrorKind::FormatUnknown {
                Severity::Indeterminate
            } else {
                Severity::Fail
            };
            // spec: bundle-v0.md §5.18 — item 5 (`manifest.time`) precedes items 6 and 7, which
            // `check_manifest` also makes: report an invalid `created_at` first.
            let check = match invalid_time_first(bytes, err.kind(), schemas, limits) {
                Some(message) => fail("manifest.time", Severity::Fail, message),
                None => {
                    let mut check = fail(err.code(), severity, err.to_string());
                    if let Some(jcs) = err.jcs_error() {
                        check = check.with_detail(jcs.code());
                    }
                    check
                }
            };
            checks.push(check);
            return None;
        }
    };
    let created_at = match Timestamp::parse(&manifest.created_at) {
        Ok(t) => t,
        Err(e) => {
            checks.push(fail(
                "manifest.time",
                Severity::Fail,
                format!("`created_at` `{}`: {e}", manifest.created_at),
            ));
            return None;
        }
    };
    checks.push(
        Check::ok(Step::Manifest)
            .with_subject(subject)
            .with_message(format!(
                "{} manifest `{}` created at {created_at}",
                manifest.format.as_str(),
                manifest.bundle_id
            )),
    );
    for finding in findings {
        let crate::format::ManifestCheck::UnknownExtension(key) = &finding;
        checks.push(fail(
            finding.code(),
            Severity::Warn,
            format!("extension `{key}` is not defined by this version; not interpreted"),
        ));
    }
    Some(Sealed {
        manifest,
        manifest_bytes: bytes.to_vec(),
        created_at,
    })
}

/// When a schema-valid manifest failed items 6 or 7 but its `created_at` is not a valid time,
/// the `manifest.time` message to report instead.
fn invalid_time_first(
    bytes: &[u8],
    kind: ManifestErrorKind,
    schemas: &Schemas,
    limits: &Limits,
) -> Option<String> {
    if !matches!(
        kind,
        ManifestErrorKind::Schema | ManifestErrorKind::BundleIdMismatch
    ) {
        return None;
    }
    let value = jcs::parse(bytes, limits).ok()?;
    let format = Format::from_name(value.get("format")?.as_str()?)?;
    let created_at = value.get("created_at")?.as_str()?.to_owned();
    // The tree is gone before the validator's copy is made (limits.md L43–L44).
    drop(value);
    let instance: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if !schemas.manifest(format).is_valid(&instance) {
        return None;
    }
    let created_at = created_at.as_str();
    let err = Timestamp::parse(created_at).err()?;
    Some(format!("`created_at` `{created_at}`: {err}"))
}

/// Step 3 (§7.1): each listed artifact present with its size and digest, then unlisted entries.
pub(crate) fn artifacts(loaded: &Loaded, manifest: &Manifest, checks: &mut Vec<Check>) {
    let start = checks.len();
    let record = |code: &'static str, subject: &str, message: String| {
        Check::new(Step::Artifacts, code, Severity::Fail)
            .with_subject(subject)
            .with_message(message)
    };
    for listed in &manifest.artifacts {
        let check = match loaded.artifacts.get(&listed.path) {
            None => record(
                "artifact.missing",
                &listed.path,
                "listed in the manifest but not in the bundle".into(),
            ),
            Some(found) if found.size != listed.size => record(
                "artifact.size_mismatch",
                &listed.path,
                format!("{} bytes, the manifest says {}", found.size, listed.size),
            ),
            Some(found) if found.sha256 != listed.sha256 => record(
                "artifact.digest_mismatch",
                &listed.path,
                format!(
                    "SHA-256 {}, the manifest says {}",
                    found.sha256.to_hex(),
                    listed.sha256.to_hex()
                ),
            ),
            Some(found) => Check::ok(Step::Artifacts)
                .with_subject(listed.path.clone())
                .with_message(format!("{} bytes, SHA-256 matches", found.size)),
        };
        checks.push(check);
    }
    for name in loaded.of_class(EntryClass::Artifact) {
        if !manifest.artifacts.iter().any(|a| a.path == name) {
            checks.push(record(
                "artifact.unlisted",
                name,
                "in the bundle but not listed in the manifest".into(),
            ));
        }
    }
    if checks.len() == start {
        checks.push(Check::ok(Step::Artifacts).with_message("no artifacts"));
    }
}

/// Step 4 (§3.5). Returns the `at` of journal line 0 when it can be read (for the approvals step).
pub(crate) fn journal(
    bytes: &[u8],
    sealed: &Sealed,
    limits: &Limits,
    checks: &mut Vec<Check>,
) -> Option<Timestamp> {
    let head = sealed.manifest.journal_head.to_prefixed();
    let expected = JournalExpectation {
        created_at: &sealed.created_at,
        head: &head,
        count: sealed.manifest.journal_count,
    };
    checks.push(journal::verify(bytes, &expected, limits).into_check());
    let first = journal::lines(bytes).next()?;
    let event = jcs::parse(first, limits).ok()?;
    Timestamp::parse(event.get("at")?.as_str()?).ok()
}

/// Step 5 (§4): leaves are the journal lines, then each listed artifact's record; the size is
/// checked first, then the root.
pub(crate) fn merkle(
    journal_bytes: &[u8],
    manifest: &Manifest,
    limits: &Limits,
    checks: &mut Vec<Check>,
) {
    // spec: bundle-v0.md §4.1 — a journal of more than L16 lines has already failed the journal
    // step: its tree is not recomputed, so a flood of (empty) lines costs no hashing.
    let newlines = journal_bytes.iter().filter(|b| **b == b'\n').count();
    let lines = newlines + usize::from(journal_bytes.last().is_some_and(|b| *b != b'\n'));
    if lines > limits.journal_max_events {
        checks.push(
            Check::new(Step::Merkle, "skipped", Severity::Ok)
                .with_subject(MANIFEST)
                .with_message(format!(
                    "not run: the journal has {lines} lines, more than {}",
                    limits.journal_max_events
                )),
        );
        return;
    }
    let mut tree = TreeBuilder::new();
    for line in journal::lines(journal_bytes) {
        tree.push_leaf(line);
    }
    // spec: bundle-v0.md §4.1 — the records are built from the manifest's list; step 3 checked
    // that each describes its entry's bytes.
    for artifact in &manifest.artifacts {
        tree.push_leaf(&artifact_record(
            &artifact.path,
            &artifact.sha256,
            artifact.size,
        ));
    }
    let start = checks.len();
    let fail = |code: &'static str, message: String| {
        Check::new(Step::Merkle, code, Severity::Fail)
            .with_subject(MANIFEST)
            .with_message(message)
    };
    if tree.len() != manifest.merkle_size {
        checks.push(fail(
            "merkle.size_mismatch",
            format!(
                "{} leaves, the manifest says {}",
                tree.len(),
                manifest.merkle_size
            ),
        ));
    }
    let root = Sha256Digest::from_bytes(tree.root());
    if root != manifest.merkle_root {
        checks.push(fail(
            "merkle.root_mismatch",
            format!(
                "recomputed root {}, the manifest says {}",
                root.to_prefixed(),
                manifest.merkle_root.to_prefixed()
            ),
        ));
    }
    if checks.len() == start {
        checks.push(
            Check::ok(Step::Merkle)
                .with_subject(MANIFEST)
                .with_message(format!(
                    "root {} over {} leaves",
                    root.to_prefixed(),
                    tree.len()
                )),
        );
    }
}

/// The canonical artifact record `{"path","sha256","size"}` (§4.1).
pub(crate) fn artifact_record(path: &str, sha256: &Sha256Digest, size: u64) -> Vec<u8> {
    let size = i64::try_from(size)
        .ok()
        .and_then(Number::from_i64)
        .map_or(Value::Null, Value::from);
    let mut record = Map::new();
    record.insert("path", Value::from(path));
    record.insert("sha256", Value::from(sha256.to_hex()));
    record.insert("size", size);
    jcs::to_vec(&Value::from(record))
}
