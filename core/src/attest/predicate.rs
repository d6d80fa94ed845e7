//! Control evaluation (attestation-v0.md §4) and the predicate and Statement it is written as (§2–§3).

use crate::digest::Sha256Digest;
use crate::dsse::{Statement, Subject};
use crate::jcs::{Map, Number, Value};

use super::catalogue::{ControlDef, Framework};
use super::facts::{BundleFacts, Met};
use super::Requirement;

/// The predicate type of an attestation.
pub const PREDICATE_TYPE: &str = "https://clyra.dev/attestation/v0";

/// A control's status (attestation-v0.md §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Every in-scope bundle passes.
    Supported,
    /// A bundle fails, or the population has a gap.
    NotSupported,
    /// Failures carried by an approved policy exception.
    Exception,
    /// No bundle is in scope.
    NotApplicable,
}

impl Status {
    /// The status word in the predicate.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Supported => "supported",
            Status::NotSupported => "not_supported",
            Status::Exception => "exception",
            Status::NotApplicable => "not_applicable",
        }
    }
}

/// A bundle's result for one control (attestation-v0.md §4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Index into the subjects.
    pub subject: usize,
    /// `pass`, `fail` or `exception`.
    pub result: &'static str,
    /// The failing requirements, in the control's order.
    pub failed: Vec<Requirement>,
}

/// One evaluated control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlResult {
    /// The catalogue entry.
    pub def: &'static ControlDef,
    /// Its status.
    pub status: Status,
    /// One reference per bundle in scope.
    pub references: Vec<Reference>,
}

/// A ledger record of the period whose bundle file was not accounted for (attestation-v0.md §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// The record's ledger index.
    pub index: u64,
    /// The record's `bundle_id`.
    pub bundle_id: String,
    /// The record's `bundle_sha256`.
    pub bundle_sha256: String,
    /// `missing` or `digest_mismatch`.
    pub reason: &'static str,
}

/// How complete the population is (attestation-v0.md §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completeness {
    /// The bundles were given one by one.
    Bundles,
    /// The bundles of a ledger window.
    Ledger {
        /// The checkpoint origin.
        origin: String,
        /// The checkpoint's tree size.
        size: u64,
        /// The checkpoint's root hash.
        root: Sha256Digest,
        /// Records whose `created_at` is in the period.
        entries: u64,
        /// The records that were not accounted for.
        gaps: Vec<Gap>,
        /// An earlier checkpoint (size, root) the ledger was shown to extend, when one was given.
        since: Option<(u64, Sha256Digest)>,
    },
}

impl Completeness {
    fn gaps(&self) -> &[Gap] {
        match self {
            Completeness::Bundles => &[],
            Completeness::Ledger { gaps, .. } => gaps,
        }
    }
}

/// The ledger-mode window of an attestation (attestation-v0.md §3.1 `period`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// Start, included.
    pub from: String,
    /// End, excluded.
    pub until: String,
    /// Which time of a ledger record places it in the window.
    pub basis: PeriodBasis,
}

/// Which time of a ledger record places it in a period: the bundle's `created_at` (the
/// default), or the appender's `logged_at` (the daily review's day, for its SOX roll-up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeriodBasis {
    /// The manifest's `created_at`, as the record copies it.
    #[default]
    CreatedAt,
    /// The record's `logged_at`.
    LoggedAt,
}

impl PeriodBasis {
    /// The record member compared with the window.
    pub const fn field(self) -> &'static str {
        match self {
            Self::CreatedAt => "created_at",
            Self::LoggedAt => "logged_at",
        }
    }
}

/// Everything but the bundles that an attestation records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// The framework.
    pub framework: Framework,
    /// Signing time.
    pub attested_at: String,
    /// Verification time of every bundle.
    pub verified_at: String,
    /// Ledger mode: the window given.
    pub period: Option<Period>,
    /// `sha256:` of the trust file's bytes.
    pub trust_digest: Sha256Digest,
    /// The policy hash of each policy file given, in order.
    pub policy_digests: Vec<Sha256Digest>,
    /// The completeness of the population.
    pub completeness: Completeness,
}

