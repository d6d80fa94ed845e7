//! The bundle builder: a DEF bundle built from the spec's worked manifest, opened again and
//! checked entry by entry with the verifier's own parts; determinism; PEF; co-signing; and each
//! `build.*` error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use std::io::{self, Cursor, Read, Seek, SeekFrom};

use clyra_core::approval::APPROVAL_PAYLOAD_TYPE;
use clyra_core::build::{
    build_bundle, build_bundle_with, co_sign, ApprovalFile, Artifact, BuildError, BuildErrorKind,
    BuildInputs, BuildReport, BundleSpec,
};
use clyra_core::bundle::Container;
use clyra_core::crypto::{PublicKey, Scheme, SigningKey};
use clyra_core::digest::Sha256Digest;
use clyra_core::dsse::{self, Envelope};
use clyra_core::format::{bind_statement, check_manifest, Schemas};
use clyra_core::jcs::{self, Map, Value};
use clyra_core::journal::{self, JournalExpectation};
use clyra_core::merkle::TreeBuilder;
use clyra_core::time::Timestamp;
use clyra_core::{Coded, Limits};

const SIGNED_AT: &str = "2026-11-20T09:01:16Z";
const SQL: &[u8] = b"select * from stg_orders\n";
const RUN_RESULTS: &[u8] = b"{\"results\": [], \"elapsed_time\": 31.2}\n";

