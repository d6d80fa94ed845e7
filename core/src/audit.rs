//! Auditor mode: a verdict read as audit evidence. Pure; every host renders the same report.
//!
//! For each pipeline step it names the controls the step's checks support (the table
//! [`CONTROL_TABLE`], identifiers exactly as in the project's `CONTROLS.md` §1–§8), states the
//! change in one sentence, breaks the `risk/v1` score into factor × weight terms (risk-v1.md §4)
//! and draws the manifest's lineage edges (def-v0.md §6) as an ASCII tree. The report is
//! informative: it never changes a verdict, and Clyra evidence *supports* a control, never
//! satisfies one alone.

use std::collections::{BTreeMap, BTreeSet};

use crate::display;
use crate::jcs::{self, Map, Value};
use crate::risk::{self, ChangeMagnitude, RiskBlock};
use crate::verdict::{Severity, Step};
use crate::verify::{ApprovalRecord, Verdict};

/// A control identifier: the framework and the id exactly as `CONTROLS.md` writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control {
    /// The framework, e.g. `PCI DSS v4.0.1`.
    pub framework: &'static str,
    /// The identifier within it, e.g. `10.3.2`.
    pub id: &'static str,
}

impl Control {
    /// `framework id`, e.g. `HIPAA 164.312(b)`.
    pub fn label(&self) -> String {
        format!("{} {}", self.framework, self.id)
    }
}

const fn c(framework: &'static str, id: &'static str) -> Control {
    Control { framework, id }
}

const SOX: &str = "SOX ITGC";
const PCI: &str = "PCI DSS v4.0.1";
const HIPAA: &str = "HIPAA";
const AI_ACT: &str = "EU AI Act";
const SOC2: &str = "SOC 2";
const NIST: &str = "NIST AI RMF";

/// One row of the controls table: what a step's checks establish and the controls that supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlRow {
    /// The pipeline step whose checks give this evidence.
    pub step: Step,
    /// What the checks establish, in a few words.
    pub topic: &'static str,
    /// The codes of the step that concern this row (informative).
    pub codes: &'static [&'static str],
    /// The controls supported (CONTROLS.md identifiers).
    pub controls: &'static [Control],
    /// Why, in one line.
    pub rationale: &'static str,
}

