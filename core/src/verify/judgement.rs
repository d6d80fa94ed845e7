//! Steps 8–11: trust and time (trust-v0.md §5–§7), approvals (approval-v0.md §5), the policy
//! hash (verdicts.md `policy.*`) and the risk score (risk-v1.md §6).

use super::container::{Loaded, MANIFEST};
use super::signatures::{Producer, Signed};
use super::{Sealed, UsageError, VerifyInputs};
use crate::approval::{check_approvals, ApprovalContext};
use crate::bundle::EntryClass;
use crate::digest::Sha256Digest;
use crate::format::Manifest;
use crate::limits::Limits;
use crate::risk;
use crate::time::Timestamp;
use crate::trust::judge::{trust_and_time, ProducerSignature};
use crate::trust::Trust;
use crate::verdict::{Check, Severity, Step};

/// The digest of a policy document: `sha256:` of the JCS of its JSON value. Strict JSON is
/// canonicalized as is; other text is read as the YAML subset of policy-v1.md §2 (so the
/// `.clyra/policy.yaml` file itself can be given).
///
/// `policy.file` when the bytes are neither (a host reports it with exit 4).
pub fn policy_digest(bytes: &[u8], limits: &Limits) -> Result<Sha256Digest, UsageError> {
    crate::policy::document_digest(bytes, limits).map_err(|e| {
        UsageError::new(
            "policy.file",
            format!("the policy is neither strict JSON nor the policy YAML subset: {e}"),
        )
    })
}

/// Step 8: the producer signatures that passed steps 6–7, judged by the trust and `at`.
pub(super) fn trust(
    signed: &Signed,
    sealed: &Sealed,
    inputs: &VerifyInputs<'_>,
    checks: &mut Vec<Check>,
) {
    trust_checks(
        &signed.producers,
        &sealed.created_at,
        inputs.trust,
        inputs.at,
        "signatures/",
        checks,
    );
}

/// Step 8 over `producers` (trust-v0.md §5–§6); `skipped` with subject `none_subject` when none
/// passed steps 6–7.
pub(crate) fn trust_checks(
    producers: &[Producer],
    created_at: &Timestamp,
    trust: &Trust,
    at: &Timestamp,
    none_subject: &str,
    checks: &mut Vec<Check>,
) {
    let signatures: Vec<ProducerSignature<'_>> = producers
        .iter()
        .map(|p| ProducerSignature {
            subject: &p.subject,
            keyid: &p.keyid,
            scheme: p.scheme,
            signed_at: &p.signed_at,
        })
        .collect();
    let found = trust_and_time(trust, created_at, at, &signatures);
    if signatures.is_empty() {
        checks.push(
            Check::new(Step::Trust, "skipped", Severity::Ok)
                .with_subject(none_subject)
                .with_message("no producer signature passed the keys and statement steps"),
        );
    }
    checks.extend(found);
}

/// Step 9: every approval the manifest lists, then approval files it does not list.
pub(super) fn approvals(
    loaded: &Loaded,
    signed: &Signed,
    sealed: &Sealed,
    first_event_at: Option<&Timestamp>,
    inputs: &VerifyInputs<'_>,
    checks: &mut Vec<Check>,
) {
    let files = loaded.files_of(EntryClass::Approval);
    // A journal whose line 0 has no valid `at` already failed; `created_at` then stands in.
    let first_event_at = first_event_at.unwrap_or(&sealed.created_at);
    let cx = ApprovalContext {
        manifest: &sealed.manifest,
        created_at: &sealed.created_at,
        first_event_at,
        at: inputs.at,
        trust: inputs.trust,
        producer_keyids: &signed.producer_keyids,
        keys: &signed.keys,
        schemas: inputs.schemas,
        limits: inputs.limits,
    };
    let start = checks.len();
    checks.extend(check_approvals(&cx, &files).checks);
    for name in loaded.of_class(EntryClass::Approval) {
        if !sealed.manifest.approvals.iter().any(|a| a.file == name) {
            checks.push(
                Check::new(Step::Approvals, "bundle.unexpected_entry", Severity::Fail)
                    .with_subject(name)
                    .with_message("an approval file the manifest does not list"),
            );
        }
    }
    if checks.len() == start {
        checks.push(
            Check::ok(Step::Approvals)
                .with_subject(MANIFEST)
                .with_message("no approvals required or given"),
        );
    }
}

/// Step 10: the given policy's hash against `policy.hash`, or whether one was needed.
pub(super) fn policy(manifest: &Manifest, inputs: &VerifyInputs<'_>, checks: &mut Vec<Check>) {
    let check = |code: &'static str, severity: Severity, message: String| {
        Check::new(Step::Policy, code, severity)
            .with_subject(MANIFEST)
            .with_message(message)
    };
    let recorded = manifest.policy_hash.as_deref();
    checks.push(match inputs.policy {
        Some(bytes) => match (policy_digest(bytes, inputs.limits), recorded) {
            (Ok(digest), Some(recorded)) if digest.to_prefixed() == recorded => check(
                "ok",
                Severity::Ok,
                format!("the given policy has the recorded hash {recorded}"),
            ),
            (Ok(digest), Some(recorded)) => check(
                "policy.hash_mismatch",
                Severity::Fail,
                format!(
                    "the given policy hashes to {}, the manifest records {recorded}",
                    digest.to_prefixed()
                ),
            ),
            (Ok(digest), None) => check(
                "policy.hash_mismatch",
                Severity::Fail,
                format!(
                    "a policy ({}) was given but the manifest records none",
                    digest.to_prefixed()
                ),
            ),
            (Err(e), _) => check("policy.hash_mismatch", Severity::Fail, e.to_string()),
        },
        None if manifest.policy_required => check(
            "policy.missing",
            Severity::Indeterminate,
            "the manifest requires a policy and none was given".into(),
        ),
        None => check(
            "policy.not_required",
            Severity::Ok,
            "no policy given and none required".into(),
        ),
    });
}

/// Step 11: the risk score recomputed from the recorded factors and weights.
pub(crate) fn risk(manifest: &Manifest, checks: &mut Vec<Check>) {
    let value = manifest
        .value
        .get("risk")
        .cloned()
        .unwrap_or(crate::jcs::Value::Null);
    checks.push(risk::check(&value));
}
