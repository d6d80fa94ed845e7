//! Key parsing strictness, keyids, and sign/verify round trips (spec: signatures.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use clyra_core::crypto::{verify, KeyAlgorithm, PublicKey, Scheme, SigningKey};
use clyra_core::{Coded, Limits};
use rsa::pkcs8::EncodePublicKey as _;

/// Generated once with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`;
/// a test key only.
const OPENSSL_P256_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgXpB5A+Aq8ZVC/l6/
0/2XSDVJOZzNFYBpGx14UePzDvmhRANCAATG7YKZGhCrCgigl2oAIOGVCAUwepLP
iXxA+oIaxVlstA0cTsT3FuNcF+f6juz6nc4MXiDYMxZCwLnLSXP2tznR
-----END PRIVATE KEY-----
";
/// `openssl pkey -pubout` of the key above.
const OPENSSL_P256_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExu2CmRoQqwoIoJdqACDhlQgFMHqS
z4l8QPqCGsVZbLQNHE7E9xbjXBfn+o7s+p3ODF4g2DMWQsC5y0lz9rc50Q==
-----END PUBLIC KEY-----
";
/// `sha256sum` of `openssl pkey -pubout -outform DER` of the key above.
const OPENSSL_P256_KEYID: &str =
    "sha256:4161b5b8ae58c94bb585d657e45294728cb470fdf6f201426d47c49bc46a7c5d";

const OPENSSL_ED25519_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIEClKJbMWoMLR2sqg+6KSbKtihd8dXXbV6B+OVienvmj
-----END PRIVATE KEY-----
";
const OPENSSL_ED25519_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAHemkAEYqP9yUDvAlXrKg7NRa+iEsO1UcgACy6ajp5p0=
-----END PUBLIC KEY-----
";
const OPENSSL_ED25519_KEYID: &str =
    "sha256:b36165d38e830e10e0fc87f655b758ff36e2587a39fabc55e3776d8d4b27ed3c";

/// An RSA-2048 public key written by `openssl pkey -pubout`.
const OPENSSL_RSA_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAo4DfCrM4OyDtJ2sE4zzl
HT+D/jKwbuJ3+CqRCKgVSCvsDm07t7dZ2EJ7TBJalgoeX1eLbKIDSBCZ6hjEbUvk
qM+znkQonFrmR0PPO6j5ZqWcP+3V4OC5PtgjH0rOPOyuvz0hFWYoS7aGKHEHOLbv
szb1wamBMhx3pDN0IpZiZd2iz9kjxBxfco6AuJvnrEptXdgS4HRw1oHSv3GW1NJu
JRK3s+43ibm3lldEodlwya/0tMRV5FA8VmMjHhRJrimjOFvmK8Zo1sYSFAuDXzN9
hm/QjGSxahD3UqujxTHtPW34ZUxFvUYxS/M1STCDpXehAyrP0PIfZzUZLFn3jn8D
YQIDAQAB
-----END PUBLIC KEY-----
";
const OPENSSL_RSA_KEYID: &str =
    "sha256:125d7c10608c37bcf72ebbd0c04f086767eab1c74347b974707627a438fc1c3f";

/// RFC 8032 §7.1 TEST 1.
const RFC8032_SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const RFC8032_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const RFC8032_SIG: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

fn limits() -> Limits {
    Limits::default()
}

fn pem_err(text: &str) -> &'static str {
    PublicKey::from_pem(text.as_bytes(), &limits())
        .unwrap_err()
        .code()
}

fn der_err(der: &[u8]) -> &'static str {
    PublicKey::from_spki_der(der, &limits()).unwrap_err().code()
}

fn arr32(hex_text: &str) -> [u8; 32] {
    hex::decode(hex_text).unwrap().try_into().unwrap()
}

// ---- keyids and accepted encodings ----

#[test]
fn keyid_of_the_rfc8032_key_is_known() {
    let key = PublicKey::ed25519_from_raw(&arr32(RFC8032_PUBLIC)).unwrap();
    // Computed independently: sha256(302a300506032b6570032100 || A) with Python's hashlib.
    assert_eq!(
        key.keyid(),
        "sha256:06e3fd8fda29bb60ab59557de61edb0aecdb231134be30e75b455f8e1b792fa9"
    );
    assert_eq!(
        key.to_pem(),
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n"
    );
}