/// Pipeline steps → controls (CONTROLS.md §8, def-v0.md §10, pef-v0.md §8). Every step of
/// verdicts.md §2 has at least one row.
pub const CONTROL_TABLE: &[ControlRow] = &[
    ControlRow {
        step: Step::Container,
        topic: "bundle entries intact",
        codes: &["zip.crc", "bundle.missing_entry", "bundle.unexpected_entry"],
        controls: &[c(PCI, "10.3.2"), c(HIPAA, "164.312(c)(2)")],
        rationale: "the archive is read strictly, so added, removed or altered entries are detected",
    },
    ControlRow {
        step: Step::Manifest,
        topic: "change record (who, what, where, when, anchors)",
        codes: &["manifest.schema", "manifest.not_canonical", "manifest.time"],
        controls: &[c(PCI, "10.2.2"), c(SOX, "AS 1105.10"), c(HIPAA, "164.312(b)")],
        rationale: "actor, deployer, environment, UTC times and warehouse anchors are recorded in a schema-valid canonical manifest",
    },
    ControlRow {
        step: Step::Artifacts,
        topic: "test results and snapshots bound by digest",
        codes: &["artifact.digest_mismatch", "artifact.size_mismatch"],
        controls: &[c(HIPAA, "164.312(c)(2)"), c(SOC2, "CC8.1")],
        rationale: "recorded test and snapshot artifacts match their digests, corroborating the change record",
    },
    ControlRow {
        step: Step::Journal,
        topic: "hash-chained event log",
        codes: &["journal.prev", "journal.seq", "journal.head_mismatch"],
        controls: &[
            c(PCI, "10.2.1"),
            c(PCI, "10.3.2"),
            c(PCI, "10.3.4"),
            c(HIPAA, "164.312(b)"),
            c(AI_ACT, "Art. 12(1)"),
            c(SOX, "AS 1105.10"),
        ],
        rationale: "a gap-free, hash-chained journal shows every event and exposes gaps, reordering or edits",
    },
    ControlRow {
        step: Step::Merkle,
        topic: "Merkle root over journal and artifacts",
        codes: &["merkle.root_mismatch", "merkle.size_mismatch"],
        controls: &[
            c(PCI, "10.3.2"),
            c(PCI, "10.3.4"),
            c(HIPAA, "164.312(c)(2)"),
            c(AI_ACT, "Art. 12(1)"),
        ],
        rationale: "the recomputed root equals the signed one: the trail cannot be changed without detection",
    },
    ControlRow {
        step: Step::Keys,
        topic: "producer signatures",
        codes: &["sig.invalid", "signature.scheme_unknown"],
        controls: &[c(PCI, "10.3.2"), c(HIPAA, "164.312(c)(2)"), c(SOC2, "CC6.1")],
        rationale: "DSSE signatures verify, protecting the record against modification",
    },
    ControlRow {
        step: Step::Statement,
        topic: "signature binds this manifest",
        codes: &["statement.subject_mismatch", "statement.binding"],
        controls: &[c(PCI, "10.3.2"), c(HIPAA, "164.312(c)(2)")],
        rationale: "the signed statement names this manifest's digest, Merkle root and journal head",
    },
    ControlRow {
        step: Step::Trust,
        topic: "trusted keys within their windows",
        codes: &[
            "trust.untrusted_key",
            "time.key_window",
            "time.key_revoked",
            "time.key_revoked_witnessed",
            "time.witness_after_revocation",
            "time.witness_untrusted",
            "time.witness_proof_mismatch",
        ],
        controls: &[
            c(PCI, "10.2.1.5"),
            c(PCI, "10.3.2"),
            c(SOC2, "CC6.1"),
            c(SOX, "Access to programs and data"),
        ],
        rationale: "signing keys are held by the trust file with their role, validity window and revocation judged at signing time",
    },
    ControlRow {
        step: Step::Approvals,
        topic: "approval before deployment (MFA, nonce, payload hash, window)",
        codes: &[
            "approval.signature",
            "approval.payload_hash",
            "approval.window",
            "approval.after_execution",
            "approval.insufficient",
        ],
        controls: &[
            c(SOX, "Program changes"),
            c(PCI, "6.5.1"),
            c(PCI, "6.5.4"),
            c(SOC2, "CC8.1"),
            c(AI_ACT, "Art. 14(1)"),
            c(NIST, "MAP 3.5"),
            c(NIST, "MANAGE 4.1"),
        ],
        rationale: "signed approvals bind this exact change and precede its first execution event",
    },
    ControlRow {
        step: Step::Approvals,
        topic: "segregation of duties (two-person rule)",
        codes: &[
            "approval.self_approval",
            "approval.duplicate_approver",
            "approval.actor_is_deployer",
        ],
        controls: &[
            c(SOX, "COSO P10"),
            c(PCI, "6.5.4"),
            c(AI_ACT, "Art. 14(5)"),
            c(NIST, "GOVERN 3.2"),
        ],
        rationale: "approvers are distinct people, none of them the author or the deployer of the change",
    },
    ControlRow {
        step: Step::Policy,
        topic: "policy in force bound by hash",
        codes: &["policy.hash_mismatch", "policy.missing"],
        controls: &[
            c(SOX, "COSO P12"),
            c(PCI, "6.5.4"),
            c(HIPAA, "164.312(c)(1)"),
            c(NIST, "GOVERN 1.4"),
        ],
        rationale: "the policy document given hashes to the one the producer recorded its decisions under",
    },
    ControlRow {
        step: Step::Policy,
        topic: "recorded deny and shadow decisions",
        codes: &[],
        controls: &[c(PCI, "10.2.1.4"), c(SOC2, "CC7.3")],
        rationale: "denials are recorded; a shadow deny is detective evidence (would have blocked), never preventive",
    },
    ControlRow {
        step: Step::Risk,
        topic: "risk score recomputed",
        codes: &["risk.score_mismatch", "risk.schema"],
        controls: &[
            c(PCI, "6.5.1"),
            c(PCI, "10.4.2.1"),
            c(NIST, "MEASURE 2.8"),
            c(AI_ACT, "Art. 12(2)(a)"),
        ],
        rationale: "the signed score is the one its recorded factors and weights give (security impact of the change)",
    },
];

/// The pipeline steps of a bundle verification (verdicts.md §2), in order.
pub const PIPELINE: [Step; 11] = [
    Step::Container,
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

/// Assumptions auditor mode states (CONTROLS.md §8, rules for auditor-mode output).
pub const ASSUMPTIONS: [&str; 2] = [
    "clock synchronisation, WORM storage and access to stored bundles are the customer's (PCI DSS v4.0.1 10.6.1, 10.3.3, 10.3.1)",
    "tamper evidence counts for PCI DSS v4.0.1 10.3.4 only if verify runs on a schedule and a non-zero exit alerts",
];

/// One step of the verdict as audit evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepAudit {
    /// The pipeline step.
    pub step: Step,
    /// The worst severity among its checks (`ok` when it recorded none).
    pub severity: Severity,
    /// The distinct codes its checks recorded, in order.
    pub codes: Vec<&'static str>,
    /// The control rows this step supports.
    pub rows: Vec<&'static ControlRow>,
}

impl StepAudit {
    /// Whether the step's evidence supports its controls: it ran and nothing failed or was
    /// indeterminate (`skipped` never supports).
    pub fn supports(&self) -> bool {
        self.severity <= Severity::Warn && !self.codes.contains(&"skipped")
    }
}

