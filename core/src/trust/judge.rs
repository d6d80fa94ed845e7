//! The trust-and-time step: which producer signatures count, and whether the threshold is met.
//!
//! spec: trust-v0.md §5–§6 — pure functions of the trust, the signatures that passed the earlier
//! steps, the manifest's `created_at` and the verification time `at`. No clock is read.

use std::collections::BTreeSet;

use super::{Role, Trust};
use crate::crypto::Scheme;
use crate::time::Timestamp;
use crate::verdict::{Check, Severity, Step};

/// Every code the trust-and-time step records here, with its severity (registered in
/// `spec/verdicts.md`). `trust.role` is recorded by the approvals step.
pub const CODES: [(&str, Severity); 12] = [
    ("ok", Severity::Ok),
    ("time.future", Severity::Indeterminate),
    ("time.signed_before_created", Severity::Fail),
    ("time.key_revoked", Severity::Fail),
    ("time.key_revoked_witnessed", Severity::Warn),
    ("time.witness_after_revocation", Severity::Fail),
    ("time.witness_untrusted", Severity::Fail),
    ("time.witness_proof_mismatch", Severity::Fail),
    ("time.key_window", Severity::Fail),
    ("trust.untrusted_key", Severity::Untrusted),
    ("trust.extra_untrusted_key", Severity::Warn),
    ("trust.threshold", Severity::Fail),
];

/// What a ledger receipt proves about a bundle's time (trust-v0.md §6.5.1), as computed by
/// [`crate::ledger::witness::witnessed`]: the input of rule 5a.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Witnessed {
    /// The receipt proves this bundle under a trusted ledger key; the earliest valid cosignature
    /// by a trusted witness is at this POSIX second.
    At(u64),
    /// `time.witness_untrusted`: no trusted ledger key signed, or no trusted witness cosigned.
    Untrusted(String),
    /// `time.witness_proof_mismatch`: the receipt is malformed, a signature fails, or it does not
    /// prove this bundle.
    Mismatch(String),
}

/// What §6.2 rules 2–6 decide for one producer signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureJudgement {
    /// Trusted and within every time rule: it counts towards the threshold (§5.3).
    Counted,
    /// Not trusted (§5.2): set aside for §5.5, which reports `trust.untrusted_key` or
    /// `trust.extra_untrusted_key`.
    Untrusted,
    /// `signed_at > at`: `time.future` (rule 2).
    Future,
    /// `signed_at < created_at`: `time.signed_before_created` (rule 3).
    SignedBeforeCreated,
    /// A trusted key with `revoked_at ≤ at`: `time.key_revoked` (rule 5).
    KeyRevoked,
    /// A revoked key whose bundle a trusted witness cosigned before `revoked_at`:
    /// `time.key_revoked_witnessed` (rule 5a, warn); it counts towards the threshold.
    KeyRevokedWitnessed,
    /// Rule 5a: the earliest trusted cosignature is at or after `revoked_at`.
    WitnessAfterRevocation,
    /// Rule 5a: the receipt is not signed or cosigned by keys of the trust.
    WitnessUntrusted,
    /// Rule 5a: the receipt does not prove this bundle.
    WitnessProofMismatch,
    /// A trusted key outside its window at `signed_at`: `time.key_window` (rule 6).
    KeyWindow,
}

impl SignatureJudgement {
    /// The code recorded for this judgement (`Untrusted` gives `trust.untrusted_key`; once the
    /// threshold is met §5.5 records `trust.extra_untrusted_key` instead).
    pub const fn code(self) -> &'static str {
        match self {
            SignatureJudgement::Counted => "ok",
            SignatureJudgement::Untrusted => "trust.untrusted_key",
            SignatureJudgement::Future => "time.future",
            SignatureJudgement::SignedBeforeCreated => "time.signed_before_created",
            SignatureJudgement::KeyRevoked => "time.key_revoked",
            SignatureJudgement::KeyRevokedWitnessed => "time.key_revoked_witnessed",
            SignatureJudgement::WitnessAfterRevocation => "time.witness_after_revocation",
            SignatureJudgement::WitnessUntrusted => "time.witness_untrusted",
            SignatureJudgement::WitnessProofMismatch => "time.witness_proof_mismatch",
            SignatureJudgement::KeyWindow => "time.key_window",
        }
    }

    /// Whether the signature counts towards the threshold (§5.3): `Counted`, or witnessed under
    /// rule 5a.
    pub const fn is_counted(self) -> bool {
        matches!(
            self,
            SignatureJudgement::Counted | SignatureJudgement::KeyRevokedWitnessed
        )
    }

    /// The severity of [`code`](Self::code).
    pub const fn severity(self) -> Severity {
        match self {
            SignatureJudgement::Counted => Severity::Ok,
            SignatureJudgement::Untrusted => Severity::Untrusted,
            SignatureJudgement::KeyRevokedWitnessed => Severity::Warn,
            SignatureJudgement::Future => Severity::Indeterminate,
            SignatureJudgement::SignedBeforeCreated
            | SignatureJudgement::KeyRevoked
            | SignatureJudgement::WitnessAfterRevocation
            | SignatureJudgement::WitnessUntrusted
            | SignatureJudgement::WitnessProofMismatch
            | SignatureJudgement::KeyWindow => Severity::Fail,
        }
    }
}

