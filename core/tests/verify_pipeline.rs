//! The bundle verification pipeline end to end: bundles built here with `ContainerWriter` from the
//! spec's DEF manifest, verified clean, then broken one way at a time, each with its exact
//! (outcome, primary, exit).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use std::io::Cursor;

use clyra_core::bundle::{ContainerWriter, Method};
use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::digest::Sha256Digest;
use clyra_core::dsse::{self, Envelope, IN_TOTO_PAYLOAD_TYPE};
use clyra_core::format::Schemas;
use clyra_core::jcs::{self, Map, Value};
use clyra_core::merkle::TreeBuilder;
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verdict::{Outcome, Severity, Step};
use clyra_core::verify::{verify_bundle, verify_bundle_bytes, Verdict, VerifyInputs};
use clyra_core::{Coded, Limits};

const AT: &str = "2026-12-01T00:00:00Z";
const CREATED_AT: &str = "2026-11-20T09:01:15Z";
const SIGNED_AT: &str = "2026-11-20T09:01:16Z";
const POLICY: &[u8] = br#"{"version": 1, "data_platform": {"rules": [{"id": "prod-schema-change", "when": "change.environment == \"production\"", "decision": "require_two_person"}]}}"#;
const ARTIFACT: &[u8] = b"{\"metadata\":{\"dbt_version\":\"1.11.2\",\"invocation_id\":\"5f0c8a4e-7d2b-4c1e-9a63-0b8e2f4d1c77\"},\"results\":[{\"unique_id\":\"model.shop.orders\",\"status\":\"success\",\"rows_affected\":1842}],\"elapsed_time\":31.2}\n";

fn producer() -> SigningKey {
    SigningKey::generate(Scheme::Ed25519, [7; 32]).unwrap()
}

fn obj(fields: &[(&str, Value)]) -> Value {
    Value::from(fields.iter().cloned().collect::<Map>())
}

fn def_manifest() -> Map {
    common::spec_example_object("def-v0.md", "manifest-def-v0")
}

fn digest(bytes: &[u8]) -> String {
    Sha256Digest::of(bytes).to_prefixed()
}

/// The three journal events of bundle-v0.md §8, canonical, chained.
fn journal_lines() -> Vec<Vec<u8>> {
    let events = [
        ("2026-11-20T09:00:00Z", "run.started"),
        ("2026-11-20T09:00:41Z", "asset.changed"),
        ("2026-11-20T09:01:12Z", "run.finished"),
    ];
    let mut prev = format!("sha256:{}", "0".repeat(64));
    let mut lines = Vec::new();
    for (seq, (at, kind)) in events.iter().enumerate() {
        let line = jcs::to_vec(&obj(&[
            ("at", Value::from(*at)),
            ("data", obj(&[("tool", Value::from("dbt"))])),
            ("kind", Value::from(*kind)),
            ("prev", Value::from(prev.as_str())),
            ("seq", Value::from(seq as u32)),
        ]));
        prev = digest(&line);
        lines.push(line);
    }
    lines
}

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| l.iter().copied().chain([b'\n']))
        .collect()
}

/// Everything that goes into a bundle; `seal` signs and zips it.
struct Parts {
    manifest: Map,
    /// Raw manifest bytes to store instead of the canonical form of `manifest`.
    manifest_bytes: Option<Vec<u8>>,
    journal: Vec<u8>,
    /// Entries stored under `artifacts/`, sorted by name.
    artifacts: Vec<(String, Vec<u8>)>,
    payload_type: &'static str,
    edit_statement: fn(&mut Map),
    edit_envelope: fn(&mut Envelope),
}

/// A valid bundle's parts: manifest blocks recomputed from the journal and artifact.
fn honest() -> Parts {
    let mut parts = Parts {
        manifest: def_manifest(),
        manifest_bytes: None,
        journal: join(&journal_lines()),
        artifacts: vec![("artifacts/run_results.json".into(), ARTIFACT.to_vec())],
        payload_type: IN_TOTO_PAYLOAD_TYPE,
        edit_statement: |_| {},
        edit_envelope: |_| {},
    };
    let m = &mut parts.manifest;
    m.insert("bundle_id", Value::from("acme:test:1"));
    m.insert("created_at", Value::from(CREATED_AT));
    m.insert(
        "approvals",
        obj(&[
            ("required", Value::from(0u32)),
            ("entries", Value::from(vec![])),
        ]),
    );
    let mut policy = m.get("policy").unwrap().as_object().unwrap().clone();
    policy.insert(
        "hash",
        Value::from(digest(
            &jcs::canonicalize(POLICY, &Limits::default()).unwrap(),
        )),
    );
    m.insert("policy", Value::from(policy));
    recompute(&mut parts);
    parts
}