fn result_of(def: &ControlDef, b: &BundleFacts) -> Option<(&'static str, Vec<Requirement>)> {
    let failing = |reqs: &[Requirement]| -> Vec<Requirement> {
        reqs.iter()
            .copied()
            .filter(|r| b.met(*r, def.retention_months) == Met::Fail)
            .collect()
    };
    if !b.manifest_read {
        return Some(("fail", vec![Requirement::Verified]));
    }
    let scoped = def
        .requirements
        .iter()
        .filter(|r| matches!(r, Requirement::TwoPerson | Requirement::Voice))
        .any(|r| b.met(*r, def.retention_months) == Met::NotApplicable);
    if scoped {
        return None;
    }
    let failed = failing(def.requirements);
    if failed.contains(&Requirement::Verified) {
        return Some(("fail", failed));
    }
    let all_na = def.requirements.len() > 1
        && def
            .requirements
            .iter()
            .filter(|r| **r != Requirement::Verified)
            .all(|r| b.met(*r, def.retention_months) == Met::NotApplicable);
    if all_na {
        return None;
    }
    if failed.is_empty() {
        return Some(("pass", failed));
    }
    let exceptable = failed
        .iter()
        .all(|r| matches!(r, Requirement::Tests | Requirement::Enforce));
    if exceptable && b.approved_exception {
        return Some(("exception", failed));
    }
    Some(("fail", failed))
}

/// Evaluates every control of `framework` over `bundles` with `gaps` gap findings
/// (attestation-v0.md §4.3–§4.4).
pub fn evaluate(framework: Framework, bundles: &[BundleFacts], gaps: usize) -> Vec<ControlResult> {
    framework
        .controls()
        .iter()
        .map(|def| {
            let references: Vec<Reference> = bundles
                .iter()
                .enumerate()
                .filter_map(|(subject, b)| {
                    result_of(def, b).map(|(result, failed)| Reference {
                        subject,
                        result,
                        failed,
                    })
                })
                .collect();
            let status = if gaps > 0 || references.iter().any(|r| r.result == "fail") {
                Status::NotSupported
            } else if references.iter().any(|r| r.result == "exception") {
                Status::Exception
            } else if references.is_empty() {
                Status::NotApplicable
            } else {
                Status::Supported
            };
            ControlResult {
                def,
                status,
                references,
            }
        })
        .collect()
}

/// A JSON integer.
pub(crate) fn num(n: u64) -> Value {
    i64::try_from(n)
        .ok()
        .and_then(Number::from_i64)
        .map_or(Value::Null, Value::from)
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k, v);
    }
    Value::from(m)
}

fn strs<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    Value::from(items.into_iter().map(Value::from).collect::<Vec<_>>())
}

fn digest_obj(d: &Sha256Digest) -> Value {
    obj(vec![("digest", Value::from(d.to_prefixed()))])
}

/// The rationale of a control: its objective, and the mechanism, evidence and re-test of each of
/// its requirements, in plain language.
fn rationale(def: &ControlDef) -> Value {
    let join = |f: fn(Requirement) -> &'static str| {
        def.requirements
            .iter()
            .map(|r| f(*r))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut evidence = join(Requirement::evidence);
    if def.retention_months > 0 {
        evidence.push_str(&format!(" (minimum {} months)", def.retention_months));
    }
    obj(vec![
        ("objective", Value::from(def.objective)),
        ("mechanism", Value::from(join(Requirement::mechanism))),
        ("evidence", Value::from(evidence)),
        ("retest", Value::from(join(Requirement::retest))),
    ])
}

