//! `export::sigstore_bundle` (spec: dsse.md §9): the bundle's exact shape, and each refusal.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::digest::Sha256Digest;
use clyra_core::dsse::{self, Signature, IN_TOTO_PAYLOAD_TYPE};
use clyra_core::export::{sigstore_bundle, ExportError};
use clyra_core::{Coded, Limits};

const PAYLOAD: &[u8] = br#"{"_type":"https://in-toto.io/Statement/v1","predicate":{},"predicateType":"https://clyra.dev/def/v0","subject":[{"digest":{"sha256":"0000000000000000000000000000000000000000000000000000000000000000"},"name":"manifest.json"}]}"#;

fn key() -> SigningKey {
    SigningKey::generate(Scheme::Ed25519, [7; 32]).unwrap()
}

#[test]
fn bundle_has_the_v03_shape_with_the_keyid_digest_as_hint() {
    let key = key();
    let env = dsse::sign(IN_TOTO_PAYLOAD_TYPE, PAYLOAD, &key);
    let out = sigstore_bundle(&env.encode(), &Limits::default()).unwrap();
    let hint = STANDARD.encode(Sha256Digest::of(key.public_key().spki_der()).as_bytes());
    let expected = format!(
        "{{\"dsseEnvelope\":{{\"payload\":\"{}\",\"payloadType\":\"application/vnd.in-toto+json\",\
         \"signatures\":[{{\"keyid\":\"\",\"sig\":\"{}\"}}]}},\
         \"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\
         \"verificationMaterial\":{{\"publicKey\":{{\"hint\":\"{hint}\"}},\"tlogEntries\":[]}}}}",
        STANDARD.encode(PAYLOAD),
        STANDARD.encode(&env.signatures[0].sig),
    );
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[test]
fn refusals_have_their_codes() {
    let limits = Limits::default();
    let key = key();
    let env = dsse::sign(IN_TOTO_PAYLOAD_TYPE, PAYLOAD, &key);

    let err = sigstore_bundle(b"{\"payload\":1}", &limits).unwrap_err();
    assert_eq!(err.code(), "export.envelope");
    assert_eq!(err.detail(), Some("dsse.wrong_type")); // types before missing fields (dsse.md §3)

    let mut two = env.clone();
    two.signatures.push(two.signatures[0].clone());
    let err = sigstore_bundle(&two.encode(), &limits).unwrap_err();
    assert_eq!(err, ExportError::Signatures(2));
    assert_eq!(err.code(), "export.signatures");

    let typed = dsse::sign("application/json", PAYLOAD, &key);
    let err = sigstore_bundle(&typed.encode(), &limits).unwrap_err();
    assert_eq!(err.code(), "export.payload_type");

    for keyid in ["", "sha256:ABC", "sha512:00", "sha256:"] {
        let mut bad = env.clone();
        bad.signatures = vec![Signature {
            keyid: keyid.to_owned(),
            sig: env.signatures[0].sig.clone(),
        }];
        let err = sigstore_bundle(&bad.encode(), &limits).unwrap_err();
        assert_eq!(err.code(), "export.keyid", "{keyid}");
    }
}