/// Whether the trust holds `keyid` as a producer key with exactly `scheme` (trust-v0.md §5.2).
pub fn is_trusted_producer(trust: &Trust, keyid: &str, scheme: Scheme) -> bool {
    trust
        .key(keyid)
        .is_some_and(|k| k.has_role(Role::Producer) && k.scheme() == scheme)
}

/// Judges one producer signature that passed the earlier steps (trust-v0.md §6.2 rules 2–6).
///
/// `scheme` is the predicate's scheme; `signed_at` the predicate's signing time; `witnessed` what
/// a ledger receipt given with the bundle proves (rule 5a, §6.5), `None` without one. Rule 1
/// (`created_at > at`) concerns the manifest and is reported once by [`trust_and_time`].
pub fn judge_signature(
    trust: &Trust,
    keyid: &str,
    scheme: Scheme,
    signed_at: &Timestamp,
    created_at: &Timestamp,
    at: &Timestamp,
    witnessed: Option<&Witnessed>,
) -> SignatureJudgement {
    if signed_at > at {
        return SignatureJudgement::Future;
    }
    if signed_at < created_at {
        return SignatureJudgement::SignedBeforeCreated;
    }
    let Some(key) = trust
        .key(keyid)
        .filter(|k| k.has_role(Role::Producer) && k.scheme() == scheme)
    else {
        return SignatureJudgement::Untrusted;
    };
    // spec: trust-v0.md §6.2 rule 5 — revocation is judged at `at`, whatever `signed_at` claims;
    // rule 5a (§6.5.2) — unless a trusted witness saw the bundle strictly before `revoked_at`.
    let mut counted = SignatureJudgement::Counted;
    if let Some(revoked_at) = key.revoked_at().filter(|_| key.revoked(at)) {
        counted = match witnessed {
            None => return SignatureJudgement::KeyRevoked,
            Some(Witnessed::Untrusted(_)) => return SignatureJudgement::WitnessUntrusted,
            Some(Witnessed::Mismatch(_)) => return SignatureJudgement::WitnessProofMismatch,
            Some(Witnessed::At(w)) => {
                if i64::try_from(*w).is_ok_and(|w| w < revoked_at.unix_seconds()) {
                    SignatureJudgement::KeyRevokedWitnessed
                } else {
                    return SignatureJudgement::WitnessAfterRevocation;
                }
            }
        };
    }
    if !key.in_window(signed_at) {
        return SignatureJudgement::KeyWindow;
    }
    counted
}

/// The message of a rule-5a judgement (trust-v0.md §6.5).
fn witness_message(
    judgement: SignatureJudgement,
    keyid: &str,
    witnessed: Option<&Witnessed>,
) -> String {
    match (judgement, witnessed) {
        (_, Some(Witnessed::Untrusted(why) | Witnessed::Mismatch(why))) => {
            format!("key `{keyid}` is revoked and the ledger receipt does not prove the bundle's time: {why}")
        }
        (SignatureJudgement::KeyRevokedWitnessed, Some(Witnessed::At(w))) => format!(
            "key `{keyid}` is revoked, but a trusted witness cosigned a checkpoint including this bundle at {}, before the revocation",
            display_unix(*w)
        ),
        (_, Some(Witnessed::At(w))) => format!(
            "key `{keyid}` is revoked and the earliest trusted cosignature ({}) is not before the revocation",
            display_unix(*w)
        ),
        (_, None) => format!("key `{keyid}` is revoked"),
    }
}

/// A POSIX second as a timestamp, or the number when it is out of range.
fn display_unix(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(Timestamp::from_unix_seconds)
        .map_or_else(|| seconds.to_string(), |t| t.as_str().to_owned())
}

/// The producer threshold of trust-v0.md §5.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ThresholdStatus {
    /// `n ≥ t`: met; untrusted signatures are `trust.extra_untrusted_key` (warn).
    Met {
        /// Distinct counted keys.
        counted: usize,
    },
    /// `0 < n < t`: `trust.threshold` (fail); untrusted signatures are `trust.untrusted_key`.
    Short {
        /// Distinct counted keys.
        counted: usize,
        /// `thresholds.producer`.
        required: u64,
    },
    /// `n = 0`: untrusted signatures are `trust.untrusted_key`; `trust.threshold` is not reported.
    NoneCounted,
}

impl ThresholdStatus {
    /// The code and severity for each verified but untrusted signature.
    pub const fn untrusted(self) -> (&'static str, Severity) {
        match self {
            ThresholdStatus::Met { .. } => ("trust.extra_untrusted_key", Severity::Warn),
            ThresholdStatus::Short { .. } | ThresholdStatus::NoneCounted => {
                ("trust.untrusted_key", Severity::Untrusted)
            }
        }
    }
}

