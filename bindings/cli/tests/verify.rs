//! `clyra verify` end to end: the built binary on bundles made here, its exit codes (0, 1, 2, 3,
//! 4), its human lines and its verdict JSON.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]
mod common;
use common::{clyra, TempDir};

use std::io::Cursor;

use clyra_core::bundle::{ContainerWriter, Method};
use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::digest::Sha256Digest;
use clyra_core::dsse::{self, IN_TOTO_PAYLOAD_TYPE};
use clyra_core::jcs::{self, Map, Value};
use clyra_core::merkle::TreeBuilder;
use clyra_core::Limits;

const AT: &str = "2026-12-01T00:00:00Z";
const POLICY: &[u8] = br#"{"version": 1}"#;

fn obj(fields: &[(&str, Value)]) -> Value {
    Value::from(fields.iter().cloned().collect::<Map>())
}

fn key() -> SigningKey {
    SigningKey::generate(Scheme::Ed25519, [7; 32]).unwrap()
}

/// A valid bundle from the spec's DEF manifest; `artifact` is stored as its one artifact, while
/// the manifest records `recorded` (equal for a valid bundle).
fn bundle(recorded: &[u8], artifact: &[u8]) -> Vec<u8> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/def-v0.md"))
            .unwrap();
    let after = &text[text.find("<!-- example: manifest-def-v0 -->").unwrap()..];
    let open = after.find("```json").unwrap() + 7;
    let close = open + after[open..].find("```").unwrap();
    let Value::Object(mut m) =
        jcs::parse(&after.as_bytes()[open..close], &Limits::default()).unwrap()
    else {
        panic!()
    };
    let line = jcs::to_vec(&obj(&[
        ("at", Value::from("2026-11-20T09:00:00Z")),
        ("data", obj(&[])),
        ("kind", Value::from("run.started")),
        ("prev", Value::from(format!("sha256:{}", "0".repeat(64)))),
        ("seq", Value::from(0u32)),
    ]));
    let record = obj(&[
        ("path", Value::from("artifacts/out.txt")),
        ("sha256", Value::from(Sha256Digest::of(recorded).to_hex())),
        ("size", Value::from(recorded.len() as u32)),
    ]);
    let mut tree = TreeBuilder::new();
    tree.push_leaf(&line);
    tree.push_leaf(&jcs::to_vec(&record));
    let root = Sha256Digest::from_bytes(tree.root()).to_prefixed();
    let head = Sha256Digest::of(&line).to_prefixed();
    m.insert("bundle_id", Value::from("acme:cli:1"));
    m.insert("created_at", Value::from("2026-11-20T09:01:15Z"));
    m.insert(
        "approvals",
        obj(&[
            ("entries", Value::from(vec![])),
            ("required", Value::from(0u32)),
        ]),
    );
    let policy_hash = Sha256Digest::of(&jcs::canonicalize(POLICY, &Limits::default()).unwrap());
    let mut policy = m.get("policy").unwrap().as_object().unwrap().clone();
    policy.insert("hash", Value::from(policy_hash.to_prefixed()));
    m.insert("policy", Value::from(policy));
    m.insert("artifacts", Value::from(vec![record]));
    m.insert(
        "journal",
        obj(&[
            ("count", Value::from(1u32)),
            ("head", Value::from(head.as_str())),
        ]),
    );
    m.insert(
        "merkle",
        obj(&[
            ("root", Value::from(root.as_str())),
            ("size", Value::from(2u32)),
        ]),
    );
    let manifest = jcs::to_vec(&Value::from(m));
    let statement = obj(&[
        ("_type", Value::from("https://in-toto.io/Statement/v1")),
        (
            "subject",
            Value::from(vec![obj(&[
                ("name", Value::from("manifest.json")),
                (
                    "digest",
                    obj(&[("sha256", Value::from(Sha256Digest::of(&manifest).to_hex()))]),
                ),
            ])]),
        ),
        ("predicateType", Value::from("https://clyra.dev/def/v0")),
        (
            "predicate",
            obj(&[
                ("bundle_id", Value::from("acme:cli:1")),
                ("merkle_root", Value::from(root.as_str())),
                ("journal_head", Value::from(head.as_str())),
                ("signed_at", Value::from("2026-11-20T09:01:16Z")),
                ("role", Value::from("producer")),
                ("scheme", Value::from("ed25519")),
            ]),
        ),
    ]);
    let k = key();
    let envelope = dsse::sign(IN_TOTO_PAYLOAD_TYPE, &jcs::to_vec(&statement), &k).encode();
    let hex = &k.public_key().keyid()["sha256:".len()..];
    let mut journal = line.clone();
    journal.push(b'\n');
    let mut w = ContainerWriter::new(Cursor::new(Vec::new()), &Limits::default());
    w.add_entry("manifest.json", Method::Stored, manifest.as_slice())
        .unwrap();
    w.add_entry("journal.ndjson", Method::Stored, journal.as_slice())
        .unwrap();
    w.add_entry("artifacts/out.txt", Method::Stored, artifact)
        .unwrap();
    w.add_entry(
        &format!("keys/{hex}.pub.pem"),
        Method::Stored,
        k.public_key().to_pem().as_bytes(),
    )
    .unwrap();
    w.add_entry(
        &format!("signatures/{hex}.dsse.json"),
        Method::Stored,
        envelope.as_slice(),
    )
    .unwrap();
    w.finish().unwrap().into_inner()
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

