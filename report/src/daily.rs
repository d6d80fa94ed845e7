//! The daily review as a document (PDF and Markdown): the summary first, then every section of
//! spec/daily-review-v0.md §4 that has something to say. The per-bundle table is left to the JSON
//! (10,000 rows are not read on paper); the PDF lists what needs a reviewer's attention.

use clyra_core::report::daily::{DailyReview, Item};

use crate::auditor::sha256_digest;
use crate::document::{pairs, Block, Document};

fn opt(v: Option<&str>) -> String {
    v.unwrap_or("").to_owned()
}

fn cols<const N: usize>(names: [&str; N]) -> Vec<String> {
    names.map(str::to_owned).to_vec()
}

fn rows<T>(items: &[Item<T>], row: impl Fn(&Item<T>) -> Vec<String>) -> Vec<Vec<String>> {
    items.iter().map(row).collect()
}

/// The document of `review`; `review_json` is the exact JSON the review was written as (its
/// digest is printed and is the document id).
pub fn daily_document(review: &DailyReview, review_json: &[u8]) -> Document {
    daily_document_with_digest(review, sha256_digest(review_json))
}

/// [`daily_document`] given the digest (`sha256:<hex>`) of the review JSON, for a host that
/// streamed the JSON rather than holding it.
pub fn daily_document_with_digest(review: &DailyReview, digest: String) -> Document {
    let mut doc = Document::new(
        format!("Daily evidence review: {}", review.date),
        review.until.clone(),
        digest.clone(),
    );
    doc.subtitle = format!(
        "ledger {} (tree size {}) · entries logged {} to {}",
        review.ledger.origin, review.ledger.tree_size, review.since, review.until
    );
    let t = &review.totals;
    doc.heading("Summary");
    doc.key_values(pairs([
        (
            "Complete",
            if review.complete {
                "yes: every entry of the day is found, intact and verified".to_owned()
            } else {
                format!("NO: {} entries are not accounted for", review.gaps.len())
            },
        ),
        (
            "Entries",
            format!(
                "{} (VALID {}, VALID_UNTRUSTED {}, INVALID {}, INDETERMINATE {}, missing {}, altered {})",
                t.entries,
                t.valid,
                t.valid_untrusted,
                t.invalid,
                t.indeterminate,
                t.missing,
                t.digest_mismatch
            ),
        ),
        (
            "Approval compliance",
            format!(
                "{} ({} of {} changes that required approval)",
                review.rate_text(),
                review.approvals.compliant,
                review.approvals.required
            ),
        ),
        (
            "Segregation of duties",
            format!(
                "{} (approvals by the change's author or deployer)",
                review.sod_violations.len()
            ),
        ),
        (
            "Tests",
            format!(
                "pass {}, fail {}, warn {}, error {}, skipped {}",
                review.tests.pass,
                review.tests.fail,
                review.tests.warn,
                review.tests.error,
                review.tests.skipped
            ),
        ),
        (
            "Risk",
            format!(
                "low {}, medium {}, high {}, critical {}, unscored {}",
                review.risk.low,
                review.risk.medium,
                review.risk.high,
                review.risk.critical,
                review.risk.unscored
            ),
        ),
        ("Schema migrations", review.schema_migrations.len().to_string()),
        ("Policy exceptions", review.policy_exceptions.len().to_string()),
        ("GenAI threats", review.genai_threats.len().to_string()),
        ("TCPA events", review.tcpa_events.len().to_string()),
        ("Verified at", review.verified_at.clone()),
    ]));

    let section = |doc: &mut Document, title: &str, empty: &str, table: Option<Block>| {
        doc.heading(title);
        match table {
            Some(b) => doc.blocks.push(b),
            None => {
                doc.paragraph(empty);
            }
        }
    };
    let table = |columns: Vec<String>, rows: Vec<Vec<String>>| {
        (!rows.is_empty()).then_some(Block::Table { columns, rows })
    };

    section(
        &mut doc,
        "Completeness of the day",
        "Every ledger entry of the day has its bundle, with the logged bytes, and it verifies.",
        table(
            cols(["index", "bundle", "status", "code"]),
            rows(&review.gaps, |g| {
                vec![
                    g.index.to_string(),
                    g.bundle_id.clone(),
                    g.item.status.clone(),
                    g.item.primary.clone(),
                ]
            }),
        ),
    );
    section(
        &mut doc,
        "Approvals not satisfied",
        "Every change that required approval has its approvals counted.",
        table(
            cols(["index", "bundle", "required", "counted", "codes"]),
            rows(&review.approval_gaps, |g| {
                vec![
                    g.index.to_string(),
                    g.bundle_id.clone(),
                    g.item.required.to_string(),
                    g.item.counted.to_string(),
                    g.item.codes.join(", "),
                ]
            }),
        ),
    );
    section(
        &mut doc,
        "Segregation-of-duties violations (approver = author or deployer)",
        "None.",
        table(
            cols(["index", "bundle", "approval", "approver"]),
            rows(&review.sod_violations, |v| {
                vec![
                    v.index.to_string(),
                    v.bundle_id.clone(),
                    v.item.file.clone(),
                    v.item.approver.clone(),
                ]
            }),
        ),
    );
    section(
        &mut doc,
        &format!("High-risk changes (score ≥ {})", review.high_risk_threshold),
        "None.",
        table(
            cols(["index", "bundle", "subject", "score", "author", "status"]),
            rows(&review.high_risk, |h| {
                vec![
                    h.index.to_string(),
                    h.bundle_id.clone(),
                    h.item.subject.clone(),
                    h.item.score.to_string(),
                    opt(h.item.actor.as_deref()),
                    h.item.status.clone(),
                ]
            }),
        ),
    );
    section(
        &mut doc,
        "Schema migrations",
        "None.",
        table(
            cols(["bundle", "asset", "added", "removed", "changed"]),
            rows(&review.schema_migrations, |m| {
                vec![
                    m.bundle_id.clone(),
                    m.item.asset.clone(),
                    m.item.columns_added.join(", "),
                    m.item.columns_removed.join(", "),
                    m.item.columns_changed.join(", "),
                ]
            }),
        ),
    );
    section(
        &mut doc,
        "Row-count changes",
        "None recorded (a delta needs a snapshot before and after the change).",
        table(
            cols(["bundle", "asset", "before", "after", "delta"]),
            rows(&review.row_count_deltas, |d| {
                vec![
                    d.bundle_id.clone(),
                    d.item.asset.clone(),
                    d.item.before.to_string(),
                    d.item.after.to_string(),
                    format!("{:+}", d.item.delta),
                ]
            }),
        ),
    );
    section(
        &mut doc,
        "Tests that did not pass",
        "None.",
        table(
            cols(["bundle", "test", "status", "asset", "failures"]),
            rows(&review.test_failures, |f| {
                vec![
                    f.bundle_id.clone(),
                    f.item.test.clone(),
                    f.item.status.clone(),
                    opt(f.item.asset.as_deref()),
                    f.item.failures.map_or_else(String::new, |n| n.to_string()),
                ]
            }),
        ),
    );
    let decisions = |items: &[Item<clyra_core::report::daily::DecisionRow>]| {
        table(
            cols(["bundle", "rule", "decision", "mode", "reason"]),
            rows(items, |d| {
                vec![
                    d.bundle_id.clone(),
                    d.item.rule.clone(),
                    d.item.decision.clone(),
                    d.item.mode.clone(),
                    d.item.reason.clone(),
                ]
            }),
        )
    };
    section(
        &mut doc,
        "Policy exceptions",
        "None.",
        decisions(&review.policy_exceptions),
    );
    section(
        &mut doc,
        "GenAI threats",
        "None.",
        table(
            cols(["bundle", "OWASP LLM", "ATLAS", "confidence", "detector"]),
            rows(&review.genai_threats, |t| {
                vec![
                    t.bundle_id.clone(),
                    t.item.owasp_llm.clone(),
                    opt(t.item.atlas.as_deref()),
                    format!("{} %", t.item.confidence),
                    t.item.detector.clone(),
                ]
            }),
        ),
    );
    section(
        &mut doc,
        "TCPA events",
        "None.",
        decisions(&review.tcpa_events),
    );

    doc.heading("Re-check it yourself");
    doc.paragraph(
        "This page renders the review JSON (spec/daily-review-v0.md). Run the command below with \
         the same ledger, trust file and policies: the SHA-256 of its output, without the final \
         newline (or with --out FILE), equals the digest printed here; each bundle re-verifies \
         alone with clyra verify.",
    );
    doc.code(format!(
        "clyra report daily-review --ledger LEDGER --date {} --trust TRUST [--policy POLICY]... \
         --at {} --high-risk {} --format json",
        review.date, review.verified_at, review.high_risk_threshold
    ));
    doc.key_values(pairs([("Review JSON digest", digest)]));
    doc
}

