//! `clyra report daily-review`, `clyra verify --auditor --format pdf|md` and
//! `clyra receipt extract --format pdf`: outputs written atomically and never replaced without
//! `--force`, the same input giving the same bytes, exit codes, usage errors. (The PDFs' text and
//! pictures are checked with poppler in tests/reports/run.py.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;
use common::{clyra, text, vector, TempDir};

const AT: &str = "2026-12-01T00:00:00Z";

/// A ledger whose day 2026-11-20 holds a valid bundle, an approval by the author and a missing
/// approval, plus one entry of the next day.
fn ledger(dir: &TempDir) -> String {
    let keys = dir.path("lk");
    assert_eq!(clyra(&["keygen", "--out", &keys]).status.code(), Some(0));
    let l = dir.path("ledger");
    let key = format!("{keys}/clyra.key");
    assert_eq!(
        clyra(&["ledger", "init", &l, "--key", &key]).status.code(),
        Some(0)
    );
    for (i, slug) in [
        "0006-def-approvals-one",
        "0083-approval-self-approval",
        "0084-approval-insufficient",
    ]
    .iter()
    .enumerate()
    {
        let at = format!("2026-11-20T1{i}:00:00Z");
        let out = clyra(&[
            "ledger",
            "append",
            &vector(slug, "bundle.zip"),
            "--ledger",
            &l,
            "--key",
            &key,
            "--logged-at",
            &at,
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let out = clyra(&[
        "ledger",
        "append",
        &vector("0007-def-approvals-two", "bundle.zip"),
        "--ledger",
        &l,
        "--key",
        &key,
        "--logged-at",
        "2026-11-21T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    l
}

fn review(l: &str, extra: &[&str]) -> std::process::Output {
    review_day(l, "2026-11-20", extra)
}

fn review_day(l: &str, day: &str, extra: &[&str]) -> std::process::Output {
    let trust = vector("0006-def-approvals-one", "trust.json");
    let mut args = vec![
        "report",
        "daily-review",
        "--ledger",
        l,
        "--date",
        day,
        "--trust",
        &trust,
        "--at",
        AT,
    ];
    args.extend_from_slice(extra);
    clyra(&args)
}

#[test]
fn daily_review_json_lists_the_days_findings() {
    let dir = TempDir::new();
    let l = ledger(&dir);
    let out = review(&l, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["totals"]["entries"], 3);
    assert_eq!(r["totals"]["valid"], 1);
    assert_eq!(r["complete"], false);
    assert_eq!(r["sod_violations"].as_array().unwrap().len(), 1);
    assert_eq!(r["approvals"]["rate_bp"], 3333);
}

#[test]
fn daily_review_outputs_are_atomic_deterministic_and_never_replaced() {
    let dir = TempDir::new();
    let l = ledger(&dir);
    let pdf = dir.path("r.pdf");
    let csv = dir.path("s.csv");
    let nd = dir.path("e.ndjson");
    let outs = [
        "--format",
        "pdf",
        "--out",
        &pdf,
        "--showback",
        &csv,
        "--siem",
        "ecs",
        "--siem-out",
        &nd,
    ];
    let out = review(&l, &outs);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let first: Vec<Vec<u8>> = [&pdf, &csv, &dir.path("s.json"), &nd]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert!(first[0].starts_with(b"%PDF-"));
    let again = review(&l, &outs);
    assert_eq!(again.status.code(), Some(4));
    assert!(text(&again.stderr).contains("cli.exists"));
    let mut forced = outs.to_vec();
    forced.push("--force");
    assert_eq!(review(&l, &forced).status.code(), Some(1));
    for (p, before) in [&pdf, &csv, &dir.path("s.json"), &nd].iter().zip(&first) {
        assert_eq!(&std::fs::read(p).unwrap(), before, "{p}");
    }
    assert_eq!(std::str::from_utf8(&first[3]).unwrap().lines().count(), 3);
}

#[test]
fn daily_review_usage_errors() {
    let dir = TempDir::new();
    let l = ledger(&dir);
    let bad_day = review(&l, &["--date", "2026-02-30"]);
    assert_eq!(bad_day.status.code(), Some(4));
    let out = review(&l, &["--format", "pdf"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("--out"));
    let out = review(&l, &["--siem", "ocsf"]);
    assert_eq!(out.status.code(), Some(4));
    let mut args = vec![
        "report",
        "daily-review",
        "--ledger",
        &l,
        "--date",
        "2026-11-20",
    ];
    args.extend(["--trust", "/nonexistent/trust.json"]);
    assert_eq!(clyra(&args).status.code(), Some(4));
}

#[test]
fn auditor_one_pager_pdf_and_markdown() {
    let dir = TempDir::new();
    let bundle = vector("0083-approval-self-approval", "bundle.zip");
    let trust = vector("0083-approval-self-approval", "trust.json");
    let pdf = dir.path("a.pdf");
    let args = [
        "verify",
        &bundle,
        "--trust",
        &trust,
        "--at",
        AT,
        "--auditor",
    ];
    let run = |extra: &[&str]| {
        let mut a = args.to_vec();
        a.extend_from_slice(extra);
        clyra(&a)
    };
    let out = run(&["--format", "pdf", "--out", &pdf]);
    assert_eq!(out.status.code(), Some(1), "the verdict's exit: INVALID");
    assert!(text(&out.stdout).contains("INVALID"));
    let first = std::fs::read(&pdf).unwrap();
    assert_eq!(
        run(&["--format", "pdf", "--out", &pdf]).status.code(),
        Some(4)
    );
    assert_eq!(
        run(&["--format", "pdf", "--out", &pdf, "--force"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(std::fs::read(&pdf).unwrap(), first);
    let md = run(&["--format", "md"]);
    let md = text(&md.stdout);
    assert!(md.starts_with("# Auditor one-pager: INVALID"), "{md}");
    assert!(md.contains("approver = author"));
    let no_auditor = clyra(&[
        "verify", &bundle, "--trust", &trust, "--format", "pdf", "--out", &pdf, "--force",
    ]);
    assert_eq!(no_auditor.status.code(), Some(4));
    assert!(text(&no_auditor.stderr).contains("--auditor"));
}

#[test]
fn receipt_sheet_pdf() {
    let dir = TempDir::new();
    let bundle = vector("0006-def-approvals-one", "bundle.zip");
    let pdf = dir.path("r.pdf");
    let out = clyra(&[
        "receipt", "extract", &bundle, "--event", "0", "--format", "pdf", "--out", &pdf,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let verify = clyra(&[
        "receipt", "verify", &pdf, "--trust", &pdf, "--format", "pdf",
    ]);
    assert_eq!(verify.status.code(), Some(4));
}

#[test]
fn document_formats_are_refused_elsewhere() {
    let out = clyra(&["keygen", "--out", "/nonexistent/x", "--format", "pdf"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("cli.usage"));
}

/// `--attest-sox` attests the entries the review lists (by `logged_at`): a bundle created on the
/// 20th and appended on the 21st is in the 21st's review and in the 21st's roll-up.
#[test]
fn attest_sox_rolls_up_exactly_the_reviewed_entries() {
    use base64::Engine as _;
    let dir = TempDir::new();
    let l = ledger(&dir);
    let key = vector("keys", "producer-ed25519-1.key");
    for (day, entries) in [("2026-11-20", 3), ("2026-11-21", 1)] {
        let out_dir = dir.path(&format!("sox-{day}"));
        let out = review_day(
            &l,
            day,
            &["--format", "json", "--attest-sox", &out_dir, "--key", &key],
        );
        assert!(matches!(out.status.code(), Some(0..=2)), "{out:?}");
        let review: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(review["totals"]["entries"], entries, "{day}");
        let envelope: serde_json::Value = serde_json::from_slice(
            &std::fs::read(format!("{out_dir}/attestation.dsse.json")).unwrap(),
        )
        .unwrap();
        let payload = base64::engine::general_purpose::STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap();
        let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        let predicate = &statement["predicate"];
        assert_eq!(predicate["period"]["basis"], "logged_at", "{predicate}");
        assert_eq!(predicate["completeness"]["entries"], entries, "{day}");
        assert_eq!(
            statement["subject"].as_array().unwrap().len(),
            entries,
            "{day}"
        );
    }
}
