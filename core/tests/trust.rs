//! Trust files (spec/trust-v0.md): both forms, every rejection of §3–§4 with its detail code, and
//! the trust-and-time decisions of §5–§6.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::sliced_string_as_bytes
)]

use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::time::Timestamp;
use clyra_core::trust::{
    judge_signature, producer_threshold, trust_and_time, ProducerSignature, Role,
    SignatureJudgement, ThresholdStatus, Trust, TrustFileError,
};
use clyra_core::verdict::{self, Outcome, Severity};
use clyra_core::{Coded, Limits};
use serde_json::{json, Value};

const ED_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAefLLIdo3wNVIQ9sYZ51LGCa/Bl4PpR9ntknEB1pAp5Q=\n-----END PUBLIC KEY-----\n";
const ED_KEYID: &str = "sha256:9953d15527f1aa1f92166a377dc4b1b576c649477efe5d333ba0c68862236ff8";
const P256_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEapraYH2TpenENEKDYpREMQ0KU/cA\no9pevmuh/xjjUacLAxO9HGUk65cvb3+10cljVCA260TlaNhe+xzkrFf96g==\n-----END PUBLIC KEY-----\n";
const P256_KEYID: &str = "sha256:803bf9164a80cf2ee369efc6d7a6813f4aac68ec3990f2aae74ea035452b7ea2";
/// An RSA-2048 public key written by `openssl pkey -pubout` (also in tests/crypto.rs).
const RSA_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAo4DfCrM4OyDtJ2sE4zzl
HT+D/jKwbuJ3+CqRCKgVSCvsDm07t7dZ2EJ7TBJalgoeX1eLbKIDSBCZ6hjEbUvk
qM+znkQonFrmR0PPO6j5ZqWcP+3V4OC5PtgjH0rOPOyuvz0hFWYoS7aGKHEHOLbv
szb1wamBMhx3pDN0IpZiZd2iz9kjxBxfco6AuJvnrEptXdgS4HRw1oHSv3GW1NJu
JRK3s+43ibm3lldEodlwya/0tMRV5FA8VmMjHhRJrimjOFvmK8Zo1sYSFAuDXzN9
hm/QjGSxahD3UqujxTHtPW34ZUxFvUYxS/M1STCDpXehAyrP0PIfZzUZLFn3jn8D
YQIDAQAB
-----END PUBLIC KEY-----
";
const RSA_KEYID: &str = "sha256:125d7c10608c37bcf72ebbd0c04f086767eab1c74347b974707627a438fc1c3f";

fn limits() -> Limits {
    Limits::default()
}

fn ts(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// The trust-v0.md §8 example, extracted from the spec text.
fn spec_example() -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/trust-v0.md"))
        .unwrap();
    let start = text.find("<!-- example: trust-v0 -->").unwrap();
    let rest = &text[start..];
    let open = rest.find("```json\n").unwrap() + "```json\n".len();
    let close = rest[open..].find("```").unwrap();
    rest[open..open + close].to_owned()
}

fn example_value() -> Value {
    serde_json::from_str(&spec_example()).unwrap()
}

fn parse_value(v: &Value) -> Result<Trust, TrustFileError> {
    Trust::parse(
        serde_json::to_string_pretty(v).unwrap().as_bytes(),
        &limits(),
    )
}

/// The error of a trust file, with its code and detail.
fn rejected(v: &Value) -> TrustFileError {
    let err = parse_value(v).expect_err("trust file accepted");
    assert_eq!(err.code(), "trust.file");
    err
}

fn is_schema(err: &TrustFileError, field: &str) -> bool {
    matches!(err, TrustFileError::Schema { field: f, .. } if f == field)
}

#[test]
fn the_spec_example_parses() {
    let trust = Trust::parse(spec_example().as_bytes(), &limits()).unwrap();
    assert_eq!(trust.producer_threshold(), 1);
    assert_eq!(trust.keys().len(), 2);
    let producer = trust.key(ED_KEYID).unwrap();
    assert_eq!(producer.scheme(), Scheme::Ed25519);
    assert_eq!(producer.roles(), [Role::Producer]);
    assert!(producer.has_role(Role::Producer) && !producer.has_role(Role::Approver));
    assert_eq!(producer.not_before(), Some(&ts("2026-11-01T00:00:00Z")));
    assert_eq!(producer.not_after(), Some(&ts("2027-11-01T00:00:00Z")));
    assert_eq!(producer.revoked_at(), None);
    assert_eq!(producer.public_key().keyid(), ED_KEYID);
    let approver = trust.key(P256_KEYID).unwrap();
    assert_eq!(approver.scheme(), Scheme::EcdsaP256Sha256);
    assert_eq!(approver.roles(), [Role::Approver]);
    assert_eq!(approver.not_after(), None);
    // Lookups are byte for byte.
    assert!(trust.key(&ED_KEYID.to_uppercase()).is_none());
    assert!(trust.key(&ED_KEYID[7..]).is_none());
}