fn spec_text(file: &str) -> String {
    std::fs::read_to_string(format!("{}/../spec/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The DEF worked manifest of def-v0.md §11.3.
fn def_manifest() -> Map {
    let text = spec_text("def-v0.md");
    let after = &text[text.find("<!-- example: manifest-def-v0 -->").unwrap()..];
    let open = after.find("```json").unwrap() + 7;
    let close = open + after[open..].find("```").unwrap();
    let Value::Object(map) =
        jcs::parse(&after.as_bytes()[open..close], &Limits::default()).unwrap()
    else {
        panic!()
    };
    map
}

fn obj(fields: &[(&str, Value)]) -> Value {
    Value::from(fields.iter().cloned().collect::<Map>())
}

/// The journal events of def-v0.md §11.2 without `seq` and `prev`.
fn def_events() -> Vec<Value> {
    spec_text("def-v0.md")
        .lines()
        .filter(|l| l.starts_with("{\"at\":\""))
        .map(|l| {
            let Value::Object(mut m) = jcs::parse(l.as_bytes(), &Limits::default()).unwrap() else {
                panic!()
            };
            m.remove("seq");
            m.remove("prev");
            Value::from(m)
        })
        .collect()
}

/// A bundle spec made of the worked manifest's host-given members.
fn def_spec_map() -> Map {
    let mut m = def_manifest();
    for computed in ["bundle_id", "artifacts", "journal", "merkle"] {
        m.remove(computed);
    }
    let factors = m.get("risk").unwrap().get("factors").unwrap().clone();
    m.insert("risk", obj(&[("factors", factors)]));
    m.insert("approvals", obj(&[("required", Value::from(2u32))]));
    m.insert("journal", Value::from(def_events()));
    m.insert(
        "artifacts",
        obj(&[
            (
                "compiled/orders.sql",
                obj(&[("media_type", Value::from("application/sql"))]),
            ),
            (
                "dbt/run_results.json",
                obj(&[("media_type", Value::from("application/json"))]),
            ),
        ]),
    );
    m
}

fn spec_of(map: &Map) -> BundleSpec {
    BundleSpec::parse(&jcs::to_vec(&Value::from(map.clone())), &Limits::default()).unwrap()
}

fn producer() -> SigningKey {
    SigningKey::generate(Scheme::Ed25519, [9; 32]).unwrap()
}

fn approver(n: u8) -> SigningKey {
    let scheme = if n % 2 == 1 {
        Scheme::EcdsaP256Sha256
    } else {
        Scheme::Ed25519
    };
    SigningKey::generate(scheme, [n; 32]).unwrap()
}

/// An approval of `change` by `key`, for `nonce`.
fn approval(key: &SigningKey, sso_sub: &str, nonce: &str, change: &Value) -> ApprovalFile {
    let payload = obj(&[
        ("type", Value::from("https://clyra.dev/approval/v0")),
        ("sso_sub", Value::from(sso_sub)),
        ("idp_domain", Value::from("acme.example")),
        ("mfa_verified", Value::from(true)),
        ("challenge_nonce", Value::from(nonce)),
        (
            "payload_hash",
            Value::from(Sha256Digest::of(&jcs::to_vec(change)).to_prefixed()),
        ),
        ("approved_at", Value::from("2026-11-20T08:30:00Z")),
        ("expires_at", Value::from("2026-11-21T08:30:00Z")),
    ]);
    ApprovalFile {
        envelope: dsse::sign(APPROVAL_PAYLOAD_TYPE, &jcs::to_vec(&payload), key).encode(),
        nonce: nonce.to_owned(),
    }
}

const NONCES: [&str; 2] = [
    "n-7f3c9a21e4b04d5e8a1b2c3d4e5f6071",
    "n-c41d08b6a95e2f7391a2b3c4d5e6f708",
];

fn def_approvals(spec: &BundleSpec) -> Vec<ApprovalFile> {
    let change = spec.change().unwrap();
    vec![
        approval(&approver(1), "lee.ortiz@acme.example", NONCES[0], change),
        approval(&approver(2), "sam.kim@acme.example", NONCES[1], change),
    ]
}

fn approver_keys() -> Vec<PublicKey> {
    vec![
        approver(1).public_key().clone(),
        approver(2).public_key().clone(),
    ]
}

fn def_artifacts() -> Vec<Artifact<'static>> {
    // Given out of order: the builder sorts them.
    vec![
        Artifact::new("dbt/run_results.json", Cursor::new(RUN_RESULTS)),
        Artifact::new("compiled/orders.sql", Cursor::new(SQL)),
    ]
}

fn build(
    spec: &BundleSpec,
    artifacts: Vec<Artifact<'_>>,
    approvals: Vec<ApprovalFile>,
    signers: &[&SigningKey],
) -> Result<(Vec<u8>, BuildReport), BuildError> {
    let keys = approver_keys();
    let mut out = Cursor::new(Vec::new());
    let report = build_bundle(
        spec,
        BuildInputs {
            artifacts,
            approvals,
            approver_keys: &keys,
            signers,
            signed_at: SIGNED_AT,
        },
        &mut out,
        &Limits::default(),
    )?;
    Ok((out.into_inner(), report))
}

fn build_def() -> (Vec<u8>, BuildReport) {
    let spec = spec_of(&def_spec_map());
    let key = producer();
    build(&spec, def_artifacts(), def_approvals(&spec), &[&key]).unwrap()
}

/// Every entry of a bundle, by name, in central-directory order.
fn open(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let limits = Limits::default();
    let mut c = Container::open(Cursor::new(bytes), bytes.len() as u64, &limits).unwrap();
    let names: Vec<String> = c.entries().iter().map(|e| e.name.clone()).collect();
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, c.read_small_entry(i, u64::MAX).unwrap()))
        .collect()
}

fn entry<'a>(entries: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &entries.iter().find(|(n, _)| n == name).unwrap().1
}

fn hex(key: &PublicKey) -> &str {
    key.keyid().strip_prefix("sha256:").unwrap()
}

/// Checks every producer envelope of a bundle: it verifies with its key file and binds the
/// manifest. Returns the signers' keyid-hex.
fn check_signatures(entries: &[(String, Vec<u8>)]) -> Vec<String> {
    let limits = Limits::default();
    let schemas = Schemas::new().unwrap();
    let manifest_bytes = entry(entries, "manifest.json");
    let (manifest, _) = check_manifest(manifest_bytes, &schemas, &limits).unwrap();
    let digest = Sha256Digest::of(manifest_bytes);
    let mut signers = Vec::new();
    for (name, bytes) in entries {
        let Some(h) = name
            .strip_prefix("signatures/")
            .and_then(|n| n.strip_suffix(".dsse.json"))
        else {
            continue;
        };
        let key =
            PublicKey::from_pem(entry(entries, &format!("keys/{h}.pub.pem")), &limits).unwrap();
        let envelope = Envelope::decode(bytes, &limits).unwrap();
        assert_eq!(envelope.signatures.len(), 1);
        let payload =
            dsse::verify(&envelope, &key, key.implied_scheme().unwrap(), &limits).unwrap();
        let claim = bind_statement(payload, &key, &manifest, &digest, &schemas, &limits).unwrap();
        assert_eq!(claim.signed_at, SIGNED_AT);
        signers.push(h.to_owned());
    }
    signers
}

