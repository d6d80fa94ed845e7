//! The evaluation rules of attestation-v0.md §4 on hand-made facts (a verdict and a manifest), the
//! Statement of §2, and verification with recomputation (§6), without the CLI.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use clyra_core::attest::{self, oscal, BundleFacts, Completeness, Framework, Gap, Inputs, Status};
use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::digest::Sha256Digest;
use clyra_core::jcs::{self, Value};
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verdict::{Check, Severity, Step};
use clyra_core::verify::{ApprovalRecord, Verdict};
use clyra_core::Limits;
use serde_json::json;

const AT: &str = "2026-12-01T00:00:00Z";

fn value(v: serde_json::Value) -> Value {
    jcs::parse(v.to_string().as_bytes(), &Limits::default()).unwrap()
}

/// A production dbt run: one approval by someone else, tests pass, an anchor, a policy hash.
fn manifest(id: &str) -> serde_json::Value {
    json!({
        "format": "def/v0", "bundle_id": id, "created_at": "2026-11-20T09:00:00Z",
        "change": {"subject": "model.shop.orders", "kind": "schema", "actor": "dana@example.com",
                   "deployer": "svc-ci@example.com", "environment": "production"},
        "anchors": [{"kind": "snowflake", "query_id": "q1", "session_tags": {}}],
        "policy": {"hash": format!("sha256:{}", "ab".repeat(32)), "required": false, "decisions": []},
        "approvals": {"required": 1, "entries": [{"file": "approvals/0001.dsse.json",
            "digest": format!("sha256:{}", "cd".repeat(32)), "nonce": "n1"}]},
        "retention": {"period": "P7Y", "legal_hold": false},
        "def": {"tests": [{"id": "test.a", "status": "pass"}]}
    })
}

fn lee() -> Vec<ApprovalRecord> {
    vec![ApprovalRecord {
        file: "approvals/0001.dsse.json".to_owned(),
        sso_sub: Some("lee@example.com".to_owned()),
        approved_at: Some("2026-11-20T08:00:00Z".to_owned()),
        mfa_verified: Some(true),
    }]
}

fn valid() -> Verdict {
    Verdict::from_checks(vec![Check::ok(Step::Container)])
}

fn facts(m: &serde_json::Value, verdict: &Verdict, approvals: &[ApprovalRecord]) -> BundleFacts {
    BundleFacts::of(
        "b.zip",
        Sha256Digest::of(m.to_string().as_bytes()),
        verdict,
        Some(&value(m.clone())),
        approvals,
    )
}

fn status(framework: Framework, bundles: &[BundleFacts], gaps: usize, id: &str) -> Status {
    attest::evaluate(framework, bundles, gaps)
        .into_iter()
        .find(|c| c.def.id == id)
        .unwrap()
        .status
}

#[test]
fn a_clean_production_run_supports_every_sox_control() {
    let b = [facts(&manifest("b1"), &valid(), &lee())];
    for c in attest::evaluate(Framework::Sox, &b, 0) {
        assert_eq!(c.status, Status::Supported, "{}", c.def.id);
    }
}

#[test]
fn a_gap_fails_every_control() {
    let b = [facts(&manifest("b1"), &valid(), &lee())];
    for c in attest::evaluate(Framework::Pci, &b, 1) {
        assert_eq!(c.status, Status::NotSupported, "{}", c.def.id);
    }
}

#[test]
fn an_approved_policy_exception_is_an_exception_and_without_it_a_failure() {
    let mut m = manifest("b1");
    m["def"]["tests"][0]["status"] = json!("fail");
    m["policy"]["decisions"] = json!([
        {"rule": "prod", "decision": "require_approval", "mode": "enforce", "reason": "r", "seq": 3}
    ]);
    let b = [facts(&m, &valid(), &lee())];
    assert_eq!(
        status(Framework::Sox, &b, 0, "Program changes"),
        Status::Exception
    );
    assert_eq!(status(Framework::Soc2, &b, 0, "CC8.1"), Status::Exception);
    let refs = &attest::evaluate(Framework::Sox, &b, 0)[0].references;
    assert_eq!(refs[0].result, "exception");
    // The same failing test with no enforced approval rule: not supported.
    m["policy"]["decisions"] = json!([]);
    let b = [facts(&m, &valid(), &lee())];
    assert_eq!(
        status(Framework::Sox, &b, 0, "Program changes"),
        Status::NotSupported
    );
}