#[test]
fn trust_files_need_not_be_canonical() {
    let pretty = spec_example();
    let compact = serde_json::to_string(&example_value()).unwrap();
    let a = Trust::parse(pretty.as_bytes(), &limits()).unwrap();
    let b = Trust::parse(compact.as_bytes(), &limits()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn bare_pem_is_one_producer_key_with_threshold_one() {
    for (pem, keyid, scheme) in [
        (ED_PEM, ED_KEYID, Scheme::Ed25519),
        (P256_PEM, P256_KEYID, Scheme::EcdsaP256Sha256),
        (ED_PEM.trim_end_matches('\n'), ED_KEYID, Scheme::Ed25519),
    ] {
        let trust = Trust::parse(pem.as_bytes(), &limits()).unwrap();
        assert_eq!(trust.producer_threshold(), 1);
        let [key] = trust.keys() else { panic!() };
        assert_eq!(key.keyid(), keyid);
        assert_eq!(key.scheme(), scheme);
        assert_eq!(key.roles(), [Role::Producer]);
        assert!(key.not_before().is_none() && key.not_after().is_none());
        assert!(key.revoked_at().is_none());
    }
    // The bare-PEM form equals the JSON trust file of trust-v0.md §4.1.
    let json = json!({"version":0,"keys":[{"keyid":ED_KEYID,"scheme":"ed25519",
        "public_key_pem":ED_PEM,"roles":["producer"]}],"thresholds":{"producer":1}});
    assert_eq!(
        parse_value(&json).unwrap(),
        Trust::parse(ED_PEM.as_bytes(), &limits()).unwrap()
    );
}

#[test]
fn bare_pem_rejections() {
    let err = Trust::parse(RSA_PEM.as_bytes(), &limits()).unwrap_err();
    assert_eq!(err, TrustFileError::RsaBarePem);
    assert_eq!(
        (err.code(), err.detail()),
        ("trust.file", Some("key.unsupported_algorithm"))
    );
    let cases = [
        (ED_PEM.replace('\n', "\r\n"), "key.pem_malformed"),
        (format!("{ED_PEM}{ED_PEM}"), "key.pem_malformed"),
        (format!("{ED_PEM}\n"), "key.pem_malformed"),
        (format!("{ED_PEM} "), "key.pem_malformed"),
        ("-".repeat(20_000), "key.too_large"),
        (
            ED_PEM.replace("BEGIN PUBLIC KEY", "BEGIN PRIVATE KEY"),
            "key.pem_malformed",
        ),
    ];
    for (text, detail) in cases {
        let err = Trust::parse(text.as_bytes(), &limits()).unwrap_err();
        assert_eq!(err.code(), "trust.file");
        assert_eq!(err.detail(), Some(detail), "{text:?}: {err}");
    }
}

#[test]
fn json_syntax_errors_carry_their_jcs_code() {
    for (text, detail) in [
        ("", "jcs.unexpected_end"),
        ("{", "jcs.unexpected_end"),
        ("\u{feff}{}", "jcs.unexpected_character"),
        (r#"{"version":0,"version":0}"#, "jcs.duplicate_key"),
        (
            r#"{"version":9007199254740992}"#,
            "jcs.integer_out_of_range",
        ),
        (r#"{"a":"\ud800"}"#, "jcs.lone_surrogate"),
        ("{} x", "jcs.trailing_characters"),
    ] {
        let err = Trust::parse(text.as_bytes(), &limits()).unwrap_err();
        assert_eq!(err.code(), "trust.file");
        assert_eq!(err.detail(), Some(detail), "{text:?}");
    }
    let mut small = limits();
    small.json_max_bytes = 100;
    let err = Trust::parse(spec_example().as_bytes(), &small).unwrap_err();
    assert_eq!(err.detail(), Some("jcs.too_large"));
}

/// Applies `edit` to the spec example and returns the error.
fn edited(edit: impl FnOnce(&mut Value)) -> TrustFileError {
    let mut v = example_value();
    edit(&mut v);
    rejected(&v)
}

#[test]
fn schema_violations() {
    assert!(is_schema(&rejected(&json!([])), "(top level)"));
    assert!(is_schema(
        &edited(|v| {
            v["extra"] = json!(1);
        }),
        "extra"
    ));
    assert!(is_schema(
        &edited(|v| {
            v.as_object_mut().unwrap().remove("version");
        }),
        "version"
    ));
    assert!(is_schema(&edited(|v| v["version"] = json!(1)), "version"));
    assert!(is_schema(&edited(|v| v["version"] = json!("0")), "version"));
    assert!(is_schema(&edited(|v| v["keys"] = json!([])), "keys"));
    assert!(is_schema(&edited(|v| v["keys"] = json!({})), "keys"));
    assert!(is_schema(
        &edited(|v| {
            v.as_object_mut().unwrap().remove("thresholds");
        }),
        "thresholds"
    ));
    assert!(is_schema(
        &edited(|v| v["thresholds"] = json!({})),
        "thresholds.producer"
    ));
    assert!(is_schema(
        &edited(|v| v["thresholds"]["approver"] = json!(1)),
        "thresholds.approver"
    ));
    assert!(is_schema(
        &edited(|v| v["thresholds"]["producer"] = json!(0)),
        "thresholds.producer"
    ));
    assert!(is_schema(
        &edited(|v| v["thresholds"]["producer"] = json!(17)),
        "thresholds.producer"
    ));
    assert!(is_schema(
        &edited(|v| v["thresholds"]["producer"] = json!(1.5)),
        "thresholds.producer"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][1] = json!("key")),
        "keys[1]"
    ));
    assert!(is_schema(
        &edited(|v| {
            v["keys"][0].as_object_mut().unwrap().remove("roles");
        }),
        "keys[0].roles"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][0]["comment"] = json!("x")),
        "keys[0].comment"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][0]["keyid"] = json!(ED_KEYID.to_uppercase())),
        "keys[0].keyid"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][0]["keyid"] = json!(&ED_KEYID[7..])),
        "keys[0].keyid"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][0]["roles"] = json!([])),
        "keys[0].roles"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][0]["roles"] = json!(["producer", "producer"])),
        "keys[0].roles"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][0]["roles"] = json!(["producer", "approver", "producer"])),
        "keys[0].roles"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][0]["roles"] = json!(["signer"])),
        "keys[0].roles"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][0]["roles"] = json!("producer")),
        "keys[0].roles"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][0]["not_before"] = json!(null)),
        "keys[0].not_before"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][0]["not_after"] = json!("2027-11-01")),
        "keys[0].not_after"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][0]["revoked_at"] = json!("2027-02-30T00:00:00Z")),
        "keys[0].revoked_at"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][0]["not_before"] = json!("2016-12-31T23:59:60Z")),
        "keys[0].not_before"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][0]["public_key_pem"] = json!(ED_PEM.replace('\n', "\r\n"))),
        "keys[0].public_key_pem"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][0]["public_key_pem"] = json!(format!("{ED_PEM}\n"))),
        "keys[0].public_key_pem"
    ));
    assert!(is_schema(
        &edited(|v| v["keys"][0]["public_key_pem"] = json!(7)),
        "keys[0].public_key_pem"
    ));
    // Every error above is `trust.file` with detail `schema` (trust-v0.md §3.4).
    assert_eq!(edited(|v| v["version"] = json!(1)).detail(), Some("schema"));
}

