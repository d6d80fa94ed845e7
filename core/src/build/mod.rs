//! Building bundles: from a host's facts to one signed, deterministic evidence bundle.
//!
//! spec: bundle-v0.md §9 (the bundle spec input), §2–§6 (what is produced). The builder is pure:
//! it takes the spec as a value, artifacts as readers, approval envelopes as bytes, keys and the
//! signing time as inputs, and writes to a sink; it opens no file and reads no clock.
//!
//! [`build_bundle`] computes the journal (`seq`, `prev`, head), each artifact's SHA-256 and size,
//! the Merkle root, the risk score, the approval entries and the `bundle_id` (when the host gave
//! none), then checks what it made with the verifier's own steps — the manifest step, the journal
//! step and the approvals step (the rules a producer can check) — so that it never writes a
//! bundle its verifier rejects at those steps, signs one producer Statement per key and writes
//! the zip in the one order and layout bundle-v0 §2 allows. The same inputs give the same bytes.
//! [`co_sign`] adds one more producer signature to a finished bundle.

mod approvals;
mod artifacts;
mod cosign;
mod error;
mod journal;
mod sign;
mod spec;
mod typed;

pub use approvals::ApprovalFile;
pub use artifacts::{Artifact, ArtifactSource};
pub use cosign::{co_sign, co_sign_with};
pub use error::{BuildError, BuildErrorKind};
pub use spec::{BundleSpec, EventSpec};
pub use typed::{
    Change, DefAsset, DefBundle, DefRun, DefTest, PefBundle, PefOperation, PefThreat, Producer,
    RiskFactors, SpecBuilder,
};

use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};

use self::error::BuildErrorKind as Kind;
use crate::bundle::{deflate_allowed, ContainerWriter, Method, WriteError};
use crate::crypto::{PublicKey, Signer, SigningKey};
use crate::digest::Sha256Digest;
use crate::error::Coded;
use crate::format::{check_manifest, derived_bundle_id, ManifestCheck, Schemas};
use crate::jcs::{self, Map, Number, Value};
use crate::journal::{self as journal_check, JournalExpectation};
use crate::merkle::TreeBuilder;
use crate::risk::{self, RiskBlock, Weights};
use crate::time::Timestamp;
use crate::Limits;

/// Everything [`build_bundle`] seals besides the spec.
///
/// `S` is the producers' [`Signer`]: [`SigningKey`] by default, `dyn Signer` to mix key files,
/// tokens and commands.
#[derive(Debug)]
pub struct BuildInputs<'a, S: Signer + ?Sized = SigningKey> {
    /// The artifacts, in any order (the bundle sorts them by name).
    pub artifacts: Vec<Artifact<'a>>,
    /// The approval envelopes with their nonces, in the order they are numbered (`0001` first).
    pub approvals: Vec<ApprovalFile>,
    /// The public keys of the approval signers; each approval's signer must be among them.
    pub approver_keys: &'a [PublicKey],
    /// The producer keys: each signs one `signatures/` envelope. At least one.
    pub signers: &'a [&'a S],
    /// The signing time written into every producer Statement (`signed_at`), not before
    /// `created_at`.
    pub signed_at: &'a str,
}

/// What [`build_bundle`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildReport {
    /// The bundle's identifier, given or derived.
    pub bundle_id: String,
    /// SHA-256 of the `manifest.json` entry: what the producer Statements sign.
    pub manifest_digest: Sha256Digest,
    /// The Merkle root over the journal lines and artifact records.
    pub merkle_root: Sha256Digest,
    /// The digest of the last journal line.
    pub journal_head: Sha256Digest,
    /// The risk score computed from the recorded factors and weights.
    pub risk_score: u64,
    /// The entry names, in the order written.
    pub entries: Vec<String>,
    /// `extensions` keys the format does not define: the verifier reports each as
    /// `manifest.unknown_extension` (warn).
    pub unknown_extensions: Vec<String>,
}

