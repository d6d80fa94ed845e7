//! Approvals a builder seals into a bundle: their entries, and the rules it checks first.
//!
//! spec: approval-v0.md §3.3, §4 and §5.6 — approvals are signed before sealing; the builder
//! writes them as `approvals/0001.dsse.json`, … in the order given, records each file's digest
//! and nonce, and refuses any approval that breaks a rule a producer can check (§5 rules 1–11,
//! 15, 16), by running the verifier's own approvals step with every supplied approver key
//! trusted. The count of rule 17 is not a producer error: a bundle may record that a change ran
//! without the approvals its policy required (and the verifier will say so).

use std::collections::BTreeMap;

use super::error::{BuildError, BuildErrorKind as Kind};
use super::int;
use crate::approval::{check_approvals, ApprovalContext};
use crate::crypto::PublicKey;
use crate::digest::Sha256Digest;
use crate::dsse::Envelope;
use crate::error::Coded;
use crate::format::{Manifest, Schemas};
use crate::jcs::{self, Map, Value};
use crate::time::Timestamp;
use crate::trust::Trust;
use crate::verdict::Severity;
use crate::Limits;

/// One approval to seal: the envelope file exactly as the approver's tool returned it, and the
/// nonce the producer issued for it (approval-v0.md §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalFile {
    /// The envelope file's bytes.
    pub envelope: Vec<u8>,
    /// The nonce the producer issued for this approval.
    pub nonce: String,
}

/// An approval with its place in the bundle.
pub(crate) struct PreparedApproval {
    pub file: String,
    pub envelope: Vec<u8>,
    pub digest: Sha256Digest,
    pub nonce: String,
    pub signer: PublicKey,
}

/// Numbers the approvals, and finds each signer's public key among `approver_keys`.
pub(crate) fn prepare_approvals(
    approvals: Vec<ApprovalFile>,
    approver_keys: &[PublicKey],
    limits: &Limits,
) -> Result<Vec<PreparedApproval>, BuildError> {
    let max = limits.bundle_max_approvals;
    if approvals.len() > max {
        return Err(BuildError::new(
            Kind::Container,
            format!(
                "{} approvals are more than a bundle may hold ({max})",
                approvals.len()
            ),
        )
        .with_detail("zip.size_limit"));
    }
    let mut prepared = Vec::with_capacity(approvals.len());
    for (i, ApprovalFile { envelope, nonce }) in approvals.into_iter().enumerate() {
        let file = format!("approvals/{:04}.dsse.json", i + 1);
        // spec: approval-v0.md §5 rule 3 — a strict envelope with exactly one signature.
        let decoded = Envelope::decode(&envelope, limits).map_err(|e| {
            BuildError::new(Kind::Approval, format!("is not a DSSE envelope: {e}"))
                .with_detail(e.code())
                .with_subject(file.clone())
        })?;
        let [signature] = decoded.signatures.as_slice() else {
            return Err(
                BuildError::new(Kind::Approval, "must hold exactly one signature")
                    .with_detail("approval.signature")
                    .with_subject(file),
            );
        };
        let signer = approver_keys
            .iter()
            .find(|k| k.keyid() == signature.keyid)
            .cloned()
            .ok_or_else(|| {
                BuildError::new(
                    Kind::KeyMissing,
                    format!(
                        "is signed by `{}`, whose public key was not supplied",
                        signature.keyid
                    ),
                )
                .with_subject(file.clone())
            })?;
        prepared.push(PreparedApproval {
            digest: Sha256Digest::of(&envelope),
            file,
            envelope,
            nonce,
            signer,
        });
    }
    Ok(prepared)
}

/// The manifest's `approvals` block (bundle-v0.md §5.11).
pub(crate) fn approvals_block(required: &Value, approvals: &[PreparedApproval]) -> Value {
    let entries = approvals
        .iter()
        .map(|a| {
            let mut entry = Map::new();
            entry.insert("file", Value::from(a.file.as_str()));
            entry.insert("digest", Value::from(a.digest.to_prefixed()));
            entry.insert("nonce", Value::from(a.nonce.as_str()));
            Value::from(entry)
        })
        .collect::<Vec<_>>();
    let mut block = Map::new();
    block.insert("required", required.clone());
    block.insert("entries", Value::from(entries));
    Value::from(block)
}

/// Runs the approvals step of the verifier with the producers and approvers trusted, at the
/// sealing time, and refuses every `fail` but the count (rule 17).
pub(crate) fn check_producer_rules(
    manifest: &Manifest,
    first_event_at: &Timestamp,
    approvals: &[PreparedApproval],
    signers: &[PublicKey],
    schemas: &Schemas,
    limits: &Limits,
) -> Result<(), BuildError> {
    if approvals.is_empty() {
        return Ok(());
    }
    let created_at = Timestamp::parse(&manifest.created_at)
        .map_err(|e| BuildError::new(Kind::Time, e.to_string()).with_subject("created_at"))?;
    let producer_keyids: Vec<String> = signers.iter().map(|k| k.keyid().to_owned()).collect();
    let mut keys = BTreeMap::new();
    let mut trusted = Vec::new();
    for key in signers {
        trusted.extend(trust_entry(key, "producer"));
    }
    for a in approvals {
        if keys
            .insert(a.signer.keyid().to_owned(), a.signer.clone())
            .is_none()
            && !producer_keyids.iter().any(|k| k == a.signer.keyid())
        {
            trusted.extend(trust_entry(&a.signer, "approver"));
        }
    }
    let mut thresholds = Map::new();
    thresholds.insert("producer", int(1));
    let mut doc = Map::new();
    doc.insert("version", int(0));
    doc.insert("keys", Value::from(trusted));
    doc.insert("thresholds", Value::from(thresholds));
    let trust = Trust::parse(&jcs::to_vec(&Value::from(doc)), limits).map_err(|e| {
        BuildError::new(
            Kind::Signer,
            format!("the signing keys cannot be trusted: {e}"),
        )
    })?;
    let files = approvals
        .iter()
        .map(|a| (a.file.clone(), a.envelope.clone()))
        .collect::<BTreeMap<_, _>>();
    let cx = ApprovalContext {
        manifest,
        created_at: &created_at,
        first_event_at,
        at: &created_at,
        trust: &trust,
        producer_keyids: &producer_keyids,
        keys: &keys,
        schemas,
        limits,
    };
    let report = check_approvals(&cx, &files);
    let refused = report
        .checks
        .iter()
        .find(|c| c.severity() == Severity::Fail && c.code() != "approval.insufficient");
    match refused {
        None => Ok(()),
        Some(check) => {
            let mut error = BuildError::new(Kind::Approval, check.message().to_owned())
                .with_detail(check.code());
            if let Some(subject) = check.subject() {
                error = error.with_subject(subject.to_owned());
            }
            Err(error)
        }
    }
}

/// A trust-file key entry for `key` with one role; `None` for a key without an implied scheme
/// (RSA), which then stays untrusted.
fn trust_entry(key: &PublicKey, role: &str) -> Option<Value> {
    let scheme = key.implied_scheme()?;
    let mut entry = Map::new();
    entry.insert("keyid", Value::from(key.keyid()));
    entry.insert("scheme", Value::from(scheme.as_str()));
    entry.insert("public_key_pem", Value::from(key.to_pem()));
    entry.insert("roles", Value::from(vec![Value::from(role)]));
    Some(Value::from(entry))
}
