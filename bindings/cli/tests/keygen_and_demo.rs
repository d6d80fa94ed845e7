//! `clyra keygen` and `clyra demo` end to end, through the built binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;
use common::{clyra, text, TempDir};

use std::os::unix::fs::PermissionsExt;

use clyra_core::crypto::{PublicKey, Scheme, SigningKey};
use clyra_core::{digest::Sha256Digest, Limits};

#[test]
fn keygen_writes_a_private_and_a_public_key_and_prints_the_keyid() {
    for (alg, scheme) in [
        ("ed25519", Scheme::Ed25519),
        ("p256", Scheme::EcdsaP256Sha256),
    ] {
        let dir = TempDir::new();
        let out = clyra(&[
            "keygen",
            "--alg",
            alg,
            "--out",
            dir.0.to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let private = std::fs::read_to_string(dir.0.join("clyra.key")).unwrap();
        let public = std::fs::read(dir.0.join("clyra.pub")).unwrap();
        let mode = |name: &str| {
            std::fs::metadata(dir.0.join(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!((mode("clyra.key"), mode("clyra.pub")), (0o600, 0o644));
        let key = SigningKey::from_pkcs8_pem(&private).unwrap();
        let public = PublicKey::from_pem(&public, &Limits::default()).unwrap();
        assert_eq!(key.scheme(), scheme);
        assert_eq!(key.public_key(), &public);
        assert_eq!(report["keyid"], public.keyid());
        assert_eq!(report["scheme"], scheme.as_str());
        // The keyid is sha256 of the SPKI DER.
        assert_eq!(
            public.keyid(),
            Sha256Digest::of(public.spki_der()).to_prefixed()
        );
    }
}

/// OpenSSL 3.0 reads the keys keygen writes (Ed25519 as PKCS#8 v1) and derives the same public key.
#[test]
fn openssl_reads_the_keys_keygen_writes() {
    for alg in ["ed25519", "p256"] {
        let dir = TempDir::new();
        let out = dir.path("keys");
        assert!(clyra(&["keygen", "--alg", alg, "--out", &out])
            .status
            .success());
        let derived = std::process::Command::new("openssl")
            .args(["pkey", "-in", &format!("{out}/clyra.key"), "-pubout"])
            .output()
            .expect("openssl");
        assert!(derived.status.success(), "{alg}: {}", text(&derived.stderr));
        let written = std::fs::read(format!("{out}/clyra.pub")).unwrap();
        let limits = Limits::default();
        assert_eq!(
            PublicKey::from_pem(&derived.stdout, &limits)
                .unwrap()
                .keyid(),
            PublicKey::from_pem(&written, &limits).unwrap().keyid(),
            "{alg}"
        );
    }
}

#[test]
fn keygen_refuses_to_overwrite_without_force() {
    let dir = TempDir::new();
    let path = dir.0.to_str().unwrap();
    assert_eq!(clyra(&["keygen", "--out", path]).status.code(), Some(0));
    let before = std::fs::read(dir.0.join("clyra.key")).unwrap();
    let again = clyra(&["keygen", "--out", path]);
    assert_eq!(again.status.code(), Some(4));
    let stderr = text(&again.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--force") && stderr.contains("(cli.exists)"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(dir.0.join("clyra.key")).unwrap(),
        before,
        "key was modified"
    );
    assert_eq!(
        clyra(&["keygen", "--out", path, "--force"]).status.code(),
        Some(0)
    );
    assert_ne!(
        std::fs::read(dir.0.join("clyra.key")).unwrap(),
        before,
        "--force did not replace"
    );
    // No temporary files are left behind.
    let mut names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["clyra.key", "clyra.pub"]);
}

#[test]
fn keygen_rejects_an_unknown_algorithm_as_a_usage_error() {
    let dir = TempDir::new();
    let keys = dir.path("keys");
    let out = clyra(&["keygen", "--alg", "rsa", "--out", &keys]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        !std::path::Path::new(&keys).exists(),
        "nothing is written on a usage error"
    );
}

#[test]
fn demo_builds_and_verifies_a_def_and_a_pef_bundle_and_catches_tampering() {
    let out = clyra(&["demo"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.matches("Verdict: VALID (ok), exit 0").count(),
        2,
        "{stdout}"
    );
    assert!(
        stdout.contains("Verdict: INVALID (zip.crc), exit 1"),
        "{stdout}"
    );
    assert!(stdout.contains("snowflake"), "{stdout}");
    assert!(stdout.contains("MCP: server"), "{stdout}");
    // The auditor view: summary sentence, controls, risk breakdown, lineage.
    assert_eq!(stdout.matches("AUDITOR VIEW").count(), 2, "{stdout}");
    assert!(
        stdout.contains("approved by lee.ortiz@acme.example and sam.kim@acme.example"),
        "{stdout}"
    );
    assert!(stdout.contains("risk 40/100"), "{stdout}");
    assert!(stdout.contains("PCI DSS v4.0.1 10.2.1"), "{stdout}");
    assert!(
        stdout.contains("└── model.shop.orders [changed]"),
        "{stdout}"
    );

    let out = clyra(&["demo", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for bundle in report["bundles"].as_array().unwrap() {
        assert_eq!(bundle["verdict"]["outcome"], "VALID", "{bundle}");
        assert!(!bundle["verdict"]["checks"].as_array().unwrap().is_empty());
    }
    assert_eq!(report["tampered"]["outcome"], "INVALID");
    assert_eq!(report["tampered"]["primary"], "zip.crc");
}

#[test]
fn demo_files_verify_with_clyra_verify() {
    let dir = TempDir::new();
    let out = clyra(&["demo", "--out", dir.0.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let path = |name: &str| dir.0.join(name).to_str().unwrap().to_owned();
    for (bundle, policy, at) in [
        ("def.zip", "def-policy.json", "2026-11-21T09:00:47Z"),
        ("pef.zip", "pef-policy.json", "2026-11-21T14:03:16Z"),
    ] {
        let trust = path("trust.json");
        let (bundle, policy) = (path(bundle), path(policy));
        let args = [
            "verify", &bundle, "--trust", &trust, "--policy", &policy, "--at", at,
        ];
        let out = clyra(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{bundle}: {}",
            text(&out.stdout)
        );
        // Without the policy the bundle cannot be judged: the manifest requires one.
        let out = clyra(&["verify", &bundle, "--trust", &trust, "--at", at]);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{bundle}: {}",
            text(&out.stdout)
        );
    }
}