/// Counts distinct keyids judged [`SignatureJudgement::Counted`] against `thresholds.producer`
/// (trust-v0.md §5.3, §5.5).
pub fn producer_threshold<'a>(
    trust: &Trust,
    judged: impl IntoIterator<Item = (&'a str, SignatureJudgement)>,
) -> ThresholdStatus {
    let counted: BTreeSet<&str> = judged
        .into_iter()
        .filter(|(_, j)| j.is_counted())
        .map(|(keyid, _)| keyid)
        .collect();
    let n = counted.len();
    let required = trust.producer_threshold();
    if n == 0 {
        ThresholdStatus::NoneCounted
    } else if u64::try_from(n).is_ok_and(|n| n >= required) {
        ThresholdStatus::Met { counted: n }
    } else {
        ThresholdStatus::Short {
            counted: n,
            required,
        }
    }
}

/// A producer signature that passed the keys-and-envelopes and statement steps (§5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerSignature<'a> {
    /// The envelope's entry name, e.g. `signatures/<hex>.dsse.json` (the check's subject).
    pub subject: &'a str,
    /// The signer's keyid.
    pub keyid: &'a str,
    /// The predicate's `scheme`.
    pub scheme: Scheme,
    /// The predicate's `signed_at`.
    pub signed_at: &'a Timestamp,
}

/// The whole trust-and-time step (trust-v0.md §7): the checks in order.
///
/// First `time.future` for `manifest.json` when `created_at > at` (§6.2 rule 1); then, for each
/// signature in the order given (the caller passes envelopes by file name), `ok` or the time code
/// of rules 2–6 (5a with `witnessed`, §6.5); then §5.5: each untrusted signature's code in the
/// same order, and last `trust.threshold` (subject `signatures/`) when the threshold is short.
pub fn trust_and_time(
    trust: &Trust,
    created_at: &Timestamp,
    at: &Timestamp,
    signatures: &[ProducerSignature<'_>],
    witnessed: Option<&Witnessed>,
) -> Vec<Check> {
    let mut checks = Vec::new();
    if created_at > at {
        checks.push(
            Check::new(Step::Trust, "time.future", Severity::Indeterminate)
                .with_subject("manifest.json")
                .with_message(format!(
                    "`created_at` {created_at} is after the verification time {at}"
                )),
        );
    }
    let judged: Vec<SignatureJudgement> = signatures
        .iter()
        .map(|s| {
            judge_signature(
                trust,
                s.keyid,
                s.scheme,
                s.signed_at,
                created_at,
                at,
                witnessed,
            )
        })
        .collect();
    for (sig, judgement) in signatures.iter().zip(&judged) {
        let message = match judgement {
            SignatureJudgement::Untrusted => continue,
            SignatureJudgement::Counted => format!("trusted producer key `{}`", sig.keyid),
            SignatureJudgement::Future => {
                format!(
                    "`signed_at` {} is after the verification time {at}",
                    sig.signed_at
                )
            }
            SignatureJudgement::SignedBeforeCreated => format!(
                "`signed_at` {} is before `created_at` {created_at}",
                sig.signed_at
            ),
            SignatureJudgement::KeyRevoked => format!("key `{}` is revoked at {at}", sig.keyid),
            SignatureJudgement::KeyRevokedWitnessed
            | SignatureJudgement::WitnessAfterRevocation
            | SignatureJudgement::WitnessUntrusted
            | SignatureJudgement::WitnessProofMismatch => {
                witness_message(*judgement, sig.keyid, witnessed)
            }
            SignatureJudgement::KeyWindow => format!(
                "key `{}` is outside its window at `signed_at` {}",
                sig.keyid, sig.signed_at
            ),
        };
        checks.push(
            Check::new(Step::Trust, judgement.code(), judgement.severity())
                .with_subject(sig.subject)
                .with_message(message),
        );
    }
    let status = producer_threshold(
        trust,
        signatures
            .iter()
            .map(|s| s.keyid)
            .zip(judged.iter().copied()),
    );
    let (code, severity) = status.untrusted();
    for (sig, _) in signatures
        .iter()
        .zip(&judged)
        .filter(|(_, j)| **j == SignatureJudgement::Untrusted)
    {
        checks.push(
            Check::new(Step::Trust, code, severity)
                .with_subject(sig.subject)
                .with_message(format!(
                    "key `{}` is not trusted as a producer with scheme `{}`",
                    sig.keyid, sig.scheme
                )),
        );
    }
    if let ThresholdStatus::Short { counted, required } = status {
        checks.push(
            Check::new(Step::Trust, "trust.threshold", Severity::Fail)
                .with_subject("signatures/")
                .with_message(format!(
                    "{counted} trusted producer signature(s), {required} required"
                )),
        );
    }
    checks
}
