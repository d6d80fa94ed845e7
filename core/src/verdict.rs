//! Severities, outcomes and recorded checks: the vocabulary every verifier step reports in.
//!
//! spec: verdicts.md §1 — each check has a code and a severity; the outcome is the worst severity
//! present, the primary code the first check with that severity, the exit code follows the outcome.

use std::fmt;

/// How bad a recorded check is, from best to worst (the derived order is the order of badness).
///
/// spec: verdicts.md §1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The check passed (code `ok` or `skipped`, or an informative code such as `policy.not_required`).
    Ok,
    /// A problem that leaves the evidence valid (exit 2).
    Warn,
    /// The evidence is intact but not signed by enough keys this verifier trusts.
    Untrusted,
    /// The evidence cannot be judged by this verifier (a newer format, a future time).
    Indeterminate,
    /// The evidence is invalid.
    Fail,
}

impl Severity {
    /// Every severity, best first.
    pub const ALL: [Severity; 5] = [
        Severity::Ok,
        Severity::Warn,
        Severity::Untrusted,
        Severity::Indeterminate,
        Severity::Fail,
    ];

    /// The name used in the registry and in verdict JSON, e.g. `indeterminate`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Warn => "warn",
            Severity::Untrusted => "untrusted",
            Severity::Indeterminate => "indeterminate",
            Severity::Fail => "fail",
        }
    }

    /// The outcome a verdict has when this is its worst severity (verdicts.md §1.2).
    pub const fn outcome(self) -> Outcome {
        match self {
            Severity::Ok | Severity::Warn => Outcome::Valid,
            Severity::Untrusted => Outcome::ValidUntrusted,
            Severity::Indeterminate => Outcome::Indeterminate,
            Severity::Fail => Outcome::Invalid,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of a verification. Exhaustive: there are exactly these four.
///
/// spec: verdicts.md §1.2 — order of badness INVALID > INDETERMINATE > VALID_UNTRUSTED > VALID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Every check passed, perhaps with warnings.
    Valid,
    /// Intact evidence signed only by keys this verifier does not trust.
    ValidUntrusted,
    /// Some check failed.
    Invalid,
    /// The evidence could not be judged (unknown format or algorithm, a time after `at`, …).
    Indeterminate,
}

impl Outcome {
    /// The name in verdict JSON, e.g. `VALID_UNTRUSTED`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Valid => "VALID",
            Outcome::ValidUntrusted => "VALID_UNTRUSTED",
            Outcome::Invalid => "INVALID",
            Outcome::Indeterminate => "INDETERMINATE",
        }
    }

    /// The outcome of a list of checks: that of their worst severity (VALID when empty).
    pub fn of(checks: &[Check]) -> Outcome {
        worst(checks).outcome()
    }

    /// The process exit code (verdicts.md §1.4): VALID 0, or 2 when `warned` (any check is
    /// `warn`); VALID_UNTRUSTED 2; INVALID 1; INDETERMINATE 3.
    pub const fn exit_code(self, warned: bool) -> u8 {
        match self {
            Outcome::Valid if warned => 2,
            Outcome::Valid => 0,
            Outcome::ValidUntrusted => 2,
            Outcome::Invalid => 1,
            Outcome::Indeterminate => 3,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The worst severity among `checks` (`Ok` when there are none).
pub fn worst(checks: &[Check]) -> Severity {
    checks
        .iter()
        .map(Check::severity)
        .max()
        .unwrap_or(Severity::Ok)
}

/// The primary code (verdicts.md §1.3): the code of the first check whose severity is the worst
/// present, or `ok` when every check is `ok`.
pub fn primary_code(checks: &[Check]) -> &'static str {
    let worst = worst(checks);
    if worst == Severity::Ok {
        return "ok";
    }
    checks
        .iter()
        .find(|c| c.severity() == worst)
        .map_or("ok", Check::code)
}

/// The exit code of a list of checks (verdicts.md §1.4).
pub fn exit_code(checks: &[Check]) -> u8 {
    let warned = checks.iter().any(|c| c.severity() == Severity::Warn);
    Outcome::of(checks).exit_code(warned)
}

/// The steps of the verification pipeline, in pipeline order (verdicts.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Step {
    /// 1: the zip container and its entry set.
    Container,
    /// 2: `manifest.json`.
    Manifest,
    /// 3: artifacts listed by the manifest.
    Artifacts,
    /// 4: `journal.ndjson`.
    Journal,
    /// 5: the Merkle root and size.
    Merkle,
    /// 6: key files and signature envelopes.
    Keys,
    /// 7: the statement binds the manifest.
    Statement,
    /// 8: trusted keys, thresholds and times.
    Trust,
    /// 9: approvals.
    Approvals,
    /// 10: the policy hash.
    Policy,
    /// 11: the risk score.
    Risk,
    /// The receipt checks (receipt-v0.md).
    Receipt,
    /// The evidence ledger checks: checkpoints, inclusion and consistency (ledger-v0.md §5.5).
    Ledger,
}