#[test]
fn a_def_bundle_opens_and_passes_each_step() {
    let (bytes, report) = build_def();
    let entries = open(&bytes);
    let limits = Limits::default();
    let p = producer();
    let (a1, a2) = (approver(1), approver(2));
    let mut keys = [
        hex(p.public_key()),
        hex(a1.public_key()),
        hex(a2.public_key()),
    ]
    .map(|h| format!("keys/{h}.pub.pem"));
    keys.sort();
    let mut expected = vec![
        "manifest.json".to_owned(),
        "journal.ndjson".to_owned(),
        "artifacts/compiled/orders.sql".to_owned(),
        "artifacts/dbt/run_results.json".to_owned(),
    ];
    expected.extend(keys);
    expected.push("approvals/0001.dsse.json".to_owned());
    expected.push("approvals/0002.dsse.json".to_owned());
    expected.push(format!("signatures/{}.dsse.json", hex(p.public_key())));
    let names: Vec<&String> = entries.iter().map(|(n, _)| n).collect();
    assert_eq!(names, expected.iter().collect::<Vec<_>>());
    assert_eq!(report.entries, expected);

    // Manifest step.
    let schemas = Schemas::new().unwrap();
    let manifest_bytes = entry(&entries, "manifest.json");
    let (manifest, findings) = check_manifest(manifest_bytes, &schemas, &limits).unwrap();
    assert!(findings.is_empty());
    assert_eq!(manifest.bundle_id, report.bundle_id);
    assert!(report.bundle_id.starts_with("b-"));
    assert_eq!(report.manifest_digest, Sha256Digest::of(manifest_bytes));
    assert_eq!(report.risk_score, 40, "the worked example's score");
    assert_eq!(
        manifest
            .value
            .get("risk")
            .unwrap()
            .get("score")
            .unwrap()
            .as_u64(),
        Some(40)
    );
    // The journal of def-v0 §11.2, rebuilt: the same head as the worked manifest.
    assert_eq!(
        manifest.journal_head.to_prefixed(),
        "sha256:b362e8668a75d8f39ea5cbeddafce5383c10c25b1f559b56fb095d9efedf7a54"
    );
    assert_eq!(manifest.journal_count, 10);

    // Journal step.
    let journal_bytes = entry(&entries, "journal.ndjson");
    let created_at = Timestamp::parse(&manifest.created_at).unwrap();
    let head = manifest.journal_head.to_prefixed();
    let journal_report = journal::verify(
        journal_bytes,
        &JournalExpectation {
            created_at: &created_at,
            head: &head,
            count: manifest.journal_count,
        },
        &limits,
    );
    assert!(journal_report.is_ok(), "{:?}", journal_report.check());

    // Artifacts and the Merkle root.
    let mut tree = TreeBuilder::new();
    for line in journal::lines(journal_bytes) {
        tree.push_leaf(line);
    }
    assert_eq!(manifest.artifacts.len(), 2);
    for (record, content) in manifest.artifacts.iter().zip([SQL, RUN_RESULTS]) {
        assert_eq!(entry(&entries, &record.path), content);
        assert_eq!(record.sha256, Sha256Digest::of(content));
        assert_eq!(record.size, content.len() as u64);
        tree.push_leaf(
            format!(
                "{{\"path\":\"{}\",\"sha256\":\"{}\",\"size\":{}}}",
                record.path,
                record.sha256.to_hex(),
                record.size
            )
            .as_bytes(),
        );
    }
    assert_eq!(manifest.merkle_root, Sha256Digest::from_bytes(tree.root()));
    assert_eq!(manifest.merkle_size, 12);
    assert_eq!(report.merkle_root, manifest.merkle_root);
    let media: Vec<_> = manifest
        .value
        .get("artifacts")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.get("media_type").unwrap().as_str().unwrap().to_owned())
        .collect();
    assert_eq!(media, ["application/sql", "application/json"]);

    // Approvals: entries with the files' digests and the nonces, in order.
    for (i, a) in manifest.approvals.iter().enumerate() {
        assert_eq!(a.file, format!("approvals/{:04}.dsse.json", i + 1));
        assert_eq!(a.digest, Sha256Digest::of(entry(&entries, &a.file)));
        assert_eq!(a.nonce, NONCES[i]);
    }
    assert_eq!(manifest.approvals_required, 2);

    // Producer envelopes.
    assert_eq!(check_signatures(&entries), [hex(p.public_key())]);
}

