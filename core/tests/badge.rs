//! Badges (spec/badge-v0.md): criteria per framework over evidence items, and the compact JWS
//! round trip with every verdict of §5 (valid, expired, altered, untrusted, not yet valid, …).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use clyra_core::badge::criteria::{status, LedgerRef, Outcome as R, PolicyFacts, TicketRef};
use clyra_core::badge::{self, BundleItem, Claims, EvidenceSet, Framework, Item};
use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::jcs;
use clyra_core::ledger::record::{Record, RecordApproval};
use clyra_core::policy::model::TableDoc;
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verdict::Outcome;
use clyra_core::Limits;

const IAT: &str = "2026-12-01T00:00:00Z";

fn key(seed: u8) -> SigningKey {
    SigningKey::generate(Scheme::Ed25519, [seed; 32]).unwrap()
}

fn trust_of(key: &SigningKey, extra: &str) -> Trust {
    let pem = serde_json::to_string(&key.public_key().to_pem()).unwrap();
    let text = format!(
        r#"{{"version":0,"keys":[{{"keyid":"{}","scheme":"ed25519","public_key_pem":{pem},"roles":["producer"]{extra}}}],"thresholds":{{"producer":1}}}}"#,
        key.public_key().keyid()
    );
    Trust::parse(text.as_bytes(), &Limits::default()).unwrap()
}

