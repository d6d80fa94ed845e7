//! The PKCS#11 signer on a real token: SoftHSM2 (Debian's `softhsm2`), a token made in a fresh
//! SOFTHSM2_CONF directory. Ignored by a plain `cargo test`; the `signers` stage of `just test`
//! installs SoftHSM2 and runs them (`cargo test -p clyra-signer --test pkcs11 -- --ignored`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod common;

use clyra_core::crypto::{Scheme, Signer};
use clyra_signer::{open, pkcs11_context, ED25519_PARAMS, P256_PARAMS};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::Attribute;
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const TOKEN: &str = "clyra test";
const USER_PIN: &str = "4711-secret-pin";

/// The test token, made once per test binary: its directory (holding the PIN file).
fn token() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        assert!(
            Path::new(MODULE).exists(),
            "{MODULE} is missing: apt-get install softhsm2 (the signers stage does)"
        );
        let dir = std::env::temp_dir().join(format!("clyra-softhsm-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("tokens")).unwrap();
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                dir.join("tokens").display()
            ),
        )
        .unwrap();
        std::fs::write(dir.join("pin"), format!("{USER_PIN}\n")).unwrap();
        // Set before the library is first loaded, by this one initializer.
        std::env::set_var("SOFTHSM2_CONF", &conf);
        let ctx = pkcs11_context(Path::new(MODULE)).unwrap();
        let slot = ctx.get_slots_with_token().unwrap()[0];
        let so_pin = AuthPin::from("so-pin-1234");
        ctx.init_token(slot, &so_pin, TOKEN).unwrap();
        let session = ctx.open_rw_session(slot).unwrap();
        session.login(UserType::So, Some(&so_pin)).unwrap();
        session.init_pin(&AuthPin::from(USER_PIN)).unwrap();
        session.logout().unwrap();
        session
            .login(UserType::User, Some(&AuthPin::from(USER_PIN)))
            .unwrap();
        for (label, id, mechanism, params) in [
            (
                "ed",
                1u8,
                Mechanism::EccEdwardsKeyPairGen,
                ED25519_PARAMS.to_vec(),
            ),
            ("p256", 2, Mechanism::EccKeyPairGen, P256_PARAMS.to_vec()),
        ] {
            let public = [
                Attribute::Token(true),
                Attribute::Verify(true),
                Attribute::EcParams(params),
                Attribute::Label(label.into()),
                Attribute::Id(vec![id]),
            ];
            let private = [
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Sensitive(true),
                Attribute::Sign(true),
                Attribute::Label(label.into()),
                Attribute::Id(vec![id]),
            ];
            session
                .generate_key_pair(&mechanism, &public, &private)
                .unwrap();
        }
        session.logout().unwrap();
        dir
    })
}

fn uri(object: &str, query: &str) -> String {
    format!("pkcs11:token=clyra%20test;object={object}?module-path={MODULE}{query}")
}

fn pin_source() -> String {
    format!("&pin-source=file:{}", token().join("pin").display())
}

/// One test, in order: a PIN is checked only while no session of this process is logged in to the
/// token (login is per application), so the refusals run before any key is opened.
#[test]
#[ignore = "needs SoftHSM2: run by the signers stage"]
fn keys_on_a_token_sign_and_refusals_have_codes() {
    refusals_have_codes_and_never_show_the_pin();
    for (object, scheme) in [("ed", Scheme::Ed25519), ("p256", Scheme::EcdsaP256Sha256)] {
        let signer = open(&uri(object, &pin_source())).unwrap();
        assert_eq!(signer.scheme(), scheme);
        common::signs_dsse(signer.as_ref(), b"{}");
    }
    // By CKA_ID instead of label.
    let by_id = open(&format!(
        "pkcs11:token=clyra%20test;id=%02?module-path={MODULE}{}",
        pin_source()
    ))
    .unwrap();
    assert_eq!(by_id.scheme(), Scheme::EcdsaP256Sha256);
}

/// The error of opening `uri`.
fn open_err(uri: &str) -> clyra_core::crypto::SignerError {
    match open(uri) {
        Ok(_) => panic!("`{uri}` opened"),
        Err(e) => e,
    }
}

fn refusals_have_codes_and_never_show_the_pin() {
    let dir = token();
    std::fs::write(dir.join("wrong-pin"), "0000-wrong-pin-9").unwrap();
    let wrong = format!("&pin-source={}", dir.join("wrong-pin").display());
    let err = open_err(&uri("ed", &wrong));
    assert_eq!(err.kind().code(), "signer.pin", "{err}");
    assert!(
        !format!("{err} {err:?}").contains("0000-wrong-pin-9"),
        "{err}"
    );
    let err = open_err(&uri("nokey", &pin_source()));
    assert_eq!(err.kind().code(), "signer.not_found", "{err}");
    let err = open_err(&format!(
        "pkcs11:token=other;object=ed?module-path={MODULE}{}",
        pin_source()
    ));
    assert_eq!(err.kind().code(), "signer.not_found", "{err}");
    let err = open_err(&format!(
        "pkcs11:token=clyra%20test;object=ed?module-path={MODULE}&pin-value={USER_PIN}"
    ));
    assert_eq!(err.kind().code(), "signer.pin");
    assert!(!format!("{err} {err:?}").contains(USER_PIN), "{err}");
    let err = open_err(&format!(
        "pkcs11:object=ed?module-path=/nonexistent/libpkcs11.so{}",
        pin_source()
    ));
    assert_eq!(err.kind().code(), "signer.not_found", "{err}");
}