#[test]
fn builds_are_byte_identical() {
    let (one, _) = build_def();
    let (two, _) = build_def();
    assert_eq!(one, two);
}

#[test]
fn schemas_compiled_once_build_the_same_bytes() {
    let (once, _) = build_def();
    let schemas = Schemas::new().unwrap();
    let spec = spec_of(&def_spec_map());
    let key = producer();
    let keys = approver_keys();
    for _ in 0..2 {
        let mut out = Cursor::new(Vec::new());
        build_bundle_with(
            &spec,
            BuildInputs {
                artifacts: def_artifacts(),
                approvals: def_approvals(&spec),
                approver_keys: &keys,
                signers: &[&key],
                signed_at: SIGNED_AT,
            },
            &mut out,
            &Limits::default(),
            &schemas,
        )
        .unwrap();
        assert_eq!(out.into_inner(), once);
    }
}

#[test]
fn a_given_bundle_id_is_kept() {
    let mut map = def_spec_map();
    map.insert("bundle_id", Value::from("acme-run-5f0d2c1e"));
    let spec = spec_of(&map);
    let key = producer();
    let (bytes, report) = build(&spec, def_artifacts(), def_approvals(&spec), &[&key]).unwrap();
    assert_eq!(report.bundle_id, "acme-run-5f0d2c1e");
    check_signatures(&open(&bytes));
}

fn pef_spec_map() -> Map {
    let text = format!(
        r#"{{
  "format": "pef/v0",
  "created_at": "2026-11-20T09:00:45Z",
  "producer": {{"name": "clyra-gateway", "version": "0.1.0"}},
  "change": {{"subject": "crm:case/500XX00000A1b2C", "kind": "tool_call",
             "actor": "agent-support-7", "environment": "staging"}},
  "policy": {{"required": false, "decisions": []}},
  "risk": {{"factors": {{"change_magnitude": "data", "violations_critical": 0,
            "violations_warning": 0, "production": false, "off_hours": false,
            "approval_bypassed": false, "threats": 1, "sql_findings": 0,
            "first_time_actor": true}},
           "weights": {{"magnitude_schema": 20, "magnitude_data": 10, "magnitude_config": 5,
            "violation_critical": 25, "violation_warning": 5, "production": 15, "off_hours": 5,
            "approval_bypassed": 30, "threat": 20, "sql_finding": 8, "first_time_actor": 10}}}},
  "approvals": {{"required": 0}},
  "pef": {{"operations": [{{"seq": 0, "actor": "agent-support-7", "tool": "crm.update_case",
            "target": "crm:case/500XX00000A1b2C", "parameters_hash": "sha256:{zeros}",
            "decision": "allow", "outcome": "executed"}}],
          "threats": [{{"owasp_llm": {{"edition": "2025", "id": "LLM01"}}, "confidence": 40,
            "detector": "clyra-guard/prompt-injection@0.4.0", "seq": 0}}]}},
  "extensions": {{"x-acme": {{}}}},
  "journal": [
    {{"at": "2026-11-20T09:00:40Z", "kind": "operation.requested", "data": {{"tool": "crm.update_case"}}}},
    {{"at": "2026-11-20T09:00:42Z", "kind": "operation.executed", "data": {{"applies_to": 0}}}}
  ]
}}"#,
        zeros = "0".repeat(64)
    );
    let Value::Object(map) = jcs::parse(text.as_bytes(), &Limits::default()).unwrap() else {
        panic!()
    };
    map
}

