//! The daily review (spec: daily-review-v0.md): facts of real vector bundles (valid, approver =
//! author, missing approval, GenAI threat), entries without a bundle, the aggregates, the day's
//! window, showback lines and CSV, and the review's schema.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Cursor;
use std::path::Path;

use clyra_core::format::Schemas;
use clyra_core::ledger::Record;
use clyra_core::report::daily::{
    BundleFacts, DailyReview, EntryEvidence, LedgerSource, ReviewScope, DEFAULT_HIGH_RISK,
};
use clyra_core::report::showback;
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verify::{verify_bundle_with_evidence, VerifyInputs};
use clyra_core::Limits;

fn vector(slug: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vectors")
        .join(slug)
}

fn record(index: u64, sha: &str) -> Record {
    Record {
        v: 0,
        bundle_id: format!("b-{index}"),
        bundle_sha256: sha.to_owned(),
        manifest_digest: format!("sha256:{}", "0".repeat(64)),
        format: "def/v0".into(),
        created_at: "2026-11-20T09:00:00Z".into(),
        subject: format!("model.m{index}"),
        environment: "production".into(),
        approvals: vec![],
        logged_at: "2026-11-20T10:00:00Z".into(),
    }
}

/// The facts of the bundle of vector `slug`, verified with the trust of vector 0006 (producer
/// and approver keys of the approval vectors).
fn facts_of_vector(index: u64, slug: &str) -> BundleFacts {
    let limits = Limits::default();
    let bytes = std::fs::read(vector(slug).join("bundle.zip")).unwrap();
    let trust_bytes = std::fs::read(vector(slug).join("trust.json")).unwrap();
    let trust = Trust::parse(&trust_bytes, &limits).unwrap();
    let schemas = Schemas::new().unwrap();
    let at = Timestamp::parse("2026-12-01T00:00:00Z").unwrap();
    let inputs = VerifyInputs {
        trust: &trust,
        at: &at,
        policy: None,
        schemas: &schemas,
        limits: &limits,
        witnessed: None,
    };
    let (verdict, evidence) =
        verify_bundle_with_evidence(Cursor::new(&bytes), bytes.len() as u64, &inputs);
    let found = EntryEvidence::Verified {
        verdict: &verdict,
        evidence: &evidence,
    };
    BundleFacts::of(index, &record(index, &"ab".repeat(32)), found)
}

fn scope() -> ReviewScope {
    let ledger = LedgerSource {
        origin: "clyra.local/ledger/test".into(),
        tree_size: 9,
        root: "AAAA".into(),
    };
    ReviewScope::of_day(
        "2026-11-20",
        "2026-12-01T00:00:00Z".into(),
        ledger,
        DEFAULT_HIGH_RISK,
    )
    .unwrap()
}

#[test]
fn the_day_is_a_utc_calendar_day() {
    let s = scope();
    assert_eq!(s.since, "2026-11-20T00:00:00Z");
    assert_eq!(s.until, "2026-11-21T00:00:00Z");
    assert!(s.contains("2026-11-20T00:00:00Z"));
    assert!(s.contains("2026-11-20T23:59:59Z"));
    assert!(!s.contains("2026-11-21T00:00:00Z"));
    assert!(!s.contains("2026-11-19T23:59:59Z"));
    let l = s.ledger.clone();
    for bad in [
        "2026-02-30",
        "2026-1-01",
        "20261120",
        "2026-11-20T00:00:00Z",
        "",
    ] {
        assert!(
            ReviewScope::of_day(bad, String::new(), l.clone(), 60).is_none(),
            "{bad}"
        );
    }
    let leap = ReviewScope::of_day("2028-02-28", String::new(), l, 60).unwrap();
    assert_eq!(leap.until, "2028-02-29T00:00:00Z");
}

#[test]
fn facts_of_real_bundles() {
    let ok = facts_of_vector(0, "0006-def-approvals-one");
    assert_eq!(ok.status, "VALID");
    assert_eq!((ok.approvals_required, ok.approvals_counted), (1, 1));
    assert!(ok.approval_codes.is_empty() && ok.sod_violations.is_empty());
    assert!(ok.accounted());

    let sod = facts_of_vector(1, "0083-approval-self-approval");
    assert_eq!(sod.status, "INVALID");
    assert_eq!(sod.sod_violations.len(), 1);
    assert_eq!(Some(&sod.sod_violations[0].approver), sod.actor.as_ref());
    assert!(sod
        .approval_codes
        .contains(&"approval.self_approval".to_owned()));

    let missing = facts_of_vector(2, "0084-approval-insufficient");
    assert!(missing
        .approval_codes
        .contains(&"approval.insufficient".to_owned()));
    assert!(missing.approvals_counted < missing.approvals_required);

    let pef = facts_of_vector(3, "0002-pef-mcp");
    assert!(!pef.threats.is_empty());
    assert!(pef.threats[0].owasp_llm.starts_with("LLM"));
}

#[test]
fn entries_without_their_bundle_are_gaps() {
    let r = record(7, &"cd".repeat(32));
    let gone = BundleFacts::of(7, &r, EntryEvidence::Missing);
    assert_eq!(
        (gone.status.as_str(), gone.primary.as_str()),
        ("MISSING", "report.bundle_missing")
    );
    let altered = BundleFacts::of(8, &r, EntryEvidence::DigestMismatch);
    assert_eq!(altered.status, "DIGEST_MISMATCH");
    assert!(!gone.accounted() && !altered.accounted());
    let review = DailyReview::from_facts(scope(), [gone, altered]);
    assert!(!review.complete);
    assert_eq!(review.gaps.len(), 2);
    assert_eq!(
        (review.totals.missing, review.totals.digest_mismatch),
        (1, 1)
    );
    assert_eq!(review.risk.unscored, 2);
    assert_eq!(review.approvals.rate_bp, None);
}