/// Sets `artifacts`, `journal` and `merkle` from the current journal and artifact entries.
fn recompute(parts: &mut Parts) {
    let lines: Vec<&[u8]> = parts
        .journal
        .strip_suffix(b"\n")
        .unwrap()
        .split(|b| *b == b'\n')
        .collect();
    let mut tree = TreeBuilder::new();
    for line in &lines {
        tree.push_leaf(line);
    }
    let mut records = Vec::new();
    for (path, bytes) in &parts.artifacts {
        let record = obj(&[
            ("path", Value::from(path.as_str())),
            ("sha256", Value::from(Sha256Digest::of(bytes).to_hex())),
            ("size", Value::from(bytes.len() as u32)),
        ]);
        tree.push_leaf(&jcs::to_vec(&record));
        records.push(record);
    }
    let m = &mut parts.manifest;
    m.insert("artifacts", Value::from(records));
    m.insert(
        "journal",
        obj(&[
            ("count", Value::from(lines.len() as u32)),
            ("head", Value::from(digest(lines.last().unwrap()))),
        ]),
    );
    m.insert(
        "merkle",
        obj(&[
            (
                "root",
                Value::from(format!("sha256:{}", hex::encode(tree.root()))),
            ),
            ("size", Value::from(tree.len() as u32)),
        ]),
    );
}

fn field<'a>(m: &'a Map, block: &str, name: &str) -> &'a str {
    m.get(block).unwrap().get(name).unwrap().as_str().unwrap()
}

/// Signs the manifest and writes the zip.
fn seal(parts: &Parts) -> Vec<u8> {
    let manifest = parts
        .manifest_bytes
        .clone()
        .unwrap_or_else(|| jcs::to_vec(&Value::from(parts.manifest.clone())));
    let m = &parts.manifest;
    let key = producer();
    let mut statement = Map::new();
    statement.insert("_type", Value::from("https://in-toto.io/Statement/v1"));
    statement.insert(
        "subject",
        Value::from(vec![obj(&[
            ("name", Value::from("manifest.json")),
            (
                "digest",
                obj(&[("sha256", Value::from(Sha256Digest::of(&manifest).to_hex()))]),
            ),
        ])]),
    );
    statement.insert("predicateType", Value::from("https://clyra.dev/def/v0"));
    statement.insert(
        "predicate",
        obj(&[
            ("bundle_id", m.get("bundle_id").unwrap().clone()),
            ("merkle_root", Value::from(field(m, "merkle", "root"))),
            ("journal_head", Value::from(field(m, "journal", "head"))),
            ("signed_at", Value::from(SIGNED_AT)),
            ("role", Value::from("producer")),
            ("scheme", Value::from("ed25519")),
        ]),
    );
    (parts.edit_statement)(&mut statement);
    let payload = jcs::to_vec(&Value::from(statement));
    let mut envelope = dsse::sign(parts.payload_type, &payload, &key);
    (parts.edit_envelope)(&mut envelope);
    let hex = key
        .public_key()
        .keyid()
        .strip_prefix("sha256:")
        .unwrap()
        .to_owned();

    let limits = Limits::default();
    let mut writer = ContainerWriter::new(Cursor::new(Vec::new()), &limits);
    writer
        .add_entry("manifest.json", Method::Deflated, manifest.as_slice())
        .unwrap();
    writer
        .add_entry("journal.ndjson", Method::Deflated, parts.journal.as_slice())
        .unwrap();
    for (name, bytes) in &parts.artifacts {
        writer
            .add_entry(name, Method::Stored, bytes.as_slice())
            .unwrap();
    }
    let pem = key.public_key().to_pem();
    writer
        .add_entry(
            &format!("keys/{hex}.pub.pem"),
            Method::Stored,
            pem.as_bytes(),
        )
        .unwrap();
    let encoded = envelope.encode();
    writer
        .add_entry(
            &format!("signatures/{hex}.dsse.json"),
            Method::Stored,
            encoded.as_slice(),
        )
        .unwrap();
    writer.finish().unwrap().into_inner()
}