#[test]
fn a_pef_bundle_without_artifacts_or_approvals() {
    let spec = spec_of(&pef_spec_map());
    let key = SigningKey::generate(Scheme::EcdsaP256Sha256, [4; 32]).unwrap();
    let (bytes, report) = build(&spec, Vec::new(), Vec::new(), &[&key]).unwrap();
    assert_eq!(report.risk_score, 40, "data 10 + threat 20 + first-time 10");
    assert_eq!(report.unknown_extensions, ["x-acme"]);
    let entries = open(&bytes);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "manifest.json",
            "journal.ndjson",
            &format!("keys/{}.pub.pem", hex(key.public_key())),
            &format!("signatures/{}.dsse.json", hex(key.public_key())),
        ]
    );
    let (manifest, _) = check_manifest(
        entry(&entries, "manifest.json"),
        &Schemas::new().unwrap(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(manifest.merkle_size, 2);
    check_signatures(&entries);
}

#[test]
fn co_signing_adds_one_producer_and_refuses_a_repeat() {
    let (bytes, _) = build_def();
    let second = SigningKey::generate(Scheme::EcdsaP256Sha256, [7; 32]).unwrap();
    let limits = Limits::default();
    let cosigned = co_sign(&bytes, &second, SIGNED_AT, &limits).unwrap();
    let entries = open(&cosigned);
    let mut signers = check_signatures(&entries);
    signers.sort();
    let mut expected = vec![
        hex(producer().public_key()).to_owned(),
        hex(second.public_key()).to_owned(),
    ];
    expected.sort();
    assert_eq!(signers, expected);
    // Every other entry is unchanged.
    for (name, content) in open(&bytes) {
        assert_eq!(entry(&entries, &name), content, "{name}");
    }
    assert_eq!(
        co_sign(&cosigned, &second, SIGNED_AT, &limits)
            .unwrap_err()
            .code(),
        "build.signer"
    );
    assert_eq!(
        co_sign(&bytes, &producer(), SIGNED_AT, &limits)
            .unwrap_err()
            .code(),
        "build.signer"
    );
    assert_eq!(
        co_sign(&bytes, &approver(1), SIGNED_AT, &limits)
            .unwrap_err()
            .code(),
        "build.signer"
    );
    assert_eq!(
        co_sign(&bytes, &second, "2026-11-20T09:00:00Z", &limits)
            .unwrap_err()
            .code(),
        "build.time"
    );
    assert_eq!(
        co_sign(b"not a zip", &second, SIGNED_AT, &limits)
            .unwrap_err()
            .code(),
        "build.bundle"
    );
    // Deterministic too.
    assert_eq!(
        cosigned,
        co_sign(&bytes, &second, SIGNED_AT, &limits).unwrap()
    );
}

/// A source whose bytes change after the first full read.
struct Fickle {
    inner: Cursor<Vec<u8>>,
    reads_to_end: u32,
}

impl Read for Fickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.reads_to_end += 1;
            if self.reads_to_end == 1 {
                self.inner.get_mut()[0] ^= 1;
            }
        }
        Ok(n)
    }
}

impl Seek for Fickle {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

struct Broken;

impl Read for Broken {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::other("disk on fire"))
    }
}

impl Seek for Broken {
    fn seek(&mut self, _: SeekFrom) -> io::Result<u64> {
        Ok(0)
    }
}

fn error_of(
    edit: impl FnOnce(&mut Map),
    artifacts: Vec<Artifact<'_>>,
    approvals: impl FnOnce(&BundleSpec) -> Vec<ApprovalFile>,
) -> BuildError {
    let mut map = def_spec_map();
    edit(&mut map);
    let spec = match BundleSpec::parse(&jcs::to_vec(&Value::from(map)), &Limits::default()) {
        Ok(spec) => spec,
        Err(e) => return e,
    };
    let key = producer();
    let approvals = approvals(&spec);
    build(&spec, artifacts, approvals, &[&key]).unwrap_err()
}