#[test]
fn openssl_public_keys_parse_with_known_keyids_and_round_trip() {
    for (pem, keyid, alg) in [
        (
            OPENSSL_P256_PUBLIC,
            OPENSSL_P256_KEYID,
            KeyAlgorithm::EcdsaP256,
        ),
        (
            OPENSSL_ED25519_PUBLIC,
            OPENSSL_ED25519_KEYID,
            KeyAlgorithm::Ed25519,
        ),
        (OPENSSL_RSA_PUBLIC, OPENSSL_RSA_KEYID, KeyAlgorithm::Rsa),
    ] {
        let key = PublicKey::from_pem(pem.as_bytes(), &limits()).unwrap();
        assert_eq!(key.keyid(), keyid);
        assert_eq!(key.algorithm(), alg);
        assert_eq!(key.to_pem(), pem, "to_pem writes the same bytes as OpenSSL");
        let again = PublicKey::from_spki_der(key.spki_der(), &limits()).unwrap();
        assert_eq!(again, key);
        // Without the trailing LF is accepted too.
        let trimmed = pem.strip_suffix('\n').unwrap();
        assert_eq!(
            PublicKey::from_pem(trimmed.as_bytes(), &limits()).unwrap(),
            key
        );
    }
}

#[test]
fn openssl_private_keys_import_and_export() {
    for (private, public) in [
        (OPENSSL_P256_PRIVATE, OPENSSL_P256_PUBLIC),
        (OPENSSL_ED25519_PRIVATE, OPENSSL_ED25519_PUBLIC),
    ] {
        let key = SigningKey::from_pkcs8_pem(private).unwrap();
        assert_eq!(key.public_key().to_pem(), public);
        let exported = key.to_pkcs8_pem().unwrap();
        let again = SigningKey::from_pkcs8_pem(&exported).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let sig = again.sign(b"m");
        verify(key.public_key(), key.scheme(), b"m", &sig).unwrap();
    }
    let err = SigningKey::from_pkcs8_pem(OPENSSL_P256_PUBLIC).unwrap_err();
    assert_eq!(err.code(), "key.pkcs8_malformed");
}

#[test]
fn scheme_allowed_follows_the_key_algorithm() {
    let ed = PublicKey::from_pem(OPENSSL_ED25519_PUBLIC.as_bytes(), &limits()).unwrap();
    let p = PublicKey::from_pem(OPENSSL_P256_PUBLIC.as_bytes(), &limits()).unwrap();
    let r = PublicKey::from_pem(OPENSSL_RSA_PUBLIC.as_bytes(), &limits()).unwrap();
    let allowed = |k: &PublicKey| Scheme::ALL.map(|s| k.scheme_allowed(s));
    assert_eq!(allowed(&ed), [true, false, false, false]);
    assert_eq!(allowed(&p), [false, true, false, false]);
    assert_eq!(allowed(&r), [false, false, true, true]);
    assert_eq!(ed.implied_scheme(), Some(Scheme::Ed25519));
    assert_eq!(r.implied_scheme(), None);
}

// ---- strict PEM ----

#[test]
fn pem_with_crlf_is_rejected() {
    assert_eq!(
        pem_err(&OPENSSL_P256_PUBLIC.replace('\n', "\r\n")),
        "key.pem_malformed"
    );
}

#[test]
fn pem_with_two_blocks_is_rejected() {
    let two = format!("{OPENSSL_P256_PUBLIC}{OPENSSL_P256_PUBLIC}");
    assert_eq!(pem_err(&two), "key.pem_malformed");
}

#[test]
fn pem_with_anything_around_the_block_is_rejected() {
    for text in [
        format!("{OPENSSL_P256_PUBLIC}\n"),
        format!("{OPENSSL_P256_PUBLIC}garbage"),
        format!("{OPENSSL_P256_PUBLIC} "),
        format!("comment\n{OPENSSL_P256_PUBLIC}"),
        format!("\n{OPENSSL_P256_PUBLIC}"),
        OPENSSL_P256_PUBLIC.replace("-----END PUBLIC KEY-----\n", ""),
        OPENSSL_P256_PUBLIC.replace("PUBLIC KEY", "RSA PUBLIC KEY"),
        OPENSSL_P256_PUBLIC.replace("-----\nMFkw", "-----\nProc-Type: 4,ENCRYPTED\n\nMFkw"),
    ] {
        assert_eq!(pem_err(&text), "key.pem_malformed", "{text:?}");
    }
}