#[test]
fn aggregates_over_the_day() {
    let mut high = facts_of_vector(4, "0006-def-approvals-one");
    high.risk_score = Some(85);
    let facts = vec![
        facts_of_vector(0, "0006-def-approvals-one"),
        facts_of_vector(1, "0083-approval-self-approval"),
        facts_of_vector(2, "0084-approval-insufficient"),
        facts_of_vector(3, "0002-pef-mcp"),
        high,
    ];
    let review = DailyReview::from_facts(scope(), facts);
    assert_eq!(review.totals.entries, 5);
    assert!(!review.complete);
    // 0006 twice compliant, 0083 and 0084 not; 0002 requires none.
    assert_eq!(review.approvals.required, 4);
    assert_eq!(review.approvals.compliant, 2);
    assert_eq!(review.approvals.rate_bp, Some(5000));
    assert_eq!(review.rate_text(), "50.00 %");
    assert_eq!(review.approval_gaps.len(), 2);
    assert_eq!(review.sod_violations.len(), 1);
    assert_eq!(review.sod_violations[0].index, 1);
    assert_eq!(review.high_risk.len(), 1);
    assert_eq!(review.high_risk[0].item.score, 85);
    assert_eq!(review.risk.critical, 1);
    let banded = review.risk.low + review.risk.medium + review.risk.high + review.risk.critical;
    assert_eq!(banded + review.risk.unscored, 5);
    assert!(!review.genai_threats.is_empty());
    // Canonical JSON, valid against the schema, and stable.
    let json = review.to_json();
    assert_eq!(
        json,
        DailyReview::from_facts(scope(), review.bundles.clone()).to_json()
    );
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/daily-review-v0.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let back: DailyReview = serde_json::from_slice(&json).unwrap();
    assert_eq!(back, review);
}

#[test]
fn showback_lines_and_csv() {
    let gone = BundleFacts::of(9, &record(9, &"ef".repeat(32)), EntryEvidence::Missing);
    let review = DailyReview::from_facts(
        scope(),
        [
            facts_of_vector(0, "0006-def-approvals-one"),
            facts_of_vector(1, "0083-approval-self-approval"),
            gone,
        ],
    );
    let lines = showback::lines(&review);
    let statuses: Vec<&str> = lines.iter().map(|l| l.framework_status.as_str()).collect();
    assert_eq!(statuses, ["compliant", "non_compliant", "unverified"]);
    assert_eq!(lines[0].date, "2026-11-20");
    let csv = showback::to_csv(&lines);
    let mut rows = csv.split("\r\n");
    assert_eq!(
        rows.next(),
        Some("agent_id,run_id,date,risk_score,cost_attribution,framework_status")
    );
    assert_eq!(csv.matches("\r\n").count(), 4);
    let json: serde_json::Value = serde_json::from_slice(&showback::to_json(&lines)).unwrap();
    assert_eq!(json["lines"].as_array().unwrap().len(), 3);
    assert_eq!(json["lines"][2]["risk_score"], serde_json::Value::Null);
}

/// The streamed outputs (daily-review-v0.md §5.3) are byte for byte the in-memory ones, with the
/// rows kept out of the review.
#[test]
fn streamed_outputs_equal_the_in_memory_ones() {
    use clyra_core::report::stream;
    let mut high = facts_of_vector(4, "0006-def-approvals-one");
    high.risk_score = Some(85);
    let facts = vec![
        facts_of_vector(0, "0006-def-approvals-one"),
        facts_of_vector(1, "0083-approval-self-approval"),
        facts_of_vector(2, "0002-pef-mcp"),
        BundleFacts::of(3, &record(3, &"ab".repeat(32)), EntryEvidence::Missing),
        high,
    ];
    let whole = DailyReview::from_facts(scope(), facts.clone());
    let mut tallied = DailyReview::begin(scope());
    for f in &facts {
        tallied.tally(f);
    }
    tallied.close();
    assert!(tallied.bundles.is_empty());
    let rows = || facts.iter().cloned().map(Ok);
    let mut json = Vec::new();
    stream::write_review_json(&tallied, rows(), &mut json).unwrap();
    assert_eq!(
        String::from_utf8(json).unwrap(),
        String::from_utf8(whole.to_json()).unwrap()
    );
    // No rows: `bundles` is empty, the rest unchanged.
    let mut empty = Vec::new();
    stream::write_review_json(&tallied, std::iter::empty(), &mut empty).unwrap();
    let mut no_rows = whole.clone();
    no_rows.bundles.clear();
    assert_eq!(empty, no_rows.to_json());

    let lines = showback::lines(&whole);
    let mut csv = Vec::new();
    stream::write_showback_csv(lines.iter().cloned().map(Ok), &mut csv).unwrap();
    assert_eq!(csv, showback::to_csv(&lines).into_bytes());
    let mut sj = Vec::new();
    stream::write_showback_json(lines.iter().cloned().map(Ok), &mut sj).unwrap();
    assert_eq!(sj, showback::to_json(&lines));
    for event in [
        clyra_core::siem::bundle::ocsf,
        clyra_core::siem::bundle::ecs,
    ] {
        let mut nd = Vec::new();
        stream::write_siem_ndjson(rows(), event, &mut nd).unwrap();
        assert_eq!(nd, clyra_core::siem::bundle::to_ndjson(&facts, event));
    }
    // A failing row stops the writing with its error.
    let failing = facts
        .iter()
        .cloned()
        .map(Ok)
        .chain([Err(std::io::Error::other("spool"))]);
    let mut out = Vec::new();
    assert!(stream::write_review_json(&tallied, failing, &mut out).is_err());
}
