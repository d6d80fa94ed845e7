//! The `risk/v1` block of a manifest: its model, its bounds and the exact integer score.
//!
//! spec: risk-v1.md — verifiers recompute the score from the recorded weights and factors with
//! 64-bit integer arithmetic (§4) and compare it with the recorded score (§6). They never
//! re-derive factors and never substitute their own weights.

use crate::error::Coded;
use crate::jcs::{Map, Value};
use crate::verdict::{Check, Severity, Step};

/// The one algorithm this module implements.
pub const ALGORITHM: &str = "risk/v1";

/// Largest weight (risk-v1.md §2.1).
pub const MAX_WEIGHT: u64 = 1_000;

/// Largest count factor (risk-v1.md §3.1).
pub const MAX_COUNT: u64 = 1_000_000;

/// Largest score (risk-v1.md §1.1).
pub const MAX_SCORE: u64 = 100;

/// Every code the risk step records, with its severity (all registered in `spec/verdicts.md`).
pub const CODES: [(&str, Severity); 5] = [
    ("ok", Severity::Ok),
    ("risk.algorithm_unknown", Severity::Indeterminate),
    ("risk.schema", Severity::Fail),
    ("risk.score_mismatch", Severity::Fail),
    ("risk.weights_mismatch", Severity::Fail),
];

/// The eleven weights of risk-v1.md §2.1, each 0..=1000 in a parsed block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weights {
    /// Applies when `change_magnitude` is `schema`.
    pub magnitude_schema: u64,
    /// Applies when `change_magnitude` is `data`.
    pub magnitude_data: u64,
    /// Applies when `change_magnitude` is `config`.
    pub magnitude_config: u64,
    /// Per critical violation.
    pub violation_critical: u64,
    /// Per warning violation.
    pub violation_warning: u64,
    /// When `production` is true.
    pub production: u64,
    /// When `off_hours` is true.
    pub off_hours: u64,
    /// When `approval_bypassed` is true.
    pub approval_bypassed: u64,
    /// Per threat.
    pub threat: u64,
    /// Per SQL finding.
    pub sql_finding: u64,
    /// When `first_time_actor` is true.
    pub first_time_actor: u64,
}

impl Weights {
    /// The eleven weights by their names, in the order of risk-v1.md §2.1.
    pub const fn named(&self) -> [(&'static str, u64); 11] {
        [
            ("magnitude_schema", self.magnitude_schema),
            ("magnitude_data", self.magnitude_data),
            ("magnitude_config", self.magnitude_config),
            ("violation_critical", self.violation_critical),
            ("violation_warning", self.violation_warning),
            ("production", self.production),
            ("off_hours", self.off_hours),
            ("approval_bypassed", self.approval_bypassed),
            ("threat", self.threat),
            ("sql_finding", self.sql_finding),
            ("first_time_actor", self.first_time_actor),
        ]
    }
}

/// The weights a producer uses unless configured otherwise (risk-v1.md §2.1).
pub const fn default_weights() -> Weights {
    Weights {
        magnitude_schema: 20,
        magnitude_data: 10,
        magnitude_config: 5,
        violation_critical: 25,
        violation_warning: 5,
        production: 15,
        off_hours: 5,
        approval_bypassed: 30,
        threat: 10,
        sql_finding: 8,
        first_time_actor: 10,
    }
}

/// The class of a change (risk-v1.md §3.1), in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeMagnitude {
    /// Nothing was changed.
    None,
    /// A configuration write.
    Config,
    /// A record write.
    Data,
    /// A schema change (DDL).
    Schema,
}

impl ChangeMagnitude {
    /// The recorded name, e.g. `schema`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChangeMagnitude::None => "none",
            ChangeMagnitude::Config => "config",
            ChangeMagnitude::Data => "data",
            ChangeMagnitude::Schema => "schema",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        [Self::None, Self::Config, Self::Data, Self::Schema]
            .into_iter()
            .find(|m| m.as_str() == name)
    }
}

/// The nine factors of risk-v1.md §3.1; counts are 0..=1,000,000 in a parsed block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Factors {
    /// The class of the change.
    pub change_magnitude: ChangeMagnitude,
    /// Enforced denials.
    pub violations_critical: u64,
    /// Shadow denials.
    pub violations_warning: u64,
    /// The change ran in production.
    pub production: bool,
    /// The change started outside working hours.
    pub off_hours: bool,
    /// Fewer approvals than a rule required.
    pub approval_bypassed: bool,
    /// Threats reported (PEF).
    pub threats: u64,
    /// SQL guard findings.
    pub sql_findings: u64,
    /// The actor's first change in this environment.
    pub first_time_actor: bool,
}

/// A parsed `risk/v1` block: weights, factors and the recorded score, all within bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskBlock {
    weights: Weights,
    factors: Factors,
    score: u64,
}