#[test]
fn an_unknown_scheme_is_trust_file_with_detail_schema() {
    let err = edited(|v| v["keys"][0]["scheme"] = json!("ED25519"));
    assert!(matches!(err, TrustFileError::UnknownScheme { .. }));
    assert_eq!(err.detail(), Some("schema"));
    let err = edited(|v| v["keys"][0]["scheme"] = json!(1));
    assert!(is_schema(&err, "keys[0].scheme"));
}

#[test]
fn the_schema_is_checked_for_every_key_before_any_key_is_parsed() {
    // Key 0 has a bad key (item 3), key 1 an unknown role (item 2): item 2 is reported.
    let err = edited(|v| {
        v["keys"][0]["public_key_pem"] = json!(ED_PEM.replace("MCow", "MCox"));
        v["keys"][1]["roles"] = json!(["auditor"]);
    });
    assert!(is_schema(&err, "keys[1].roles"), "{err}");
}

#[test]
fn key_rules_in_order() {
    // A PEM that matches the schema pattern but is not a DER SPKI.
    let err = edited(|v| v["keys"][0]["public_key_pem"] = json!(ED_PEM.replace("MCow", "MCox")));
    assert_eq!(err.detail(), Some("key.der_malformed"), "{err}");
    // The stated keyid is not the key's.
    let err = edited(|v| v["keys"][0]["keyid"] = json!(P256_KEYID));
    assert!(
        matches!(err, TrustFileError::KeyidMismatch { index: 0, .. }),
        "{err}"
    );
    assert_eq!(err.detail(), Some("keyid_mismatch"));
    // A scheme not allowed for the key.
    let err = edited(|v| v["keys"][1]["scheme"] = json!("ed25519"));
    assert!(
        matches!(err, TrustFileError::SchemeNotAllowed { index: 1, .. }),
        "{err}"
    );
    let err = edited(|v| v["keys"][0]["scheme"] = json!("rsa-pss-sha256"));
    assert!(
        matches!(err, TrustFileError::SchemeNotAllowed { index: 0, .. }),
        "{err}"
    );
    // not_before after not_after; equal is accepted.
    let err = edited(|v| v["keys"][0]["not_before"] = json!("2027-11-01T00:00:01Z"));
    assert_eq!(err, TrustFileError::WindowOrder { index: 0 });
    assert_eq!(err.detail(), Some("window"));
    let mut v = example_value();
    v["keys"][0]["not_before"] = json!("2027-11-01T00:00:00Z");
    parse_value(&v).unwrap();
    // Item 3 stops at the first key: key 0's keyid beats key 1's scheme.
    let err = edited(|v| {
        v["keys"][0]["keyid"] = json!(P256_KEYID);
        v["keys"][1]["scheme"] = json!("ed25519");
    });
    assert!(
        matches!(err, TrustFileError::KeyidMismatch { index: 0, .. }),
        "{err}"
    );
}