impl Step {
    /// The name in verdict JSON (`"step"`), e.g. `journal`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Step::Container => "container",
            Step::Manifest => "manifest",
            Step::Artifacts => "artifacts",
            Step::Journal => "journal",
            Step::Merkle => "merkle",
            Step::Keys => "keys",
            Step::Statement => "statement",
            Step::Trust => "trust",
            Step::Approvals => "approvals",
            Step::Policy => "policy",
            Step::Risk => "risk",
            Step::Receipt => "receipt",
            Step::Ledger => "ledger",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recorded check: step, registered code, severity, what it concerns and a message.
///
/// Codes and severities are normative; messages are informative and may differ between
/// implementations (verdicts.md §3). When a check wraps a primitive error (a `jcs.*` code inside a
/// journal line, say), that code is the check's [`detail`](Check::detail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    step: Step,
    code: &'static str,
    severity: Severity,
    subject: Option<String>,
    detail: Option<&'static str>,
    message: String,
}

impl Check {
    /// A check with no subject, detail or message yet.
    pub fn new(step: Step, code: &'static str, severity: Severity) -> Self {
        Self {
            step,
            code,
            severity,
            subject: None,
            detail: None,
            message: String::new(),
        }
    }

    /// A passing check (code `ok`).
    pub fn ok(step: Step) -> Self {
        Self::new(step, "ok", Severity::Ok)
    }

    /// Sets the entry, line or key the check concerns.
    #[must_use]
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the underlying primitive code (`jcs.*`, `key.*`).
    #[must_use]
    pub fn with_detail(mut self, detail: &'static str) -> Self {
        self.detail = Some(detail);
        self
    }

    /// Sets the human-readable message.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// The pipeline step that recorded the check.
    pub fn step(&self) -> Step {
        self.step
    }

    /// The registered code, e.g. `journal.prev`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The severity of this check.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The entry, line or key the check concerns, when there is one.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// The underlying primitive code, when the check wraps one.
    pub fn detail(&self) -> Option<&'static str> {
        self.detail
    }

    /// The informative message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(code: &'static str, severity: Severity) -> Check {
        Check::new(Step::Trust, code, severity)
    }

    #[test]
    fn outcome_is_the_worst_severity() {
        assert_eq!(Outcome::of(&[]), Outcome::Valid);
        let checks = [
            check("ok", Severity::Ok),
            check("trust.extra_untrusted_key", Severity::Warn),
        ];
        assert_eq!(Outcome::of(&checks), Outcome::Valid);
        assert_eq!(primary_code(&checks), "trust.extra_untrusted_key");
        assert_eq!(exit_code(&checks), 2);
        let checks = [
            check("trust.untrusted_key", Severity::Untrusted),
            check("time.future", Severity::Indeterminate),
            check("risk.algorithm_unknown", Severity::Indeterminate),
        ];
        assert_eq!(Outcome::of(&checks), Outcome::Indeterminate);
        assert_eq!(primary_code(&checks), "time.future");
        assert_eq!(exit_code(&checks), 3);
        let checks = [
            check("time.future", Severity::Indeterminate),
            check("journal.prev", Severity::Fail),
        ];
        assert_eq!(Outcome::of(&checks), Outcome::Invalid);
        assert_eq!(primary_code(&checks), "journal.prev");
        assert_eq!(exit_code(&checks), 1);
        let checks = [check("trust.untrusted_key", Severity::Untrusted)];
        assert_eq!(Outcome::of(&checks), Outcome::ValidUntrusted);
        assert_eq!(exit_code(&checks), 2);
        assert_eq!(primary_code(&[check("ok", Severity::Ok)]), "ok");
        assert_eq!(exit_code(&[check("ok", Severity::Ok)]), 0);
    }

    #[test]
    fn severities_are_ordered_by_badness() {
        assert!(Severity::ALL.windows(2).all(|w| w[0] < w[1]));
        let names: Vec<_> = Severity::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["ok", "warn", "untrusted", "indeterminate", "fail"]);
    }
}
