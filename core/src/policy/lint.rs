//! `clyra policy lint` (policy-v1.md §10): every load error with its line and column, then
//! findings about rules that can never match, rules shadowed by an earlier rule, and coverage
//! gaps, each with a stable id, a severity and a fix that can be pasted or applied.

use serde::Serialize;

use super::cel::Condition;
use super::error::{Location, PolicyError};
use super::model::{Decision, Mode};
use super::{read, to_serde, yaml, Policy, PolicySchema, Rule};
use crate::error::Coded;
use crate::jcs::{Map, Value};
use crate::limits::Limits;
use cel::common::ast::{Expr, IdedExpr, LiteralValue};

/// How serious a finding is (DESIGN §10 exit codes: errors 1, warnings only 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never changes the exit code.
    Info,
    /// The policy loads but probably does not do what its author wants.
    Warning,
    /// The policy does not load.
    Error,
}

/// A change to the document that resolves a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Edit {
    /// Replace the value at `pointer`.
    Replace {
        /// JSON pointer.
        pointer: String,
        /// The new value.
        #[serde(serialize_with = "ser_value")]
        value: Value,
    },
    /// Append `value` to the array at `pointer`, creating it and its parents as needed.
    Append {
        /// JSON pointer of the array.
        pointer: String,
        /// The element.
        #[serde(serialize_with = "ser_value")]
        value: Value,
    },
    /// Remove the member or element at `pointer`.
    Remove {
        /// JSON pointer.
        pointer: String,
    },
}

fn ser_value<S: serde::Serializer>(value: &Value, s: S) -> Result<S::Ok, S::Error> {
    let json: serde_json::Value =
        serde_json::from_slice(&crate::jcs::to_vec(value)).map_err(serde::ser::Error::custom)?;
    json.serialize(s)
}

/// A suggested fix: what to do, the YAML to paste, and the edit that does it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    /// The fix in words.
    pub description: String,
    /// Copy-pasteable YAML (or the text to change).
    pub yaml: String,
    /// The same fix as an edit of the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edit: Option<Edit>,
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable id: a `policy.*` error code, or `L001`…`L008` (policy-v1.md §10).
    pub id: String,
    /// How serious.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// `file:line:column`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// JSON pointer of the offending value, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// How to fix it.
    pub fix: Fix,
}

/// The lint report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The policy hash, when the document is at least YAML-subset valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_hash: Option<String>,
    /// Findings, errors first, then in document order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// DESIGN §10: 0 clean (info only), 1 any error, 2 warnings only.
    pub fn exit_code(&self) -> u8 {
        match self.findings.iter().map(|f| f.severity).max() {
            Some(Severity::Error) => 1,
            Some(Severity::Warning) => 2,
            _ => 0,
        }
    }
}

/// Lints policy text named `file`.
pub fn lint(text: &[u8], file: &str, limits: &Limits) -> Report {
    let (value, spans) = match read(text, file, limits) {
        Ok(read) => read,
        Err(e) => {
            return Report {
                policy_hash: None,
                findings: vec![error_finding(&e)],
            }
        }
    };
    let hash = crate::digest::Sha256Digest::of(&crate::jcs::to_vec(&value)).to_prefixed();
    let fail = |findings: Vec<Finding>| Report {
        policy_hash: Some(hash.clone()),
        findings,
    };
    let schema = match PolicySchema::new() {
        Ok(s) => s,
        Err(e) => return fail(vec![error_finding(&e)]),
    };
    let instance = match to_serde(&value) {
        Ok(i) => i,
        Err(e) => return fail(vec![error_finding(&e)]),
    };
    let errors = schema.errors(&instance, &spans);
    if !errors.is_empty() {
        return fail(errors.iter().map(error_finding).collect());
    }
    let policy = match Policy::from_checked(value, instance, spans, limits) {
        Ok(p) => p,
        Err(errors) => return fail(errors.iter().map(error_finding).collect()),
    };
    let mut findings = Vec::new();
    never_matching(&policy, &mut findings);
    shadowed(&policy, &mut findings);
    coverage(&policy, &mut findings);
    after_execution(&policy, &mut findings);
    fail(findings)
}

fn error_finding(e: &PolicyError) -> Finding {
    Finding {
        id: e.code().to_owned(),
        severity: Severity::Error,
        message: e.message().to_owned(),
        location: e.location().map(Location::to_string),
        pointer: e.pointer().map(str::to_owned),
        fix: Fix {
            description: hint(e.code()).to_owned(),
            yaml: String::new(),
            edit: None,
        },
    }
}