#[test]
fn rsa_keys_are_trusted_with_one_named_scheme() {
    for scheme in ["rsa-pkcs1v15-sha256", "rsa-pss-sha256"] {
        let v = json!({"version":0,"keys":[{"keyid":RSA_KEYID,"scheme":scheme,
            "public_key_pem":RSA_PEM,"roles":["producer","approver"]}],"thresholds":{"producer":1}});
        let trust = parse_value(&v).unwrap();
        assert_eq!(trust.key(RSA_KEYID).unwrap().scheme().as_str(), scheme);
    }
    let v = json!({"version":0,"keys":[{"keyid":RSA_KEYID,"scheme":"ecdsa-p256-sha256",
        "public_key_pem":RSA_PEM,"roles":["producer"]}],"thresholds":{"producer":1}});
    assert!(matches!(
        rejected(&v),
        TrustFileError::SchemeNotAllowed { .. }
    ));
    assert_eq!(rejected(&v).detail(), Some("sig.scheme_mismatch"));
}

#[test]
fn duplicate_keyids_and_unreachable_thresholds() {
    let err = edited(|v| {
        let first = v["keys"][0].clone();
        v["keys"].as_array_mut().unwrap().push(first);
    });
    assert!(
        matches!(err, TrustFileError::DuplicateKeyid { index: 2, .. }),
        "{err}"
    );
    assert_eq!(err.detail(), Some("duplicate_keyid"));
    // One producer key, threshold 2.
    let err = edited(|v| v["thresholds"]["producer"] = json!(2));
    assert_eq!(err.detail(), Some("threshold"));
    assert_eq!(
        err,
        TrustFileError::ThresholdUnreachable {
            threshold: 2,
            producers: 1
        }
    );
    // Approver keys do not count towards the producer threshold.
    let err = edited(|v| v["keys"][0]["roles"] = json!(["approver"]));
    assert_eq!(
        err,
        TrustFileError::ThresholdUnreachable {
            threshold: 1,
            producers: 0
        }
    );
    // Item 4 before item 5.
    let err = edited(|v| {
        let first = v["keys"][0].clone();
        v["keys"].as_array_mut().unwrap().push(first);
        v["thresholds"]["producer"] = json!(16);
    });
    assert!(
        matches!(err, TrustFileError::DuplicateKeyid { .. }),
        "{err}"
    );
}

