//! `manifest.json`: the checks of bundle-v0.md §5.18, in order, and the typed view a verifier uses.

use super::schemas::{first_error, Schemas};
use super::Format;
use crate::digest::Sha256Digest;
use crate::error::Coded;
use crate::jcs::{self, JcsError, Map, Value};
use crate::limits::Limits;

/// Why a manifest stops verification (bundle-v0.md §5.18: every fail here stops the run).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
pub struct ManifestError {
    kind: ManifestErrorKind,
    detail: Option<String>,
    jcs: Option<JcsError>,
}

impl ManifestError {
    fn new(kind: ManifestErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: Some(detail.into()),
            jcs: None,
        }
    }

    /// What went wrong.
    pub const fn kind(&self) -> ManifestErrorKind {
        self.kind
    }

    /// A plain-language detail (the schema error and where, the expected id, …).
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The canonical-JSON error underneath `manifest.json` / `manifest.not_canonical`.
    pub const fn jcs_error(&self) -> Option<&JcsError> {
        self.jcs.as_ref()
    }
}

impl Coded for ManifestError {
    fn code(&self) -> &'static str {
        self.kind.code()
    }
}

/// The manifest failures, each with its registered code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestErrorKind {
    /// Not strict JSON, or not an object (`manifest.json`).
    #[error("manifest is not a strict JSON object")]
    Json,
    /// Valid JSON, but not its canonical form (`manifest.not_canonical`).
    #[error("manifest is not in canonical form")]
    NotCanonical,
    /// `format` names a format or version this verifier does not know (`manifest.format_unknown`).
    #[error("unknown manifest format")]
    FormatUnknown,
    /// The manifest breaks its format's schema (`manifest.schema`).
    #[error("manifest does not match its schema")]
    Schema,
    /// A derived-looking `bundle_id` differs from its derivation (`manifest.bundle_id_mismatch`).
    #[error("bundle_id does not match its derivation")]
    BundleIdMismatch,
}

impl ManifestErrorKind {
    /// The stable code (spec/verdicts.md).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Json => "manifest.json",
            Self::NotCanonical => "manifest.not_canonical",
            Self::FormatUnknown => "manifest.format_unknown",
            Self::Schema => "manifest.schema",
            Self::BundleIdMismatch => "manifest.bundle_id_mismatch",
        }
    }

    /// Every kind, for the registry test.
    pub const ALL: [ManifestErrorKind; 5] = [
        Self::Json,
        Self::NotCanonical,
        Self::FormatUnknown,
        Self::Schema,
        Self::BundleIdMismatch,
    ];
}

/// A finding that does not stop verification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ManifestCheck {
    /// An `extensions` key this format does not define (`manifest.unknown_extension`, warn).
    UnknownExtension(String),
}

impl Coded for ManifestCheck {
    fn code(&self) -> &'static str {
        match self {
            Self::UnknownExtension(_) => "manifest.unknown_extension",
        }
    }
}

/// One artifact as the manifest records it (bundle-v0.md §5.13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactRecord {
    /// The entry name, `artifacts/<name>`.
    pub path: String,
    /// SHA-256 of the artifact's bytes.
    pub sha256: Sha256Digest,
    /// Size in bytes.
    pub size: u64,
}

/// One approval entry of the manifest (bundle-v0.md §5.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalEntry {
    /// The envelope file, `approvals/NNNN.dsse.json`.
    pub file: String,
    /// SHA-256 of the envelope file's bytes.
    pub digest: Sha256Digest,
    /// The nonce the producer issued for this approval.
    pub nonce: String,
}

/// A manifest that passed every stopping check, with the fields verification needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The declared format.
    pub format: Format,
    /// The bundle's identifier.
    pub bundle_id: String,
    /// When the bundle was sealed (a timestamp string of the spec's form).
    pub created_at: String,
    /// The digest of JCS(`change`): what approvals bind (`payload_hash`).
    pub change_digest: Sha256Digest,
    /// `policy.hash`, when a policy was used.
    pub policy_hash: Option<String>,
    /// `policy.required`.
    pub policy_required: bool,
    /// `approvals.required` (0, 1 or 2).
    pub approvals_required: u8,
    /// `approvals.entries`, in file order.
    pub approvals: Vec<ApprovalEntry>,
    /// `artifacts`, sorted by path bytes.
    pub artifacts: Vec<ArtifactRecord>,
    /// `journal.head`.
    pub journal_head: Sha256Digest,
    /// `journal.count`.
    pub journal_count: u64,
    /// `merkle.root`.
    pub merkle_root: Sha256Digest,
    /// `merkle.size`.
    pub merkle_size: u64,
    /// The whole manifest, for the steps that read other members (risk, change, …).
    pub value: Value,
}