/// A fix hint per load error code.
fn hint(code: &str) -> &'static str {
    match code {
        "policy.yaml" => "fix the YAML syntax at the position shown",
        "policy.yaml_subset" => "write plain JSON-compatible YAML: quote the value, remove tags, anchors, aliases and merge keys, use string keys; drop a `%YAML 1.1` line (the file is read as YAML 1.2)",
        "policy.bom" => "save the file as UTF-8 without a byte-order mark (the first three bytes EF BB BF)",
        "policy.schema" => "change the value at the pointer shown to what spec/policy-v1.md §3 allows",
        "policy.duplicate_rule" => "give each rule a unique id",
        "policy.cel_syntax" => "fix the condition's CEL syntax at the position shown",
        "policy.cel_unsupported" => "rewrite the condition with the constructs of spec/policy-v1.md §4",
        "policy.cel_limit" => "split the condition into simpler rules",
        "policy.unknown_fact" => "use a fact of spec/policy-v1.md §5 (check the spelling)",
        "policy.too_large" => "split the policy or remove unused rules",
        _ => "see spec/policy-v1.md",
    }
}

fn finding(
    policy: &Policy,
    id: &str,
    severity: Severity,
    pointer: String,
    message: String,
    fix: Fix,
) -> Finding {
    Finding {
        id: id.to_owned(),
        severity,
        message,
        location: policy.spans().locate(&pointer).map(|l| l.to_string()),
        pointer: Some(pointer),
        fix,
    }
}

fn remove_rule(rule: &Rule, why: &str) -> Fix {
    Fix {
        description: format!("remove rule `{}` ({why}), or change its condition", rule.id),
        yaml: format!("# delete the rule with `id: {}`", rule.id),
        edit: Some(Edit::Remove {
            pointer: rule.pointer(),
        }),
    }
}

/// The domain of facts with a fixed set of values.
fn domain(fact: &str) -> Option<&'static [&'static str]> {
    match fact {
        "change.environment" => Some(&["production", "staging", "development", "test"]),
        "change.kind" => Some(&[
            "schema",
            "data",
            "config",
            "tool_call",
            "agent_action",
            "data_push",
        ]),
        _ => None,
    }
}

/// A conjunct of a condition in a comparable form.
#[derive(Debug, Clone, PartialEq)]
enum Atom {
    /// `fact == "value"` (either side order).
    Equals(String, String),
    /// `fact != "value"`.
    NotEquals(String, String),
    /// The constant `false`.
    False,
    /// Anything else, by its rendering.
    Other(String),
}

/// The conjuncts of `e` (`a && b && c` → [a, b, c]).
fn conjuncts(e: &IdedExpr, out: &mut Vec<Atom>) {
    if let Expr::Call(call) = &e.expr {
        if call.func_name == "_&&_" && call.target.is_none() {
            for arg in &call.args {
                conjuncts(arg, out);
            }
            return;
        }
        if (call.func_name == "_==_" || call.func_name == "_!=_") && call.args.len() == 2 {
            let (a, b) = (call.args.first(), call.args.get(1));
            let pair = match (a.map(|x| &x.expr), b.map(|x| &x.expr)) {
                (Some(f @ Expr::Select(_)), Some(Expr::Literal(LiteralValue::String(s))))
                | (Some(Expr::Literal(LiteralValue::String(s))), Some(f @ Expr::Select(_))) => {
                    Some((render_expr(f), s.inner().to_string()))
                }
                _ => None,
            };
            if let Some((fact, value)) = pair {
                out.push(if call.func_name == "_==_" {
                    Atom::Equals(fact, value)
                } else {
                    Atom::NotEquals(fact, value)
                });
                return;
            }
        }
    }
    if let Expr::Literal(LiteralValue::Boolean(b)) = &e.expr {
        if !bool::from(*b) {
            out.push(Atom::False);
            return;
        }
        return; // `true` constrains nothing
    }
    out.push(Atom::Other(render(e)));
}

fn atoms(c: &Condition) -> Vec<Atom> {
    let mut out = Vec::new();
    conjuncts(c.expression(), &mut out);
    out
}

/// A canonical rendering of an expression (for comparing conjuncts).
fn render(e: &IdedExpr) -> String {
    render_expr(&e.expr)
}