// ---- trust and time (trust-v0.md §5–§6) ----

struct Fixture {
    trust: Trust,
    keyids: Vec<String>,
}

/// Four Ed25519 keys: 0 and 1 producers, 2 an approver, 3 a producer revoked at
/// 2026-12-01T00:00:00Z; producer window 2026-11-01 .. 2027-11-01; threshold `t`.
fn fixture(t: u64) -> Fixture {
    let keys: Vec<SigningKey> = (0..4u8)
        .map(|i| SigningKey::generate(Scheme::Ed25519, [i + 1; 32]).unwrap())
        .collect();
    let keyids: Vec<String> = keys
        .iter()
        .map(|k| k.public_key().keyid().to_owned())
        .collect();
    let entry = |i: usize, roles: Value| {
        json!({"keyid": keyids[i], "scheme": "ed25519", "public_key_pem": keys[i].public_key().to_pem(),
               "roles": roles, "not_before": "2026-11-01T00:00:00Z", "not_after": "2027-11-01T00:00:00Z"})
    };
    let mut revoked = entry(3, json!(["producer"]));
    revoked["revoked_at"] = json!("2026-12-01T00:00:00Z");
    let v = json!({"version": 0, "keys": [entry(0, json!(["producer"])), entry(1, json!(["producer", "approver"])),
        entry(2, json!(["approver"])), revoked], "thresholds": {"producer": t}});
    Fixture {
        trust: parse_value(&v).unwrap(),
        keyids,
    }
}

const CREATED: &str = "2026-11-20T09:01:15Z";
const SIGNED: &str = "2026-11-20T09:01:16Z";
const AT: &str = "2026-11-25T00:00:00Z";

fn judge(
    f: &Fixture,
    keyid: &str,
    scheme: Scheme,
    signed_at: &str,
    at: &str,
) -> SignatureJudgement {
    judge_signature(
        &f.trust,
        keyid,
        scheme,
        &ts(signed_at),
        &ts(CREATED),
        &ts(at),
        None,
    )
}

#[test]
fn signature_judgements_follow_rule_order() {
    let f = fixture(1);
    let k = |i: usize| f.keyids[i].as_str();
    use SignatureJudgement::*;
    assert_eq!(judge(&f, k(0), Scheme::Ed25519, SIGNED, AT), Counted);
    // Equal times pass (§6.4).
    assert_eq!(judge(&f, k(0), Scheme::Ed25519, CREATED, CREATED), Counted);
    // Rule 2 and 3 apply to untrusted signatures too.
    assert_eq!(
        judge(&f, k(0), Scheme::Ed25519, "2026-11-25T00:00:01Z", AT),
        Future
    );
    assert_eq!(
        judge(&f, "sha256:00", Scheme::Ed25519, "2026-11-25T00:00:01Z", AT),
        Future
    );
    assert_eq!(
        judge(&f, k(0), Scheme::Ed25519, "2026-11-20T09:01:14Z", AT),
        SignedBeforeCreated
    );
    assert_eq!(
        judge(&f, "sha256:00", Scheme::Ed25519, "2026-11-20T09:01:14Z", AT),
        SignedBeforeCreated
    );
    // Rule 2 before rule 3: a signing time after `at` and before `created_at` (created_at > at).
    assert_eq!(
        judge_signature(
            &f.trust,
            k(0),
            Scheme::Ed25519,
            &ts("2026-11-26T00:00:00Z"),
            &ts("2026-11-27T00:00:00Z"),
            &ts(AT),
            None
        ),
        Future
    );
    // Rule 4: absent, without the producer role, or with another scheme.
    assert_eq!(
        judge(&f, "sha256:00", Scheme::Ed25519, SIGNED, AT),
        Untrusted
    );
    assert_eq!(judge(&f, k(2), Scheme::Ed25519, SIGNED, AT), Untrusted);
    assert_eq!(
        judge(&f, k(0), Scheme::EcdsaP256Sha256, SIGNED, AT),
        Untrusted
    );
    assert_eq!(
        judge(&f, &k(0).to_uppercase(), Scheme::Ed25519, SIGNED, AT),
        Untrusted
    );
    // Rule 5: revoked at `at`, whatever `signed_at` claims; `revoked_at = at` is revoked.
    assert_eq!(judge(&f, k(3), Scheme::Ed25519, SIGNED, AT), Counted);
    assert_eq!(
        judge(&f, k(3), Scheme::Ed25519, SIGNED, "2026-12-01T00:00:00Z"),
        KeyRevoked
    );
    assert_eq!(
        judge(&f, k(3), Scheme::Ed25519, SIGNED, "2028-01-01T00:00:00Z"),
        KeyRevoked
    );
    // Rule 6: the window at `signed_at`, both ends inclusive.
    let late = |signed: &str| {
        judge_signature(
            &f.trust,
            k(0),
            Scheme::Ed25519,
            &ts(signed),
            &ts("2026-10-01T00:00:00Z"),
            &ts("2028-01-01T00:00:00Z"),
            None,
        )
    };
    assert_eq!(late("2027-11-01T00:00:00Z"), Counted);
    assert_eq!(late("2027-11-01T00:00:01Z"), KeyWindow);
    assert_eq!(late("2026-11-01T00:00:00Z"), Counted);
    assert_eq!(late("2026-10-31T23:59:59Z"), KeyWindow);
    for j in [
        Counted,
        Untrusted,
        Future,
        SignedBeforeCreated,
        KeyRevoked,
        KeyRevokedWitnessed,
        WitnessAfterRevocation,
        WitnessUntrusted,
        WitnessProofMismatch,
        KeyWindow,
    ] {
        assert!(clyra_core::trust::judge::CODES.contains(&(j.code(), j.severity())));
    }
}

