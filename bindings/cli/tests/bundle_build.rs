//! `clyra bundle build` and `clyra sign` end to end, through the built binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]
mod common;
use common::{clyra, example_spec, TempDir};

use std::io::Cursor;
use std::path::Path;
use std::process::Output;

use clyra_core::bundle::Container;
use clyra_core::Limits;

fn entry_names(bundle: &[u8]) -> Vec<String> {
    let c = Container::open(Cursor::new(bundle), bundle.len() as u64, &Limits::default()).unwrap();
    c.entries().iter().map(|e| e.name.clone()).collect()
}

fn setup(dir: &TempDir) {
    for (name, alg) in [("a", "ed25519"), ("b", "p256")] {
        let out = clyra(&["keygen", "--alg", alg, "--out", &dir.path(name)]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::write(dir.path("spec.json"), example_spec()).unwrap();
    std::fs::write(dir.path("run_results.json"), b"{\"results\":[]}\n").unwrap();
}

fn build(dir: &TempDir, out: &str, extra: &[&str]) -> Output {
    build_at(dir, out, "2026-11-20T09:01:16Z", extra)
}

fn build_at(dir: &TempDir, out: &str, signed_at: &str, extra: &[&str]) -> Output {
    let artifact = format!("run_results.json={}", dir.path("run_results.json"));
    let key = dir.path("a/clyra.key");
    let spec = dir.path("spec.json");
    let mut args = vec![
        "bundle",
        "build",
        "--spec",
        &spec,
        "--key",
        &key,
        "--artifact",
        &artifact,
        "--out",
        out,
        "--signed-at",
        signed_at,
    ];
    args.extend_from_slice(extra);
    clyra(&args)
}

#[test]
fn build_is_deterministic_and_never_overwrites() {
    let dir = TempDir::new();
    setup(&dir);
    let one = dir.path("one.zip");
    let out = build(&dir, &one, &["--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["risk_score"], 35);
    let first = std::fs::read(&one).unwrap();
    let names = entry_names(&first);
    assert_eq!(
        names[..3],
        [
            "manifest.json",
            "journal.ndjson",
            "artifacts/run_results.json"
        ]
    );
    assert_eq!(names.len(), 5);

    let two = dir.path("two.zip");
    assert!(build(&dir, &two, &[]).status.success());
    assert_eq!(
        std::fs::read(&two).unwrap(),
        first,
        "same inputs, same bytes"
    );

    let again = build(&dir, &one, &[]);
    assert_eq!(again.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&again.stderr).contains("cli.exists"));
    assert_eq!(
        std::fs::read(&one).unwrap(),
        first,
        "refused without touching it"
    );
    assert!(build(&dir, &one, &["--force"]).status.success());

    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn build_errors_carry_codes_and_leave_nothing() {
    let dir = TempDir::new();
    setup(&dir);
    let out = dir.path("bad.zip");
    // Signed before the bundle was sealed (created_at 2026-11-20T09:01:15Z).
    let early = build_at(&dir, &out, "2026-11-20T09:00:00Z", &[]);
    assert_eq!(early.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&early.stderr).contains("build.time"));
    assert!(!Path::new(&out).exists());
    std::fs::write(dir.path("spec.json"), b"{\"format\": \"def/v0\"}").unwrap();
    let bad = build(&dir, &out, &["--format", "json"]);
    assert_eq!(bad.status.code(), Some(4));
    let problem: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(problem["errors"][0]["code"], "build.spec_schema");
    assert!(!Path::new(&out).exists());
}

#[test]
fn sign_adds_a_second_producer() {
    let dir = TempDir::new();
    setup(&dir);
    let bundle = dir.path("run.zip");
    assert!(build(&dir, &bundle, &[]).status.success());
    let before = std::fs::read(&bundle).unwrap();
    let key = dir.path("b/clyra.key");
    let args = [
        "sign",
        &bundle,
        "--key",
        &key,
        "--signed-at",
        "2026-11-20T09:05:00Z",
    ];
    let out = clyra(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = std::fs::read(&bundle).unwrap();
    let names = entry_names(&after);
    assert_eq!(
        names
            .iter()
            .filter(|n| n.starts_with("signatures/"))
            .count(),
        2
    );
    assert_eq!(names.iter().filter(|n| n.starts_with("keys/")).count(), 2);
    assert_eq!(entry_names(&before).len() + 2, names.len());

    let repeat = clyra(&args);
    assert_eq!(repeat.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&repeat.stderr).contains("build.signer"));
    assert_eq!(std::fs::read(&bundle).unwrap(), after);
}

/// Runs `clyra verify` in JSON and returns (outcome, primary, exit).
fn verify(bundle: &str, trust: &str, at: &str) -> (String, String, i32) {
    let out = clyra(&[
        "verify", bundle, "--trust", trust, "--at", at, "--format", "json",
    ]);
    let verdict: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let code = out.status.code().unwrap();
    assert_eq!(verdict["exit"], code, "exit in the verdict = process exit");
    (
        verdict["outcome"].as_str().unwrap().to_owned(),
        verdict["primary"].as_str().unwrap().to_owned(),
        code,
    )
}

#[test]
fn a_built_bundle_verifies_end_to_end() {
    let dir = TempDir::new();
    setup(&dir);
    let bundle = dir.path("run.zip");
    let built = build(&dir, &bundle, &[]);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let (a, b) = (dir.path("a/clyra.pub"), dir.path("b/clyra.pub"));
    let at = "2026-12-01T00:00:00Z";
    let v = |trust: &str, at: &str| verify(&bundle, trust, at);
    assert_eq!(v(&a, at), ("VALID".into(), "ok".into(), 0));
    assert_eq!(
        v(&b, at),
        ("VALID_UNTRUSTED".into(), "trust.untrusted_key".into(), 2)
    );
    // Verified before the change was sealed: the bundle claims to come from the future.
    assert_eq!(
        v(&a, "2026-11-01T00:00:00Z"),
        ("INDETERMINATE".into(), "time.future".into(), 3)
    );
    // A co-signer the trust does not know: still VALID, with a warning.
    let key_b = dir.path("b/clyra.key");
    let signed = clyra(&[
        "sign",
        &bundle,
        "--key",
        &key_b,
        "--signed-at",
        "2026-11-20T09:05:00Z",
    ]);
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    assert_eq!(
        v(&a, at),
        ("VALID".into(), "trust.extra_untrusted_key".into(), 2)
    );
    // One changed byte anywhere in the stored data is caught.
    let mut bytes = std::fs::read(&bundle).unwrap();
    // Inside manifest.json's data: its local header is 30 bytes + the 13-byte name.
    bytes[30 + 13 + 5] ^= 0x01;
    let tampered = dir.path("tampered.zip");
    std::fs::write(&tampered, &bytes).unwrap();
    let (outcome, _, exit) = verify(&tampered, &a, at);
    assert_eq!((outcome.as_str(), exit), ("INVALID", 1));
}

#[test]
fn no_progress_bytes_when_stderr_is_not_a_terminal() {
    // 48 MiB of artifact: long enough (debug build, read twice) that a bar would be drawn if the
    // terminal check were wrong. Tests pipe stderr, so neither build nor verify may write `\r`
    // or an escape sequence there; verify with two threads (`--jobs 2`) as well.
    let dir = TempDir::new();
    setup(&dir);
    let big: Vec<u8> = (0..48u32 << 20).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.path("big.bin"), &big).unwrap();
    let artifact = format!("big.bin={}", dir.path("big.bin"));
    let out = dir.path("big.zip");
    let built = build(&dir, &out, &["--artifact", &artifact]);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let verified = clyra(&[
        "verify",
        &out,
        "--trust",
        &dir.path("a/clyra.pub"),
        "--at",
        "2026-12-01T00:00:00Z",
        "--jobs",
        "2",
    ]);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    for run in [&built, &verified] {
        assert!(
            !run.stderr.contains(&b'\r') && !run.stderr.contains(&0x1b),
            "progress bytes on a non-terminal stderr: {:?}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
}
