//! The auditor one-pager of a verified bundle (`clyra verify BUNDLE --auditor --format pdf`):
//! who, what, when, approvals, risk breakdown, lineage, controls, the command that re-checks it,
//! and the SHA-256 of the verdict JSON it was made from. Content only; [`crate::pdf`] lays it out.

use clyra_core::audit::AuditReport;
use clyra_core::verdict::{Severity, Step};
use clyra_core::verify::{ApprovalRecord, Verdict};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::document::{pairs, Document};

/// Everything the one-pager shows, as `clyra verify --auditor` computed it.
#[derive(Debug, Clone, Copy)]
pub struct AuditorInput<'a> {
    /// The verdict.
    pub verdict: &'a Verdict,
    /// The auditor view of the verdict.
    pub audit: &'a AuditReport,
    /// The manifest, when the manifest step passed.
    pub manifest: Option<&'a Value>,
    /// The approval payloads as recorded.
    pub approvals: &'a [ApprovalRecord],
    /// The bundle as the user named it.
    pub bundle: &'a str,
    /// The verification time used (`--at`).
    pub at: &'a str,
    /// The command that prints `verdict_json` again (`clyra verify … --auditor --format json`).
    pub command: &'a str,
    /// The exact bytes that command prints: the digest on the page is over them.
    pub verdict_json: &'a [u8],
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

pub(crate) fn text<'v>(v: Option<&'v Value>, path: &[&str]) -> Option<&'v str> {
    path.iter()
        .try_fold(v?, |v, k| v.get(k))
        .and_then(Value::as_str)
}

fn or_none(v: Option<&str>) -> String {
    v.map_or_else(|| "(not recorded)".to_owned(), str::to_owned)
}

/// The one-pager of `input`.
pub fn auditor_document(input: &AuditorInput<'_>) -> Document {
    let m = input.manifest;
    let digest = sha256_digest(input.verdict_json);
    let date = text(m, &["created_at"]).unwrap_or(input.at);
    let mut doc = Document::new(
        format!("Auditor one-pager: {}", input.verdict.outcome.as_str()),
        date,
        digest.clone(),
    );
    doc.subtitle = format!(
        "bundle {} · {}",
        or_none(text(m, &["bundle_id"])),
        text(m, &["format"]).unwrap_or("format unknown")
    );
    doc.heading("Verdict; who, what, when");
    let mut who = pairs([
        (
            "Outcome",
            format!(
                "{} (primary code {}), verified at {}",
                input.verdict.outcome.as_str(),
                input.verdict.primary,
                input.at
            ),
        ),
        ("Bundle file", input.bundle.to_owned()),
        ("Summary", input.audit.summary.clone()),
        ("Subject", or_none(text(m, &["change", "subject"]))),
        ("Kind", or_none(text(m, &["change", "kind"]))),
        ("Author (actor)", or_none(text(m, &["change", "actor"]))),
        ("Deployer", or_none(text(m, &["change", "deployer"]))),
        ("Environment", or_none(text(m, &["change", "environment"]))),
        ("Created at", or_none(text(m, &["created_at"]))),
        (
            "Producer",
            format!(
                "{} {}",
                or_none(text(m, &["producer", "name"])),
                text(m, &["producer", "version"]).unwrap_or("")
            ),
        ),
    ]);
    if let Some(command) = text(m, &["def", "run", "command"]) {
        who.push(("Command run".to_owned(), command.to_owned()));
        who.push((
            "Run status".to_owned(),
            or_none(text(m, &["def", "run", "status"])),
        ));
    }
    doc.key_values(who);

    approvals(&mut doc, input);
    risk(&mut doc, input.audit);

    doc.heading("Lineage");
    if input.audit.lineage.is_empty() {
        doc.paragraph("No lineage edges recorded.");
    } else {
        doc.code(input.audit.lineage.trim_end());
    }

    controls(&mut doc, input.audit);
    findings(&mut doc, input.verdict, &input.audit.notes);

    doc.heading("Re-check it yourself");
    doc.paragraph(
        "This page renders the verdict JSON this command prints; its SHA-256 (sha256sum) must \
         equal the digest below.",
    );
    doc.code(input.command);
    doc.key_values(pairs([("Verdict JSON digest", digest)]));
    doc
}