/// One term of the risk formula (risk-v1.md §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskTerm {
    /// The factor, e.g. `violations_warning`.
    pub factor: &'static str,
    /// Its recorded value, as written (`schema`, `1`, `true`).
    pub value: String,
    /// The weight applied, e.g. `violation_warning` (for `change_magnitude`, the one selected).
    pub weight: &'static str,
    /// The weight's recorded value (0 for magnitude `none`).
    pub weight_value: u64,
    /// The points this term adds.
    pub points: u64,
}

/// The risk score broken down into its terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskBreakdown {
    /// The nine terms, in the order of risk-v1.md §4.1.
    pub terms: Vec<RiskTerm>,
    /// The sum of the terms.
    pub raw: u64,
    /// `min(100, max(0, raw))`.
    pub score: u64,
    /// The score the manifest records.
    pub recorded: u64,
    /// The eleven recorded weights (risk-v1.md §2.1): the producer's choice.
    pub weights: risk::Weights,
    /// Whether a policy was given, so the risk step compared the weights with its own
    /// (risk-v1.md §6.1 item 4); false: nobody checked them (§2.3).
    pub weights_checked: bool,
}

impl RiskBreakdown {
    /// The breakdown of a parsed `risk/v1` block.
    pub fn of(block: &RiskBlock) -> Self {
        let w = block.weights();
        let f = block.factors();
        let (mag_weight, mag_value) = match f.change_magnitude {
            ChangeMagnitude::Schema => ("magnitude_schema", w.magnitude_schema),
            ChangeMagnitude::Data => ("magnitude_data", w.magnitude_data),
            ChangeMagnitude::Config => ("magnitude_config", w.magnitude_config),
            ChangeMagnitude::None => ("none", 0),
        };
        let count = |factor, n: u64, weight, wv: u64| RiskTerm {
            factor,
            value: n.to_string(),
            weight,
            weight_value: wv,
            points: n.saturating_mul(wv),
        };
        let flag = |factor, b: bool, weight, wv: u64| RiskTerm {
            factor,
            value: b.to_string(),
            weight,
            weight_value: wv,
            points: if b { wv } else { 0 },
        };
        let terms = vec![
            RiskTerm {
                factor: "change_magnitude",
                value: f.change_magnitude.as_str().to_owned(),
                weight: mag_weight,
                weight_value: mag_value,
                points: mag_value,
            },
            count(
                "violations_critical",
                f.violations_critical,
                "violation_critical",
                w.violation_critical,
            ),
            count(
                "violations_warning",
                f.violations_warning,
                "violation_warning",
                w.violation_warning,
            ),
            flag("production", f.production, "production", w.production),
            flag("off_hours", f.off_hours, "off_hours", w.off_hours),
            flag(
                "approval_bypassed",
                f.approval_bypassed,
                "approval_bypassed",
                w.approval_bypassed,
            ),
            count("threats", f.threats, "threat", w.threat),
            count("sql_findings", f.sql_findings, "sql_finding", w.sql_finding),
            flag(
                "first_time_actor",
                f.first_time_actor,
                "first_time_actor",
                w.first_time_actor,
            ),
        ];
        let raw = terms.iter().fold(0u64, |a, t| a.saturating_add(t.points));
        Self {
            terms,
            raw,
            score: risk::score(w, f),
            recorded: block.score(),
            weights: *w,
            weights_checked: false,
        }
    }

    /// The weights as `name value` pairs, each that differs from its risk-v1.md §2.1 default
    /// followed by `(default D)`.
    pub fn weights_text(&self) -> String {
        self.weights
            .named()
            .iter()
            .zip(risk::default_weights().named())
            .map(|((name, v), (_, d))| {
                if *v == d {
                    format!("{name} {v}")
                } else {
                    format!("{name} {v} (default {d})")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The auditor view of one verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// The manifest's `format`, when the manifest was read.
    pub format: Option<String>,
    /// The change in one sentence.
    pub summary: String,
    /// Each pipeline step with the controls it supports.
    pub steps: Vec<StepAudit>,
    /// The risk breakdown, when the manifest has a valid `risk/v1` block.
    pub risk: Option<RiskBreakdown>,
    /// The lineage edges as an ASCII tree (empty when there are none).
    pub lineage: String,
    /// The same tree with every node name escaped for a terminal (verdicts.md §3.3).
    pub lineage_shown: String,
    /// Findings an auditor should read (shadow decisions, approvals not counted, …).
    pub notes: Vec<String>,
    /// What auditor mode assumes of the customer.
    pub assumptions: Vec<&'static str>,
}

fn text<'a>(v: Option<&'a Value>, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v?, |v, k| v.get(k))
        .and_then(Value::as_str)
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Whether the approvals step recorded only passing checks for `file`.
fn approval_counted(verdict: &Verdict, file: &str) -> Result<(), Vec<&'static str>> {
    let bad: Vec<&'static str> = verdict
        .checks
        .iter()
        .filter(|c| c.step() == Step::Approvals && c.subject() == Some(file))
        .filter(|c| c.severity() != Severity::Ok)
        .map(|c| c.code())
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad)
    }
}

