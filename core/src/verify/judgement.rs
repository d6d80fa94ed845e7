//! Steps 8–11: trust and time (trust-v0.md §5–§7), approvals (approval-v0.md §5), the policy
//! hash (verdicts.md `policy.*`) and the risk score (risk-v1.md §6).

use super::container::{Loaded, MANIFEST};
use super::signatures::{Producer, Signed};
use super::{Sealed, UsageError, VerifyInputs};
use crate::approval::{check_approvals, ApprovalContext};
use crate::bundle::EntryClass;
use crate::digest::Sha256Digest;
use crate::error::Coded;
use crate::format::Manifest;
use crate::limits::Limits;
use crate::policy::{GivenPolicy, PolicyError};
use crate::risk;
use crate::time::Timestamp;
use crate::trust::judge::{trust_and_time, ProducerSignature, Witnessed};
use crate::trust::Trust;
use crate::verdict::{Check, Severity, Step};

/// Reads a policy file given to a verifier (policy-v1.md §1.3): at most L36 bytes, no
/// byte-order mark, strict JSON (or the YAML subset of §2, so `.clyra/policy.yaml` itself can be
/// given), valid against `policy-v1.schema.json`.
///
/// `policy.file` with the failing rule's code as detail (`policy.too_large`, `policy.bom`,
/// `policy.yaml`, `policy.yaml_subset`, `policy.schema`); a host reports it with exit 4.
pub fn read_policy(bytes: &[u8], limits: &Limits) -> Result<GivenPolicy, UsageError> {
    crate::policy::read_given(bytes, limits).map_err(|e| {
        UsageError::new("policy.file", format!("the policy file is unusable: {e}"))
            .with_detail(e.code())
    })
}

/// The digest of a policy file as [`read_policy`] reads it: `sha256:` of the JCS of its value.
pub fn policy_digest(bytes: &[u8], limits: &Limits) -> Result<Sha256Digest, UsageError> {
    read_policy(bytes, limits).map(|given| given.hash)
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
        inputs.witnessed,
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
    witnessed: Option<&Witnessed>,
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
    let found = trust_and_time(trust, created_at, at, &signatures, witnessed);
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

/// Step 10: the given policy's hash against `policy.hash`, or whether one was needed. `given` is
/// the policy file as read by [`crate::policy::read_given`], when the caller gave one.
pub(super) fn policy(
    manifest: &Manifest,
    given: Option<&Result<GivenPolicy, PolicyError>>,
    checks: &mut Vec<Check>,
) {
    let check = |code: &'static str, severity: Severity, message: String| {
        Check::new(Step::Policy, code, severity)
            .with_subject(MANIFEST)
            .with_message(message)
    };
    let recorded = manifest.policy_hash.as_deref();
    checks.push(match given {
        Some(read) => match (read.as_ref().map(|g| g.hash), recorded) {
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
            // A library caller's unusable policy; hosts refuse it first (`policy.file`).
            (Err(e), _) => check(
                "policy.hash_mismatch",
                Severity::Fail,
                format!("the policy file is unusable: {e}"),
            ),
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

/// Step 11: the risk score recomputed from the recorded factors and weights, then, when a usable
/// policy was given (`policy_weights`), the recorded weights against the policy's (risk-v1.md §6.1).
pub(crate) fn risk(
    manifest: &Manifest,
    policy_weights: Option<&risk::Weights>,
    checks: &mut Vec<Check>,
) {
    let value = manifest
        .value
        .get("risk")
        .cloned()
        .unwrap_or(crate::jcs::Value::Null);
    checks.extend(risk::check_with_policy(&value, policy_weights));
}