/// A trust holding `key` as producer, with extra fields on its entry.
fn trust_of(key: &SigningKey, extra: &[(&str, &str)]) -> Trust {
    let mut fields = vec![
        ("keyid", Value::from(key.public_key().keyid())),
        ("scheme", Value::from(key.scheme().as_str())),
        ("public_key_pem", Value::from(key.public_key().to_pem())),
        ("roles", Value::from(vec![Value::from("producer")])),
    ];
    fields.extend(extra.iter().map(|(k, v)| (*k, Value::from(*v))));
    let doc = obj(&[
        ("version", Value::from(0u32)),
        ("keys", Value::from(vec![obj(&fields)])),
        ("thresholds", obj(&[("producer", Value::from(1u32))])),
    ]);
    Trust::parse(&jcs::to_vec(&doc), &Limits::default()).unwrap()
}

fn verify_with(bundle: &[u8], trust: &Trust, at: &str, policy: Option<&[u8]>) -> Verdict {
    let schemas = Schemas::new().unwrap();
    let at = Timestamp::parse(at).unwrap();
    let limits = Limits::default();
    let inputs = VerifyInputs {
        trust,
        at: &at,
        policy,
        schemas: &schemas,
        limits: &limits,
        witnessed: None,
    };
    verify_bundle(Cursor::new(bundle), bundle.len() as u64, &inputs)
}

fn verify(bundle: &[u8]) -> Verdict {
    verify_with(bundle, &trust_of(&producer(), &[]), AT, Some(POLICY))
}

#[track_caller]
fn expect(verdict: &Verdict, outcome: Outcome, primary: &str, exit: u8) {
    let got = (verdict.outcome, verdict.primary, verdict.exit);
    assert_eq!(
        got,
        (outcome, primary, exit),
        "checks: {:#?}",
        verdict
            .checks
            .iter()
            .map(|c| (c.step(), c.code(), c.subject(), c.message()))
            .collect::<Vec<_>>()
    );
}

fn broken(edit: impl FnOnce(&mut Parts)) -> Vec<u8> {
    let mut parts = honest();
    edit(&mut parts);
    seal(&parts)
}

#[test]
fn clean_bundle_is_valid_and_every_step_reports_in_order() {
    let verdict = verify(&seal(&honest()));
    expect(&verdict, Outcome::Valid, "ok", 0);
    let steps: Vec<Step> = verdict.checks.iter().map(|c| c.step()).collect();
    assert!(steps.windows(2).all(|w| w[0] <= w[1]), "{steps:?}");
    for step in [
        Step::Container,
        Step::Manifest,
        Step::Artifacts,
        Step::Journal,
        Step::Merkle,
        Step::Keys,
        Step::Statement,
        Step::Trust,
        Step::Approvals,
        Step::Policy,
        Step::Risk,
    ] {
        assert!(steps.contains(&step), "no check for {step}");
    }
    assert!(verdict.checks.iter().all(|c| c.code() == "ok"));
}

#[test]
fn trust_of_other_keys_gives_valid_untrusted() {
    let other = SigningKey::generate(Scheme::Ed25519, [8; 32]).unwrap();
    let verdict = verify_with(&seal(&honest()), &trust_of(&other, &[]), AT, Some(POLICY));
    expect(&verdict, Outcome::ValidUntrusted, "trust.untrusted_key", 2);
}

#[test]
fn flipped_artifact_byte_is_a_digest_mismatch() {
    let bundle = broken(|p| p.artifacts[0].1[10] ^= 1);
    expect(
        &verify(&bundle),
        Outcome::Invalid,
        "artifact.digest_mismatch",
        1,
    );
}

