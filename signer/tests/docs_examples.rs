//! The example signer commands of docs/signers/ (AWS KMS, Azure Key Vault, Vault Transit, Cloud
//! HSM) run against stand-ins of their cloud CLIs (`tests/data/fake-cloud/`, each backed by a
//! local openssl key and refusing any argument form the real CLI would not get), so the scripts'
//! own logic — conversions, digests, output format — is tested; the clouds themselves are not
//! reachable here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

mod common;

use clyra_core::crypto::{Scheme, Signer};
use clyra_signer::open;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn key(name: &str, scheme: Scheme) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clyra-docs-signers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.pem"));
    let mut cmd = std::process::Command::new("openssl");
    cmd.arg("genpkey").arg("-out").arg(&path);
    match scheme {
        Scheme::Ed25519 => cmd.args(["-algorithm", "ed25519"]),
        _ => cmd.args(["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
    };
    assert!(cmd.status().unwrap().success());
    path
}

fn check(script: &str, args: &str, scheme: Scheme) {
    let key = key(script, scheme);
    let fake = repo().join("signer/tests/data/fake-cloud");
    let path = format!("{}:{}", fake.display(), std::env::var("PATH").unwrap());
    let uri = format!(
        "cmd:/usr/bin/env PATH={path} FAKE_CLOUD_KEY={} {} {args}",
        key.display(),
        repo().join("docs/signers").join(script).display()
    );
    let signer = open(&uri).unwrap_or_else(|e| panic!("{script}: {e}"));
    assert_eq!(signer.scheme(), scheme, "{script}");
    for payload in [&b"{}"[..], &[0xffu8; 5000][..]] {
        common::signs_dsse(signer.as_ref(), payload);
    }
}

#[test]
fn aws_kms_example_signs() {
    check("aws-kms.sh", "alias/test", Scheme::EcdsaP256Sha256);
}

#[test]
fn azure_key_vault_example_signs() {
    check("azure-key-vault.sh", "v1 k1", Scheme::EcdsaP256Sha256);
}

#[test]
fn vault_transit_example_signs() {
    check("vault-transit.sh", "k1", Scheme::Ed25519);
}

#[test]
fn cloud_hsm_example_signs() {
    check(
        "gcp-cloud-hsm.sh",
        "projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1",
        Scheme::EcdsaP256Sha256,
    );
}