fn approvals(doc: &mut Document, input: &AuditorInput<'_>) {
    let m = input.manifest;
    doc.heading("Approvals");
    let required = m
        .and_then(|m| m.pointer("/approvals/required"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    doc.paragraph(format!(
        "Required: {required}. Recorded: {}.",
        input.approvals.len()
    ));
    if input.approvals.is_empty() {
        return;
    }
    let actor = text(m, &["change", "actor"]);
    let rows = input
        .approvals
        .iter()
        .map(|a| {
            let problems: Vec<&str> = input
                .verdict
                .checks
                .iter()
                .filter(|c| c.step() == Step::Approvals && c.subject() == Some(a.file.as_str()))
                .filter(|c| c.severity() != Severity::Ok)
                .map(|c| c.code())
                .collect();
            let counted = if problems.is_empty() {
                "counted".to_owned()
            } else {
                format!("not counted: {}", problems.join(", "))
            };
            let sod = if a.sso_sub.is_some() && a.sso_sub.as_deref() == actor {
                "approver = author"
            } else {
                "distinct"
            };
            vec![
                a.file.clone(),
                or_none(a.sso_sub.as_deref()),
                or_none(a.approved_at.as_deref()),
                a.mfa_verified
                    .map_or_else(|| "(not recorded)".to_owned(), |b| b.to_string()),
                sod.to_owned(),
                counted,
            ]
        })
        .collect();
    doc.table(
        [
            "file",
            "approver",
            "approved at",
            "MFA",
            "segregation",
            "status",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows,
    );
}

fn risk(doc: &mut Document, audit: &AuditReport) {
    doc.heading("Risk breakdown (risk/v1)");
    let Some(r) = &audit.risk else {
        doc.paragraph("No valid risk/v1 block: nothing to break down.");
        return;
    };
    // Terms that add points; the others are named in one line below the table.
    let zero: Vec<String> = r
        .terms
        .iter()
        .filter(|t| t.points == 0)
        .map(|t| format!("{} = {}", t.factor, t.value))
        .collect();
    let rows = r
        .terms
        .iter()
        .filter(|t| t.points > 0)
        .map(|t| {
            vec![
                t.factor.to_owned(),
                t.value.clone(),
                format!("{} = {}", t.weight, t.weight_value),
                t.points.to_string(),
            ]
        })
        .collect();
    doc.table(
        ["factor", "value", "weight", "points"]
            .map(str::to_owned)
            .to_vec(),
        rows,
    );
    if !zero.is_empty() {
        doc.paragraph(format!("0 points: {}.", zero.join(", ")));
    }
    doc.paragraph(format!(
        "Raw {} → score {} (clamped to 0–100); recorded score {}. Weights {}.",
        r.raw,
        r.score,
        r.recorded,
        if r.weights_checked {
            "checked against the policy given"
        } else {
            "as recorded (no policy given)"
        }
    ));
}

fn controls(doc: &mut Document, audit: &AuditReport) {
    doc.heading("Controls the evidence supports");
    doc.paragraph(
        "Evidence supports, never satisfies, a control. Per framework: controls whose \
         verification steps passed, and those whose steps did not.",
    );
    // Frameworks in first-seen order; a control is listed once, under the worst of its steps.
    let mut frameworks: Vec<(&str, Vec<String>, Vec<String>)> = Vec::new();
    for step in &audit.steps {
        for row in &step.rows {
            for control in row.controls {
                let at = match frameworks.iter().position(|f| f.0 == control.framework) {
                    Some(at) => at,
                    None => {
                        frameworks.push((control.framework, Vec::new(), Vec::new()));
                        frameworks.len() - 1
                    }
                };
                let Some((_, yes, no)) = frameworks.get_mut(at) else {
                    continue;
                };
                let id = control.id.to_owned();
                if step.supports() {
                    if !yes.contains(&id) && !no.contains(&id) {
                        yes.push(id);
                    }
                } else {
                    yes.retain(|c| *c != id);
                    if !no.contains(&id) {
                        no.push(id);
                    }
                }
            }
        }
    }
    let rows = frameworks
        .into_iter()
        .map(|(framework, yes, no)| {
            let none = |v: Vec<String>| {
                if v.is_empty() {
                    "none".to_owned()
                } else {
                    v.join(", ")
                }
            };
            vec![framework.to_owned(), none(yes), none(no)]
        })
        .collect();
    doc.table(
        ["framework", "supported", "not supported"]
            .map(str::to_owned)
            .to_vec(),
        rows,
    );
}

fn findings(doc: &mut Document, verdict: &Verdict, notes: &[String]) {
    let rows: Vec<Vec<String>> = verdict
        .checks
        .iter()
        .filter(|c| c.severity() != Severity::Ok)
        .map(|c| {
            vec![
                c.code().to_owned(),
                c.severity().as_str().to_owned(),
                c.subject().unwrap_or("").to_owned(),
                c.message().to_owned(),
            ]
        })
        .collect();
    doc.heading("Findings");
    if rows.is_empty() && notes.is_empty() {
        doc.paragraph("None: every check passed.");
        return;
    }
    if !rows.is_empty() {
        doc.table(
            ["code", "severity", "concerns", "message"]
                .map(str::to_owned)
                .to_vec(),
            rows,
        );
    }
    for note in notes {
        doc.paragraph(format!("• {note}"));
    }
}