#[test]
fn each_build_error_has_its_code() {
    let limits = Limits::default();
    let e = BundleSpec::parse(b"{\"format\": \"def/v0\", \"format\": 1}", &limits).unwrap_err();
    assert_eq!(
        (e.code(), e.detail()),
        ("build.spec_json", Some("jcs.duplicate_key"))
    );

    let cases: Vec<(&str, Option<&str>, BuildError)> = vec![
        (
            "build.spec_schema",
            None,
            error_of(
                |m| {
                    m.insert("merkle", obj(&[]));
                },
                def_artifacts(),
                def_approvals,
            ),
        ),
        (
            "build.spec_schema",
            None,
            error_of(
                |m| {
                    m.insert(
                        "bundle_id",
                        Value::from("b-0123456789abcdef0123456789abcdef"),
                    );
                },
                def_artifacts(),
                def_approvals,
            ),
        ),
        (
            "build.spec_schema",
            None,
            error_of(
                |m| {
                    m.insert("journal", Value::from(Vec::new()));
                },
                def_artifacts(),
                def_approvals,
            ),
        ),
        (
            "build.spec_schema",
            Some("risk.schema"),
            error_of(
                |m| {
                    m.insert("risk", obj(&[("factors", obj(&[]))]));
                },
                def_artifacts(),
                def_approvals,
            ),
        ),
        (
            "build.spec_schema",
            None,
            error_of(
                |_| {},
                vec![Artifact::new("compiled/orders.sql", Cursor::new(SQL))],
                def_approvals,
            ),
        ),
        (
            "build.time",
            None,
            error_of(
                |m| {
                    m.insert("created_at", Value::from("2026-02-30T00:00:00Z"));
                },
                def_artifacts(),
                def_approvals,
            ),
        ),
        (
            "build.journal",
            Some("journal.schema"),
            error_of(
                |m| {
                    m.insert(
                        "journal",
                        Value::from(vec![obj(&[
                            ("at", Value::from("2026-11-20T09:00:04Z")),
                            ("kind", Value::from("started")),
                            ("data", obj(&[])),
                        ])]),
                    );
                },
                def_artifacts(),
                def_approvals,
            ),
        ),
        (
            "build.journal",
            Some("journal.time_order"),
            error_of(
                |m| {
                    m.insert("created_at", Value::from("2026-11-20T09:00:30Z"));
                },
                def_artifacts(),
                |_| Vec::new(),
            ),
        ),
        (
            "build.artifact_name",
            Some("zip.name"),
            error_of(
                |m| {
                    m.remove("artifacts");
                },
                vec![Artifact::new("../etc/passwd", Cursor::new(SQL))],
                def_approvals,
            ),
        ),
        (
            "build.artifact_name",
            None,
            error_of(
                |m| {
                    m.remove("artifacts");
                },
                vec![
                    Artifact::new("A.sql", Cursor::new(SQL)),
                    Artifact::new("a.sql", Cursor::new(SQL)),
                ],
                def_approvals,
            ),
        ),
        (
            "build.artifact_changed",
            None,
            error_of(
                |m| {
                    m.remove("artifacts");
                },
                vec![Artifact::new(
                    "x.bin",
                    Fickle {
                        inner: Cursor::new(b"abc".to_vec()),
                        reads_to_end: 0,
                    },
                )],
                def_approvals,
            ),
        ),
        (
            "build.io",
            None,
            error_of(
                |m| {
                    m.remove("artifacts");
                },
                vec![Artifact::new("x.bin", Broken)],
                def_approvals,
            ),
        ),
        (
            "build.approval",
            Some("approval.nonce"),
            error_of(
                |_| {},
                def_artifacts(),
                |spec| {
                    let mut a = def_approvals(spec);
                    a[1].nonce = NONCES[0].to_owned();
                    a
                },
            ),
        ),
        (
            "build.approval",
            Some("approval.payload_hash"),
            error_of(
                |_| {},
                def_artifacts(),
                |_| {
                    vec![approval(
                        &approver(1),
                        "lee.ortiz@acme.example",
                        NONCES[0],
                        &obj(&[]),
                    )]
                },
            ),
        ),
        (
            "build.approval",
            Some("approval.self_approval"),
            error_of(
                |_| {},
                def_artifacts(),
                |spec| {
                    vec![approval(
                        &approver(1),
                        "maria.chen@acme.example",
                        NONCES[0],
                        spec.change().unwrap(),
                    )]
                },
            ),
        ),
        (
            "build.approval",
            Some("dsse.missing_field"),
            error_of(
                |_| {},
                def_artifacts(),
                |_| {
                    vec![ApprovalFile {
                        envelope: b"{}".to_vec(),
                        nonce: NONCES[0].to_owned(),
                    }]
                },
            ),
        ),
        (
            "build.key_missing",
            None,
            error_of(
                |_| {},
                def_artifacts(),
                |spec| {
                    vec![approval(
                        &approver(3),
                        "lee.ortiz@acme.example",
                        NONCES[0],
                        spec.change().unwrap(),
                    )]
                },
            ),
        ),
        (
            "build.signer",
            None,
            error_of(
                |_| {},
                def_artifacts(),
                |spec| {
                    vec![approval(
                        &producer(),
                        "lee.ortiz@acme.example",
                        NONCES[0],
                        spec.change().unwrap(),
                    )]
                },
            ),
        ),
        (
            "build.manifest",
            Some("manifest.schema"),
            error_of(
                |m| {
                    m.insert("producer", obj(&[("name", Value::from("x"))]));
                },
                def_artifacts(),
                def_approvals,
            ),
        ),
    ];
    for (code, detail, error) in cases {
        assert_eq!(error.code(), code, "{error}");
        if detail.is_some() {
            assert_eq!(error.detail(), detail, "{error}");
        }
    }

    // No producer key; the same key twice; a signing time before created_at.
    let spec = spec_of(&def_spec_map());
    let key = producer();
    assert_eq!(
        build(&spec, Vec::new(), Vec::new(), &[])
            .unwrap_err()
            .code(),
        "build.signer"
    );
    assert_eq!(
        build(&spec, Vec::new(), Vec::new(), &[&key, &key])
            .unwrap_err()
            .code(),
        "build.signer"
    );
    let mut out = Cursor::new(Vec::new());
    let early = build_bundle(
        &spec,
        BuildInputs {
            artifacts: Vec::new(),
            approvals: Vec::new(),
            approver_keys: &[],
            signers: &[&key],
            signed_at: "2026-11-20T09:00:00Z",
        },
        &mut out,
        &limits,
    );
    assert_eq!(early.unwrap_err().code(), "build.time");

    // More artifacts than the limits allow: the container's limit.
    let mut tight = Limits::default();
    tight.bundle_max_artifacts = 1;
    let e = build_bundle(
        &spec,
        BuildInputs {
            artifacts: def_artifacts(),
            approvals: Vec::new(),
            approver_keys: &[],
            signers: &[&key],
            signed_at: SIGNED_AT,
        },
        &mut out,
        &tight,
    )
    .unwrap_err();
    assert_eq!(
        (e.code(), e.detail()),
        ("build.container", Some("zip.size_limit"))
    );
}