#[test]
fn flipped_byte_inside_the_zip_is_a_crc_failure_and_stops_the_run() {
    let mut bundle = seal(&honest());
    let at = bundle
        .windows(ARTIFACT.len())
        .position(|w| w == ARTIFACT)
        .unwrap();
    bundle[at + 5] ^= 1;
    let verdict = verify(&bundle);
    expect(&verdict, Outcome::Invalid, "zip.crc", 1);
    assert_eq!(verdict.checks.len(), 11);
    assert!(verdict.checks[1..]
        .iter()
        .all(|c| c.code() == "skipped" && c.severity() == Severity::Ok));
}

#[test]
fn removed_journal_line_is_a_count_mismatch() {
    let lines = journal_lines();
    let bundle = broken(|p| p.journal = join(&lines[..2]));
    expect(
        &verify(&bundle),
        Outcome::Invalid,
        "journal.count_mismatch",
        1,
    );
}

#[test]
fn broken_prev_is_reported() {
    let bundle = broken(|p| {
        let mut lines = journal_lines();
        let text = String::from_utf8(lines[1].clone()).unwrap();
        let prev = digest(&lines[0]);
        lines[1] = text.replace(&prev, &digest(b"another line")).into_bytes();
        p.journal = join(&lines);
        recompute(p);
    });
    expect(&verify(&bundle), Outcome::Invalid, "journal.prev", 1);
}

#[test]
fn wrong_merkle_root_in_the_manifest() {
    let bundle = broken(|p| {
        p.manifest.insert(
            "merkle",
            obj(&[
                ("root", Value::from(digest(b"not the root"))),
                ("size", Value::from(4u32)),
            ]),
        );
    });
    expect(
        &verify(&bundle),
        Outcome::Invalid,
        "merkle.root_mismatch",
        1,
    );
}

#[test]
fn non_canonical_manifest_stops_the_run() {
    let bundle = broken(|p| {
        let mut bytes = jcs::to_vec(&Value::from(p.manifest.clone()));
        bytes.insert(1, b' ');
        p.manifest_bytes = Some(bytes);
    });
    let verdict = verify(&bundle);
    expect(&verdict, Outcome::Invalid, "manifest.not_canonical", 1);
    assert!(verdict.checks[2..].iter().all(|c| c.code() == "skipped"));
}

#[test]
fn duplicate_key_in_the_manifest() {
    let bundle = broken(|p| {
        let bytes = jcs::to_vec(&Value::from(p.manifest.clone()));
        let mut dup = b"{\"anchors\":[],".to_vec();
        dup.extend_from_slice(&bytes[1..]);
        p.manifest_bytes = Some(dup);
    });
    let verdict = verify(&bundle);
    expect(&verdict, Outcome::Invalid, "manifest.json", 1);
    assert_eq!(verdict.checks[1].detail(), Some("jcs.duplicate_key"));
}

#[test]
fn unknown_format_version_is_indeterminate() {
    let bundle = broken(|p| {
        p.manifest.insert("format", Value::from("def/v1"));
    });
    expect(
        &verify(&bundle),
        Outcome::Indeterminate,
        "manifest.format_unknown",
        3,
    );
}

#[test]
fn subject_digest_mismatch() {
    let bundle = broken(|p| {
        p.edit_statement = |s| {
            let other = Sha256Digest::of(b"another manifest").to_hex();
            s.insert(
                "subject",
                Value::from(vec![obj(&[
                    ("name", Value::from("manifest.json")),
                    ("digest", obj(&[("sha256", Value::from(other))])),
                ])]),
            );
        };
    });
    expect(
        &verify(&bundle),
        Outcome::Invalid,
        "statement.subject_mismatch",
        1,
    );
}

#[test]
fn payload_type_swapped_after_signing_breaks_the_signature() {
    let bundle = broken(|p| {
        p.edit_envelope = |e| e.payload_type = "application/vnd.clyra.approval+json".into();
    });
    expect(&verify(&bundle), Outcome::Invalid, "sig.invalid", 1);
}

#[test]
fn payload_type_other_than_in_toto_is_rejected_even_when_signed() {
    let bundle = broken(|p| p.payload_type = "application/vnd.clyra.approval+json");
    expect(&verify(&bundle), Outcome::Invalid, "statement.schema", 1);
}