/// Builds one bundle from `spec` and `inputs` into `sink`, starting at its offset 0.
///
/// Artifacts are read twice, streamed (a hash pass, then a write pass that checks the CRC-32 of
/// what it copies against the first pass); see [`Artifact`]. Errors carry a `build.*` code;
/// after an error the sink holds no usable bundle.
pub fn build_bundle<W: Read + Write + Seek, S: Signer + ?Sized>(
    spec: &BundleSpec,
    inputs: BuildInputs<'_, S>,
    sink: W,
    limits: &Limits,
) -> Result<BuildReport, BuildError> {
    let schemas = Schemas::new().map_err(|e| BuildError::new(Kind::Manifest, e.to_string()))?;
    build_bundle_with(spec, inputs, sink, limits, &schemas)
}

/// [`build_bundle`] with the JSON Schemas compiled once by the caller (`Schemas::new`), for hosts
/// that seal many bundles (the gateway seals a window every few seconds; compiling the schemas
/// was a tenth of its sealing time).
pub fn build_bundle_with<W: Read + Write + Seek, S: Signer + ?Sized>(
    spec: &BundleSpec,
    inputs: BuildInputs<'_, S>,
    sink: W,
    limits: &Limits,
    schemas: &Schemas,
) -> Result<BuildReport, BuildError> {
    let BuildInputs {
        artifacts,
        approvals,
        approver_keys,
        signers,
        signed_at,
    } = inputs;
    let signer_keys: Vec<PublicKey> = signers.iter().map(|s| s.public_key().clone()).collect();
    check_signers(&signer_keys, limits)?;
    let signed = Timestamp::parse(signed_at).map_err(|e| {
        BuildError::new(
            Kind::Time,
            format!("`{signed_at}` is not a valid timestamp: {e}"),
        )
        .with_subject("signed_at")
    })?;
    // spec: trust-v0.md — a signature made before the bundle was sealed is INVALID.
    if signed < *spec.created_at() {
        return Err(BuildError::new(
            Kind::Time,
            format!(
                "signed_at `{signed_at}` is before created_at `{}`",
                spec.created_at().as_str()
            ),
        )
        .with_subject("signed_at"));
    }
    // A producer key signing an approval is found too, to be refused with the right code.
    let known: Vec<PublicKey> = approver_keys
        .iter()
        .chain(signer_keys.iter())
        .cloned()
        .collect();
    let approvals = approvals::prepare_approvals(approvals, &known, limits)?;
    if let Some(a) = approvals
        .iter()
        .find(|a| signer_keys.iter().any(|k| k.keyid() == a.signer.keyid()))
    {
        return Err(BuildError::new(
            Kind::Signer,
            "is signed by a producer key; a key holds one role per bundle",
        )
        .with_subject(a.file.clone()));
    }

    // The journal, checked as the verifier's journal step will check it.
    let journal = journal::build_journal(spec.journal());
    let head = journal.head.to_prefixed();
    let count = journal.lines.len() as u64;
    let report = journal_check::verify(
        &journal.bytes,
        &JournalExpectation {
            created_at: spec.created_at(),
            head: &head,
            count,
        },
        limits,
    );
    if !report.is_ok() {
        let check = report.check();
        let mut error =
            BuildError::new(Kind::Journal, check.message().to_owned()).with_detail(check.code());
        if let Some(subject) = check.subject() {
            error = error.with_subject(subject.to_owned());
        }
        return Err(error);
    }

    // Artifacts: the hash pass (bundle-v0 §4.1, §5.13).
    let mut artifacts = artifacts::hash_artifacts(artifacts, spec.media_types(), limits)?;
    let mut tree = TreeBuilder::new();
    for line in &journal.lines {
        tree.push_leaf(line);
    }
    let mut records = Vec::with_capacity(artifacts.len());
    for a in &artifacts {
        let mut record = Map::new();
        record.insert("path", Value::from(a.path.as_str()));
        record.insert("sha256", Value::from(a.sha256.to_hex()));
        record.insert("size", int(a.size));
        tree.push_leaf(&jcs::to_vec(&Value::from(record.clone())));
        if let Some(media_type) = &a.media_type {
            record.insert("media_type", Value::from(media_type.as_str()));
        }
        records.push(Value::from(record));
    }
    let merkle_root = Sha256Digest::from_bytes(tree.root());

    // The manifest (bundle-v0 §5).
    let (risk_block, risk_score) = risk_block(spec)?;
    let mut manifest = spec.members().clone();
    manifest.insert("format", Value::from(spec.format().as_str()));
    manifest.insert("created_at", Value::from(spec.created_at().as_str()));
    manifest.insert("risk", risk_block);
    manifest.insert(
        "approvals",
        approvals::approvals_block(spec.approvals_required(), &approvals),
    );
    manifest.insert("artifacts", Value::from(records));
    let mut journal_block = Map::new();
    journal_block.insert("count", int(count));
    journal_block.insert("head", Value::from(head.as_str()));
    manifest.insert("journal", Value::from(journal_block));
    let mut merkle = Map::new();
    merkle.insert("root", Value::from(merkle_root.to_prefixed()));
    merkle.insert("size", int(tree.len()));
    manifest.insert("merkle", Value::from(merkle));
    let bundle_id = match spec.bundle_id() {
        Some(id) => id.to_owned(),
        None => derived_bundle_id(&manifest).ok_or_else(|| {
            BuildError::new(
                Kind::Manifest,
                "a member of the bundle_id derivation is missing",
            )
        })?,
    };
    manifest.insert("bundle_id", Value::from(bundle_id.as_str()));
    let manifest_bytes = jcs::to_vec(&Value::from(manifest));

    // The builder's own output must pass the manifest step.
    let (checked, findings) = check_manifest(&manifest_bytes, schemas, limits).map_err(|e| {
        BuildError::new(
            Kind::Manifest,
            format!("the manifest would be rejected: {e}"),
        )
        .with_detail(e.code())
        .with_subject("manifest.json")
    })?;
    let first_at = spec
        .journal()
        .first()
        .map(|e| e.at.clone())
        .unwrap_or_else(|| spec.created_at().clone());
    approvals::check_producer_rules(
        &checked,
        &first_at,
        &approvals,
        &signer_keys,
        schemas,
        limits,
    )?;

    // Keys and producer envelopes.
    let manifest_digest = Sha256Digest::of(&manifest_bytes);
    let binding = sign::Binding {
        format: spec.format(),
        manifest_digest,
        bundle_id: &bundle_id,
        merkle_root: merkle_root.to_prefixed(),
        journal_head: head.clone(),
        signed_at,
    };
    let mut keys = BTreeMap::new();
    let mut signatures = BTreeMap::new();
    for key in signers {
        keys.insert(sign::key_entry(key.public_key()), key.public_key().to_pem());
        let envelope = sign::producer_envelope(&binding, *key).map_err(|e| {
            BuildError::new(Kind::Signer, format!("could not sign: {e}"))
                .with_detail(e.code())
                .with_subject(key.public_key().keyid().to_owned())
        })?;
        signatures.insert(sign::signature_entry(key.public_key()), envelope);
    }
    for a in &approvals {
        keys.insert(sign::key_entry(&a.signer), a.signer.to_pem());
    }

    // The zip, in bundle-v0 §2.1.4 order.
    let mut writer = ContainerWriter::new(sink, limits);
    let mut entries = Vec::new();
    add(&mut writer, &mut entries, "manifest.json", &manifest_bytes)?;
    add(&mut writer, &mut entries, "journal.ndjson", &journal.bytes)?;
    for a in &mut artifacts {
        let method = method_for(&a.path);
        let written = writer
            .add_entry_unhashed(&a.path, method, &mut a.source)
            .map_err(|e| write_error(e, &a.path))?;
        if written.size != a.size || written.crc32 != a.crc32 {
            return Err(BuildError::new(
                Kind::ArtifactChanged,
                "changed between the hash pass and the write pass",
            )
            .with_subject(a.path.clone()));
        }
        entries.push(a.path.clone());
    }
    for (name, pem) in &keys {
        add(&mut writer, &mut entries, name, pem.as_bytes())?;
    }
    for a in &approvals {
        add(&mut writer, &mut entries, &a.file, &a.envelope)?;
    }
    for (name, envelope) in &signatures {
        add(&mut writer, &mut entries, name, envelope)?;
    }
    writer.finish().map_err(|e| write_error(e, ""))?;
    Ok(BuildReport {
        bundle_id,
        manifest_digest,
        merkle_root,
        journal_head: journal.head,
        risk_score,
        entries,
        unknown_extensions: findings
            .into_iter()
            .map(|ManifestCheck::UnknownExtension(key)| key)
            .collect(),
    })
}

