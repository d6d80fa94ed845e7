//! Bundle verification: the eleven steps of bundle-v0.md §7 over one byte string, as a verdict.
//!
//! spec: bundle-v0.md §7, verdicts.md §1–§3. [`verify_bundle`] runs container, manifest,
//! artifacts, journal, Merkle, keys and envelopes, statement, trust and time, approvals, policy
//! and risk in that order, recording every check; a container or manifest failure stops the run
//! and the later steps are recorded as `skipped`. Any byte string yields a [`Verdict`], never an
//! error or a panic (DESIGN §8). Only unusable *arguments* — a trust file, a policy file, a
//! verification time — are errors, and only in [`verify_bundle_bytes`], the JSON/FFI-ready entry.

pub(crate) mod container;
pub(crate) mod content;
mod hasher;
pub(crate) mod judgement;
pub(crate) mod signatures;
mod text;

use std::io::{Cursor, Read, Seek};

use crate::error::Coded;
use crate::format::{Manifest, Schemas};
use crate::jcs::{self, Map, Value};
use crate::limits::Limits;
use crate::time::Timestamp;
use crate::trust::Trust;
use crate::verdict::{exit_code, primary_code, Check, Outcome, Severity, Step};

pub use hasher::{crc32_update, ArtifactHasher, HostDigest, HostDigests};
pub use judgement::{policy_digest, read_policy};

/// Everything a verification needs besides the bundle: all inputs, no clock.
#[derive(Debug, Clone, Copy)]
pub struct VerifyInputs<'a> {
    /// The verifier's trusted keys and producer threshold.
    pub trust: &'a Trust,
    /// The verification time: evidence is judged as of this instant.
    pub at: &'a Timestamp,
    /// The policy file's bytes, when the caller gives one: read as policy-v1.md §1.3 says
    /// ([`read_policy`]), its hash compared with the manifest's `policy.hash` (step 10) and its
    /// risk weights with the recorded ones (step 11).
    pub policy: Option<&'a [u8]>,
    /// Compiled schemas.
    pub schemas: &'a Schemas,
    /// Bounds for every parser.
    pub limits: &'a Limits,
    /// What a ledger receipt given with the bundle proves about its time (trust-v0.md §6.5,
    /// rule 5a; [`crate::ledger::witness::witnessed`]); `None` without a receipt.
    pub witnessed: Option<&'a crate::trust::Witnessed>,
}

/// The result of verifying a bundle (verdicts.md §1–§3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The worst severity present, mapped to an outcome.
    pub outcome: Outcome,
    /// The code of the first check with the worst severity (`ok` for a clean VALID).
    pub primary: &'static str,
    /// The process exit code: 0, 1, 2 or 3.
    pub exit: u8,
    /// Every check, in pipeline order.
    pub checks: Vec<Check>,
    /// The steps this verdict does not cover: empty for a bundle; for a receipt
    /// [`crate::receipt::NOT_COVERED`] (verdicts.md §3.2), printed as `not_covered`.
    pub not_covered: &'static [&'static str],
}

impl Verdict {
    /// The verdict of `checks`, by verdicts.md §1.2–§1.4.
    pub fn from_checks(checks: Vec<Check>) -> Self {
        Self {
            outcome: Outcome::of(&checks),
            primary: primary_code(&checks),
            exit: exit_code(&checks),
            checks,
            not_covered: &[],
        }
    }

    /// The verdict of a receipt's `checks`: [`Verdict::from_checks`] with `not_covered` set to
    /// the steps a receipt cannot run (receipt-v0.md §1.2, verdicts.md §3.2).
    pub fn of_receipt(checks: Vec<Check>) -> Self {
        Self {
            not_covered: &crate::receipt::NOT_COVERED,
            ..Self::from_checks(checks)
        }
    }

    /// The verdict JSON of verdicts.md §3, in canonical form (no trailing newline):
    /// `{"checks":[{"code","message","severity","step","subject"?}…],"exit","not_covered"?,"outcome","primary"}`.
    /// `subject` is present only when the check has one; `not_covered` only for a receipt (§3.2).
    pub fn to_json(&self) -> Vec<u8> {
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|c| {
                let mut m = Map::new();
                m.insert("step", Value::from(c.step().as_str()));
                m.insert("code", Value::from(c.code()));
                m.insert("severity", Value::from(c.severity().as_str()));
                if let Some(subject) = c.subject() {
                    m.insert("subject", Value::from(subject));
                }
                m.insert("message", Value::from(c.message()));
                Value::from(m)
            })
            .collect();
        let mut top = Map::new();
        top.insert("outcome", Value::from(self.outcome.as_str()));
        top.insert("primary", Value::from(self.primary));
        top.insert("exit", Value::from(u32::from(self.exit)));
        top.insert("checks", Value::from(checks));
        if !self.not_covered.is_empty() {
            let steps: Vec<Value> = self.not_covered.iter().map(|s| Value::from(*s)).collect();
            top.insert("not_covered", Value::from(steps));
        }
        jcs::to_vec(&Value::from(top))
    }
}