fn ts(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// A DEF manifest's parts the criteria read.
fn manifest(
    kind: &str,
    env: &str,
    day: &str,
    tests: &[&str],
    approvals: usize,
    required: u64,
) -> jcs::Value {
    let tests: Vec<String> = tests
        .iter()
        .enumerate()
        .map(|(i, s)| format!(r#"{{"id":"test.t{i}","status":"{s}"}}"#))
        .collect();
    let approvals: Vec<String> = (0..approvals)
        .map(|i| format!(r#"{{"file":"approvals/{:04}.dsse.json"}}"#, i + 1))
        .collect();
    let text = format!(
        r#"{{"bundle_id":"b-{kind}-{day}","created_at":"{day}T10:00:00Z","change":{{"kind":"{kind}","environment":"{env}"}},"approvals":{{"required":{required},"approvals":[{}]}},"policy":{{"hash":"sha256:{}","required":false,"decisions":[]}},"def":{{"tests":[{}],"assets":[{{"id":"model.shop.orders","relation":"shop.analytics.orders","change":"{kind}"}}]}}}}"#,
        approvals.join(","),
        "a".repeat(64),
        tests.join(",")
    );
    jcs::parse(text.as_bytes(), &Limits::default()).unwrap()
}

fn bundle(sha: char, valid: bool, m: jcs::Value) -> Item {
    Item::Bundle(BundleItem {
        bundle_id: m.get("bundle_id").unwrap().as_str().unwrap().to_owned(),
        sha256: sha.to_string().repeat(64),
        valid,
        manifest: Some(m),
    })
}

fn record(day: &str, approvals: usize) -> Item {
    Item::Record(Record {
        v: 0,
        bundle_id: format!("r-{day}"),
        bundle_sha256: "f".repeat(64),
        manifest_digest: format!("sha256:{}", "e".repeat(64)),
        format: "def/v0".into(),
        created_at: format!("{day}T09:00:00Z"),
        subject: "model.shop.orders".into(),
        environment: "production".into(),
        approvals: (0..approvals)
            .map(|i| RecordApproval {
                digest: format!("sha256:{}", "d".repeat(64)),
                nonce: format!("n{i}"),
            })
            .collect(),
        logged_at: format!("{day}T09:00:01Z"),
    })
}

fn results(framework: Framework, set: &EvidenceSet) -> Vec<(String, R, u64, u64)> {
    badge::evaluate(framework, set)
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.result, c.judged, c.failed))
        .collect()
}

fn set(items: Vec<Item>) -> EvidenceSet {
    EvidenceSet {
        items,
        ..EvidenceSet::default()
    }
}

#[test]
fn sox_criteria_judge_tests_approvals_and_tickets() {
    let good = manifest(
        "schema",
        "production",
        "2026-11-30",
        &["pass", "warn"],
        1,
        1,
    );
    let data = manifest(
        "data",
        "production",
        "2026-11-30",
        &["pass", "skipped"],
        0,
        0,
    );
    let mut s = set(vec![
        bundle('1', true, good.clone()),
        bundle('2', true, data),
    ]);
    let r = results(Framework::Sox, &s);
    assert_eq!(r[0], ("evidence_verified".into(), R::Pass, 2, 0));
    assert_eq!(r[1], ("tests_pass".into(), R::Pass, 2, 0));
    assert_eq!(r[2], ("schema_changes_approved".into(), R::Pass, 2, 0));
    // No ticket record: not evaluated, and the reason says so.
    let c = badge::evaluate(Framework::Sox, &s).unwrap();
    assert_eq!(c[3].result, R::NotEvaluated);
    assert!(c[3].reason.contains("no ticket record"), "{}", c[3].reason);
    assert_eq!(status(&c), "incomplete");
    s.tickets = Some(vec![TicketRef {
        bundle_id: "b-schema-2026-11-30".into(),
        system: "servicenow".into(),
        ticket: "CHG0000001".into(),
    }]);
    let c = badge::evaluate(Framework::Sox, &s).unwrap();
    assert_eq!((c[3].result, c[3].judged, c[3].failed), (R::Fail, 2, 1));
    assert_eq!(status(&c), "failing");

    // A failing test, an unapproved schema change, an INVALID bundle each fail their criterion.
    let failing = manifest("data", "production", "2026-11-30", &["pass", "fail"], 0, 0);
    let unapproved = manifest("schema", "production", "2026-11-30", &[], 0, 0);
    let s = set(vec![
        bundle('3', false, failing),
        bundle('4', true, unapproved),
    ]);
    let r = results(Framework::Sox, &s);
    assert_eq!(r[0], ("evidence_verified".into(), R::Fail, 2, 1));
    assert_eq!(r[1], ("tests_pass".into(), R::Fail, 2, 1));
    assert_eq!(r[2], ("schema_changes_approved".into(), R::Fail, 2, 1));
}

#[test]
fn records_are_judged_only_where_they_carry_the_facts() {
    let s = set(vec![record("2026-11-29", 1)]);
    let r = results(Framework::Sox, &s);
    assert_eq!(r[0].1, R::Pass);
    assert_eq!(r[1], ("tests_pass".into(), R::NotEvaluated, 0, 0));
    assert_eq!(
        r[2],
        ("schema_changes_approved".into(), R::NotEvaluated, 0, 0)
    );
}

#[test]
fn pci_daily_reviews_need_an_approved_change_each_production_day() {
    let approved = manifest("data", "production", "2026-11-30", &[], 1, 1);
    let bare = manifest("data", "production", "2026-11-30", &[], 0, 0);
    let staging = manifest("data", "staging", "2026-11-28", &[], 0, 0);
    // Day 11-30: one approved of two (passes); day 11-29: a record with an approval (passes).
    let s = set(vec![
        bundle('1', true, approved),
        bundle('2', true, bare.clone()),
        bundle('3', true, staging),
        record("2026-11-29", 1),
    ]);
    let c = badge::evaluate(Framework::Pci, &s).unwrap();
    assert_eq!(
        (c[1].id.as_str(), c[1].result, c[1].judged),
        ("daily_reviews", R::Pass, 3)
    );
    // Day 11-27 has only an unapproved record: its items fail.
    let s = set(vec![bundle('2', true, bare), record("2026-11-27", 0)]);
    let c = badge::evaluate(Framework::Pci, &s).unwrap();
    assert_eq!((c[1].result, c[1].judged, c[1].failed), (R::Fail, 2, 2));
    assert!(c[1].reason.contains("0 of 2 days"), "{}", c[1].reason);
    // data_tagged without a policy is not evaluated.
    assert_eq!(c[2].result, R::NotEvaluated);
}

fn policy(tables: &[&str], frameworks: &[&str], hash: char) -> PolicyFacts {
    PolicyFacts {
        hash: format!("sha256:{}", hash.to_string().repeat(64)),
        tables: tables
            .iter()
            .map(|t| TableDoc {
                name: (*t).into(),
                classification: "pci".into(),
            })
            .collect(),
        frameworks: frameworks.iter().map(|f| (*f).into()).collect(),
    }
}

#[test]
fn data_tagged_and_phi_marked_read_the_policy_tables() {
    let m = manifest("data", "production", "2026-11-30", &[], 1, 1);
    let mut s = set(vec![bundle('1', true, m)]);
    s.policy = Some(policy(&["SHOP.ANALYTICS.*"], &["pci_dss"], 'a'));
    let c = badge::evaluate(Framework::Pci, &s).unwrap();
    assert_eq!(c[2].result, R::Pass, "{}", c[2].reason);
    // Another policy hash: the bundle was sealed under another policy.
    s.policy = Some(policy(&["shop.analytics.*"], &["pci_dss"], 'b'));
    assert_eq!(
        badge::evaluate(Framework::Pci, &s).unwrap()[2].result,
        R::Fail
    );
    // An unclassified relation fails.
    s.policy = Some(policy(&["shop.raw.*"], &["hipaa"], 'a'));
    assert_eq!(
        badge::evaluate(Framework::Pci, &s).unwrap()[2].result,
        R::Fail
    );
    assert_eq!(
        badge::evaluate(Framework::Hipaa, &s).unwrap()[1].result,
        R::Fail
    );
    // HIPAA needs the framework in scope as well as the classification.
    s.policy = Some(policy(&["shop.analytics.orders"], &["sox"], 'a'));
    let c = badge::evaluate(Framework::Hipaa, &s).unwrap();
    assert_eq!(c[1].result, R::Fail);
    assert!(c[1].reason.contains("hipaa"), "{}", c[1].reason);
    s.policy = Some(policy(&["shop.analytics.orders"], &["hipaa"], 'a'));
    assert_eq!(
        badge::evaluate(Framework::Hipaa, &s).unwrap()[1].result,
        R::Pass
    );
}

#[test]
fn empty_evidence_and_unknown_framework_are_input_errors() {
    use clyra_core::Coded as _;
    assert_eq!(
        badge::evaluate(Framework::Sox, &set(vec![]))
            .unwrap_err()
            .code(),
        "badge.input"
    );
    assert_eq!(Framework::parse("gdpr").unwrap_err().code(), "badge.input");
}

fn claims(iat: &str) -> Claims {
    let m = manifest("schema", "production", "2026-11-30", &["pass"], 1, 1);
    let mut s = set(vec![bundle('1', true, m)]);
    s.ledger = Some(LedgerRef {
        origin: "example.com/ledger".into(),
        size: 3,
        root: "0".repeat(64),
    });
    let criteria = badge::evaluate(Framework::Sox, &s).unwrap();
    Claims::new("acme", "shop", &ts(iat), Framework::Sox, criteria, &s).unwrap()
}

fn verdict(jws: &str, trust: &Trust, at: &str) -> (Outcome, &'static str, u8) {
    let v = badge::verify(jws.as_bytes(), trust, &ts(at));
    (v.outcome, v.primary, v.exit)
}

#[test]
fn claims_carry_the_spec_members() {
    let c = claims(IAT);
    assert_eq!(c.exp - c.iat, 7_776_000);
    assert!(c.jti.starts_with("badge:") && c.jti.len() == 38);
    let v: serde_json::Value = serde_json::from_slice(&c.to_canonical()).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "criteria",
            "evidence",
            "exp",
            "framework",
            "iat",
            "iss",
            "jti",
            "status",
            "sub",
            "v"
        ]
    );
    assert_eq!(v["evidence"]["ledger"]["size"], 3);
    assert_eq!(v["evidence"]["bundles"][0]["sha256"], "1".repeat(64));
}

#[test]
fn a_badge_verifies_until_it_expires() {
    let k = key(7);
    let jws = badge::issue(&claims(IAT), &k).unwrap();
    let t = trust_of(&k, "");
    assert_eq!(verdict(&jws, &t, IAT), (Outcome::Valid, "ok", 0));
    assert_eq!(
        verdict(&jws, &t, "2027-02-28T23:59:59Z"),
        (Outcome::Valid, "ok", 0)
    );
    assert_eq!(
        verdict(&jws, &t, "2027-03-01T00:00:00Z"),
        (Outcome::Invalid, "badge.expired", 1)
    );
    assert_eq!(
        verdict(&jws, &t, "2026-11-30T23:59:59Z"),
        (Outcome::Indeterminate, "badge.not_yet_valid", 3)
    );
    // A trailing newline (as badge.jws ends) is accepted.
    assert_eq!(verdict(&format!("{jws}\n"), &t, IAT).1, "ok");
    let v = badge::verify(jws.as_bytes(), &t, &ts(IAT));
    assert_eq!(v.claims.unwrap().sub, "shop");
}

#[test]
fn altered_badges_and_other_keys_are_caught() {
    let k = key(7);
    let jws = badge::issue(&claims(IAT), &k).unwrap();
    let t = trust_of(&k, "");
    let parts: Vec<&str> = jws.split('.').collect();
    // The payload with its status changed to passing: the signature no longer verifies.
    let mut payload = URL_SAFE_NO_PAD.decode(parts[1]).unwrap();
    let text = String::from_utf8(payload.clone())
        .unwrap()
        .replace("\"sub\":\"shop\"", "\"sub\":\"shoq\"");
    payload = text.into_bytes();
    let altered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(&payload),
        parts[2]
    );
    assert_eq!(
        verdict(&altered, &t, IAT),
        (Outcome::Invalid, "badge.signature", 1)
    );
    // Another key, trusted nowhere: VALID_UNTRUSTED.
    let other = key(8);
    let by_other = badge::issue(&claims(IAT), &other).unwrap();
    assert_eq!(
        verdict(&by_other, &t, IAT),
        (Outcome::ValidUntrusted, "badge.untrusted_key", 2)
    );
    // The other key's jwk swapped into our header: kid no longer matches.
    let other_parts: Vec<&str> = by_other.split('.').collect();
    let mixed = format!("{}.{}.{}", other_parts[0], parts[1], parts[2]);
    assert_eq!(
        verdict(&mixed, &t, IAT),
        (Outcome::Invalid, "badge.signature", 1)
    );
    // A revoked key, or one whose window does not cover iat.
    let revoked = trust_of(&k, r#","revoked_at":"2026-12-02T00:00:00Z""#);
    assert_eq!(
        verdict(&jws, &revoked, "2026-12-03T00:00:00Z"),
        (Outcome::Invalid, "badge.key_window", 1)
    );
    assert_eq!(verdict(&jws, &revoked, "2026-12-01T12:00:00Z").1, "ok");
    let late = trust_of(&k, r#","not_before":"2026-12-01T00:00:01Z""#);
    assert_eq!(verdict(&jws, &late, IAT).1, "badge.key_window");
    // A P-256 key cannot issue.
    let p256 = SigningKey::generate(Scheme::EcdsaP256Sha256, [1; 32]).unwrap();
    use clyra_core::Coded as _;
    assert_eq!(
        badge::issue(&claims(IAT), &p256).unwrap_err().code(),
        "badge.key"
    );
}

fn with_header(jws: &str, header: &str) -> String {
    let parts: Vec<&str> = jws.split('.').collect();
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        parts[1],
        parts[2]
    )
}

#[test]
fn malformed_badges_have_their_codes() {
    let k = key(7);
    let jws = badge::issue(&claims(IAT), &k).unwrap();
    let t = trust_of(&k, "");
    let header = String::from_utf8(
        URL_SAFE_NO_PAD
            .decode(jws.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    let cases = [
        ("a.b", "badge.malformed"),
        ("", "badge.malformed"),
        (&*format!("{jws}.x"), "badge.malformed"),
        (&*format!("{jws}="), "badge.malformed"),
        (&*jws.replacen('.', " .", 1), "badge.malformed"),
        (
            &*with_header(&jws, &header.replace("EdDSA", "none")),
            "badge.alg",
        ),
        (
            &*with_header(&jws, &header.replace("EdDSA", "HS256")),
            "badge.alg",
        ),
        (
            &*with_header(&jws, &header.replace("clyra-badge+jwt", "JWT")),
            "badge.malformed",
        ),
        (
            &*with_header(
                &jws,
                &header.replace("\"kid\":\"sha256:", "\"kid\":\"sha256:0"),
            ),
            "badge.key_mismatch",
        ),
        (
            &*with_header(&jws, &header.replace("{\"alg\"", "{\"crit\":[],\"alg\"")),
            "badge.malformed",
        ),
        (
            &*with_header(
                &jws,
                &header.replace("{\"alg\"", "{\"alg\":\"EdDSA\",\"alg\""),
            ),
            "badge.malformed",
        ),
    ];
    for (badge, code) in cases {
        let v = badge::verify(badge.as_bytes(), &t, &ts(IAT));
        assert_eq!((v.outcome, v.primary), (Outcome::Invalid, code), "{badge}");
    }
}

#[test]
fn signed_but_wrong_claims_are_badge_claims() {
    let k = key(7);
    let t = trust_of(&k, "");
    let sign = |payload: &str| {
        let header = format!(
            r#"{{"alg":"EdDSA","jwk":{{"crv":"Ed25519","kty":"OKP","x":"{}"}},"kid":"{}","typ":"clyra-badge+jwt"}}"#,
            URL_SAFE_NO_PAD.encode(&k.public_key().spki_der()[12..]),
            k.public_key().keyid()
        );
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(k.sign(input.as_bytes()))
        )
    };
    let good = String::from_utf8(claims(IAT).to_canonical()).unwrap();
    assert_eq!(verdict(&sign(&good), &t, IAT).1, "ok");
    let edits = [
        good.replace("\"exp\":", "\"exp\":1"),
        good.replace("\"status\":\"incomplete\"", "\"status\":\"passing\""),
        good.replace("\"v\":0", "\"v\":1"),
        good.replace("\"jti\":\"badge:", "\"jti\":\"badge:0"),
        good.replace("{\"criteria\"", "{\"extra\":1,\"criteria\""),
        good.replace("\"framework\":\"sox\"", "\"framework\":\"pci\""),
        format!(" {good}"),
    ];
    for payload in edits {
        assert_eq!(
            verdict(&sign(&payload), &t, IAT),
            (Outcome::Invalid, "badge.claims", 1),
            "{payload}"
        );
    }
}