/// The worked example of bundle-v0.md §9.6, built with the §8.4 artifact, gives the §8 values.
#[test]
fn the_bundle_spec_example_reproduces_the_worked_bundle() {
    let text = spec_text("bundle-v0.md");
    let after = &text[text.find("<!-- example: bundle-spec-v0 -->").unwrap()..];
    let open_at = after.find("```json").unwrap() + 7;
    let close = open_at + after[open_at..].find("```").unwrap();
    let spec = BundleSpec::parse(&after.as_bytes()[open_at..close], &Limits::default()).unwrap();
    let run_results = b"{\"metadata\":{\"dbt_version\":\"1.11.2\",\"invocation_id\":\"5f0c8a4e-7d2b-4c1e-9a63-0b8e2f4d1c77\"},\"results\":[{\"unique_id\":\"model.shop.orders\",\"status\":\"success\",\"rows_affected\":1842}],\"elapsed_time\":31.2}\n";
    assert_eq!(run_results.len(), 199);
    let key = producer();
    let (bytes, report) = build(
        &spec,
        vec![Artifact::new(
            "run_results.json",
            Cursor::new(&run_results[..]),
        )],
        Vec::new(),
        &[&key],
    )
    .unwrap();
    assert_eq!(report.bundle_id, "b-9b1e65ea9d63e473b86cc787f851ad93");
    assert_eq!(
        report.merkle_root.to_prefixed(),
        "sha256:40275dbfb8404b851ca4b4c2cef24beff79acb4dda7bd75c9f6c1852d73456d0"
    );
    assert_eq!(
        report.journal_head.to_prefixed(),
        "sha256:9bc808f9d5d8854adc57bf06281d924dd92b8076f25bd807ef36f6d52f6cbb0a"
    );
    assert_eq!(report.risk_score, 35);
    let entries = open(&bytes);
    let journal_digest = Sha256Digest::of(entry(&entries, "journal.ndjson")).to_hex();
    assert_eq!(
        journal_digest,
        "c56f6178b336ca85ad171420a8e5541ca1b52a9bcd26609ec4f70b2a94af85ab"
    );
    check_signatures(&entries);
}