/// Verification could not run: an argument is unusable (exit 4; never a verdict).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({code})")]
pub struct UsageError {
    code: &'static str,
    message: String,
    detail: Option<&'static str>,
}

impl UsageError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            detail: None,
        }
    }

    /// Adds the code of the rule that failed (conformance.md §6.6 `detail`).
    #[must_use]
    pub(crate) fn with_detail(mut self, detail: &'static str) -> Self {
        self.detail = Some(detail);
        self
    }

    /// What was wrong, in words.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The code of the rule that failed, when the spec names one: for `policy.file`, the
    /// policy-v1.md §1.3 rule (`policy.too_large`, `policy.bom`, `policy.schema`, …).
    pub fn detail(&self) -> Option<&'static str> {
        self.detail
    }
}

impl Coded for UsageError {
    /// `trust.file`, `policy.file` or `cli.usage` (a verification time that is not a timestamp).
    fn code(&self) -> &'static str {
        self.code
    }
}

/// Verifies the bundle of `len` bytes in `source` (bundle-v0.md §7).
///
/// Reads each entry once; artifacts are streamed, so memory does not grow with their size.
/// A source that cannot be read is reported as the container check being made.
pub fn verify_bundle<R: Read + Seek>(source: R, len: u64, inputs: &VerifyInputs<'_>) -> Verdict {
    verify_bundle_with_evidence(source, len, inputs).0
}

/// What an auditor view reads besides the checks: the manifest that passed the manifest step and
/// the approval payloads as recorded. Informative only: it never changes a verdict.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// The manifest JSON, when the manifest step passed.
    pub manifest: Option<Value>,
    /// One record per approval entry of the manifest, in file order.
    pub approvals: Vec<ApprovalRecord>,
}

/// An approval payload as recorded in its envelope (decoded, not judged: the approvals step's
/// checks for the same `file` say whether it counted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovalRecord {
    /// The envelope file, `approvals/NNNN.dsse.json`.
    pub file: String,
    /// The approver's `sso_sub`, when the payload decodes and has one.
    pub sso_sub: Option<String>,
    /// `approved_at`, when present.
    pub approved_at: Option<String>,
    /// `mfa_verified`, when present.
    pub mfa_verified: Option<bool>,
}

/// [`verify_bundle`], also returning the [`Evidence`] an auditor view needs. The verdict is the
/// one `verify_bundle` gives for the same inputs.
pub fn verify_bundle_with_evidence<R: Read + Seek>(
    source: R,
    len: u64,
    inputs: &VerifyInputs<'_>,
) -> (Verdict, Evidence) {
    verify_bundle_hashed(source, len, inputs, None)
}

/// [`verify_bundle_with_evidence`] with the artifacts' data read out by the host's `hasher`
/// (for example on several threads), or by the core in place when `None`. The verdict is the one
/// the core gives without a hasher, provided the hasher reads the same bytes as `source`.
pub fn verify_bundle_hashed<R: Read + Seek>(
    source: R,
    len: u64,
    inputs: &VerifyInputs<'_>,
    hasher: Option<&dyn ArtifactHasher>,
) -> (Verdict, Evidence) {
    let mut checks = Vec::new();
    let mut evidence = Evidence::default();
    run(source, len, inputs, hasher, &mut checks, &mut evidence);
    (Verdict::from_checks(checks), evidence)
}