/// The auditor view of `verdict`, with the manifest JSON (when the manifest step passed) and the
/// approval payloads as recorded (`verify_bundle_with_evidence` gives both).
pub fn audit(
    verdict: &Verdict,
    manifest: Option<&Value>,
    approvals: &[ApprovalRecord],
) -> AuditReport {
    let steps = PIPELINE
        .iter()
        .map(|step| {
            let checks: Vec<_> = verdict
                .checks
                .iter()
                .filter(|c| c.step() == *step)
                .collect();
            let mut codes: Vec<&'static str> = Vec::new();
            for check in &checks {
                if !codes.contains(&check.code()) {
                    codes.push(check.code());
                }
            }
            StepAudit {
                step: *step,
                severity: checks
                    .iter()
                    .map(|c| c.severity())
                    .max()
                    .unwrap_or(Severity::Ok),
                codes,
                rows: CONTROL_TABLE.iter().filter(|r| r.step == *step).collect(),
            }
        })
        .collect();
    let risk = manifest
        .and_then(|m| m.get("risk"))
        .and_then(|r| RiskBlock::parse(r).ok())
        .map(|b| RiskBreakdown {
            // risk-v1.md §6.1 item 4 ran (a usable policy was given) exactly when the risk
            // step recorded its second check (`risk::check_with_policy`).
            weights_checked: verdict
                .checks
                .iter()
                .filter(|c| c.step() == Step::Risk)
                .count()
                > 1,
            ..RiskBreakdown::of(&b)
        });
    let mut notes = Vec::new();
    let approvers: Vec<String> = approvals
        .iter()
        .map(|a| {
            let who = a.sso_sub.clone().unwrap_or_else(|| a.file.clone());
            match approval_counted(verdict, &a.file) {
                Ok(()) => who,
                Err(codes) => {
                    notes.push(format!(
                        "approval {} ({who}) did not count: {}",
                        a.file,
                        codes.join(", ")
                    ));
                    format!("{who} (not counted)")
                }
            }
        })
        .collect();
    let mut times: Vec<String> = Vec::new();
    for t in approvals.iter().filter_map(|a| a.approved_at.clone()) {
        if !times.contains(&t) {
            times.push(t);
        }
    }
    for a in approvals {
        if a.mfa_verified == Some(false) {
            notes.push(format!("approval {} was given without MFA", a.file));
        }
    }
    let decisions = manifest
        .and_then(|m| m.get("policy"))
        .and_then(|p| p.get("decisions"))
        .and_then(Value::as_array)
        .unwrap_or(&[]);
    for d in decisions {
        let field = |k| d.get(k).and_then(Value::as_str).unwrap_or("?");
        if field("decision") == "deny" && field("mode") == "shadow" {
            notes.push(format!(
                "policy rule `{}` would have blocked this change (shadow: detective evidence only): {}",
                field("rule"),
                field("reason")
            ));
        }
    }
    let summary = summary(manifest, &approvers, &times, risk.as_ref());
    let pairs: Vec<(&str, &str)> = manifest
        .and_then(|m| m.get("lineage"))
        .and_then(Value::as_array)
        .map(|edges| {
            edges
                .iter()
                .filter_map(|e| {
                    Some((
                        e.get("from").and_then(Value::as_str)?,
                        e.get("to").and_then(Value::as_str)?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let subject = text(manifest, &["change", "subject"]);
    let lineage = lineage_tree(&pairs, subject);
    let lineage_shown = draw_lineage(&pairs, subject, |n| display::escape(n).into_owned());
    AuditReport {
        format: text(manifest, &["format"]).map(str::to_owned),
        summary,
        steps,
        risk,
        lineage,
        lineage_shown,
        notes,
        assumptions: ASSUMPTIONS.to_vec(),
    }
}

fn summary(
    manifest: Option<&Value>,
    approvers: &[String],
    times: &[String],
    risk: Option<&RiskBreakdown>,
) -> String {
    let Some(m) = manifest else {
        return "The manifest could not be read: no change to describe.".to_owned();
    };
    let field = |path: &[&str]| text(Some(m), path).unwrap_or("?");
    let approved = if approvers.is_empty() {
        "with no approvals recorded".to_owned()
    } else if times.is_empty() {
        format!("approved by {}", join_and(approvers))
    } else {
        format!("approved by {} at {}", join_and(approvers), join_and(times))
    };
    let risk = risk.map_or_else(
        || "risk not scored by risk/v1".to_owned(),
        |r| format!("risk {}/100", r.recorded),
    );
    let env = field(&["change", "environment"]);
    let actor = field(&["change", "actor"]);
    if field(&["format"]) == "pef/v0" {
        let ops = m
            .get("pef")
            .and_then(|p| p.get("operations"))
            .and_then(Value::as_array)
            .unwrap_or(&[]);
        let (tool, target, outcome) =
            ops.first()
                .map_or(("?", field(&["change", "subject"]), "?"), |op| {
                    let f = |k| op.get(k).and_then(Value::as_str).unwrap_or("?");
                    (f("tool"), f("target"), f("outcome"))
                });
        let more = match ops.len() {
            0 | 1 => String::new(),
            n => format!(" (+{} more operations)", n - 1),
        };
        format!(
            "{tool} on `{target}`{more} in {env} by {actor}, {approved}, outcome {outcome}, {risk}"
        )
    } else {
        format!(
            "{} change to `{}` in {env} by {actor}, {approved}, {risk}",
            capitalise(field(&["change", "kind"])),
            field(&["change", "subject"]),
        )
    }
}

/// Draws lineage edges (`from` → `to`, data flows downstream) as an ASCII tree.
///
/// Roots are nodes with no incoming edge, sorted; nodes left unreached (cycles with no root) start
/// further trees. A node already drawn is printed again with `(see above)` and not expanded; an
/// edge back to a node on the current path is printed with `(cycle)`. `subject`, when given, is
/// marked `[changed]`. Iterative: no recursion depth to exhaust.
pub fn lineage_tree(edges: &[(&str, &str)], subject: Option<&str>) -> String {
    draw_lineage(edges, subject, str::to_owned)
}

/// [`lineage_tree`] with each node name written through `name` (raw, or escaped for a terminal).
fn draw_lineage(
    edges: &[(&str, &str)],
    subject: Option<&str>,
    name: impl Fn(&str) -> String,
) -> String {
    let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut nodes: BTreeSet<&str> = BTreeSet::new();
    let mut has_parent: BTreeSet<&str> = BTreeSet::new();
    for (from, to) in edges {
        let list = children.entry(from).or_default();
        if !list.contains(to) {
            list.push(to);
        }
        nodes.insert(from);
        nodes.insert(to);
        has_parent.insert(to);
    }
    for list in children.values_mut() {
        list.sort_unstable();
    }
    let mut starts: Vec<&str> = nodes
        .iter()
        .copied()
        .filter(|n| !has_parent.contains(n))
        .collect();
    // Popped from the end: reversed so roots are drawn in sorted order.
    starts.reverse();
    let mut drawn: BTreeSet<&str> = BTreeSet::new();
    let mut out = String::new();
    let label = |n: &str| {
        if Some(n) == subject {
            format!("{} [changed]", name(n))
        } else {
            name(n)
        }
    };
    let mut next_unreached = nodes.iter().copied();
    loop {
        let root = match starts.pop() {
            Some(r) => r,
            None => match next_unreached.by_ref().find(|n| !drawn.contains(n)) {
                Some(r) => r,
                None => break,
            },
        };
        if drawn.contains(root) {
            continue;
        }
        // Work items: (node, prefix of its children's lines, its ancestors, next child index).
        out.push_str(&label(root));
        out.push('\n');
        drawn.insert(root);
        let mut stack: Vec<(&str, String, Vec<&str>, usize)> =
            vec![(root, String::new(), vec![root], 0)];
        while let Some((node, prefix, path, index)) = stack.pop() {
            let kids = children.get(node).map(Vec::as_slice).unwrap_or(&[]);
            let Some(kid) = kids.get(index).copied() else {
                continue;
            };
            let last = index + 1 == kids.len();
            stack.push((node, prefix.clone(), path.clone(), index + 1));
            let (branch, indent) = if last {
                ("└── ", "    ")
            } else {
                ("├── ", "│   ")
            };
            out.push_str(&prefix);
            out.push_str(branch);
            out.push_str(&label(kid));
            if path.contains(&kid) {
                out.push_str(" (cycle)\n");
            } else if drawn.contains(kid) {
                out.push_str(" (see above)\n");
            } else {
                out.push('\n');
                drawn.insert(kid);
                let mut kid_path = path.clone();
                kid_path.push(kid);
                stack.push((kid, format!("{prefix}{indent}"), kid_path, 0));
            }
        }
    }
    out
}

impl AuditReport {
    /// The report as canonical JSON (RFC 8785, members sorted; no trailing newline).
    pub fn to_json(&self) -> Vec<u8> {
        jcs::to_vec(&self.to_value())
    }

    /// The report as a JSON value (the `audit` member of verdicts.md §3).
    pub fn to_value(&self) -> Value {
        let strs = |v: &[&str]| Value::from(v.iter().map(|s| Value::from(*s)).collect::<Vec<_>>());
        let steps: Vec<Value> = self
            .steps
            .iter()
            .map(|s| {
                let mut m = Map::new();
                m.insert("step", Value::from(s.step.as_str()));
                m.insert("severity", Value::from(s.severity.as_str()));
                m.insert("supports", Value::from(s.supports()));
                m.insert("codes", strs(&s.codes));
                let rows: Vec<Value> = s
                    .rows
                    .iter()
                    .map(|r| {
                        let mut row = Map::new();
                        row.insert("topic", Value::from(r.topic));
                        row.insert("rationale", Value::from(r.rationale));
                        let ids: Vec<String> = r.controls.iter().map(Control::label).collect();
                        row.insert(
                            "controls",
                            Value::from(ids.into_iter().map(Value::from).collect::<Vec<_>>()),
                        );
                        Value::from(row)
                    })
                    .collect();
                m.insert("controls", Value::from(rows));
                Value::from(m)
            })
            .collect();
        let mut top = Map::new();
        if let Some(format) = &self.format {
            top.insert("format", Value::from(format.as_str()));
        }
        top.insert("summary", Value::from(self.summary.as_str()));
        top.insert("steps", Value::from(steps));
        if let Some(r) = &self.risk {
            let num = |n: u64| Value::from(u32::try_from(n).unwrap_or(u32::MAX));
            let terms: Vec<Value> = r
                .terms
                .iter()
                .map(|t| {
                    let mut m = Map::new();
                    m.insert("factor", Value::from(t.factor));
                    m.insert("value", Value::from(t.value.as_str()));
                    m.insert("weight", Value::from(t.weight));
                    m.insert("weight_value", num(t.weight_value));
                    m.insert("points", num(t.points));
                    Value::from(m)
                })
                .collect();
            let mut m = Map::new();
            m.insert("terms", Value::from(terms));
            m.insert("raw", num(r.raw));
            m.insert("score", num(r.score));
            m.insert("recorded", num(r.recorded));
            let weights = |w: &risk::Weights| {
                let mut o = Map::new();
                for (name, v) in w.named() {
                    o.insert(name, num(v));
                }
                Value::from(o)
            };
            m.insert("weights", weights(&r.weights));
            m.insert("default_weights", weights(&risk::default_weights()));
            m.insert("weights_checked", Value::from(r.weights_checked));
            top.insert("risk", Value::from(m));
        }
        top.insert("lineage", Value::from(self.lineage.as_str()));
        let notes: Vec<&str> = self.notes.iter().map(String::as_str).collect();
        top.insert("notes", strs(&notes));
        top.insert("assumptions", strs(&self.assumptions));
        Value::from(top)
    }

    /// The report for people: summary, controls per step, risk breakdown, lineage, notes.
    pub fn to_text(&self) -> String {
        let mut out = String::from("AUDITOR VIEW\n");
        // verdicts.md §3.3: strings from the evidence are escaped for the terminal.
        out.push_str(&format!("Summary: {}\n", display::escape(&self.summary)));
        out.push_str("\nControls supported (evidence supports, never satisfies, a control):\n");
        for s in &self.steps {
            let status = if s.supports() {
                "supports".to_owned()
            } else {
                let codes: Vec<&str> = s.codes.iter().copied().filter(|c| *c != "ok").collect();
                format!("DOES NOT SUPPORT ({}: {})", s.severity, codes.join(", "))
            };
            out.push_str(&format!("  {:<10} {status}\n", s.step.as_str()));
            for r in &s.rows {
                let ids: Vec<String> = r.controls.iter().map(Control::label).collect();
                out.push_str(&format!("    - {}: {}\n", r.topic, ids.join("; ")));
                out.push_str(&format!("      {}\n", r.rationale));
            }
        }
        match &self.risk {
            Some(r) => {
                out.push_str("\nRisk (risk/v1, factor × weight = points):\n");
                for t in &r.terms {
                    out.push_str(&format!(
                        "  {:<20} {:<7} × {:<18} {:>4} = {:>4}\n",
                        t.factor, t.value, t.weight, t.weight_value, t.points
                    ));
                }
                out.push_str(&format!(
                    "  raw {}; score min(100, max(0, {})) = {}; recorded {}\n",
                    r.raw, r.raw, r.score, r.recorded
                ));
                out.push_str(&format!("  weights: {}\n", r.weights_text()));
                out.push_str(if r.weights_checked {
                    "  the weights were checked against the given policy (risk step)\n"
                } else {
                    "  the weights are the producer's own choice and were NOT checked: give \
                     --policy to check them against the policy's compliance.risk\n"
                });
            }
            None => out.push_str("\nRisk: no valid risk/v1 block to break down\n"),
        }
        out.push_str("\nLineage (data flows downward):\n");
        if self.lineage.is_empty() {
            out.push_str("  (no lineage recorded)\n");
        } else {
            for line in self.lineage_shown.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        if !self.notes.is_empty() {
            out.push_str("\nNotes:\n");
            for n in &self.notes {
                out.push_str(&format!("  - {}\n", display::escape(n)));
            }
        }
        out.push_str("\nAssumptions:\n");
        for a in &self.assumptions {
            out.push_str(&format!("  - {a}\n"));
        }
        out
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]
mod tests {
    use super::*;
    use crate::verdict::Check;
    use crate::Limits;

    /// The `manifest-def-v0` example of def-v0.md §11.3.
    fn def_manifest() -> Value {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/def-v0.md"))
                .unwrap();
        let after = &text[text.find("<!-- example: manifest-def-v0 -->").unwrap()..];
        let open = after.find("```json").unwrap() + 7;
        let close = open + after[open..].find("```").unwrap();
        jcs::parse(&after.as_bytes()[open..close], &Limits::default()).unwrap()
    }

    fn ok_verdict() -> Verdict {
        Verdict::from_checks(PIPELINE.iter().map(|s| Check::ok(*s)).collect())
    }

    #[test]
    fn risk_breakdown_of_the_def_worked_example_gives_its_score() {
        let manifest = def_manifest();
        let block = RiskBlock::parse(manifest.get("risk").unwrap()).unwrap();
        let b = RiskBreakdown::of(&block);
        let points: Vec<(&str, &str, u64, u64)> = b
            .terms
            .iter()
            .map(|t| (t.factor, t.weight, t.weight_value, t.points))
            .collect();
        assert_eq!(
            points,
            [
                ("change_magnitude", "magnitude_schema", 20, 20),
                ("violations_critical", "violation_critical", 25, 0),
                ("violations_warning", "violation_warning", 5, 5),
                ("production", "production", 15, 15),
                ("off_hours", "off_hours", 5, 0),
                ("approval_bypassed", "approval_bypassed", 30, 0),
                ("threats", "threat", 10, 0),
                ("sql_findings", "sql_finding", 8, 0),
                ("first_time_actor", "first_time_actor", 10, 0),
            ]
        );
        assert_eq!((b.raw, b.score, b.recorded), (40, 40, 40));
    }

    #[test]
    fn risk_breakdown_shows_the_clamp() {
        // risk-v1.md §7 example 3: raw 123, score 100.
        let mut manifest = def_manifest();
        let Value::Object(m) = &mut manifest else {
            panic!()
        };
        let mut risk = m.get("risk").unwrap().clone();
        let Value::Object(r) = &mut risk else {
            panic!()
        };
        let mut f = r.get("factors").unwrap().as_object().unwrap().clone();
        f.insert("violations_critical", Value::from(2u32));
        f.insert("violations_warning", Value::from(0u32));
        f.insert("approval_bypassed", Value::from(true));
        f.insert("sql_findings", Value::from(1u32));
        r.insert("factors", Value::from(f));
        r.insert("score", Value::from(100u32));
        let b = RiskBreakdown::of(&RiskBlock::parse(&risk).unwrap());
        assert_eq!((b.raw, b.score), (123, 100));
    }

    #[test]
    fn lineage_tree_guards_shared_children_and_cycles() {
        let edges = [
            ("model.a", "model.b"),
            ("model.a", "model.c"),
            ("model.b", "model.d"),
            ("model.c", "model.d"),
            ("model.d", "model.b"),
            ("model.a", "model.b"),
        ];
        assert_eq!(
            lineage_tree(&edges, Some("model.c")),
            concat!(
                "model.a\n",
                "├── model.b\n",
                "│   └── model.d\n",
                "│       └── model.b (cycle)\n",
                "└── model.c [changed]\n",
                "    └── model.d (see above)\n",
            )
        );
        // A cycle with no root still draws, once.
        assert_eq!(
            lineage_tree(&[("y", "x"), ("x", "y")], None),
            "x\n└── y\n    └── x (cycle)\n"
        );
        assert_eq!(lineage_tree(&[], None), "");
    }

    #[test]
    fn every_step_maps_to_controls_named_verbatim_in_controls_md() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/CONTROLS.md");
        let controls = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("CONTROLS.md must be readable at {path}: {e}"));
        for step in PIPELINE {
            let ids: Vec<&Control> = CONTROL_TABLE
                .iter()
                .filter(|r| r.step == step)
                .flat_map(|r| r.controls.iter())
                .collect();
            assert!(!ids.is_empty(), "step {step} maps to no control");
        }
        for row in CONTROL_TABLE {
            assert!(!row.rationale.is_empty() && !row.rationale.contains('\n'));
            for control in row.controls {
                assert!(
                    controls.contains(control.framework),
                    "framework `{}` is not in CONTROLS.md",
                    control.framework
                );
                assert!(
                    controls.contains(control.id),
                    "control id `{}` is not in CONTROLS.md",
                    control.id
                );
            }
        }
    }

    #[test]
    fn def_summary_names_change_approvers_times_and_risk() {
        let manifest = def_manifest();
        let approvals = [
            ApprovalRecord {
                file: "approvals/0001.dsse.json".into(),
                sso_sub: Some("dana.lee@acme.example".into()),
                approved_at: Some("2026-11-20T08:41:10Z".into()),
                mfa_verified: Some(true),
            },
            ApprovalRecord {
                file: "approvals/0002.dsse.json".into(),
                sso_sub: Some("omar.haddad@acme.example".into()),
                approved_at: Some("2026-11-20T08:52:37Z".into()),
                mfa_verified: Some(true),
            },
        ];
        let report = audit(&ok_verdict(), Some(&manifest), &approvals);
        assert_eq!(
            report.summary,
            "Schema change to `model.shop.orders` in production by maria.chen@acme.example, \
             approved by dana.lee@acme.example and omar.haddad@acme.example at \
             2026-11-20T08:41:10Z and 2026-11-20T08:52:37Z, risk 40/100"
        );
        assert!(report.steps.iter().all(StepAudit::supports));
        assert!(report
            .notes
            .iter()
            .any(|n| n.contains("`contract-columns` would have blocked")));
        assert!(report.lineage.contains("└── model.shop.orders [changed]"));
        let json = report.to_json();
        jcs::check_canonical(&json, &Limits::default()).unwrap();
        let text = report.to_text();
        assert!(text.contains("HIPAA 164.312(b)"));
        assert!(text.contains("raw 40; score min(100, max(0, 40)) = 40; recorded 40"));
    }

    #[test]
    fn text_escapes_what_the_manifest_and_approvals_say_and_json_keeps_it() {
        // verdicts.md §3.3: a node name, an approver and the subject carrying a forged line.
        let evil = "x\u{1b}[2K\rVALID\n\u{202e}";
        let mut manifest = def_manifest();
        let Value::Object(m) = &mut manifest else {
            panic!()
        };
        let mut edge = Map::new();
        edge.insert("from", Value::from(format!("model.a{evil}").as_str()));
        edge.insert("to", Value::from(format!("model.b{evil}").as_str()));
        m.insert("lineage", Value::from(vec![Value::from(edge)]));
        let approvals = [ApprovalRecord {
            file: "approvals/0001.dsse.json".into(),
            sso_sub: Some(evil.into()),
            approved_at: None,
            mfa_verified: Some(false),
        }];
        let report = audit(&ok_verdict(), Some(&manifest), &approvals);
        let text = report.to_text();
        assert!(
            !text.chars().any(|c| c != '\n' && display::is_unsafe(c)),
            "{text}"
        );
        assert!(!text.lines().any(|l| l.starts_with("VALID")), "{text}");
        assert!(
            text.contains("  model.ax\\x1b[2K\\rVALID\\n\\u{202e}\n"),
            "{text}"
        );
        assert!(text.contains("by x\\x1b[2K\\rVALID\\n\\u{202e}"), "{text}");
        assert!(report
            .lineage
            .starts_with(&format!("model.a{evil}\n└── model.b{evil}")));
        assert!(report.summary.contains(evil));
    }

    #[test]
    fn a_failed_approval_is_not_counted_and_its_step_does_not_support() {
        let manifest = def_manifest();
        let mut checks: Vec<Check> = PIPELINE.iter().map(|s| Check::ok(*s)).collect();
        checks.push(
            Check::new(Step::Approvals, "approval.self_approval", Severity::Fail)
                .with_subject("approvals/0001.dsse.json"),
        );
        let approvals = [ApprovalRecord {
            file: "approvals/0001.dsse.json".into(),
            sso_sub: Some("maria.chen@acme.example".into()),
            approved_at: None,
            mfa_verified: Some(false),
        }];
        let report = audit(&Verdict::from_checks(checks), Some(&manifest), &approvals);
        assert!(report
            .summary
            .contains("approved by maria.chen@acme.example (not counted), risk 40/100"));
        let step = report
            .steps
            .iter()
            .find(|s| s.step == Step::Approvals)
            .unwrap();
        assert!(!step.supports());
        assert!(report
            .notes
            .iter()
            .any(|n| n.contains("approval.self_approval")));
        assert!(report.notes.iter().any(|n| n.contains("without MFA")));
    }

    #[test]
    fn pef_summary_names_tool_target_and_actor() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/pef-v0.md"))
                .unwrap();
        let after = &text[text.find("<!-- example: manifest-pef-v0 -->").unwrap()..];
        let open = after.find("```json").unwrap() + 7;
        let close = open + after[open..].find("```").unwrap();
        let manifest = jcs::parse(&after.as_bytes()[open..close], &Limits::default()).unwrap();
        let report = audit(&ok_verdict(), Some(&manifest), &[]);
        assert!(
            report
                .summary
                .starts_with("crm.update_case on `crm:case/500XX00000A1b2C` in "),
            "{}",
            report.summary
        );
        assert!(report.summary.contains("by agent:support-triage"));
        assert!(report.summary.ends_with("risk 35/100"));
    }

    #[test]
    fn no_manifest_still_reports_every_step() {
        let report = audit(&ok_verdict(), None, &[]);
        assert_eq!(report.steps.len(), PIPELINE.len());
        assert!(report.risk.is_none());
        assert!(report.lineage.is_empty());
    }
}