#[test]
fn every_build_code_is_registered() {
    let registry = spec_text("verdicts.md");
    for kind in BuildErrorKind::ALL {
        assert!(
            registry.contains(&format!("| `{}` | — |", kind.code())),
            "{} is not in verdicts.md",
            kind.code()
        );
    }
}

#[test]
fn every_signer_code_is_registered() {
    let registry = spec_text("verdicts.md");
    for kind in clyra_core::crypto::SignerErrorKind::ALL {
        assert!(
            registry.contains(&format!("| `{}` | — |", kind.code())),
            "{} is not in verdicts.md",
            kind.code()
        );
    }
}

/// A signer outside the core (a token, a command) that signs with `key`, or fails.
struct External {
    key: SigningKey,
    fail: bool,
}

impl clyra_core::crypto::Signer for External {
    fn public_key(&self) -> &PublicKey {
        self.key.public_key()
    }
    fn scheme(&self) -> Scheme {
        self.key.scheme()
    }
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, clyra_core::crypto::SignerError> {
        if self.fail {
            return Err(clyra_core::crypto::SignerError::new(
                clyra_core::crypto::SignerErrorKind::Failed,
                "the device is unplugged",
            ));
        }
        Ok(self.key.sign(message))
    }
}

fn build_with(signers: &[&dyn clyra_core::crypto::Signer]) -> Result<Vec<u8>, BuildError> {
    let spec = spec_of(&def_spec_map());
    let keys = approver_keys();
    let mut out = Cursor::new(Vec::new());
    build_bundle(
        &spec,
        BuildInputs {
            artifacts: def_artifacts(),
            approvals: def_approvals(&spec),
            approver_keys: &keys,
            signers,
            signed_at: SIGNED_AT,
        },
        &mut out,
        &Limits::default(),
    )?;
    Ok(out.into_inner())
}

#[test]
fn external_signers_sign_the_same_bytes_as_key_files() {
    let file = producer();
    let external = External {
        key: producer(),
        fail: false,
    };
    let (expected, _) = build_def();
    assert_eq!(build_with(&[&external]).unwrap(), expected);
    // Key files and external signers mix in one bundle.
    let other = External {
        key: SigningKey::generate(Scheme::EcdsaP256Sha256, [40; 32]).unwrap(),
        fail: false,
    };
    let both = build_with(&[&file, &other]).unwrap();
    let names: Vec<String> = open(&both).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names
            .iter()
            .filter(|n| n.starts_with("signatures/"))
            .count(),
        2
    );
}

#[test]
fn a_failing_signer_is_build_signer_with_its_code() {
    let failing = External {
        key: producer(),
        fail: true,
    };
    let err = build_with(&[&failing]).unwrap_err();
    assert_eq!(err.code(), "build.signer");
    assert_eq!(err.detail(), Some("signer.failed"));
    let (bytes, _) = build_def();
    let failing = External {
        key: SigningKey::generate(Scheme::Ed25519, [41; 32]).unwrap(),
        fail: true,
    };
    let err = clyra_core::build::co_sign_with(&bytes, &failing, SIGNED_AT, &Limits::default())
        .unwrap_err();
    assert_eq!(
        (err.code(), err.detail()),
        ("build.signer", Some("signer.failed"))
    );
}

#[test]
fn approvals_sign_through_a_signer() {
    let key = approver(3);
    let payload = b"{\"a\":1}";
    let external = External {
        key: key.clone(),
        fail: false,
    };
    assert_eq!(
        clyra_core::approval::sign_approval_with(payload, &external).unwrap(),
        clyra_core::approval::sign_approval(payload, &key)
    );
}
