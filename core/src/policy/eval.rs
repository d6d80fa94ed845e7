//! Evaluation (policy-v1.md §8): every applicable rule in order; among matching enforced rules
//! the strongest decision wins (deny > require_two_person > require_approval > allow; the first
//! such rule in order is the deciding rule); shadow rules are evaluated and recorded but never
//! decide; a rule that cannot be evaluated fails closed (enforce: deny) or is recorded (shadow).

use serde::Serialize;

use super::cel;
use super::facts::Facts;
use super::model::{self, Decision, Mode};
use super::{Policy, PolicyError, PolicyErrorKind, Rule};
use crate::error::Coded;
use crate::jcs::{self, Map, Value};

/// What happened to one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The condition was true.
    Matched,
    /// The condition could not be evaluated (`code` says why); an enforced rule then denies.
    Error,
}

/// One rule that matched or failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleOutcome {
    /// Rule id.
    pub rule: String,
    /// Its section.
    pub section: &'static str,
    /// What it decides (for an enforced rule that failed: `deny`).
    pub decision: Decision,
    /// Its effective mode.
    pub mode: Mode,
    /// Matched or error.
    pub status: Status,
    /// The plain-language reason.
    pub reason: String,
    /// For an error: the `policy.*` code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
}

/// The result of evaluating a policy over facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The decision in force.
    pub decision: Decision,
    /// `enforce` when a rule decided, `default` when none matched.
    pub mode: &'static str,
    /// The deciding rule, if any.
    pub rule: Option<String>,
    /// Why, in plain language (shadow outcomes appended).
    pub reason: String,
    /// Whether the change must stop or wait (deny, or approvals still needed).
    pub blocked: bool,
    /// `approvals.required` for the manifest (0, 1 or 2).
    pub approvals_required: u8,
    /// Every rule that matched or failed, in evaluation order (enforced and shadow).
    pub matched: Vec<RuleOutcome>,
    /// Rules skipped because they read a fact namespace the facts do not carry.
    pub not_applicable: Vec<String>,
    /// The policy hash.
    pub policy_hash: String,
}

impl Evaluation {
    /// The shadow outcomes ("would have decided").
    pub fn shadow(&self) -> impl Iterator<Item = &RuleOutcome> {
        self.matched.iter().filter(|m| m.mode == Mode::Shadow)
    }

    /// The manifest's `policy.decisions` entries (bundle-v0.md §5.9): every enforced and shadow
    /// outcome, in evaluation order.
    pub fn decisions(&self) -> Vec<Value> {
        self.matched
            .iter()
            .map(|m| {
                let mut entry = Map::new();
                entry.insert("rule", Value::from(m.rule.as_str()));
                entry.insert("decision", Value::from(m.decision.as_str()));
                entry.insert("mode", Value::from(m.mode.as_str()));
                entry.insert("reason", Value::from(m.reason.as_str()));
                Value::from(entry)
            })
            .collect()
    }

    /// The manifest's `policy` block: `{hash, required, decisions}` (bundle-v0.md §5.9).
    pub fn manifest_block(&self, required: bool) -> Value {
        let mut block = Map::new();
        block.insert("hash", Value::from(self.policy_hash.as_str()));
        block.insert("required", Value::from(required));
        block.insert("decisions", Value::from(self.decisions()));
        Value::from(block)
    }
}

/// Evaluates `policy` over the facts document `facts` (a JSON object of namespaces).
pub fn evaluate(policy: &Policy, facts: &Value) -> Result<Evaluation, PolicyError> {
    let facts = Facts::from_value(facts, policy.doc())?;
    Ok(evaluate_facts(policy, &facts))
}

/// Evaluates `policy` over checked facts.
pub fn evaluate_facts(policy: &Policy, facts: &Facts) -> Evaluation {
    run(policy, facts, true, None)
}

/// Evaluates only the rules of the named `sections` (policy-v1.md §8.6): a host that fronts
/// several kinds of traffic (a gateway route, gateway-config-v0.md §7) asks for the sections that
/// govern it. Rules of other sections are skipped as if `off`; the default decision and the
/// policy hash are the whole policy's. A name that is not one of [`model::SECTIONS`] is an error
/// (`policy.schema`), never silently a section without rules.
pub fn evaluate_sections(
    policy: &Policy,
    facts: &Value,
    sections: &[&str],
) -> Result<Evaluation, PolicyError> {
    if let Some(bad) = sections.iter().find(|s| !model::SECTIONS.contains(s)) {
        return Err(PolicyError::new(
            PolicyErrorKind::Schema,
            format!(
                "`{bad}` is not a policy section (one of {})",
                model::SECTIONS.join(", ")
            ),
        ));
    }
    let facts = Facts::from_value(facts, policy.doc())?;
    Ok(run(policy, &facts, true, Some(sections)))
}