#[test]
fn pem_base64_must_be_strict() {
    let body = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExu2CmRoQqwoIoJdqACDhlQgFMHqS\nz4l8QPqCGsVZbLQNHE7E9xbjXBfn+o7s+p3ODF4g2DMWQsC5y0lz9rc50Q==\n";
    let wrap = |b: &str| format!("-----BEGIN PUBLIC KEY-----\n{b}-----END PUBLIC KEY-----\n");
    assert!(PublicKey::from_pem(wrap(body).as_bytes(), &limits()).is_ok());
    for bad in [
        body.replace("50Q==", "50Q"),         // missing padding
        body.replace("50Q==", "50R=="),       // non-zero pad bits
        body.replace("MFkwEwYH", "MFkw EwY"), // inner space
        body.replace("MFkwEwYH", "MFkw\tEwY"),
        body.replace('+', "-"),             // URL-safe alphabet
        body.replace("\nz4l8", "\n\nz4l8"), // empty line
        body.replacen('\n', "", 1),         // one 124-char line
        body.replace("Q==\n", "Q==\n\n"),   // blank line before END
        body.replace("MFkwEwYHKoZIzj0CAQYI", "MFkwEwYHKoZIzj0CAQY\n"), // short inner line
    ] {
        assert_eq!(pem_err(&wrap(&bad)), "key.pem_malformed", "{bad:?}");
    }
}

#[test]
fn oversized_keys_are_rejected_before_parsing() {
    let mut small = Limits::default();
    small.key_max_bytes = 64;
    let err = PublicKey::from_pem(OPENSSL_P256_PUBLIC.as_bytes(), &small).unwrap_err();
    assert_eq!(err.code(), "key.too_large");
    let key = PublicKey::from_pem(OPENSSL_RSA_PUBLIC.as_bytes(), &limits()).unwrap();
    let err = PublicKey::from_spki_der(key.spki_der(), &small).unwrap_err();
    assert_eq!(err.code(), "key.too_large");
}

// ---- strict DER and key rules ----

fn p256_der() -> Vec<u8> {
    PublicKey::from_pem(OPENSSL_P256_PUBLIC.as_bytes(), &limits())
        .unwrap()
        .spki_der()
        .to_vec()
}

#[test]
fn der_with_trailing_bytes_or_ber_lengths_is_rejected() {
    let der = p256_der();
    let mut trailing = der.clone();
    trailing.push(0);
    assert_eq!(der_err(&trailing), "key.der_malformed");
    // Long-form length where the short form is required (BER, not DER).
    let mut ber = vec![0x30, 0x81];
    ber.extend_from_slice(&der[1..]);
    assert_eq!(der_err(&ber), "key.der_malformed");
    assert_eq!(der_err(&der[..der.len() - 1]), "key.der_malformed");
    assert_eq!(der_err(b""), "key.der_malformed");
}

#[test]
fn compressed_p256_point_is_rejected() {
    let der = p256_der();
    let point = &der[26..];
    assert_eq!(point.len(), 65);
    let y_odd = point[64] & 1 == 1;
    let mut compressed = vec![
        0x30, 0x39, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x22, 0x00,
    ];
    compressed.push(if y_odd { 0x03 } else { 0x02 });
    compressed.extend_from_slice(&point[1..33]);
    assert_eq!(der_err(&compressed), "key.point_not_uncompressed");
    // The same point uncompressed but off the curve.
    let mut off = der.clone();
    let last = off.len() - 1;
    off[last] ^= 1;
    assert_eq!(der_err(&off), "key.invalid");
}

fn rsa_spki(bits: usize, e: u32) -> Vec<u8> {
    // An odd modulus of exactly `bits` bits; the parser does not (and cannot cheaply) test
    // primality, so any odd value of the right size exercises the size and exponent rules.
    let mut n = vec![0xC5u8; bits / 8];
    n[bits / 8 - 1] |= 1;
    let key =
        rsa::RsaPublicKey::new_unchecked(rsa::BigUint::from_bytes_be(&n), rsa::BigUint::from(e));
    key.to_public_key_der().unwrap().as_bytes().to_vec()
}

#[test]
fn rsa_key_rules() {
    assert!(PublicKey::from_spki_der(&rsa_spki(2048, 65537), &limits()).is_ok());
    assert!(PublicKey::from_spki_der(&rsa_spki(3072, 65537), &limits()).is_ok());
    assert!(PublicKey::from_spki_der(&rsa_spki(4096, 65537), &limits()).is_ok());
    assert_eq!(der_err(&rsa_spki(1024, 65537)), "key.rsa_size");
    assert_eq!(der_err(&rsa_spki(2040, 65537)), "key.rsa_size");
    assert_eq!(der_err(&rsa_spki(4104, 65537)), "key.rsa_size");
    assert_eq!(der_err(&rsa_spki(2048, 3)), "key.rsa_exponent");
    assert_eq!(der_err(&rsa_spki(2048, 17)), "key.rsa_exponent");
}