#[test]
fn a_shadow_deny_is_not_an_enforced_control() {
    let mut m = manifest("b1");
    m["policy"]["decisions"] = json!([
        {"rule": "r", "decision": "deny", "mode": "shadow", "reason": "would have blocked"}
    ]);
    let b = [facts(&m, &valid(), &lee())];
    assert_eq!(status(Framework::Pci, &b, 0, "6.5.4"), Status::NotSupported);
    assert_eq!(status(Framework::Pci, &b, 0, "10.2.1.4"), Status::Supported);
}

#[test]
fn segregation_mfa_retention_and_scope() {
    // The approver is the deployer.
    let mut approvals = lee();
    approvals[0].sso_sub = Some("svc-ci@example.com".to_owned());
    let b = [facts(&manifest("b1"), &valid(), &approvals)];
    assert_eq!(
        status(Framework::Sox, &b, 0, "COSO P10"),
        Status::NotSupported
    );
    // No MFA.
    let mut approvals = lee();
    approvals[0].mfa_verified = Some(false);
    let b = [facts(&manifest("b1"), &valid(), &approvals)];
    assert_eq!(
        status(Framework::Soc2, &b, 0, "CC6.1"),
        Status::NotSupported
    );
    // One year of retention: enough for PCI, not for HIPAA.
    let mut m = manifest("b1");
    m["retention"]["period"] = json!("P1Y");
    let b = [facts(&m, &valid(), &lee())];
    assert_eq!(status(Framework::Pci, &b, 0, "10.5.1"), Status::Supported);
    assert_eq!(
        status(Framework::Hipaa, &b, 0, "164.316(b)(2)(i)"),
        Status::NotSupported
    );
    // Two-person and voice controls are out of scope for this run.
    assert_eq!(
        status(Framework::EuAiAct, &b, 0, "Art. 14(5)"),
        Status::NotApplicable
    );
    assert_eq!(
        status(Framework::Tcpa, &b, 0, "FCC 24-17"),
        Status::NotApplicable
    );
}

#[test]
fn a_call_to_a_phone_number_is_in_tcpa_scope() {
    let m = json!({
        "format": "pef/v0", "bundle_id": "p1", "created_at": "2026-11-20T09:00:00Z",
        "change": {"actor": "agent:a", "environment": "production"},
        "policy": {"hash": format!("sha256:{}", "ab".repeat(32)), "decisions": [
            {"rule": "calls", "decision": "allow", "mode": "enforce", "reason": "ok"}]},
        "approvals": {"required": 0, "entries": []},
        "pef": {"operations": [{"target": "tel:+15555550100"}]}
    });
    let b = [facts(&m, &valid(), &[])];
    assert_eq!(
        status(Framework::Tcpa, &b, 0, "64.1200(c)(1)"),
        Status::Supported
    );
    let mut m2 = m.clone();
    m2["policy"]["decisions"][0]["mode"] = json!("shadow");
    m2["policy"]["decisions"][0]["decision"] = json!("deny");
    let b = [facts(&m2, &valid(), &[])];
    assert_eq!(
        status(Framework::Tcpa, &b, 0, "64.1200(c)(1)"),
        Status::NotSupported
    );
}

#[test]
fn an_invalid_bundle_is_a_finding_that_fails_every_control_in_scope() {
    let invalid = Verdict::from_checks(vec![Check::new(
        Step::Approvals,
        "approval.self_approval",
        Severity::Fail,
    )]);
    let unreadable = BundleFacts::of("x.zip", Sha256Digest::of(b"x"), &invalid, None, &[]);
    let b = [facts(&manifest("b1"), &invalid, &lee()), unreadable];
    for c in attest::evaluate(Framework::Soc2, &b, 0) {
        assert_eq!(c.status, Status::NotSupported);
        assert_eq!(c.references.len(), 2);
        assert!(c.references.iter().all(|r| r.result == "fail"));
    }
    let p = attest::predicate(&inputs(Framework::Soc2, Completeness::Bundles), &b);
    let findings = p.get("findings").unwrap().as_array().unwrap();
    assert_eq!(findings.len(), 2);
    assert_eq!(
        findings[1].get("primary").and_then(Value::as_str),
        Some("approval.self_approval")
    );
}