/// [`evaluate_facts`] with every condition run in the `cel` interpreter, never in its compiled
/// plan: the reference the compiled plans are tested against (`tests/policy_differential.rs`).
#[doc(hidden)]
pub fn evaluate_facts_interpreted(policy: &Policy, facts: &Facts) -> Evaluation {
    run(policy, facts, false, None)
}

fn run(policy: &Policy, facts: &Facts, compiled: bool, sections: Option<&[&str]>) -> Evaluation {
    // The interpreter's context is built only when a condition needs it.
    let context = std::cell::OnceCell::new();
    let context = || context.get_or_init(|| cel::context(policy.env(), facts));
    let max_cost = policy.limits().cel_max_cost;
    let mut decided: Option<(usize, Decision)> = None;
    let mut matched = Vec::new();
    let mut not_applicable = Vec::new();
    for rule in policy.rules() {
        // Nothing outranks a deny: later enforced rules cannot change the decision.
        let settled = matches!(decided, Some((_, Decision::Deny)));
        if rule.mode == Mode::Off || (rule.mode == Mode::Enforce && settled) {
            continue;
        }
        if sections.is_some_and(|s| !s.contains(&rule.section)) {
            continue;
        }
        if !facts.has_all(rule.condition.namespaces()) {
            not_applicable.push(rule.id.clone());
            continue;
        }
        let result = if compiled {
            rule.condition.decide(facts, max_cost, context)
        } else {
            rule.condition.evaluate(context(), facts, max_cost)
        };
        let outcome = match result {
            Ok(false) => continue,
            Ok(true) => outcome(
                rule,
                rule.decision,
                Status::Matched,
                rule.reason.clone(),
                None,
            ),
            Err(e) => outcome(
                rule,
                if rule.mode == Mode::Enforce {
                    Decision::Deny
                } else {
                    rule.decision
                },
                Status::Error,
                format!("rule `{}` could not be evaluated: {}", rule.id, e.message()),
                Some(&e),
            ),
        };
        if rule.mode == Mode::Enforce && decided.is_none_or(|(_, d)| outcome.decision > d) {
            decided = Some((matched.len(), outcome.decision));
        }
        matched.push(outcome);
    }
    let (decision, rule, mode, mut reason) =
        match decided.and_then(|(i, d)| Some((matched.get(i)?, d))) {
            Some((m, decision)) => (
                decision,
                Some(m.rule.clone()),
                "enforce",
                format!(
                    "{} by rule `{}` ({}): {}",
                    phrase(decision),
                    m.rule,
                    m.section,
                    m.reason
                ),
            ),
            None => {
                let d = policy.doc().default_decision();
                (
                    d,
                    None,
                    "default",
                    format!("no enforced rule matched: {} by default", phrase(d)),
                )
            }
        };
    let shadows: Vec<String> = matched
        .iter()
        .filter(|m| m.mode == Mode::Shadow)
        .map(|m| format!("rule `{}` would {}", m.rule, verb(m.decision)))
        .collect();
    if !shadows.is_empty() {
        reason.push_str(&format!("; shadow (not enforced): {}", shadows.join(", ")));
    }
    Evaluation {
        decision,
        mode,
        rule,
        reason,
        blocked: decision.blocks(),
        approvals_required: decision.approvals(),
        matched,
        not_applicable,
        policy_hash: policy.hash_prefixed().to_owned(),
    }
}

fn outcome(
    rule: &Rule,
    decision: Decision,
    status: Status,
    reason: String,
    error: Option<&PolicyError>,
) -> RuleOutcome {
    RuleOutcome {
        rule: rule.id.clone(),
        section: rule.section,
        decision,
        mode: rule.mode,
        status,
        reason,
        code: error.map(Coded::code),
    }
}

/// "denied", "allowed", … for the reason sentence.
fn phrase(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "allowed",
        Decision::Deny => "denied",
        Decision::RequireApproval => "one approval required",
        Decision::RequireTwoPerson => "two approvals (two-person rule) required",
    }
}

fn verb(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "allow",
        Decision::Deny => "deny",
        Decision::RequireApproval => "require an approval",
        Decision::RequireTwoPerson => "require two approvals",
    }
}

/// The evaluation as canonical JSON (what `clyra policy eval --format json` prints).
pub fn to_json(evaluation: &Evaluation) -> Vec<u8> {
    let bytes = serde_json::to_vec(evaluation).unwrap_or_default();
    jcs::canonicalize(&bytes, &crate::Limits::default()).unwrap_or(bytes)
}