#[test]
fn unsupported_algorithms_are_rejected() {
    // X25519 (1.3.101.110) has the same shape as Ed25519.
    let mut x25519 = PublicKey::from_pem(OPENSSL_ED25519_PUBLIC.as_bytes(), &limits())
        .unwrap()
        .spki_der()
        .to_vec();
    x25519[8] = 0x6e;
    assert_eq!(der_err(&x25519), "key.unsupported_algorithm");
    // P-384 curve OID with a P-256-sized point.
    let mut p384 = vec![
        0x30, 0x56, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05,
        0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x42, 0x00,
    ];
    p384.extend_from_slice(&p256_der()[26..]);
    assert_eq!(der_err(&p384), "key.unsupported_algorithm");
    // RSA without the NULL parameters.
    let rsa = rsa_spki(2048, 65537);
    let tail = &rsa[19..]; // after 30 82 01 22 30 0d 06 09 <9 oid bytes> 05 00
    assert_eq!(&rsa[15..19], &[0x01, 0x01, 0x05, 0x00]);
    let mut no_null = vec![0x30, 0x82, 0x01, 0x20, 0x30, 0x0b];
    no_null.extend_from_slice(&rsa[6..17]);
    no_null.extend_from_slice(tail);
    assert_eq!(der_err(&no_null), "key.unsupported_algorithm");
}

#[test]
fn wrong_algorithm_for_scheme_is_a_scheme_mismatch() {
    let ed = SigningKey::generate(Scheme::Ed25519, [1; 32]).unwrap();
    let p = SigningKey::generate(Scheme::EcdsaP256Sha256, [1; 32]).unwrap();
    let r = PublicKey::from_pem(OPENSSL_RSA_PUBLIC.as_bytes(), &limits()).unwrap();
    let ed_sig = ed.sign(b"m");
    let p_sig = p.sign(b"m");
    for (key, scheme, sig) in [
        (ed.public_key(), Scheme::EcdsaP256Sha256, &ed_sig),
        (ed.public_key(), Scheme::RsaPssSha256, &ed_sig),
        (p.public_key(), Scheme::Ed25519, &p_sig),
        (p.public_key(), Scheme::RsaPkcs1v15Sha256, &p_sig),
        (&r, Scheme::Ed25519, &ed_sig),
        (&r, Scheme::EcdsaP256Sha256, &p_sig),
    ] {
        let err = verify(key, scheme, b"m", sig).unwrap_err();
        assert_eq!(err.code(), "sig.scheme_mismatch", "{scheme}");
    }
}

// ---- signing and verification ----

#[test]
fn ed25519_generation_and_signing_match_rfc8032() {
    let key = SigningKey::generate(Scheme::Ed25519, arr32(RFC8032_SECRET)).unwrap();
    assert_eq!(
        key.public_key(),
        &PublicKey::ed25519_from_raw(&arr32(RFC8032_PUBLIC)).unwrap()
    );
    assert_eq!(hex::encode(key.sign(b"")), RFC8032_SIG);
}

#[test]
fn p256_generation_is_deterministic_and_signing_is_rfc6979() {
    let a = SigningKey::generate(Scheme::EcdsaP256Sha256, [7; 32]).unwrap();
    let b = SigningKey::generate(Scheme::EcdsaP256Sha256, [7; 32]).unwrap();
    let c = SigningKey::generate(Scheme::EcdsaP256Sha256, [8; 32]).unwrap();
    assert_eq!(a.public_key(), b.public_key());
    assert_ne!(a.public_key(), c.public_key());
    assert_eq!(a.sign(b"x"), b.sign(b"x"));
    assert_eq!(a.sign(b"x")[0], 0x30, "DER SEQUENCE");
    assert_eq!(
        a.public_key().keyid(),
        SigningKey::from_pkcs8_pem(&a.to_pkcs8_pem().unwrap())
            .unwrap()
            .public_key()
            .keyid()
    );
    // Pin the derivation (spec: signatures.md §5); the value was computed independently with
    // Python `cryptography` from SHA-256("clyra p256 keygen v1" || seed || 00000000).
    assert_eq!(
        a.public_key().keyid(),
        "sha256:cfaa15a810fe8157829bd08e180266f9e8ec3abe5671009d1e211d7b898339aa"
    );
}