/// Decodes each listed approval envelope's payload (without judging it) for the auditor view.
fn approval_records(
    loaded: &container::Loaded,
    manifest: &Manifest,
    limits: &Limits,
) -> Vec<ApprovalRecord> {
    manifest
        .approvals
        .iter()
        .map(|entry| {
            let payload = loaded
                .bytes(&entry.file)
                .and_then(|b| crate::dsse::Envelope::decode(b, limits).ok())
                .and_then(|e| jcs::parse(&e.payload, limits).ok());
            let text = |k: &str| {
                payload
                    .as_ref()
                    .and_then(|p| p.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            ApprovalRecord {
                file: entry.file.clone(),
                sso_sub: text("sso_sub"),
                approved_at: text("approved_at"),
                mfa_verified: payload
                    .as_ref()
                    .and_then(|p| p.get("mfa_verified"))
                    .and_then(Value::as_bool),
            }
        })
        .collect()
}

/// Verifies `bytes` as a bundle against a trust file (`trust_bytes`, either form of trust-v0.md),
/// at the timestamp `at`, with an optional policy document: the JSON/FFI-ready entry point.
///
/// Errors only when verification cannot run: `trust.file`, `policy.file` (policy-v1.md §1.3), or
/// `cli.usage` (`at` is not a timestamp). Every bundle byte string yields a verdict.
pub fn verify_bundle_bytes(
    bytes: &[u8],
    trust_bytes: &[u8],
    at: &str,
    policy: Option<&[u8]>,
) -> Result<Verdict, UsageError> {
    let limits = Limits::default();
    let trust = Trust::parse(trust_bytes, &limits)
        .map_err(|e| UsageError::new("trust.file", e.to_string()))?;
    let at = Timestamp::parse(at).map_err(|e| {
        UsageError::new(
            "cli.usage",
            format!("`{at}` is not a timestamp (YYYY-MM-DDThh:mm:ssZ): {e}"),
        )
    })?;
    if let Some(policy) = policy {
        policy_digest(policy, &limits)?;
    }
    // The schemas are embedded; failing to compile them is a build defect, reported as such.
    let schemas = Schemas::new().map_err(|e| UsageError::new("cli.usage", e.to_string()))?;
    let inputs = VerifyInputs {
        trust: &trust,
        at: &at,
        policy,
        schemas: &schemas,
        limits: &limits,
        witnessed: None,
    };
    Ok(verify_bundle(
        Cursor::new(bytes),
        bytes.len() as u64,
        &inputs,
    ))
}

/// The steps after the container, in pipeline order (verdicts.md §2).
const LATER_STEPS: [Step; 10] = [
    Step::Manifest,
    Step::Artifacts,
    Step::Journal,
    Step::Merkle,
    Step::Keys,
    Step::Statement,
    Step::Trust,
    Step::Approvals,
    Step::Policy,
    Step::Risk,
];

/// Records `skipped` for every step after `failed` (verdicts.md §2).
fn skip_after(failed: Step, checks: &mut Vec<Check>) {
    for step in LATER_STEPS.iter().filter(|s| **s > failed) {
        checks.push(
            Check::new(*step, "skipped", Severity::Ok)
                .with_message(format!("not run: the {failed} step failed")),
        );
    }
}

/// What the manifest step hands the later steps.
pub(crate) struct Sealed {
    pub(crate) manifest: Manifest,
    pub(crate) manifest_bytes: Vec<u8>,
    pub(crate) created_at: Timestamp,
}

fn run<R: Read + Seek>(
    source: R,
    len: u64,
    inputs: &VerifyInputs<'_>,
    hasher: Option<&dyn ArtifactHasher>,
    checks: &mut Vec<Check>,
    evidence: &mut Evidence,
) {
    // 1. container: headers, then every entry's data, then the entry set; a failure stops.
    let loaded = match container::load(source, len, inputs.limits, hasher) {
        Ok(loaded) => loaded,
        Err(check) => {
            checks.push(*check);
            skip_after(Step::Container, checks);
            return;
        }
    };
    checks.push(
        Check::ok(Step::Container)
            .with_message(format!("{} entries, all readable", loaded.names.len())),
    );
    // 2. manifest: a fail or indeterminate stops.
    let Some(sealed) = content::manifest(&loaded, inputs, checks) else {
        skip_after(Step::Manifest, checks);
        return;
    };
    evidence.manifest = Some(sealed.manifest.value.clone());
    evidence.approvals = approval_records(&loaded, &sealed.manifest, inputs.limits);
    // 3–5. artifacts, journal, Merkle.
    content::artifacts(&loaded, &sealed.manifest, checks);
    let journal = loaded.bytes(container::JOURNAL).unwrap_or(&[]);
    let first_event_at = content::journal(journal, &sealed, inputs.limits, checks);
    content::merkle(journal, &sealed.manifest, inputs.limits, checks);
    // 6–7. keys and envelopes, then the statement binding.
    let signed = signatures::check(&loaded, &sealed, inputs.schemas, inputs.limits, checks);
    // 8–11. trust and time, approvals, policy, risk.
    judgement::trust(&signed, &sealed, inputs, checks);
    judgement::approvals(
        &loaded,
        &signed,
        &sealed,
        first_event_at.as_ref(),
        inputs,
        checks,
    );
    // 10–11 read the policy file once (policy-v1.md §1.3).
    let given = inputs
        .policy
        .map(|bytes| crate::policy::read_given(bytes, inputs.limits));
    judgement::policy(&sealed.manifest, given.as_ref(), checks);
    let weights = given
        .as_ref()
        .and_then(|g| g.as_ref().ok())
        .map(|g| &g.risk_weights);
    judgement::risk(&sealed.manifest, weights, checks);
}