impl RiskBlock {
    /// Parses a manifest's `risk` value (risk-v1.md §6.1 items 1 and 2).
    ///
    /// A `risk` value that is not an object, or whose `algorithm` is absent or not a string, is
    /// `risk.schema`; a string other than `risk/v1` is `risk.algorithm_unknown`.
    pub fn parse(value: &Value) -> Result<Self, RiskError> {
        let map = value
            .as_object()
            .ok_or(schema("risk", "must be an object"))?;
        let algorithm = map
            .get("algorithm")
            .ok_or(schema("algorithm", "is missing"))?
            .as_str()
            .ok_or(schema("algorithm", "must be a string"))?;
        // spec: risk-v1.md §6.1 item 1 — the algorithm is read before anything else.
        if algorithm != ALGORITHM {
            return Err(RiskError::AlgorithmUnknown {
                algorithm: algorithm.to_owned(),
            });
        }
        exact_members(map, "risk", &["algorithm", "factors", "score", "weights"])?;
        let weights = parse_weights(member(map, "risk", "weights")?)?;
        let factors = parse_factors(member(map, "risk", "factors")?)?;
        let score = bounded(map, "risk", "score", MAX_SCORE)?;
        Ok(Self {
            weights,
            factors,
            score,
        })
    }

    /// The recorded weights.
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// The recorded factors.
    pub fn factors(&self) -> &Factors {
        &self.factors
    }

    /// The recorded score.
    pub fn score(&self) -> u64 {
        self.score
    }
}

/// The score of risk-v1.md §4: `min(100, max(0, raw))` in 64-bit integers.
///
/// Within the bounds of §2–§3 no step overflows; for values beyond them (the fields are public)
/// the arithmetic saturates, which gives the same clamped score since every term is non-negative.
pub fn score(weights: &Weights, factors: &Factors) -> u64 {
    let w = weights;
    let f = factors;
    let magnitude = match f.change_magnitude {
        ChangeMagnitude::Schema => w.magnitude_schema,
        ChangeMagnitude::Data => w.magnitude_data,
        ChangeMagnitude::Config => w.magnitude_config,
        ChangeMagnitude::None => 0,
    };
    let flag = |b: bool| u64::from(b);
    let terms = [
        magnitude,
        f.violations_critical.saturating_mul(w.violation_critical),
        f.violations_warning.saturating_mul(w.violation_warning),
        flag(f.production).saturating_mul(w.production),
        flag(f.off_hours).saturating_mul(w.off_hours),
        flag(f.approval_bypassed).saturating_mul(w.approval_bypassed),
        f.threats.saturating_mul(w.threat),
        f.sql_findings.saturating_mul(w.sql_finding),
        flag(f.first_time_actor).saturating_mul(w.first_time_actor),
    ];
    let raw = terms.iter().fold(0u64, |acc, t| acc.saturating_add(*t));
    // spec: risk-v1.md §4.1 — max(0, ·) is the identity on unsigned values.
    raw.min(MAX_SCORE)
}

/// The risk step (risk-v1.md §6.1) over a manifest's `risk` value: one check, `ok`,
/// `risk.algorithm_unknown`, `risk.schema` or `risk.score_mismatch`; subject `manifest.json`.
pub fn check(value: &Value) -> Check {
    let block = match RiskBlock::parse(value) {
        Ok(block) => block,
        Err(err) => {
            return Check::new(Step::Risk, err.code(), err.severity())
                .with_subject("manifest.json")
                .with_message(err.to_string())
        }
    };
    let computed = score(&block.weights, &block.factors);
    if computed == block.score {
        Check::ok(Step::Risk)
            .with_subject("manifest.json")
            .with_message(format!("risk score {computed} recomputed"))
    } else {
        Check::new(Step::Risk, "risk.score_mismatch", Severity::Fail)
            .with_subject("manifest.json")
            .with_message(format!(
                "recorded risk score {} differs from the recomputed {computed}",
                block.score
            ))
    }
}

/// The risk step (risk-v1.md §6.1 items 1–4): [`check`], then, when a policy was given
/// (`policy_weights`, its `compliance.risk.weights` over the defaults) and the block is a valid
/// `risk/v1` block, one more check: `ok` or `risk.weights_mismatch` naming the weights that
/// differ. The producer chooses the weights it records; only a policy can say they are wrong.
pub fn check_with_policy(value: &Value, policy_weights: Option<&Weights>) -> Vec<Check> {
    let mut checks = vec![check(value)];
    let (Some(policy), Ok(block)) = (policy_weights, RiskBlock::parse(value)) else {
        return checks;
    };
    let differing: Vec<String> = block
        .weights
        .named()
        .iter()
        .zip(policy.named())
        .filter(|((_, recorded), (_, wanted))| recorded != wanted)
        .map(|((name, recorded), (_, wanted))| format!("{name} {recorded} (policy {wanted})"))
        .collect();
    checks.push(if differing.is_empty() {
        Check::ok(Step::Risk)
            .with_subject("manifest.json")
            .with_message("the recorded risk weights are the given policy's")
    } else {
        Check::new(Step::Risk, "risk.weights_mismatch", Severity::Fail)
            .with_subject("manifest.json")
            .with_message(format!(
                "the recorded risk weights are not the given policy's: {}",
                differing.join(", ")
            ))
    });
    checks
}