/// Parses `manifest.json` bytes as strict JSON whose top level is an object (§5.18 item 1).
fn parse_object(bytes: &[u8], limits: &Limits) -> Result<Value, ManifestError> {
    let value = jcs::parse(bytes, limits).map_err(|e| ManifestError {
        kind: ManifestErrorKind::Json,
        detail: Some(e.to_string()),
        jcs: Some(e),
    })?;
    match value {
        Value::Object(_) => Ok(value),
        _ => Err(not_an_object()),
    }
}

fn not_an_object() -> ManifestError {
    ManifestError::new(ManifestErrorKind::Json, "the top level is not an object")
}

/// Checks `manifest.json` bytes in the order of bundle-v0.md §5.18 and returns the manifest with
/// its non-stopping findings (unknown extensions), or the first stopping failure.
///
/// `created_at` calendar validity (`manifest.time`) is checked by the verifier with the core's
/// timestamp type; the schema already fixes its pattern.
pub fn check_manifest(
    bytes: &[u8],
    schemas: &Schemas,
    limits: &Limits,
) -> Result<(Manifest, Vec<ManifestCheck>), ManifestError> {
    // 1. strict JSON object.
    let value = parse_object(bytes, limits)?;
    let Value::Object(members) = &value else {
        return Err(not_an_object());
    };
    // 2. canonical form.
    if let Err(e) = jcs::check_canonical_value(&value, bytes) {
        return Err(ManifestError {
            kind: ManifestErrorKind::NotCanonical,
            detail: Some(format!("first difference at byte {}", e.offset())),
            jcs: Some(e),
        });
    }
    // 3. a known format (a missing or non-string one is a schema failure).
    let Some(name) = members.get("format").and_then(Value::as_str) else {
        return Err(ManifestError::new(
            ManifestErrorKind::Schema,
            "`format` is missing or not a string",
        ));
    };
    let Some(format) = Format::from_name(name) else {
        return Err(ManifestError::new(
            ManifestErrorKind::FormatUnknown,
            format!("`{name}`"),
        ));
    };
    // 4. the format's schema. The bytes are strict and canonical, so serde_json reads them alike.
    // The tree is dropped while the validator's copy exists and parsed again after it, so that
    // the two never take memory at once (limits.md L43–L44).
    drop(value);
    let instance: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ManifestError::new(ManifestErrorKind::Json, e.to_string()))?;
    if let Some(error) = first_error(schemas.manifest(format), &instance) {
        return Err(ManifestError::new(ManifestErrorKind::Schema, error));
    }
    drop(instance);
    let value = parse_object(bytes, limits)?;
    let Value::Object(members) = &value else {
        return Err(not_an_object());
    };
    let manifest = typed(format, members, &value)?;
    // 6. artifacts sorted by path bytes, no duplicates.
    if manifest
        .artifacts
        .windows(2)
        .any(|w| matches!(w, [a, b] if a.path.as_bytes() >= b.path.as_bytes()))
    {
        return Err(ManifestError::new(
            ManifestErrorKind::Schema,
            "`artifacts` is not sorted by path bytes without duplicates",
        ));
    }
    // 7. a derived-looking bundle_id must match its derivation.
    if is_derived_form(&manifest.bundle_id) {
        let expected = derived_bundle_id(members).ok_or_else(|| {
            ManifestError::new(
                ManifestErrorKind::Schema,
                "a member of the bundle_id derivation is missing",
            )
        })?;
        if expected != manifest.bundle_id {
            return Err(ManifestError::new(
                ManifestErrorKind::BundleIdMismatch,
                format!("`{}` derives to `{expected}`", manifest.bundle_id),
            ));
        }
    }
    // 8. extension keys this format does not define: warnings, in key order.
    let findings = members
        .get("extensions")
        .and_then(Value::as_object)
        .map(|ext| {
            ext.keys()
                .filter(|k| !format.known_extensions().contains(k))
                .map(|k| ManifestCheck::UnknownExtension(k.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    Ok((manifest, findings))
}

/// `^b-[0-9a-f]{32}$`: the form of a derived `bundle_id` (bundle-v0.md §5.4).
pub(crate) fn is_derived_form(id: &str) -> bool {
    id.strip_prefix("b-").is_some_and(|hex| {
        hex.len() == 32 && hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// spec: bundle-v0.md §5.4 — `b-` + the first 32 hex digits of
/// SHA-256(JCS{change, created_at, format, merkle_root}) over the manifest's own members;
/// `None` when one of them is missing. The one derivation, used by the builder and the verifier.
pub(crate) fn derived_bundle_id(members: &Map) -> Option<String> {
    let mut input = Map::new();
    for name in ["change", "created_at", "format"] {
        input.insert(name, members.get(name)?.clone());
    }
    input.insert("merkle_root", members.get("merkle")?.get("root")?.clone());
    let hex = Sha256Digest::of(&jcs::to_vec(&Value::from(input))).to_hex();
    Some(format!("b-{}", hex.get(..32).unwrap_or_default()))
}

/// The typed view; the schema already guaranteed the shapes, so a miss here is a schema failure.
fn typed(format: Format, members: &Map, value: &Value) -> Result<Manifest, ManifestError> {
    let bad = |what: &str| {
        ManifestError::new(
            ManifestErrorKind::Schema,
            format!("`{what}` has an unexpected shape"),
        )
    };
    let text = |v: Option<&Value>, what: &str| {
        v.and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| bad(what))
    };
    let digest = |v: Option<&Value>, what: &str| {
        v.and_then(Value::as_str)
            .and_then(Sha256Digest::from_prefixed)
            .ok_or_else(|| bad(what))
    };
    let policy = members.get("policy");
    let approvals = members.get("approvals");
    let journal = members.get("journal");
    let merkle = members.get("merkle");
    let change = members.get("change").ok_or_else(|| bad("change"))?;
    let mut artifacts = Vec::new();
    for a in members
        .get("artifacts")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("artifacts"))?
    {
        artifacts.push(ArtifactRecord {
            path: text(a.get("path"), "artifacts[].path")?,
            sha256: a
                .get("sha256")
                .and_then(Value::as_str)
                .and_then(Sha256Digest::from_hex)
                .ok_or_else(|| bad("artifacts[].sha256"))?,
            size: a
                .get("size")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("artifacts[].size"))?,
        });
    }
    let mut entries = Vec::new();
    for e in approvals
        .and_then(|a| a.get("entries"))
        .and_then(Value::as_array)
        .ok_or_else(|| bad("approvals.entries"))?
    {
        entries.push(ApprovalEntry {
            file: text(e.get("file"), "approvals.entries[].file")?,
            digest: digest(e.get("digest"), "approvals.entries[].digest")?,
            nonce: text(e.get("nonce"), "approvals.entries[].nonce")?,
        });
    }
    let required = approvals
        .and_then(|a| a.get("required"))
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("approvals.required"))?;
    Ok(Manifest {
        format,
        bundle_id: text(members.get("bundle_id"), "bundle_id")?,
        created_at: text(members.get("created_at"), "created_at")?,
        change_digest: Sha256Digest::of(&jcs::to_vec(change)),
        policy_hash: policy
            .and_then(|p| p.get("hash"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        policy_required: policy
            .and_then(|p| p.get("required"))
            .and_then(Value::as_bool)
            .ok_or_else(|| bad("policy.required"))?,
        approvals_required: u8::try_from(required).map_err(|_| bad("approvals.required"))?,
        approvals: entries,
        artifacts,
        journal_head: digest(journal.and_then(|j| j.get("head")), "journal.head")?,
        journal_count: journal
            .and_then(|j| j.get("count"))
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("journal.count"))?,
        merkle_root: digest(merkle.and_then(|m| m.get("root")), "merkle.root")?,
        merkle_size: merkle
            .and_then(|m| m.get("size"))
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("merkle.size"))?,
        value: value.clone(),
    })
}