/// `doc` as Markdown (GitHub-flavoured tables): the same content as the PDF.
pub fn to_markdown(doc: &Document) -> String {
    let esc = |s: &str| s.replace('|', "\\|").replace(['\n', '\r'], " ");
    let mut out = format!("# {}\n\n", esc(&doc.title));
    if !doc.subtitle.is_empty() {
        out.push_str(&format!("_{}_\n\n", esc(&doc.subtitle)));
    }
    for block in &doc.blocks {
        match block {
            Block::Heading(t) => out.push_str(&format!("## {}\n\n", esc(t))),
            Block::Paragraph(t) => out.push_str(&format!("{t}\n\n")),
            Block::Code(t) => out.push_str(&format!("```\n{t}\n```\n\n")),
            Block::KeyValues(kv) => {
                for (k, v) in kv {
                    out.push_str(&format!("- **{}**: {}\n", esc(k), esc(v)));
                }
                out.push('\n');
            }
            Block::Table { columns, rows } => {
                let line = |cells: &[String]| {
                    let cells: Vec<String> = cells.iter().map(|c| esc(c)).collect();
                    format!("| {} |\n", cells.join(" | "))
                };
                out.push_str(&line(columns));
                out.push_str(&format!("|{}\n", "---|".repeat(columns.len())));
                for row in rows {
                    out.push_str(&line(row));
                }
                out.push('\n');
            }
        }
    }
    out
}