struct Setup {
    _dir: TempDir,
    valid: String,
    invalid: String,
    trust: String,
    other_trust: String,
    policy: String,
}

fn setup() -> Setup {
    let dir = TempDir::new();
    let valid = dir.write("valid.zip", &bundle(b"hello\n", b"hello\n"));
    let invalid = dir.write("invalid.zip", &bundle(b"hello\n", b"hellO\n"));
    let trust = dir.write("producer.pub", key().public_key().to_pem().as_bytes());
    let other = SigningKey::generate(Scheme::Ed25519, [8; 32]).unwrap();
    let other_trust = dir.write("other.pub", other.public_key().to_pem().as_bytes());
    let policy = dir.write("policy.json", POLICY);
    Setup {
        _dir: dir,
        valid,
        invalid,
        trust,
        other_trust,
        policy,
    }
}

#[test]
fn valid_bundle_exits_0_with_verdict_json() {
    let s = setup();
    let out = clyra(&[
        "verify", &s.valid, "--trust", &s.trust, "--at", AT, "--policy", &s.policy, "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.ends_with('\n') && stdout.lines().count() == 1);
    let v: serde_json::Value = serde_json::from_str(stdout).unwrap();
    assert_eq!(
        (
            v["outcome"].as_str(),
            v["primary"].as_str(),
            v["exit"].as_u64()
        ),
        (Some("VALID"), Some("ok"), Some(0))
    );
    let checks = v["checks"].as_array().unwrap();
    assert!(checks.len() >= 11);
    for check in checks {
        for member in ["step", "code", "severity", "message"] {
            assert!(check[member].is_string(), "{check}");
        }
    }
}

#[test]
fn human_output_names_outcome_primary_and_each_check() {
    let s = setup();
    let out = clyra(&[
        "verify", &s.invalid, "--trust", &s.trust, "--at", AT, "--policy", &s.policy,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .lines()
            .next()
            .unwrap()
            .contains("INVALID (artifact.digest_mismatch)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAIL") && stdout.contains("artifacts/out.txt"),
        "{stdout}"
    );
    assert!(stdout
        .lines()
        .any(|l| l.trim_start().starts_with("ok") && l.contains("container")));
}

#[test]
fn untrusted_and_indeterminate_exit_2_and_3() {
    let s = setup();
    let out = clyra(&[
        "verify",
        &s.valid,
        "--trust",
        &s.other_trust,
        "--at",
        AT,
        "--policy",
        &s.policy,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("VALID_UNTRUSTED (trust.untrusted_key)"));
    // The manifest requires a policy and none is given.
    let out = clyra(&["verify", &s.valid, "--trust", &s.trust, "--at", AT]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stdout).contains("INDETERMINATE (policy.missing)"));
    // --at defaults to now, which is after this bundle's times.
    let out = clyra(&[
        "verify", &s.valid, "--trust", &s.trust, "--policy", &s.policy,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn unusable_arguments_exit_4_with_the_usual_error_line() {
    let s = setup();
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "verify",
                "/nonexistent/b.zip",
                "--trust",
                &s.trust,
                "--at",
                AT,
            ],
            "cli.io",
        ),
        (
            &[
                "verify",
                &s.valid,
                "--trust",
                "/nonexistent/t.json",
                "--at",
                AT,
            ],
            "cli.io",
        ),
        (
            &["verify", &s.valid, "--trust", &s.policy, "--at", AT],
            "trust.file",
        ),
        (
            &[
                "verify",
                &s.valid,
                "--trust",
                &s.trust,
                "--at",
                "2026-13-01T00:00:00Z",
            ],
            "cli.usage",
        ),
        (
            &[
                "verify", &s.valid, "--trust", &s.trust, "--at", AT, "--policy", &s.invalid,
            ],
            "policy.file",
        ),
    ];
    for (args, code) in cases {
        let out = clyra(args);
        assert_eq!(out.status.code(), Some(4), "{args:?}");
        assert!(out.stdout.is_empty());
        let stderr = text(&out.stderr);
        assert!(
            stderr.starts_with("error: ")
                && (stderr.trim_end().ends_with(&format!("({code})"))
                    || stderr.trim_end().ends_with(&format!("({code}, schema)"))
                    // policy-v1.md §1.3: `policy.file` names the failing rule as its detail.
                    || stderr.trim_end().ends_with(&format!("({code}, policy.yaml)"))),
            "{stderr}"
        );
    }
    let out = clyra(&[
        "verify", &s.valid, "--trust", &s.policy, "--at", AT, "--format", "json",
    ]);
    assert_eq!(out.status.code(), Some(4));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["errors"][0]["code"], "trust.file");
    // The detail names the rule broken (trust-v0.md §3.4): a policy is not a trust file.
    assert_eq!(v["errors"][0]["detail"], "schema");
}

#[test]
fn damaged_bundle_is_a_verdict_not_an_error() {
    let s = setup();
    let dir = TempDir::new();
    let junk = dir.write("junk.zip", b"this is not a zip file");
    let out = clyra(&[
        "verify", &junk, "--trust", &s.trust, "--at", AT, "--format", "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["outcome"].as_str(), v["primary"].as_str()),
        (Some("INVALID"), Some("zip.eocd"))
    );
}

#[test]
fn help_explains_the_outcomes() {
    let out = clyra(&["verify", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for word in [
        "VALID_UNTRUSTED",
        "INVALID",
        "INDETERMINATE",
        "--trust",
        "Examples:",
    ] {
        assert!(help.contains(word), "{word}");
    }
}

#[test]
fn policy_may_be_given_as_the_yaml_file() {
    let s = setup();
    let dir = TempDir::new();
    // The YAML form of POLICY hashes the same: verification passes.
    let yaml = dir.write("policy.yaml", b"# the policy in force\nversion: 1\n");
    let out = clyra(&[
        "verify", &s.valid, "--trust", &s.trust, "--at", AT, "--policy", &yaml,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // Another policy: the hash differs.
    let other = dir.write("other.yaml", b"version: 1\nname: other\n");
    let out = clyra(&[
        "verify", &s.valid, "--trust", &s.trust, "--at", AT, "--policy", &other,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("policy.hash_mismatch"),
        "{}",
        text(&out.stdout)
    );
    // Outside the YAML subset: exit 4, `policy.file`.
    let bad = dir.write("bad.yaml", b"version: &v 1\n");
    let out = clyra(&[
        "verify", &s.valid, "--trust", &s.trust, "--at", AT, "--policy", &bad,
    ]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains("(policy.file, policy.yaml_subset)"),
        "{}",
        text(&out.stderr)
    );
    // policy-v1.md §1.3: a `%YAML 1.1` directive, a byte-order mark, a file over L36 and a
    // document off its schema are refused, each named in the JSON error's detail.
    let mut big = b"version: 1\n".to_vec();
    big.resize(1024 * 1024 + 1, b' ');
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "v11.yaml",
            b"%YAML 1.1\n---\nversion: 1\n".to_vec(),
            "policy.yaml_subset",
        ),
        (
            "bom.json",
            b"\xEF\xBB\xBF{\"version\":1}".to_vec(),
            "policy.bom",
        ),
        ("big.yaml", big, "policy.too_large"),
        (
            "schema.json",
            br#"{"version":1,"rules":[]}"#.to_vec(),
            "policy.schema",
        ),
    ];
    for (name, bytes, detail) in cases {
        let path = dir.write(name, &bytes);
        let out = clyra(&[
            "verify", &s.valid, "--trust", &s.trust, "--at", AT, "--policy", &path, "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(4), "{name}");
        let line = text(&out.stdout);
        assert!(
            line.contains(r#""code":"policy.file""#)
                && line.contains(&format!(r#""detail":"{detail}""#)),
            "{name}: {line}"
        );
    }
}

#[test]
fn jobs_change_nothing_but_speed() {
    // Several artifacts (0013), a flipped artifact byte (0050), an unlisted artifact (0052):
    // one hashing thread and four give byte-identical verdicts.
    let vectors = concat!(env!("CARGO_MANIFEST_DIR"), "/../../vectors");
    for case in [
        "0013-def-several-artifacts",
        "0050-artifact-flipped-byte",
        "0052-artifact-unlisted",
    ] {
        let bundle = format!("{vectors}/{case}/bundle.zip");
        let trust = format!("{vectors}/{case}/trust.json");
        let run = |jobs: &str| {
            clyra(&[
                "verify", &bundle, "--trust", &trust, "--at", AT, "--format", "json", "--jobs",
                jobs,
            ])
        };
        let one = run("1");
        let four = run("4");
        assert_eq!(one.stdout, four.stdout, "{case}");
        assert_eq!(one.status.code(), four.status.code(), "{case}");
        assert!(!one.stdout.is_empty());
    }
    let out = clyra(&[
        "verify",
        &format!("{vectors}/0001-def-minimal/bundle.zip"),
        "--trust",
        &format!("{vectors}/0001-def-minimal/trust.json"),
        "--jobs",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(4));
}

/// conformance.md §6.7: a bundle given as a pipe is judged on the bytes read; a directory is
/// `cli.io` (exit 4); a device is read as a stream (/dev/null: an empty bundle).
#[test]
fn bundles_that_are_not_regular_files() {
    let s = setup();
    let bytes = std::fs::read(&s.valid).unwrap();
    let args = |path: &str| {
        [
            "verify", path, "--trust", &s.trust, "--at", AT, "--policy", &s.policy, "--format",
            "json",
        ]
        .map(String::from)
    };
    let verdict = |out: &std::process::Output| {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            v["outcome"].as_str().map(String::from),
            v["primary"].as_str().map(String::from),
            out.status.code(),
        )
    };
    let pipe = args("/dev/stdin");
    let out = common::clyra_stdin(&pipe.each_ref().map(String::as_str), &bytes);
    assert_eq!(
        verdict(&out),
        (Some("VALID".into()), Some("ok".into()), Some(0)),
        "{}",
        text(&out.stderr)
    );
    let out = clyra(&args("/dev/null").each_ref().map(String::as_str));
    assert_eq!(
        verdict(&out),
        (Some("INVALID".into()), Some("zip.eocd".into()), Some(1))
    );
    let dir = std::env::temp_dir().display().to_string();
    let out = clyra(&args(&dir).each_ref().map(String::as_str));
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stdout).contains("\"code\":\"cli.io\""),
        "{}",
        text(&out.stdout)
    );
}