#[test]
fn producer_threshold_counts_distinct_keys() {
    let f = fixture(2);
    let k = |i: usize| f.keyids[i].as_str();
    use SignatureJudgement::*;
    assert_eq!(
        producer_threshold(&f.trust, []),
        ThresholdStatus::NoneCounted
    );
    assert_eq!(
        producer_threshold(
            &f.trust,
            [(k(0), Counted), (k(0), Counted), (k(1), Untrusted)]
        ),
        ThresholdStatus::Short {
            counted: 1,
            required: 2
        }
    );
    assert_eq!(
        producer_threshold(&f.trust, [(k(0), Counted), (k(1), Counted)]),
        ThresholdStatus::Met { counted: 2 }
    );
    assert_eq!(
        producer_threshold(&f.trust, [(k(0), KeyWindow), (k(1), Future)]),
        ThresholdStatus::NoneCounted
    );
}

fn sig<'a>(subject: &'a str, keyid: &'a str, signed_at: &'a Timestamp) -> ProducerSignature<'a> {
    ProducerSignature {
        subject,
        keyid,
        scheme: Scheme::Ed25519,
        signed_at,
    }
}

fn codes(checks: &[clyra_core::verdict::Check]) -> Vec<(&str, &str)> {
    checks
        .iter()
        .map(|c| (c.code(), c.subject().unwrap()))
        .collect()
}