/// A JSON integer (sizes and counts stay far below 2^53).
pub(crate) fn int(n: u64) -> Value {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    Value::Number(Number::from_i64(n).unwrap_or(Number::from(0u32)))
}

/// The stored or deflated method a builder uses for an entry: deflate wherever it is allowed.
pub(crate) fn method_for(name: &str) -> Method {
    if deflate_allowed(name) {
        Method::Deflated
    } else {
        Method::Stored
    }
}

/// At least one producer key, no key twice, no more than a bundle holds.
fn check_signers(signers: &[PublicKey], limits: &Limits) -> Result<(), BuildError> {
    if signers.is_empty() {
        return Err(BuildError::new(
            Kind::Signer,
            "a bundle needs at least one producer key",
        ));
    }
    if signers.len() > limits.bundle_max_signatures {
        return Err(BuildError::new(
            Kind::Signer,
            format!(
                "{} producer keys are more than a bundle may hold ({})",
                signers.len(),
                limits.bundle_max_signatures
            ),
        ));
    }
    for (i, key) in signers.iter().enumerate() {
        let keyid = key.keyid();
        if signers.iter().take(i).any(|k| k.keyid() == keyid) {
            return Err(
                BuildError::new(Kind::Signer, "is given twice as a producer key")
                    .with_subject(keyid.to_owned()),
            );
        }
    }
    Ok(())
}