#[test]
fn revoked_producer_key() {
    let trust = trust_of(&producer(), &[("revoked_at", "2026-11-25T00:00:00Z")]);
    let verdict = verify_with(&seal(&honest()), &trust, AT, Some(POLICY));
    expect(&verdict, Outcome::Invalid, "time.key_revoked", 1);
}

#[test]
fn key_outside_its_window_at_signed_at() {
    let trust = trust_of(&producer(), &[("not_before", "2026-11-21T00:00:00Z")]);
    let verdict = verify_with(&seal(&honest()), &trust, AT, Some(POLICY));
    expect(&verdict, Outcome::Invalid, "time.key_window", 1);
}

#[test]
fn created_at_after_at_is_indeterminate() {
    let verdict = verify_with(
        &seal(&honest()),
        &trust_of(&producer(), &[]),
        "2026-11-20T09:01:00Z",
        Some(POLICY),
    );
    expect(&verdict, Outcome::Indeterminate, "time.future", 3);
    assert_eq!(
        verdict
            .checks
            .iter()
            .find(|c| c.code() == "time.future")
            .unwrap()
            .subject(),
        Some("manifest.json")
    );
}

#[test]
fn risk_score_that_does_not_recompute() {
    let bundle = broken(|p| {
        let mut risk = p.manifest.get("risk").unwrap().as_object().unwrap().clone();
        let score = risk.get("score").unwrap().as_u64().unwrap();
        risk.insert("score", Value::from(score as u32 + 1));
        p.manifest.insert("risk", Value::from(risk));
    });
    expect(&verify(&bundle), Outcome::Invalid, "risk.score_mismatch", 1);
}

/// A zero-weight risk block: a production schema change scored 0 (risk-v1.md §2.3).
fn zero_weights(p: &mut Parts) {
    let mut risk = p.manifest.get("risk").unwrap().as_object().unwrap().clone();
    let mut weights = risk.get("weights").unwrap().as_object().unwrap().clone();
    let names: Vec<String> = weights.iter().map(|(k, _)| k.to_owned()).collect();
    for name in names {
        weights.insert(name, Value::from(0u32));
    }
    risk.insert("weights", Value::from(weights));
    risk.insert("score", Value::from(0u32));
    p.manifest.insert("risk", Value::from(risk));
}

#[test]
fn risk_weights_are_checked_against_a_given_policy() {
    // risk-v1.md §6.1 item 4: the policy (no compliance.risk) implies the default weights.
    let bundle = broken(zero_weights);
    let verdict = verify(&bundle);
    expect(&verdict, Outcome::Invalid, "risk.weights_mismatch", 1);
    let check = verdict
        .checks
        .iter()
        .find(|c| c.code() == "risk.weights_mismatch");
    assert!(check
        .unwrap()
        .message()
        .contains("production 0 (policy 15)"));
    // Without a policy the producer's weights stand (the auditor view shows them).
    let without = verify_with(&bundle, &trust_of(&producer(), &[]), AT, None);
    assert!(without
        .checks
        .iter()
        .all(|c| c.code() != "risk.weights_mismatch"));
    // With a policy whose weights are the recorded ones, the weights check passes, even though
    // this other policy's hash does not match (step 10 says so on its own).
    let zero = br#"{"version":1,"compliance":{"risk":{"weights":{"magnitude_schema":0,"magnitude_data":0,"magnitude_config":0,"violation_critical":0,"violation_warning":0,"production":0,"off_hours":0,"approval_bypassed":0,"threat":0,"sql_finding":0,"first_time_actor":0}}}}"#;
    let verdict = verify_with(&bundle, &trust_of(&producer(), &[]), AT, Some(zero));
    expect(&verdict, Outcome::Invalid, "policy.hash_mismatch", 1);
    let risk: Vec<&str> = verdict
        .checks
        .iter()
        .filter(|c| c.step() == Step::Risk)
        .map(|c| c.code())
        .collect();
    assert_eq!(risk, ["ok", "ok"]);
    // The honest bundle, default weights, given its policy: both risk checks pass.
    let verdict = verify(&seal(&honest()));
    expect(&verdict, Outcome::Valid, "ok", 0);
    assert_eq!(
        verdict
            .checks
            .iter()
            .filter(|c| c.step() == Step::Risk)
            .count(),
        2
    );
}

