//! DSSE envelopes and in-toto Statements (spec: dsse.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use clyra_core::crypto::{PublicKey, Scheme, SigningKey};
use clyra_core::digest::Sha256Digest;
use clyra_core::dsse::{
    self, pae, Envelope, Signature, Statement, Subject, IN_TOTO_PAYLOAD_TYPE, STATEMENT_TYPE,
};
use clyra_core::jcs::{Map, Value};
use clyra_core::{Coded, Limits};

fn limits() -> Limits {
    Limits::default()
}

fn statement() -> Statement {
    let mut predicate = Map::new();
    predicate.insert("bundle_id", Value::from("b-1"));
    predicate.insert("role", Value::from("producer"));
    predicate.insert("signed_at", Value::from("2026-01-02T03:04:05Z"));
    Statement {
        subject: vec![Subject {
            name: "manifest.json".to_owned(),
            sha256: Sha256Digest::of(b"{}"),
        }],
        predicate_type: "https://clyra.dev/def/v0".to_owned(),
        predicate: Value::from(predicate),
    }
}

fn keys() -> Vec<SigningKey> {
    vec![
        SigningKey::generate(Scheme::Ed25519, [3; 32]).unwrap(),
        SigningKey::generate(Scheme::EcdsaP256Sha256, [3; 32]).unwrap(),
    ]
}

fn signed(key: &SigningKey) -> Envelope {
    dsse::sign(IN_TOTO_PAYLOAD_TYPE, &statement().to_canonical_bytes(), key)
}

fn code(err: impl Coded) -> &'static str {
    err.code()
}

fn verify_code(env: &Envelope, key: &SigningKey) -> &'static str {
    code(dsse::verify(env, key.public_key(), key.scheme(), &limits()).unwrap_err())
}

#[test]
fn pae_matches_the_dsse_spec_example() {
    assert_eq!(
        pae("http://example.com/HelloWorld", b"hello world"),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    );
    assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
}

#[test]
fn round_trips_with_ed25519_and_p256() {
    for key in keys() {
        let env = signed(&key);
        assert_eq!(env.signatures.len(), 1);
        assert_eq!(env.signatures[0].keyid, key.public_key().keyid());
        let bytes = env.encode();
        let decoded = Envelope::decode(&bytes, &limits()).unwrap();
        assert_eq!(decoded, env);
        assert_eq!(decoded.encode(), bytes, "encode is canonical and stable");
        let payload = dsse::verify(&decoded, key.public_key(), key.scheme(), &limits()).unwrap();
        assert_eq!(Statement::parse(payload, &limits()).unwrap(), statement());
        // A key re-read from its PEM verifies too.
        let pem = key.public_key().to_pem();
        let reread = PublicKey::from_pem(pem.as_bytes(), &limits()).unwrap();
        dsse::verify(&decoded, &reread, key.scheme(), &limits()).unwrap();
    }
}

#[test]
fn encoding_is_the_documented_json() {
    let env = Envelope {
        payload_type: "text/plain".to_owned(),
        payload: b"hi".to_vec(),
        signatures: vec![Signature {
            keyid: "k".to_owned(),
            sig: vec![0xff, 0xfe],
        }],
    };
    assert_eq!(
        String::from_utf8(env.encode()).unwrap(),
        r#"{"payload":"aGk=","payloadType":"text/plain","signatures":[{"keyid":"k","sig":"//4="}]}"#
    );
}

#[test]
fn tampering_is_rejected() {
    for key in keys() {
        let env = signed(&key);

        let mut t = env.clone();
        t.payload = statement()
            .to_canonical_bytes()
            .replace_last(b"producer", b"approver");
        assert_eq!(verify_code(&t, &key), "sig.invalid", "payload");

        let mut t = env.clone();
        t.payload_type = "application/vnd.clyra.approval+json".to_owned();
        assert_eq!(verify_code(&t, &key), "sig.invalid", "payloadType");

        let mut t = env.clone();
        let sig = &mut t.signatures[0].sig;
        let last = sig.len() - 1;
        sig[last] ^= 1;
        assert!(
            matches!(verify_code(&t, &key), "sig.invalid" | "sig.malformed"),
            "signature"
        );

        let mut t = env.clone();
        t.signatures[0].keyid = t.signatures[0].keyid.to_uppercase();
        assert_eq!(verify_code(&t, &key), "dsse.keyid_mismatch", "keyid");

        let other = SigningKey::generate(key.scheme(), [4; 32]).unwrap();
        assert_eq!(
            verify_code(&env, &other),
            "dsse.keyid_mismatch",
            "other key"
        );

        // Right keyid, wrong scheme for the key.
        let wrong = if key.scheme() == Scheme::Ed25519 {
            Scheme::EcdsaP256Sha256
        } else {
            Scheme::Ed25519
        };
        let err = dsse::verify(&env, key.public_key(), wrong, &limits()).unwrap_err();
        assert_eq!(err.code(), "sig.scheme_mismatch");
    }
}