/// A `risk` block that cannot be scored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RiskError {
    /// An algorithm other than `risk/v1` (indeterminate).
    #[error("unknown risk algorithm `{algorithm}`")]
    AlgorithmUnknown {
        /// The recorded algorithm.
        algorithm: String,
    },
    /// Missing, extra, mistyped or out-of-bounds members.
    #[error("risk field `{field}` {reason}")]
    Schema {
        /// Path of the offending member, e.g. `weights.threat`.
        field: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl RiskError {
    /// The severity the risk step records for this error.
    pub fn severity(&self) -> Severity {
        match self {
            RiskError::AlgorithmUnknown { .. } => Severity::Indeterminate,
            RiskError::Schema { .. } => Severity::Fail,
        }
    }
}

impl Coded for RiskError {
    fn code(&self) -> &'static str {
        match self {
            RiskError::AlgorithmUnknown { .. } => "risk.algorithm_unknown",
            RiskError::Schema { .. } => "risk.schema",
        }
    }
}

fn schema(field: impl Into<String>, reason: &'static str) -> RiskError {
    RiskError::Schema {
        field: field.into(),
        reason,
    }
}

fn path(parent: &str, name: &str) -> String {
    if parent == "risk" {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// Requires `map` to have exactly the members `names` (sorted as the map iterates).
fn exact_members(map: &Map, parent: &str, names: &[&str]) -> Result<(), RiskError> {
    if let Some(extra) = map.keys().find(|k| !names.contains(k)) {
        return Err(schema(path(parent, extra), "is not a member of the block"));
    }
    if let Some(missing) = names.iter().find(|n| map.get(n).is_none()) {
        return Err(schema(path(parent, missing), "is missing"));
    }
    Ok(())
}

fn member<'a>(map: &'a Map, parent: &str, name: &str) -> Result<&'a Map, RiskError> {
    map.get(name)
        .and_then(Value::as_object)
        .ok_or_else(|| schema(path(parent, name), "must be an object"))
}

fn bounded(map: &Map, parent: &str, name: &str, max: u64) -> Result<u64, RiskError> {
    map.get(name)
        .and_then(Value::as_u64)
        .filter(|n| *n <= max)
        .ok_or_else(|| schema(path(parent, name), "must be an integer within its bounds"))
}

fn flag(map: &Map, parent: &str, name: &str) -> Result<bool, RiskError> {
    map.get(name)
        .and_then(Value::as_bool)
        .ok_or_else(|| schema(path(parent, name), "must be a boolean"))
}

const WEIGHT_NAMES: [&str; 11] = [
    "approval_bypassed",
    "first_time_actor",
    "magnitude_config",
    "magnitude_data",
    "magnitude_schema",
    "off_hours",
    "production",
    "sql_finding",
    "threat",
    "violation_critical",
    "violation_warning",
];

fn parse_weights(map: &Map) -> Result<Weights, RiskError> {
    exact_members(map, "weights", &WEIGHT_NAMES)?;
    let w = |name| bounded(map, "weights", name, MAX_WEIGHT);
    Ok(Weights {
        magnitude_schema: w("magnitude_schema")?,
        magnitude_data: w("magnitude_data")?,
        magnitude_config: w("magnitude_config")?,
        violation_critical: w("violation_critical")?,
        violation_warning: w("violation_warning")?,
        production: w("production")?,
        off_hours: w("off_hours")?,
        approval_bypassed: w("approval_bypassed")?,
        threat: w("threat")?,
        sql_finding: w("sql_finding")?,
        first_time_actor: w("first_time_actor")?,
    })
}

const FACTOR_NAMES: [&str; 9] = [
    "approval_bypassed",
    "change_magnitude",
    "first_time_actor",
    "off_hours",
    "production",
    "sql_findings",
    "threats",
    "violations_critical",
    "violations_warning",
];

fn parse_factors(map: &Map) -> Result<Factors, RiskError> {
    exact_members(map, "factors", &FACTOR_NAMES)?;
    let count = |name| bounded(map, "factors", name, MAX_COUNT);
    let change_magnitude = map
        .get("change_magnitude")
        .and_then(Value::as_str)
        .and_then(ChangeMagnitude::parse)
        .ok_or(schema(
            "factors.change_magnitude",
            "must be `none`, `config`, `data` or `schema`",
        ))?;
    Ok(Factors {
        change_magnitude,
        violations_critical: count("violations_critical")?,
        violations_warning: count("violations_warning")?,
        production: flag(map, "factors", "production")?,
        off_hours: flag(map, "factors", "off_hours")?,
        approval_bypassed: flag(map, "factors", "approval_bypassed")?,
        threats: count("threats")?,
        sql_findings: count("sql_findings")?,
        first_time_actor: flag(map, "factors", "first_time_actor")?,
    })
}