/// The predicate of attestation-v0.md §3 for `bundles` (in subject order).
pub fn predicate(inputs: &Inputs, bundles: &[BundleFacts]) -> Value {
    let gaps = inputs.completeness.gaps();
    let controls = evaluate(inputs.framework, bundles, gaps.len());
    let mut top = Map::new();
    top.insert(
        "framework",
        obj(vec![
            ("id", Value::from(inputs.framework.id())),
            ("name", Value::from(inputs.framework.name())),
        ]),
    );
    top.insert("attested_at", Value::from(inputs.attested_at.as_str()));
    top.insert("verified_at", Value::from(inputs.verified_at.as_str()));
    let mut period = Map::new();
    match &inputs.period {
        Some(p) => {
            period.insert("from", Value::from(p.from.as_str()));
            period.insert("until", Value::from(p.until.as_str()));
            if p.basis == PeriodBasis::LoggedAt {
                period.insert("basis", Value::from(p.basis.field()));
            }
        }
        None => {
            let times = bundles.iter().filter_map(|b| b.created_at.as_deref());
            if let Some(first) = times.clone().min() {
                period.insert("from", Value::from(first));
            }
            if let Some(last) = times.max() {
                period.insert("until", Value::from(last));
            }
        }
    }
    top.insert("period", Value::from(period));
    top.insert("trust", digest_obj(&inputs.trust_digest));
    if !inputs.policy_digests.is_empty() {
        top.insert(
            "policies",
            Value::from(
                inputs
                    .policy_digests
                    .iter()
                    .map(digest_obj)
                    .collect::<Vec<_>>(),
            ),
        );
    }
    let gap_value = |g: &Gap| {
        obj(vec![
            ("index", num(g.index)),
            ("bundle_id", Value::from(g.bundle_id.as_str())),
            ("bundle_sha256", Value::from(g.bundle_sha256.as_str())),
            ("reason", Value::from(g.reason)),
        ])
    };
    let completeness = match &inputs.completeness {
        Completeness::Bundles => obj(vec![("mode", Value::from("bundles"))]),
        Completeness::Ledger {
            origin,
            size,
            root,
            entries,
            gaps,
            since,
        } => {
            let mut m = vec![
                ("mode", Value::from("ledger")),
                ("origin", Value::from(origin.as_str())),
                (
                    "checkpoint",
                    obj(vec![
                        ("size", num(*size)),
                        ("root", Value::from(root.to_prefixed())),
                    ]),
                ),
                ("entries", num(*entries)),
                ("accounted", num(entries.saturating_sub(gaps.len() as u64))),
                (
                    "gaps",
                    Value::from(gaps.iter().map(gap_value).collect::<Vec<_>>()),
                ),
            ];
            if let Some((size, root)) = since {
                m.push((
                    "since",
                    obj(vec![
                        ("size", num(*size)),
                        ("root", Value::from(root.to_prefixed())),
                    ]),
                ));
            }
            obj(m)
        }
    };
    top.insert("completeness", completeness);
    top.insert("bundles", bundles_value(bundles));
    top.insert("findings", findings_value(bundles, gaps));
    top.insert(
        "controls",
        Value::from(
            controls
                .iter()
                .map(|c| control_value(c, bundles))
                .collect::<Vec<_>>(),
        ),
    );
    top.insert(
        "out_of_scope",
        Value::from(
            inputs
                .framework
                .out_of_scope()
                .iter()
                .map(|(id, reason)| {
                    obj(vec![
                        ("id", Value::from(*id)),
                        ("reason", Value::from(*reason)),
                    ])
                })
                .collect::<Vec<_>>(),
        ),
    );
    top.insert("summary", summary_value(&controls));
    Value::from(top)
}

/// The `bundles` member: one verdict per subject.
pub(crate) fn bundles_value(bundles: &[BundleFacts]) -> Value {
    Value::from(
        bundles
            .iter()
            .enumerate()
            .map(|(i, b)| {
                obj(vec![
                    ("subject", num(i as u64)),
                    ("outcome", Value::from(b.outcome.as_str())),
                    ("primary", Value::from(b.primary)),
                ])
            })
            .collect::<Vec<_>>(),
    )
}