#[test]
fn the_trust_and_time_step() {
    let stranger = SigningKey::generate(Scheme::Ed25519, [9; 32]).unwrap();
    let stranger = stranger.public_key().keyid().to_owned();
    let signed = ts(SIGNED);
    let (created, at) = (ts(CREATED), ts(AT));

    // Threshold met with one extra untrusted signature: VALID with a warning (exit 2).
    let f = fixture(1);
    let sigs = [
        sig("signatures/a", &f.keyids[0], &signed),
        sig("signatures/b", &stranger, &signed),
    ];
    let checks = trust_and_time(&f.trust, &created, &at, &sigs, None);
    assert_eq!(
        codes(&checks),
        [
            ("ok", "signatures/a"),
            ("trust.extra_untrusted_key", "signatures/b")
        ]
    );
    assert_eq!(Outcome::of(&checks), Outcome::Valid);
    assert_eq!(verdict::exit_code(&checks), 2);

    // Short of the threshold: untrusted, then trust.threshold.
    let f = fixture(2);
    let sigs = [
        sig("signatures/a", &f.keyids[0], &signed),
        sig("signatures/b", &stranger, &signed),
    ];
    let checks = trust_and_time(&f.trust, &created, &at, &sigs, None);
    assert_eq!(
        codes(&checks),
        [
            ("ok", "signatures/a"),
            ("trust.untrusted_key", "signatures/b"),
            ("trust.threshold", "signatures/")
        ]
    );
    assert_eq!(verdict::primary_code(&checks), "trust.threshold");
    assert_eq!(Outcome::of(&checks), Outcome::Invalid);

    // Nothing counted: untrusted only, VALID_UNTRUSTED, no trust.threshold.
    let sigs = [sig("signatures/b", &stranger, &signed)];
    let checks = trust_and_time(&f.trust, &created, &at, &sigs, None);
    assert_eq!(codes(&checks), [("trust.untrusted_key", "signatures/b")]);
    assert_eq!(checks[0].severity(), Severity::Untrusted);
    assert_eq!(Outcome::of(&checks), Outcome::ValidUntrusted);

    // A revoked key fails even when the threshold is met; meeting it never excuses a failure.
    let f = fixture(1);
    let sigs = [
        sig("signatures/a", &f.keyids[0], &signed),
        sig("signatures/d", &f.keyids[3], &signed),
    ];
    let checks = trust_and_time(&f.trust, &created, &ts("2026-12-01T00:00:00Z"), &sigs, None);
    assert_eq!(
        codes(&checks),
        [("ok", "signatures/a"), ("time.key_revoked", "signatures/d")]
    );
    assert_eq!(Outcome::of(&checks), Outcome::Invalid);

    // created_at after `at`: time.future for the manifest, reported once and first; the
    // signatures are still checked.
    let early = ts("2026-11-20T09:00:00Z");
    let sigs = [
        sig("signatures/a", &f.keyids[0], &signed),
        sig("signatures/b", &f.keyids[1], &signed),
    ];
    let checks = trust_and_time(&f.trust, &created, &early, &sigs, None);
    assert_eq!(
        codes(&checks),
        [
            ("time.future", "manifest.json"),
            ("time.future", "signatures/a"),
            ("time.future", "signatures/b")
        ]
    );
    assert_eq!(Outcome::of(&checks), Outcome::Indeterminate);
    assert_eq!(verdict::exit_code(&checks), 3);
}

/// Rule 5a (trust-v0.md §6.5.2): with a receipt, a revoked key's signature is judged by what the
/// receipt proves; the boundary is strict, rule 6 still applies, and unrevoked keys are unchanged.
#[test]
fn rule_5a_judges_revoked_keys_by_the_witnessed_time() {
    use clyra_core::trust::Witnessed;
    use SignatureJudgement::*;
    let f = fixture(1);
    let revoked = f.keyids[3].as_str(); // revoked at 2026-12-01T00:00:00Z
    let r = ts("2026-12-01T00:00:00Z").unix_seconds() as u64;
    let at = ts("2027-01-01T00:00:00Z");
    let judge = |keyid: &str, w: &Witnessed| {
        judge_signature(
            &f.trust,
            keyid,
            Scheme::Ed25519,
            &ts(SIGNED),
            &ts(CREATED),
            &at,
            Some(w),
        )
    };
    assert_eq!(judge(revoked, &Witnessed::At(r - 1)), KeyRevokedWitnessed);
    assert_eq!(judge(revoked, &Witnessed::At(r)), WitnessAfterRevocation);
    assert_eq!(
        judge(revoked, &Witnessed::At(r + 1)),
        WitnessAfterRevocation
    );
    assert_eq!(
        judge(revoked, &Witnessed::At(u64::MAX)),
        WitnessAfterRevocation
    );
    assert_eq!(
        judge(revoked, &Witnessed::Untrusted("x".into())),
        WitnessUntrusted
    );
    assert_eq!(
        judge(revoked, &Witnessed::Mismatch("x".into())),
        WitnessProofMismatch
    );
    // An unrevoked key is judged as without a receipt, whatever the receipt says.
    assert_eq!(
        judge(&f.keyids[0], &Witnessed::Mismatch("x".into())),
        Counted
    );
    assert_eq!(judge(&f.keyids[0], &Witnessed::At(r + 1)), Counted);
    // Earlier rules still decide first.
    assert_eq!(
        judge_signature(
            &f.trust,
            revoked,
            Scheme::Ed25519,
            &ts("2026-11-20T09:01:14Z"),
            &ts(CREATED),
            &at,
            Some(&Witnessed::At(0))
        ),
        SignedBeforeCreated
    );
    // Witnessed signatures count towards the threshold and are warnings.
    assert!(KeyRevokedWitnessed.is_counted());
    assert_eq!(KeyRevokedWitnessed.severity(), Severity::Warn);
    let signed = ts(SIGNED);
    let sigs = [sig("signatures/d", revoked, &signed)];
    let checks = trust_and_time(
        &f.trust,
        &ts(CREATED),
        &at,
        &sigs,
        Some(&Witnessed::At(r - 1)),
    );
    assert_eq!(
        codes(&checks),
        [("time.key_revoked_witnessed", "signatures/d")]
    );
    assert_eq!(Outcome::of(&checks), Outcome::Valid);
    assert_eq!(verdict::exit_code(&checks), 2);
    let checks = trust_and_time(&f.trust, &ts(CREATED), &at, &sigs, Some(&Witnessed::At(r)));
    assert_eq!(
        codes(&checks),
        [("time.witness_after_revocation", "signatures/d")]
    );
    assert_eq!(Outcome::of(&checks), Outcome::Invalid);
}