fn render_expr(e: &Expr) -> String {
    match e {
        Expr::Ident(n) => n.clone(),
        Expr::Select(s) => {
            if s.test {
                format!("has({}.{})", render(&s.operand), s.field)
            } else {
                format!("{}.{}", render(&s.operand), s.field)
            }
        }
        Expr::Literal(l) => match l {
            LiteralValue::String(s) => format!("{:?}", s.inner()),
            LiteralValue::Int(i) => format!("{}", i.inner()),
            LiteralValue::UInt(u) => format!("{}u", u.inner()),
            LiteralValue::Double(d) => format!("{:?}", d.inner()),
            LiteralValue::Boolean(b) => format!("{}", bool::from(*b)),
            LiteralValue::Null => "null".into(),
            LiteralValue::Bytes(_) => "b\"…\"".into(),
        },
        Expr::List(l) => format!(
            "[{}]",
            l.elements.iter().map(render).collect::<Vec<_>>().join(", ")
        ),
        Expr::Call(c) => {
            let args: Vec<String> = c.args.iter().map(render).collect();
            match &c.target {
                Some(t) => format!("{}.{}({})", render(t), c.func_name, args.join(", ")),
                None => format!("{}({})", c.func_name, args.join(", ")),
            }
        }
        Expr::Comprehension(c) => format!(
            "comprehension({}, {}, {}, {})",
            render(&c.iter_range),
            c.iter_var,
            render(&c.loop_step),
            render(&c.result)
        ),
        _ => "?".into(),
    }
}