#[test]
fn rsa_schemes_cannot_sign() {
    for scheme in [Scheme::RsaPkcs1v15Sha256, Scheme::RsaPssSha256] {
        let err = SigningKey::generate(scheme, [0; 32]).unwrap_err();
        assert_eq!(err.code(), "key.signing_unsupported");
    }
}

#[test]
fn round_trips_verify_and_tampering_fails() {
    for scheme in [Scheme::Ed25519, Scheme::EcdsaP256Sha256] {
        for seed in [[0u8; 32], [0xff; 32], [42; 32]] {
            let key = SigningKey::generate(scheme, seed).unwrap();
            assert_eq!(key.scheme(), scheme);
            let msg = b"clyra evidence".to_vec();
            let sig = key.sign(&msg);
            let pk = key.public_key();
            verify(pk, scheme, &msg, &sig).unwrap();

            let mut bad_msg = msg.clone();
            bad_msg[0] ^= 1;
            assert_eq!(
                verify(pk, scheme, &bad_msg, &sig).unwrap_err().code(),
                "sig.invalid"
            );
            assert!(verify(pk, scheme, b"", &sig).is_err());

            let mut bad_sig = sig.clone();
            let last = bad_sig.len() - 1;
            bad_sig[last] ^= 1;
            assert!(verify(pk, scheme, &msg, &bad_sig).is_err());
            let mut long_sig = sig.clone();
            long_sig.push(0);
            assert_eq!(
                verify(pk, scheme, &msg, &long_sig).unwrap_err().code(),
                "sig.malformed"
            );
            assert_eq!(
                verify(pk, scheme, &msg, &[]).unwrap_err().code(),
                "sig.malformed"
            );

            let other = SigningKey::generate(scheme, [9; 32]).unwrap();
            assert_eq!(
                verify(other.public_key(), scheme, &msg, &sig)
                    .unwrap_err()
                    .code(),
                "sig.invalid"
            );
        }
    }
}

#[test]
fn rsa_signature_length_and_range_are_checked() {
    let key = PublicKey::from_pem(OPENSSL_RSA_PUBLIC.as_bytes(), &limits()).unwrap();
    let der = key.spki_der();
    // The modulus n sits after the 33-byte header (SPKI + bit string + RSAPublicKey + INTEGER).
    let n = &der[33..33 + 256];
    assert!(n[0] & 0x80 != 0);
    for scheme in [Scheme::RsaPkcs1v15Sha256, Scheme::RsaPssSha256] {
        let err = verify(&key, scheme, b"m", n).unwrap_err();
        assert_eq!(err.code(), "sig.malformed", "s = n");
        let err = verify(&key, scheme, b"m", &[0xff; 256]).unwrap_err();
        assert_eq!(err.code(), "sig.malformed", "s > n");
        let err = verify(&key, scheme, b"m", &[1; 255]).unwrap_err();
        assert_eq!(err.code(), "sig.malformed", "short");
        let err = verify(&key, scheme, b"m", &[1; 256]).unwrap_err();
        assert_eq!(err.code(), "sig.invalid", "in range but wrong");
    }
}

#[test]
fn well_formed_der_with_an_unknown_oid_or_parameter_is_unsupported_not_malformed() {
    // Found by the Rust-vs-Go differential campaign (signatures.md §2.2, vectors 0140–0141).
    let ed = "302a300506032b6570032100".to_owned() + &"11".repeat(32);
    let big_arc = ed.replacen("06032b6570", "0603f76570", 1);
    assert_eq!(
        der_err(&hex::decode(big_arc).unwrap()),
        "key.unsupported_algorithm"
    );
    let ec = "3059301306072a8648ce3d020106082a8648ce3d03010703420004".to_owned() + &"22".repeat(64);
    let tag7 = ec.replacen("06082a8648ce3d030107", "07082a8648ce3d030107", 1);
    assert_eq!(
        der_err(&hex::decode(tag7).unwrap()),
        "key.unsupported_algorithm"
    );
    // Still malformed: a non-minimal subidentifier, a long-form length that fits short form.
    let padded = ed
        .replacen("06032b6570", "0604802b6570", 1)
        .replacen("302a3005", "302b3006", 1);
    assert_eq!(der_err(&hex::decode(padded).unwrap()), "key.der_malformed");
    let long = ed.replacen("302a", "30812a", 1);
    assert_eq!(der_err(&hex::decode(long).unwrap()), "key.der_malformed");
}
