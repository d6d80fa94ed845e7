//! What is inside a bundle, for people: a JSON summary of the manifest, journal, signers,
//! approvals, risk and (DEF) schema deltas. Informative only: nothing here is verified — run
//! [`crate::verify::verify_bundle`] for a verdict.

use std::collections::BTreeMap;
use std::io::{Read, Seek};

use crate::bundle::{Container, ContainerError, EntryClass};
use crate::dsse::Envelope;
use crate::error::Coded;
use crate::jcs::{self, Map, Number, Value};
use crate::journal;
use crate::limits::Limits;

/// A bundle that cannot be summarized: its container or `manifest.json` cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({code})")]
pub struct InspectError {
    code: &'static str,
    message: String,
}

impl Coded for InspectError {
    /// A `zip.*` / `bundle.*` code, or `manifest.json`.
    fn code(&self) -> &'static str {
        self.code
    }
}

impl From<ContainerError> for InspectError {
    fn from(e: ContainerError) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

fn integer(n: u64) -> Value {
    i64::try_from(n)
        .ok()
        .and_then(Number::from_i64)
        .map_or(Value::Null, Value::from)
}

fn pick(from: Option<&Value>, keys: &[&str]) -> Value {
    let mut m = Map::new();
    for key in keys {
        if let Some(v) = from.and_then(|f| f.get(key)) {
            m.insert(*key, v.clone());
        }
    }
    Value::from(m)
}

/// The summary of the bundle of `len` bytes in `bundle`, as a JSON object with members
/// `format`, `bundle_id`, `created_at`, `change`, `artifacts` (path, size), `journal` (count,
/// kinds with counts), `signers` (keyid, scheme, signed_at), `approvals` (file, sso_sub,
/// approved_at, expires_at), `risk` (score, factors) and, for DEF, `schema_deltas` (asset,
/// columns added, removed, changed).
pub fn inspect<R: Read + Seek>(
    bundle: R,
    len: u64,
    limits: &Limits,
) -> Result<Value, InspectError> {
    let mut container = Container::open(bundle, len, limits)?;
    let entries = container.entries().to_vec();
    let mut small = BTreeMap::new();
    for (index, entry) in entries.iter().enumerate() {
        let max = match EntryClass::of(&entry.name) {
            Some(EntryClass::Manifest) => limits.bundle_max_manifest_bytes,
            Some(EntryClass::Journal) => limits.bundle_max_journal_bytes,
            Some(EntryClass::Approval | EntryClass::Signature) => {
                limits.dsse_max_envelope_bytes as u64
            }
            _ => continue,
        };
        if entry.uncompressed_size <= max {
            small.insert(entry.name.clone(), container.read_small_entry(index, max)?);
        }
    }
    let manifest_bytes = small.get("manifest.json").ok_or_else(|| InspectError {
        code: "bundle.missing_entry",
        message: "manifest.json is missing".into(),
    })?;
    let manifest = jcs::parse(manifest_bytes, limits).map_err(|e| InspectError {
        code: "manifest.json",
        message: format!("manifest.json is not strict JSON: {e}"),
    })?;
    let mut out = Map::new();
    for key in ["format", "bundle_id", "created_at"] {
        out.insert(key, manifest.get(key).cloned().unwrap_or(Value::Null));
    }
    out.insert(
        "change",
        pick(
            manifest.get("change"),
            &[
                "subject",
                "kind",
                "actor",
                "deployer",
                "environment",
                "summary",
            ],
        ),
    );
    let artifacts: Vec<Value> = manifest
        .get("artifacts")
        .and_then(Value::as_array)
        .unwrap_or_default()
        .iter()
        .map(|a| pick(Some(a), &["path", "size", "media_type"]))
        .collect();
    out.insert("artifacts", Value::from(artifacts));

    // Journal: count and kinds.
    let journal_bytes = small
        .get("journal.ndjson")
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    let mut count = 0u64;
    for line in journal::lines(journal_bytes) {
        count += 1;
        let kind = jcs::parse(line, limits)
            .ok()
            .and_then(|e| e.get("kind").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| "(unreadable)".to_owned());
        *kinds.entry(kind).or_default() += 1;
    }
    let mut journal = Map::new();
    journal.insert("count", integer(count));
    journal.insert(
        "kinds",
        Value::from(
            kinds
                .into_iter()
                .map(|(k, n)| (k, integer(n)))
                .collect::<Map>(),
        ),
    );
    out.insert("journal", Value::from(journal));

    // Signers and approvals, from their envelopes' payloads.
    let payload_of = |bytes: &[u8]| -> Option<(String, Value)> {
        let env = Envelope::decode(bytes, limits).ok()?;
        let keyid = env.signatures.first()?.keyid.clone();
        Some((keyid, jcs::parse(&env.payload, limits).ok()?))
    };
    let mut signers = Vec::new();
    let mut approvals = Vec::new();
    for (name, bytes) in &small {
        let class = EntryClass::of(name);
        if !matches!(class, Some(EntryClass::Signature | EntryClass::Approval)) {
            continue;
        }
        let mut m = Map::new();
        m.insert("file", Value::from(name.as_str()));
        match payload_of(bytes) {
            Some((keyid, payload)) => {
                m.insert("keyid", Value::from(keyid));
                if class == Some(EntryClass::Signature) {
                    let predicate = payload.get("predicate");
                    for key in ["scheme", "signed_at", "role"] {
                        if let Some(v) = predicate.and_then(|p| p.get(key)) {
                            m.insert(key, v.clone());
                        }
                    }
                } else {
                    for key in [
                        "sso_sub",
                        "idp_domain",
                        "mfa_verified",
                        "approved_at",
                        "expires_at",
                    ] {
                        if let Some(v) = payload.get(key) {
                            m.insert(key, v.clone());
                        }
                    }
                }
            }
            None => {
                m.insert("error", Value::from("the envelope does not decode"));
            }
        }
        if class == Some(EntryClass::Signature) {
            signers.push(Value::from(m));
        } else {
            approvals.push(Value::from(m));
        }
    }
    out.insert("signers", Value::from(signers));
    let mut approvals_block = Map::new();
    approvals_block.insert(
        "required",
        manifest
            .get("approvals")
            .and_then(|a| a.get("required"))
            .cloned()
            .unwrap_or(Value::Null),
    );
    approvals_block.insert("entries", Value::from(approvals));
    out.insert("approvals", Value::from(approvals_block));
    out.insert("risk", pick(manifest.get("risk"), &["score", "factors"]));

    // DEF schema deltas: assets with columns added, removed or changed.
    if let Some(assets) = manifest
        .get("def")
        .and_then(|d| d.get("assets"))
        .and_then(Value::as_array)
    {
        let deltas: Vec<Value> = assets
            .iter()
            .filter(|a| {
                ["columns_added", "columns_removed", "columns_changed"]
                    .iter()
                    .any(|k| a.get(k).is_some())
            })
            .map(|a| {
                pick(
                    Some(a),
                    &[
                        "id",
                        "relation",
                        "change",
                        "columns_added",
                        "columns_removed",
                        "columns_changed",
                    ],
                )
            })
            .collect();
        out.insert("schema_deltas", Value::from(deltas));
    }
    Ok(Value::from(out))
}