fn inputs(framework: Framework, completeness: Completeness) -> Inputs {
    Inputs {
        framework,
        attested_at: AT.to_owned(),
        verified_at: AT.to_owned(),
        period: None,
        trust_digest: Sha256Digest::of(b"trust"),
        policy_digests: Vec::new(),
        completeness,
    }
}

#[test]
fn no_bundle_is_not_applicable_with_the_empty_subject() {
    let p = attest::predicate(&inputs(Framework::Sox, Completeness::Bundles), &[]);
    let s = attest::statement(&[], p);
    assert_eq!(s.subject.len(), 1);
    assert_eq!(s.subject[0].name, "empty");
    assert_eq!(s.subject[0].sha256, Sha256Digest::of(b""));
    for c in attest::evaluate(Framework::Sox, &[], 0) {
        assert_eq!(c.status, Status::NotApplicable);
    }
}

#[test]
fn the_predicate_is_deterministic_and_signs_verifies_and_recomputes() {
    let b = [
        facts(&manifest("b1"), &valid(), &lee()),
        facts(&manifest("b2"), &valid(), &lee()),
    ];
    let ledger = Completeness::Ledger {
        origin: "example.com/ledger".to_owned(),
        size: 3,
        root: Sha256Digest::of(b"root"),
        entries: 3,
        gaps: vec![Gap {
            index: 2,
            bundle_id: "b3".to_owned(),
            bundle_sha256: "ef".repeat(32),
            reason: "missing",
        }],
        since: Some((1, Sha256Digest::of(b"old root"))),
    };
    let i = inputs(Framework::Hipaa, ledger);
    let one = attest::statement(&b, attest::predicate(&i, &b)).to_canonical_bytes();
    let two = attest::statement(&b, attest::predicate(&i, &b)).to_canonical_bytes();
    assert_eq!(one, two);
    assert_eq!(
        oscal::assessment_results(&attest::statement(&b, attest::predicate(&i, &b))),
        oscal::assessment_results(&attest::statement(&b, attest::predicate(&i, &b)))
    );

    let key = SigningKey::generate(Scheme::Ed25519, [9; 32]).unwrap();
    let trust_text = format!(
        r#"{{"version":0,"thresholds":{{"producer":1}},"keys":[{{"keyid":"{}","scheme":"ed25519","public_key_pem":{},"roles":["producer"]}}]}}"#,
        key.public_key().keyid(),
        serde_json::to_string(&key.public_key().to_pem()).unwrap()
    );
    let limits = Limits::default();
    let trust = Trust::parse(trust_text.as_bytes(), &limits).unwrap();
    let at = Timestamp::parse(AT).unwrap();
    let statement = attest::statement(&b, attest::predicate(&i, &b));
    let envelope = attest::sign(&statement, &key).encode();
    let (checks, opened) = attest::open(&envelope, &trust, &at, &limits);
    let opened = opened.unwrap_or_else(|| panic!("{checks:?}"));
    // Given in the other order: matched by digest.
    let reversed = [b[1].clone(), b[0].clone()];
    let rechecked = attest::recompute(&opened, Some(&reversed));
    let verdict = attest::AttestVerdict::of([checks, rechecked].concat());
    assert_eq!((verdict.primary, verdict.exit), ("ok", 0));
    // Every status is not supported: the gap.
    assert!(attest::evaluate(Framework::Hipaa, &b, 1)
        .iter()
        .all(|c| c.status == Status::NotSupported));
    // A bundle whose facts changed (its tests now fail) no longer gives the signed statuses.
    let mut m = manifest("b1");
    m["def"]["tests"][0]["status"] = json!("error");
    let mut changed = b.clone();
    // Same bytes (the digest of manifest b1), other facts.
    changed[0] = BundleFacts::of("b.zip", b[0].sha256, &valid(), Some(&value(m)), &lee());
    let hipaa_pass = attest::recompute(&opened, Some(&changed));
    // HIPAA lists no `tests` requirement: nothing changes.
    assert_eq!(hipaa_pass.last().unwrap().code, "ok");
    let soc2 = inputs(Framework::Soc2, Completeness::Bundles);
    let statement = attest::statement(&b, attest::predicate(&soc2, &b));
    let envelope = attest::sign(&statement, &key).encode();
    let (_, opened) = attest::open(&envelope, &trust, &at, &limits);
    let checks = attest::recompute(&opened.unwrap(), Some(&changed));
    assert_eq!(checks.last().unwrap().code, "attest.status_mismatch");
}