/// A rule-6 failure is still reported for a witnessed revoked key (§6.5.2: 5a and 6 are
/// independent).
#[test]
fn rule_5a_does_not_excuse_the_window() {
    use clyra_core::trust::Witnessed;
    let f = fixture(1);
    let at = ts("2028-01-01T00:00:00Z");
    let got = judge_signature(
        &f.trust,
        &f.keyids[3],
        Scheme::Ed25519,
        &ts("2026-10-31T23:59:59Z"),
        &ts("2026-10-01T00:00:00Z"),
        &at,
        Some(&Witnessed::At(0)),
    );
    assert_eq!(got, SignatureJudgement::KeyWindow);
}

/// trust-v0.md §2.1 and §3.1 item 6: `ledger_keys` and `witnesses` hold verifier keys of their
/// type; anything else is `trust.file` with detail `schema`, `ledger_key` or `witness_key`.
#[test]
fn ledger_keys_and_witnesses() {
    use clyra_core::ledger::note::{NoteSigner, ALG_COSIGNATURE_V1, ALG_ED25519};
    let key = SigningKey::generate(Scheme::Ed25519, [7; 32]).unwrap();
    let vkey = |name: &str, alg: u8| {
        NoteSigner::new(&key, name, alg)
            .unwrap()
            .verifier()
            .to_text()
    };
    let ledger = vkey("log.example", ALG_ED25519);
    let witness = vkey("witness.example/w1", ALG_COSIGNATURE_V1);
    let with = |l: Value, w: Value| {
        let mut v = example_value();
        v["ledger_keys"] = l;
        v["witnesses"] = w;
        v
    };
    let trust = parse_value(&with(json!([ledger]), json!([witness, witness]))).unwrap();
    assert_eq!(trust.ledger_keys().len(), 1);
    assert_eq!(trust.ledger_keys()[0].to_text(), ledger);
    assert_eq!(trust.witnesses().len(), 2);
    assert_eq!(trust.witnesses()[0].alg(), ALG_COSIGNATURE_V1);
    // Absent members are empty.
    let plain = parse_value(&example_value()).unwrap();
    assert!(plain.ledger_keys().is_empty() && plain.witnesses().is_empty());
    // Item 6: the type of each member, and the key hash.
    let err = rejected(&with(json!([witness]), json!([witness])));
    assert_eq!(err.detail(), Some("ledger_key"), "{err}");
    let err = rejected(&with(json!([ledger]), json!([ledger])));
    assert_eq!(err.detail(), Some("witness_key"), "{err}");
    let (name, rest) = ledger.split_once('+').unwrap();
    let bad_hash = format!("{name}+00000000+{}", rest.split_once('+').unwrap().1);
    let err = rejected(&with(json!([bad_hash]), json!([witness])));
    assert_eq!(err.detail(), Some("ledger_key"), "{err}");
    // Item 2: the schema's shape.
    let upper = format!("{name}+ABCDEF01+{}", rest.split_once('+').unwrap().1);
    for (l, w, field) in [
        (json!([]), json!([witness]), "ledger_keys"),
        (
            json!([ledger]),
            json!(vec![witness.clone(); 17]),
            "witnesses",
        ),
        (json!([ledger]), json!("x"), "witnesses"),
        (json!([1]), json!([witness]), "ledger_keys[0]"),
        (json!(["no-plus"]), json!([witness]), "ledger_keys[0]"),
        (json!([upper]), json!([witness]), "ledger_keys[0]"),
    ] {
        let err = rejected(&with(l, w));
        assert!(is_schema(&err, field), "{field}: {err}");
        assert_eq!(err.detail(), Some("schema"));
    }
}