#[test]
fn policy_files_are_refused_by_the_rules_of_policy_v1_1_3() {
    let bundle = seal(&honest());
    let pem = producer().public_key().to_pem();
    let refuse =
        |policy: &[u8]| verify_bundle_bytes(&bundle, pem.as_bytes(), AT, Some(policy)).unwrap_err();
    let mut big = POLICY.to_vec();
    big.resize(Limits::default().policy_max_bytes + 1, b' ');
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(POLICY);
    let cases: [(&[u8], &str); 5] = [
        (&big, "policy.too_large"),
        (&bom, "policy.bom"),
        (br#"{"rules":[],"version":1}"#, "policy.schema"),
        (b"[1]", "policy.schema"),
        (b"%YAML 1.1\n---\nversion: 1\n", "policy.yaml_subset"),
    ];
    for (policy, detail) in cases {
        let err = refuse(policy);
        assert_eq!(
            (err.code(), err.detail()),
            ("policy.file", Some(detail)),
            "{detail}"
        );
    }
    // Exactly L36 bytes is accepted (the hash still matches: spaces are layout).
    let mut edge = POLICY.to_vec();
    edge.resize(Limits::default().policy_max_bytes, b' ');
    let verdict = verify_bundle_bytes(&bundle, pem.as_bytes(), AT, Some(&edge)).unwrap();
    expect(&verdict, Outcome::Valid, "ok", 0);
    // `%YAML 1.2` (or no directive) is read as usual: the YAML form hashes as the JSON form.
    let yaml = "%YAML 1.2\n---\nversion: 1\ndata_platform:\n  rules:\n    - id: prod-schema-change\n      when: 'change.environment == \"production\"'\n      decision: require_two_person\n";
    let verdict = verify_bundle_bytes(&bundle, pem.as_bytes(), AT, Some(yaml.as_bytes())).unwrap();
    expect(&verdict, Outcome::Valid, "ok", 0);
}

#[test]
fn policy_required_but_none_given() {
    let verdict = verify_with(&seal(&honest()), &trust_of(&producer(), &[]), AT, None);
    expect(&verdict, Outcome::Indeterminate, "policy.missing", 3);
}

#[test]
fn wrong_policy_given() {
    let verdict = verify_with(
        &seal(&honest()),
        &trust_of(&producer(), &[]),
        AT,
        Some(br#"{"rules":[]}"#),
    );
    expect(&verdict, Outcome::Invalid, "policy.hash_mismatch", 1);
}

#[test]
fn policy_not_required_and_none_given() {
    let bundle = broken(|p| {
        p.manifest.insert(
            "policy",
            obj(&[
                ("decisions", Value::from(vec![])),
                ("required", Value::from(false)),
            ]),
        );
    });
    let verdict = verify_with(&bundle, &trust_of(&producer(), &[]), AT, None);
    expect(&verdict, Outcome::Valid, "ok", 0);
    assert!(verdict
        .checks
        .iter()
        .any(|c| c.code() == "policy.not_required"));
}

#[test]
fn random_bytes_and_truncated_files_are_container_failures() {
    let random: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    expect(&verify(&random), Outcome::Invalid, "zip.eocd", 1);
    expect(&verify(&[]), Outcome::Invalid, "zip.eocd", 1);
    let bundle = seal(&honest());
    for cut in [1, 22, bundle.len() / 2, bundle.len() - 1] {
        expect(&verify(&bundle[..cut]), Outcome::Invalid, "zip.eocd", 1);
    }
}

#[test]
fn unlisted_extra_artifact() {
    let bundle = broken(|p| {
        p.artifacts.push((
            "artifacts/zz-extra.txt".into(),
            b"not in the manifest".to_vec(),
        ));
    });
    let verdict = verify(&bundle);
    expect(&verdict, Outcome::Invalid, "artifact.unlisted", 1);
    assert_eq!(
        verdict
            .checks
            .iter()
            .find(|c| c.code() == "artifact.unlisted")
            .unwrap()
            .subject(),
        Some("artifacts/zz-extra.txt")
    );
}

#[test]
fn listed_artifact_missing() {
    let bundle = broken(|p| {
        p.artifacts.clear();
        // Keep the manifest's list: recompute nothing.
    });
    expect(&verify(&bundle), Outcome::Invalid, "artifact.missing", 1);
}

#[test]
fn unknown_extension_is_a_warning_exit_2() {
    let bundle = broken(|p| {
        p.manifest
            .insert("extensions", obj(&[("acme", Value::from(true))]));
    });
    expect(
        &verify(&bundle),
        Outcome::Valid,
        "manifest.unknown_extension",
        2,
    );
}

#[test]
fn failures_after_the_manifest_do_not_stop_the_run() {
    // A broken artifact and a wrong risk score: both reported, the artifact first.
    let bundle = broken(|p| {
        p.artifacts[0].1[0] = b'[';
        let mut risk = p.manifest.get("risk").unwrap().as_object().unwrap().clone();
        risk.insert("score", Value::from(99u32));
        p.manifest.insert("risk", Value::from(risk));
    });
    let verdict = verify(&bundle);
    expect(&verdict, Outcome::Invalid, "artifact.digest_mismatch", 1);
    assert!(verdict
        .checks
        .iter()
        .any(|c| c.code() == "risk.score_mismatch"));
}

#[test]
fn verdict_json_has_the_registry_shape() {
    let verdict = verify(&seal(&honest()));
    let json = verdict.to_json();
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(jcs::canonicalize(&json, &Limits::default()).unwrap(), json);
    assert_eq!(value["outcome"], "VALID");
    assert_eq!(value["primary"], "ok");
    assert_eq!(value["exit"], 0);
    let checks = value["checks"].as_array().unwrap();
    assert_eq!(checks.len(), verdict.checks.len());
    for (check, raw) in checks.iter().zip(&verdict.checks) {
        let keys: Vec<&str> = check
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec!["code", "message", "severity", "step"];
        if raw.subject().is_some() {
            expected.push("subject");
        }
        assert_eq!(keys, expected);
    }
    // The container check has no subject.
    assert!(checks[0].get("subject").is_none());
}

#[test]
fn bytes_entry_point_reports_unusable_arguments_only() {
    let bundle = seal(&honest());
    let pem = producer().public_key().to_pem();
    let verdict = verify_bundle_bytes(&bundle, pem.as_bytes(), AT, Some(POLICY)).unwrap();
    expect(&verdict, Outcome::Valid, "ok", 0);
    let err = verify_bundle_bytes(&bundle, b"{}", AT, None).unwrap_err();
    assert_eq!(err.code(), "trust.file");
    let err = verify_bundle_bytes(&bundle, pem.as_bytes(), "yesterday", None).unwrap_err();
    assert_eq!(err.code(), "cli.usage");
    let err =
        verify_bundle_bytes(&bundle, pem.as_bytes(), AT, Some(b"{\"a\":1,\"a\":2}")).unwrap_err();
    assert_eq!(err.code(), "policy.file");
    // A damaged bundle is never an error.
    let verdict = verify_bundle_bytes(b"PK", pem.as_bytes(), AT, None).unwrap();
    expect(&verdict, Outcome::Invalid, "zip.eocd", 1);
}

/// bundle-v0.md §4.1: a journal of more than L16 lines (here L16 + 1 empty ones) fails the
/// journal step at its first line, and its Merkle tree is not recomputed (`skipped`); at L16
/// lines the tree is still recomputed. The Go verifier's TestThirtyMillionEmptyJournalLines
/// checks the same with 30 million lines.
#[test]
fn a_flood_of_journal_lines_is_not_hashed() {
    let limits = Limits::default();
    let merkle_code = |lines: usize| {
        let verdict = verify(&broken(|p| p.journal = vec![b'\n'; lines]));
        assert_eq!(verdict.outcome, Outcome::Invalid);
        assert_eq!(verdict.primary, "journal.no_trailing_newline");
        let merkle: Vec<&str> = verdict
            .checks
            .iter()
            .filter(|c| c.step() == Step::Merkle)
            .map(|c| c.code())
            .collect();
        merkle
    };
    assert_eq!(merkle_code(limits.journal_max_events + 1), ["skipped"]);
    assert_eq!(
        merkle_code(limits.journal_max_events),
        ["merkle.size_mismatch", "merkle.root_mismatch"]
    );
}