trait ReplaceLast {
    fn replace_last(self, from: &[u8], to: &[u8]) -> Vec<u8>;
}

impl ReplaceLast for Vec<u8> {
    fn replace_last(self, from: &[u8], to: &[u8]) -> Vec<u8> {
        let at = self.windows(from.len()).rposition(|w| w == from).unwrap();
        [&self[..at], to, &self[at + from.len()..]].concat()
    }
}

#[test]
fn non_canonical_json_payloads_are_rejected_after_the_signature() {
    let key = &keys()[0];
    let canonical = statement().to_canonical_bytes();
    let mut spaced = canonical.clone();
    spaced.push(b'\n');
    let reordered = String::from_utf8(canonical.clone())
        .unwrap()
        .replacen("{\"_type\"", "{\"predicate\":{},\"_type\"", 1)
        .into_bytes();
    for (payload_type, payload) in [
        (IN_TOTO_PAYLOAD_TYPE, spaced.clone()),
        (IN_TOTO_PAYLOAD_TYPE, br#"{"b":1,"a":2}"#.to_vec()),
        (IN_TOTO_PAYLOAD_TYPE, br#"{"a":1.0}"#.to_vec()),
        (IN_TOTO_PAYLOAD_TYPE, b"not json".to_vec()),
        (IN_TOTO_PAYLOAD_TYPE, reordered),
        ("application/json", br#"{ "a":1}"#.to_vec()),
        (
            "application/vnd.clyra.approval+json",
            br#"{"a":"\u0041"}"#.to_vec(),
        ),
    ] {
        let env = dsse::sign(payload_type, &payload, key);
        let err = dsse::verify(&env, key.public_key(), key.scheme(), &limits()).unwrap_err();
        assert_eq!(
            err.code(),
            "dsse.payload_not_canonical",
            "{payload_type} {payload:?}"
        );
        // The signature itself is fine.
        dsse::verify_signature(&env, key.public_key(), key.scheme()).unwrap();
    }
    // Opaque payload types are not parsed.
    let env = dsse::sign("text/plain", &spaced, key);
    dsse::verify(&env, key.public_key(), key.scheme(), &limits()).unwrap();
}

fn decode_code(text: &str) -> &'static str {
    code(Envelope::decode(text.as_bytes(), &limits()).unwrap_err())
}

const GOOD: &str =
    r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":"//4="}]}"#;

#[test]
fn malformed_envelopes_are_rejected_with_their_codes() {
    assert!(Envelope::decode(GOOD.as_bytes(), &limits()).is_ok());
    let cases: &[(&str, &str)] = &[
        // strict JSON
        (
            r#"{"payload":"aGk=","payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":"//4="}]}"#,
            "jcs.duplicate_key",
        ),
        (
            r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","keyid":"k","sig":"//4="}]}"#,
            "jcs.duplicate_key",
        ),
        (
            r#"{"payload":"aGk=","payloadType":"t","signatures":[]"#,
            "jcs.unexpected_end",
        ),
        (&format!("{GOOD}x"), "jcs.trailing_characters"),
        ("[]", "dsse.wrong_type"),
        // exact fields
        (
            r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":"//4="}],"x":1}"#,
            "dsse.unknown_field",
        ),
        (
            r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":"//4=","cert":""}]}"#,
            "dsse.unknown_field",
        ),
        (
            r#"{"payloadType":"t","signatures":[{"keyid":"k","sig":"//4="}]}"#,
            "dsse.missing_field",
        ),
        (
            r#"{"payload":"aGk=","payloadType":"t","signatures":[{"sig":"//4="}]}"#,
            "dsse.missing_field",
        ),
        (
            r#"{"payload":"aGk=","payloadType":1,"signatures":[{"keyid":"k","sig":"//4="}]}"#,
            "dsse.wrong_type",
        ),
        (
            r#"{"payload":"aGk=","payloadType":"t","signatures":{}}"#,
            "dsse.wrong_type",
        ),
        (
            r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":null,"sig":"//4="}]}"#,
            "dsse.wrong_type",
        ),
        (
            r#"{"payload":"aGk=","payloadType":"t","signatures":[]}"#,
            "dsse.no_signatures",
        ),
        // base64
        (
            r#"{"payload":"aGk","payloadType":"t","signatures":[{"keyid":"k","sig":"//4="}]}"#,
            "dsse.bad_base64",
        ),
        (
            r#"{"payload":"aGl=","payloadType":"t","signatures":[{"keyid":"k","sig":"//4="}]}"#,
            "dsse.bad_base64",
        ),
        (
            r#"{"payload":"aG k=","payloadType":"t","signatures":[{"keyid":"k","sig":"//4="}]}"#,
            "dsse.bad_base64",
        ),
        (
            r#"{"payload":"aGk=\n","payloadType":"t","signatures":[{"keyid":"k","sig":"//4="}]}"#,
            "dsse.bad_base64",
        ),
        (
            r#"{"payload":"aGk=\r\n","payloadType":"t","signatures":[{"keyid":"k","sig":"//4="}]}"#,
            "dsse.bad_base64",
        ),
        (
            r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":"__4="}]}"#,
            "dsse.bad_base64",
        ),
        (
            r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":"//4"}]}"#,
            "dsse.bad_base64",
        ),
        (
            r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":"//4=="}]}"#,
            "dsse.bad_base64",
        ),
        (
            r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":"//5="}]}"#,
            "dsse.bad_base64",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(decode_code(text), *expected, "{text}");
    }
    // Invalid UTF-8 inside a string.
    let mut bytes = GOOD.as_bytes().to_vec();
    let at = GOOD.find("\"t\"").unwrap() + 1;
    bytes[at] = 0xff;
    let err = Envelope::decode(&bytes, &limits()).unwrap_err();
    assert_eq!(err.code(), "jcs.invalid_utf8");
}

#[test]
fn envelope_limits_are_enforced() {
    let mut small = Limits::default();
    small.dsse_max_envelope_bytes = 40;
    let err = Envelope::decode(GOOD.as_bytes(), &small).unwrap_err();
    assert_eq!(err.code(), "dsse.too_large");

    let mut small = Limits::default();
    small.dsse_max_payload_bytes = 1;
    let err = Envelope::decode(GOOD.as_bytes(), &small).unwrap_err();
    assert_eq!(err.code(), "dsse.payload_too_large");
    small.dsse_max_payload_bytes = 2;
    assert!(Envelope::decode(GOOD.as_bytes(), &small).is_ok());

    let mut small = Limits::default();
    small.dsse_max_signatures = 1;
    let two = r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":"//4="},{"keyid":"j","sig":""}]}"#;
    assert!(Envelope::decode(two.as_bytes(), &limits()).is_ok());
    let err = Envelope::decode(two.as_bytes(), &small).unwrap_err();
    assert_eq!(err.code(), "dsse.too_many_signatures");
}

#[test]
fn a_matching_signature_among_several_verifies() {
    let key = &keys()[1];
    let mut env = signed(key);
    env.signatures.insert(
        0,
        Signature {
            keyid: "sha256:other".to_owned(),
            sig: vec![1, 2, 3],
        },
    );
    dsse::verify(&env, key.public_key(), key.scheme(), &limits()).unwrap();
}

#[test]
fn statement_is_canonical_and_parses_strictly() {
    let bytes = statement().to_canonical_bytes();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with(&format!(r#"{{"_type":"{STATEMENT_TYPE}","predicate":{{"#)));
    assert!(text.contains(r#""subject":[{"digest":{"sha256":"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"name":"manifest.json"}]"#));
    assert_eq!(
        clyra_core::jcs::canonicalize(&bytes, &limits()).unwrap(),
        bytes
    );

    let good = text.clone();
    let cases = [
        (good.replace("Statement/v1", "Statement/v0.1"), "dsse.statement_type"),
        (good.replace(r#","predicateType""#, r#","extra":1,"predicateType""#), "dsse.unknown_field"),
        (good.replace(r#""name":"manifest.json""#, r#""name":"manifest.json","uri":"x""#), "dsse.unknown_field"),
        // Missing is reported before unknown (dsse.md §3): `sha256` is missing.
        (good.replace(r#""sha256":"44"#, r#""sha512":"44"#), "dsse.missing_field"),
        (good.replace("44136fa3", "44136FA3"), "dsse.subject_digest"),
        (good.replace("44136fa3", "44136fa"), "dsse.subject_digest"),
        (good.replace(r#"[{"digest""#, r#"[],"x":[{"digest""#), "dsse.unknown_field"),
        (
            good.replacen(r#""predicate":{"bundle_id":"b-1","role":"producer","signed_at":"2026-01-02T03:04:05Z"}"#, r#""predicate":[]"#, 1),
            "dsse.wrong_type",
        ),
        (good.replace(r#""name":"manifest.json""#, r#""name":7"#), "dsse.wrong_type"),
        (good.replace(r#","predicateType":"https://clyra.dev/def/v0""#, ""), "dsse.missing_field"),
    ];
    for (text, expected) in cases {
        let err = Statement::parse(text.as_bytes(), &limits()).unwrap_err();
        assert_eq!(err.code(), expected, "{text}");
    }
    let no_subject = r#"{"_type":"https://in-toto.io/Statement/v1","predicate":{},"predicateType":"p","subject":[]}"#;
    assert_eq!(
        Statement::parse(no_subject.as_bytes(), &limits())
            .unwrap_err()
            .code(),
        "dsse.no_subject"
    );
}

#[test]
fn fuzz_shim_survives_hostile_input() {
    for input in [
        &b""[..],
        b"{",
        b"\xff",
        b"[[[[[[[[[[",
        GOOD.as_bytes(),
        &[0u8; 100],
    ] {
        clyra_core::internal::fuzzing::dsse_decode(input);
    }
}