/// The `findings` member: invalid bundles, then gaps (attestation-v0.md §3.4).
pub(crate) fn findings_value(bundles: &[BundleFacts], gaps: &[Gap]) -> Value {
    let mut out: Vec<Value> = bundles
        .iter()
        .enumerate()
        .filter(|(_, b)| b.outcome != crate::verdict::Outcome::Valid)
        .map(|(i, b)| {
            obj(vec![
                ("kind", Value::from("invalid_bundle")),
                ("subject", num(i as u64)),
                ("outcome", Value::from(b.outcome.as_str())),
                ("primary", Value::from(b.primary)),
            ])
        })
        .collect();
    out.extend(gaps.iter().map(|g| {
        obj(vec![
            ("kind", Value::from("gap")),
            ("index", num(g.index)),
            ("bundle_id", Value::from(g.bundle_id.as_str())),
            ("reason", Value::from(g.reason)),
        ])
    }));
    Value::from(out)
}

/// A control's references as JSON (attestation-v0.md §3.5).
pub(crate) fn references_value(c: &ControlResult, bundles: &[BundleFacts]) -> Value {
    Value::from(
        c.references
            .iter()
            .map(|r| {
                let mut m = Map::new();
                m.insert("subject", num(r.subject as u64));
                m.insert("result", Value::from(r.result));
                if !r.failed.is_empty() {
                    m.insert("failed", strs(r.failed.iter().map(|f| f.as_str())));
                }
                if let Some(b) = bundles.get(r.subject) {
                    if !b.approvals.is_empty() {
                        let list = b
                            .approvals
                            .iter()
                            .map(|(file, digest)| {
                                obj(vec![
                                    ("file", Value::from(file.as_str())),
                                    ("digest", Value::from(digest.as_str())),
                                ])
                            })
                            .collect::<Vec<_>>();
                        m.insert("approvals", Value::from(list));
                    }
                    if !b.journal_seq.is_empty() {
                        m.insert(
                            "journal_seq",
                            Value::from(b.journal_seq.iter().map(|s| num(*s)).collect::<Vec<_>>()),
                        );
                    }
                }
                Value::from(m)
            })
            .collect::<Vec<_>>(),
    )
}

fn control_value(c: &ControlResult, bundles: &[BundleFacts]) -> Value {
    obj(vec![
        ("id", Value::from(c.def.id)),
        ("title", Value::from(c.def.title)),
        ("status", Value::from(c.status.as_str())),
        (
            "requirements",
            strs(c.def.requirements.iter().map(|r| r.as_str())),
        ),
        ("rationale", rationale(c.def)),
        ("references", references_value(c, bundles)),
    ])
}

/// The `summary` member: how many controls have each status.
pub(crate) fn summary_value(controls: &[ControlResult]) -> Value {
    let count = |s: Status| num(controls.iter().filter(|c| c.status == s).count() as u64);
    obj(vec![
        ("supported", count(Status::Supported)),
        ("not_supported", count(Status::NotSupported)),
        ("exception", count(Status::Exception)),
        ("not_applicable", count(Status::NotApplicable)),
    ])
}

/// The in-toto Statement of attestation-v0.md §2 over `bundles` with `predicate`.
pub fn statement(bundles: &[BundleFacts], predicate: Value) -> Statement {
    let subject = if bundles.is_empty() {
        vec![Subject {
            name: "empty".to_owned(),
            sha256: Sha256Digest::of(b""),
        }]
    } else {
        bundles
            .iter()
            .map(|b| Subject {
                name: b.name.clone(),
                sha256: b.sha256,
            })
            .collect()
    };
    Statement {
        subject,
        predicate_type: PREDICATE_TYPE.to_owned(),
        predicate,
    }
}