/// The `risk/v1` block of the spec's factors and weights (the defaults when absent), with its
/// score (risk-v1.md §4), checked as the verifier's risk step parses it.
fn risk_block(spec: &BundleSpec) -> Result<(Value, u64), BuildError> {
    let weights = spec
        .weights()
        .cloned()
        .unwrap_or_else(|| weights_value(&risk::default_weights()));
    let mut block = Map::new();
    block.insert("algorithm", Value::from(risk::ALGORITHM));
    block.insert("weights", weights);
    block.insert("factors", spec.factors().clone());
    block.insert("score", int(0));
    let parsed = RiskBlock::parse(&Value::from(block.clone())).map_err(|e| {
        BuildError::new(
            Kind::SpecSchema,
            format!("the risk block is not valid: {e}"),
        )
        .with_detail(e.code())
        .with_subject("risk")
    })?;
    let score = risk::score(parsed.weights(), parsed.factors());
    block.insert("score", int(score));
    Ok((Value::from(block), score))
}

/// The eleven `risk/v1` weights as JSON.
fn weights_value(w: &Weights) -> Value {
    let pairs = [
        ("approval_bypassed", w.approval_bypassed),
        ("first_time_actor", w.first_time_actor),
        ("magnitude_config", w.magnitude_config),
        ("magnitude_data", w.magnitude_data),
        ("magnitude_schema", w.magnitude_schema),
        ("off_hours", w.off_hours),
        ("production", w.production),
        ("sql_finding", w.sql_finding),
        ("threat", w.threat),
        ("violation_critical", w.violation_critical),
        ("violation_warning", w.violation_warning),
    ];
    Value::from(
        pairs
            .into_iter()
            .map(|(name, n)| (name, int(n)))
            .collect::<Map>(),
    )
}

/// Writes one in-memory entry with the builder's method for its name.
fn add<W: Read + Write + Seek>(
    writer: &mut ContainerWriter<W>,
    entries: &mut Vec<String>,
    name: &str,
    bytes: &[u8],
) -> Result<(), BuildError> {
    writer
        .add_entry(name, method_for(name), bytes)
        .map_err(|e| write_error(e, name))?;
    entries.push(name.to_owned());
    Ok(())
}

pub(crate) fn write_error(error: WriteError, name: &str) -> BuildError {
    let built = match error {
        WriteError::Container(e) => BuildError::new(
            Kind::Container,
            format!("the container refused an entry: {e}"),
        )
        .with_detail(e.code()),
        WriteError::Io(e) => BuildError::new(Kind::Io, format!("cannot write the bundle: {e}")),
    };
    if name.is_empty() {
        built
    } else {
        built.with_subject(name)
    }
}