/// The value of `domain` closest to `value` (shared prefix, then length).
fn closest(domain: &[&'static str], value: &str) -> &'static str {
    let score = |d: &str| {
        let prefix = d
            .chars()
            .zip(value.chars())
            .take_while(|(a, b)| a == b)
            .count();
        (prefix, usize::MAX - d.len().abs_diff(value.len()))
    };
    domain
        .iter()
        .copied()
        .max_by_key(|d| score(d))
        .unwrap_or("production")
}

/// L001: conditions that are false for every facts document.
fn never_matching(policy: &Policy, out: &mut Vec<Finding>) {
    for rule in policy.rules().iter().filter(|r| r.mode != Mode::Off) {
        let atoms = atoms(&rule.condition);
        let when = format!("{}/when", rule.pointer());
        // A value outside a fact's domain: fix the literal.
        let bad = atoms.iter().find_map(|a| match a {
            Atom::Equals(f, v) => domain(f)
                .filter(|d| !d.contains(&v.as_str()))
                .map(|d| (f, v, d)),
            _ => None,
        });
        if let Some((fact, value, d)) = bad {
            let good = closest(d, value);
            let fixed = rule
                .condition
                .source()
                .replace(&format!("\"{value}\""), &format!("\"{good}\""));
            let fixed = fixed.replace(&format!("'{value}'"), &format!("'{good}'"));
            out.push(finding(
                policy,
                "L001",
                Severity::Warning,
                when.clone(),
                format!(
                    "rule `{}` can never match: `{fact}` is never `{value}` (it is one of {})",
                    rule.id,
                    d.join(", ")
                ),
                Fix {
                    description: format!("compare with `{good}`"),
                    yaml: format!("when: '{}'", fixed.replace('\'', "''")),
                    edit: Some(Edit::Replace {
                        pointer: when,
                        value: Value::from(fixed),
                    }),
                },
            ));
            continue;
        }
        let contradiction = atoms.iter().any(|a| matches!(a, Atom::False))
            || atoms.iter().enumerate().any(|(i, a)| {
                atoms.iter().skip(i + 1).any(|b| match (a, b) {
                    (Atom::Equals(f1, v1), Atom::Equals(f2, v2)) => f1 == f2 && v1 != v2,
                    (Atom::Equals(f1, v1), Atom::NotEquals(f2, v2))
                    | (Atom::NotEquals(f2, v2), Atom::Equals(f1, v1)) => f1 == f2 && v1 == v2,
                    _ => false,
                })
            });
        if contradiction {
            out.push(finding(
                policy,
                "L001",
                Severity::Warning,
                when,
                format!(
                    "rule `{}` can never match: its condition contradicts itself",
                    rule.id
                ),
                remove_rule(rule, "it never matches"),
            ));
        }
    }
}

/// L002: an enforced rule that matches only when an earlier enforced rule with an equal or
/// stronger decision also matches never changes the outcome.
fn shadowed(policy: &Policy, out: &mut Vec<Finding>) {
    let enforced: Vec<(&Rule, Vec<Atom>)> = policy
        .rules()
        .iter()
        .filter(|r| r.mode == Mode::Enforce)
        .map(|r| (r, atoms(&r.condition)))
        .collect();
    for (i, (later, later_atoms)) in enforced.iter().enumerate() {
        let by = enforced.iter().take(i).find(|(earlier, earlier_atoms)| {
            earlier.decision >= later.decision
                && earlier_atoms.iter().all(|a| later_atoms.contains(a))
        });
        if let Some((earlier, _)) = by {
            out.push(finding(
                policy,
                "L002",
                Severity::Warning,
                later.pointer(),
                format!(
                    "rule `{}` is shadowed by the earlier rule `{}`: whenever it matches, `{}` matches too and decides `{}`",
                    later.id, earlier.id, earlier.id, earlier.decision.as_str()
                ),
                remove_rule(later, "it never changes the decision"),
            ));
        }
    }
}

/// L009: an enforced rule that reads a fact known only after execution (plan-v0.md §4) cannot
/// stop the change before it runs. An approval rule is a warning (the approval it asks for can
/// never precede execution, approval-v0.md §3.3); a `deny` is info (detective: it fails the run
/// after dbt changed the warehouse, as L005 asks for failed tests).
fn after_execution(policy: &Policy, out: &mut Vec<Finding>) {
    for rule in policy.rules().iter().filter(|r| r.mode == Mode::Enforce) {
        let late: Vec<&str> = rule
            .condition
            .facts()
            .iter()
            .map(String::as_str)
            .filter(|f| super::facts::known_after_execution(f))
            .collect();
        let (Some(first), true) = (late.first(), rule.decision != Decision::Allow) else {
            continue;
        };
        let (severity, effect) = if rule.decision == Decision::Deny {
            (
                Severity::Info,
                "it can only fail the run after dbt changed the warehouse (detective)",
            )
        } else {
            (Severity::Warning, "the approval it requires can never be given before execution, so the gate cannot ask for it and every matching run is in breach")
        };
        out.push(finding(
            policy,
            "L009",
            severity,
            format!("{}/when", rule.pointer()),
            format!(
                "rule `{}` reads `{first}`, known only after execution: {effect}",
                rule.id
            ),
            Fix {
                description: format!(
                    "decide on facts known before execution (change.*, dbt.command, dbt.target, dbt.models, sql.findings), or make rule `{}` a shadow rule",
                    rule.id
                ),
                yaml: "mode: shadow".to_owned(),
                edit: Some(Edit::Replace {
                    pointer: format!("{}/mode", rule.pointer()),
                    value: Value::from("shadow"),
                }),
            },
        ));
    }
}

/// An enforced rule reading `fact` with a decision in `decisions`.
fn has_rule(policy: &Policy, fact: &str, decisions: &[Decision]) -> bool {
    policy.rules().iter().any(|r| {
        r.mode == Mode::Enforce
            && decisions.contains(&r.decision)
            && r.condition.facts().iter().any(|f| f == fact)
    })
}

fn rule_value(id: &str, when: &str, decision: Decision, reason: &str) -> Value {
    let mut m = Map::new();
    m.insert("id", Value::from(id));
    m.insert("when", Value::from(when));
    m.insert("decision", Value::from(decision.as_str()));
    m.insert("reason", Value::from(reason));
    Value::from(m)
}

fn add_rule_fix(section: &str, id: &str, when: &str, decision: Decision, reason: &str) -> Fix {
    Fix {
        description: format!("add rule `{id}` to `{section}.rules`"),
        yaml: format!(
            "{section}:\n  rules:\n    - id: {id}\n      when: '{}'\n      decision: {}\n      reason: {reason}\n",
            when.replace('\'', "''"),
            decision.as_str()
        ),
        edit: Some(Edit::Append {
            pointer: format!("/{section}/rules"),
            value: rule_value(id, when, decision, reason),
        }),
    }
}

/// Minimum retention per framework (CONTROLS.md), in months.
const RETENTION: &[(&str, u32, &str)] = &[
    ("sox", 84, "P7Y"),
    ("hipaa", 72, "P6Y"),
    ("tcpa", 60, "P5Y"),
    ("pci_dss", 12, "P1Y"),
    ("eu_ai_act", 6, "P6M"),
];

/// Months of an ISO 8601 period `PnYnMnD` (days rounded down to months of 31 days).
fn months(period: &str) -> Option<u32> {
    let mut rest = period.strip_prefix('P')?;
    let mut total = 0u32;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let n: u32 = rest.get(..digits)?.parse().ok()?;
        let unit = rest.get(digits..digits + 1)?;
        total = total.saturating_add(match unit {
            "Y" => n.saturating_mul(12),
            "M" => n,
            "D" => n / 31,
            _ => return None,
        });
        rest = rest.get(digits + 1..)?;
    }
    Some(total)
}

/// L003–L008: coverage gaps.
fn coverage(policy: &Policy, out: &mut Vec<Finding>) {
    let doc = policy.doc();
    let environments: Vec<String> = doc
        .data_platform
        .as_ref()
        .and_then(|s| s.settings.get("environments"))
        .and_then(|e| serde_json::from_value(e.clone()).ok())
        .unwrap_or_else(|| vec!["production".to_owned()]);
    let approvals = [Decision::RequireApproval, Decision::RequireTwoPerson];
    if environments.iter().any(|e| e == "production")
        && !policy.rules().iter().any(|r| {
            r.mode == Mode::Enforce
                && approvals.contains(&r.decision)
                && atoms(&r.condition).iter().any(|a| {
                    matches!(a, Atom::Equals(f, v) if f == "change.environment" && v == "production")
                })
        })
    {
        out.push(finding(
            policy,
            "L003",
            Severity::Warning,
            "/data_platform".into(),
            "production is in scope but no enforced rule requires an approval for production changes".into(),
            add_rule_fix("data_platform", "production-change", "change.environment == \"production\"", Decision::RequireApproval, "production changes need an approval"),
        ));
    }
    if !doc
        .tables()
        .iter()
        .filter(|t| t.classification == "pii")
        .count()
        .eq(&0)
        && !has_rule(
            policy,
            "change.pii_tables",
            &[
                Decision::Deny,
                Decision::RequireApproval,
                Decision::RequireTwoPerson,
            ],
        )
    {
        out.push(finding(
            policy,
            "L004",
            Severity::Warning,
            "/data_platform/tables".into(),
            "tables are classified `pii` but no enforced rule reads `change.pii_tables`".into(),
            add_rule_fix(
                "data_platform",
                "pii-tables-two-person",
                "size(change.pii_tables) > 0",
                Decision::RequireTwoPerson,
                "the change writes PII tables",
            ),
        ));
    }
    let blocks_tests = doc
        .data_platform
        .as_ref()
        .and_then(|s| s.settings.get("dbt"))
        .and_then(|d| d.get("block_on_test_failure"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    if blocks_tests && !has_rule(policy, "dbt.tests_failed", &[Decision::Deny]) {
        out.push(finding(
            policy,
            "L005",
            Severity::Warning,
            "/data_platform/dbt/block_on_test_failure".into(),
            "`block_on_test_failure` is set but no enforced rule denies on `dbt.tests_failed`"
                .into(),
            add_rule_fix(
                "data_platform",
                "dbt-tests-failed",
                "dbt.tests_failed > 0",
                Decision::Deny,
                "dbt tests failed",
            ),
        ));
    }
    let compliance = doc.compliance.clone().unwrap_or_default();
    let needed = compliance
        .frameworks
        .iter()
        .filter_map(|f| RETENTION.iter().find(|(name, _, _)| name == f))
        .max_by_key(|(_, m, _)| *m);
    if let Some((framework, need, period)) = needed {
        let have = compliance
            .retention
            .as_ref()
            .and_then(|r| months(&r.period));
        if have.is_none_or(|h| h < *need) {
            let (pointer, edit) = match &compliance.retention {
                Some(_) => (
                    "/compliance/retention/period".to_owned(),
                    Edit::Replace {
                        pointer: "/compliance/retention/period".into(),
                        value: Value::from(*period),
                    },
                ),
                None => {
                    let mut r = Map::new();
                    r.insert("period", Value::from(*period));
                    r.insert("legal_hold", Value::from(false));
                    (
                        "/compliance".to_owned(),
                        Edit::Replace {
                            pointer: "/compliance/retention".into(),
                            value: Value::from(r),
                        },
                    )
                }
            };
            out.push(finding(
                policy,
                "L006",
                Severity::Warning,
                pointer,
                format!("`{framework}` is in scope and needs evidence kept at least {period}"),
                Fix {
                    description: format!("keep evidence {period}"),
                    yaml: format!(
                        "compliance:\n  retention: {{period: {period}, legal_hold: false}}\n"
                    ),
                    edit: Some(edit),
                },
            ));
        }
    }
    if compliance.frameworks.iter().any(|f| f == "tcpa") {
        let window = doc.calling_window();
        if window.start < super::tcpa::Window::TCPA.start
            || window.end > super::tcpa::Window::TCPA.end
        {
            let mut w = Map::new();
            w.insert("start", Value::from("08:00"));
            w.insert("end", Value::from("21:00"));
            out.push(finding(
                policy,
                "L007",
                Severity::Warning,
                "/voice_compliance/calling_window".into(),
                "the calling window is wider than TCPA allows (08:00-21:00 callee local time)"
                    .into(),
                Fix {
                    description: "use the TCPA window".into(),
                    yaml:
                        "voice_compliance:\n  calling_window: {start: \"08:00\", end: \"21:00\"}\n"
                            .into(),
                    edit: Some(Edit::Replace {
                        pointer: "/voice_compliance/calling_window".into(),
                        value: Value::from(w),
                    }),
                },
            ));
        } else if !has_rule(policy, "call.within_window", &[Decision::Deny]) {
            out.push(finding(
                policy,
                "L007",
                Severity::Warning,
                "/compliance/frameworks".into(),
                "TCPA is in scope but no enforced rule denies calls outside the calling window"
                    .into(),
                add_rule_fix(
                    "voice_compliance",
                    "tcpa-calling-window",
                    "!call.within_window",
                    Decision::Deny,
                    "outside the TCPA calling window",
                ),
            ));
        }
    }
    for rule in policy.rules().iter().filter(|r| r.mode == Mode::Off) {
        out.push(finding(
            policy,
            "L008",
            Severity::Info,
            rule.pointer(),
            format!("rule `{}` is off: never evaluated, never recorded", rule.id),
            remove_rule(rule, "it is off"),
        ));
    }
}

/// Applies `edit` to `doc`; `None` when the pointer does not fit the document.
pub fn apply(doc: &Value, edit: &Edit) -> Option<Value> {
    let mut doc = doc.clone();
    match edit {
        Edit::Replace { pointer, value } => {
            let (parent, last) = split(pointer)?;
            let slot = walk_create(&mut doc, &parent)?;
            match slot {
                Value::Object(m) => {
                    m.insert(last, value.clone());
                }
                Value::Array(a) => *a.get_mut(last.parse::<usize>().ok()?)? = value.clone(),
                _ => return None,
            }
        }
        Edit::Append { pointer, value } => {
            let target = walk_create(&mut doc, &segments(pointer))?;
            if matches!(target, Value::Null) {
                *target = Value::Array(Vec::new());
            }
            match target {
                Value::Array(a) => a.push(value.clone()),
                _ => return None,
            }
        }
        Edit::Remove { pointer } => {
            let (parent, last) = split(pointer)?;
            match walk_create(&mut doc, &parent)? {
                Value::Object(m) => {
                    m.remove(&last)?;
                }
                Value::Array(a) => {
                    let i = last.parse::<usize>().ok()?;
                    if i >= a.len() {
                        return None;
                    }
                    a.remove(i);
                }
                _ => return None,
            }
        }
    }
    Some(doc)
}

fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

fn split(pointer: &str) -> Option<(Vec<String>, String)> {
    let mut s = segments(pointer);
    let last = s.pop()?;
    Some((s, last))
}

/// The value at `path`, creating missing object members (as `null`, then objects) on the way.
fn walk_create<'a>(doc: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    let mut here = doc;
    for seg in path {
        if matches!(here, Value::Null) {
            *here = Value::Object(Map::new());
        }
        here = match here {
            Value::Object(m) => {
                if m.get(seg).is_none() {
                    m.insert(seg.clone(), Value::Null);
                }
                m.get_mut(seg)?
            }
            Value::Array(a) => a.get_mut(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(here)
}

/// The location helper for hosts: the position of `pointer` in `text` (for rendering).
pub fn locate(text: &str, file: &str, pointer: &str, limits: &Limits) -> Option<Location> {
    yaml::parse(text, file, limits).ok()?.1.locate(pointer)
}
