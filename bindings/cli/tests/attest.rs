//! `clyra attest` and `clyra attest verify` end to end, for every framework, over fixtures that
//! pass and that fail controls: a missing approval, approver = author, failed tests, an untrusted
//! producer key, a gap in the ledger; plus altered attestations (status, signer, subjects).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]
mod common;
use common::{clyra, example_spec, text, TempDir};

use serde_json::{json, Value};

const AT: &str = "2026-11-21T09:00:00Z";
const PEF_SPEC: &str = include_str!("../src/commands/demo_data/pef-spec.json");

#[derive(Clone)]
struct Keys {
    producer: String,
    approver: String,
    approver_pub: String,
    stranger: String,
    trust: String,
}

fn keygen(dir: &TempDir, name: &str) -> (String, String, String) {
    let out = clyra(&["keygen", "--out", &dir.path(name), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["keyid"].as_str().unwrap().to_owned(),
        dir.path(&format!("{name}/clyra.key")),
        dir.path(&format!("{name}/clyra.pub")),
    )
}

fn keys(dir: &TempDir) -> Keys {
    let (pid, producer, ppub) = keygen(dir, "producer");
    let (aid, approver, apub) = keygen(dir, "approver");
    let (_, stranger, _) = keygen(dir, "stranger");
    let pem = |p: &str| std::fs::read_to_string(p).unwrap();
    let trust = json!({"version": 0, "thresholds": {"producer": 1}, "keys": [
        {"keyid": pid, "scheme": "ed25519", "public_key_pem": pem(&ppub), "roles": ["producer"]},
        {"keyid": aid, "scheme": "ed25519", "public_key_pem": pem(&apub), "roles": ["approver"]},
    ]});
    let trust = dir.write("trust.json", trust.to_string().as_bytes());
    Keys {
        producer,
        approver,
        approver_pub: apub,
        stranger,
        trust,
    }
}

/// What a fixture changes in the passing DEF run.
#[derive(Clone, Copy, Default)]
struct Fault {
    no_approval: bool,
    failed_tests: bool,
    untrusted: bool,
}

/// A production dbt run: one approval (MFA) by someone else, tests pass, an anchor, the policy
/// hash and a 7-year retention, unless `fault` says otherwise.
fn def_bundle(dir: &TempDir, k: &Keys, name: &str, minute: u32, fault: Fault) -> String {
    let mut spec: Value = serde_json::from_str(&example_spec()).unwrap();
    spec["created_at"] = json!(format!("2026-11-20T09:{minute:02}:15Z"));
    spec["anchors"] = json!([{"kind": "snowflake", "query_id": "01b2c3d4-0000-1111-2222-333344445555", "session_tags": {}}]);
    spec["policy"]["hash"] =
        json!("sha256:68df2a5b4a36e1eeeacaf7254b71a7fe882db0226d10bddaaab37cdc28caf067");
    let status = if fault.failed_tests { "fail" } else { "pass" };
    spec["def"]["tests"] = json!([{"id": "test.shop.not_null_orders_id", "status": status, "asset": "model.shop.orders"}]);
    let spec_path = dir.write(&format!("{name}.spec.json"), spec.to_string().as_bytes());
    let artifact = dir.write("run_results.json", b"{\"results\":[]}\n");
    let out_path = dir.path(&format!("{name}.zip"));
    let signer = if fault.untrusted {
        &k.stranger
    } else {
        &k.producer
    };
    let mut args: Vec<String> = [
        "bundle",
        "build",
        "--spec",
        &spec_path,
        "--key",
        signer,
        "--artifact",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.push(format!("run_results.json={artifact}"));
    if !fault.no_approval {
        spec["approvals"]["required"] = json!(1);
        std::fs::write(&spec_path, spec.to_string()).unwrap();
        let sub = "lee@example.com";
        let approval = dir.path(&format!("{name}.approval.json"));
        let nonce = format!("n-{name}-0001");
        let out = clyra(&[
            "approve",
            "--spec",
            &spec_path,
            "--key",
            &k.approver,
            "--sso-sub",
            sub,
            "--idp-domain",
            "example.com",
            "--mfa",
            "--expires",
            "2026-11-21T00:00:00Z",
            "--approved-at",
            "2026-11-20T08:00:00Z",
            "--nonce",
            &nonce,
            "--out",
            &approval,
        ]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        args.extend([
            "--approval".to_owned(),
            format!("{approval}={nonce}"),
            "--approver-key".to_owned(),
            k.approver_pub.clone(),
        ]);
    }
    args.extend([
        "--out".to_owned(),
        out_path.clone(),
        "--signed-at".to_owned(),
    ]);
    args.push(format!("2026-11-20T09:{minute:02}:16Z"));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = clyra(&refs);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    out_path
}

/// An agent's call to a phone number (PEF, `tel:` target), approved under an enforced policy.
fn voice_bundle(dir: &TempDir, k: &Keys) -> String {
    let mut spec: Value = serde_json::from_str(PEF_SPEC).unwrap();
    spec["policy"]["required"] = json!(false);
    spec["pef"]["operations"][0]["target"] = json!("tel:+15555550100");
    let spec_path = dir.write("voice.spec.json", spec.to_string().as_bytes());
    let approval = dir.path("voice.approval.json");
    let out = clyra(&[
        "approve",
        "--spec",
        &spec_path,
        "--key",
        &k.approver,
        "--sso-sub",
        "dana.lee@acme.example",
        "--idp-domain",
        "acme.example",
        "--mfa",
        "--expires",
        "2026-11-21T00:00:00Z",
        "--approved-at",
        "2026-11-20T14:03:12Z",
        "--nonce",
        "n-2b9e64f01c7a8d35",
        "--out",
        &approval,
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out_path = dir.path("voice.zip");
    let out = clyra(&[
        "bundle",
        "build",
        "--spec",
        &spec_path,
        "--key",
        &k.producer,
        "--approval",
        &format!("{approval}=n-2b9e64f01c7a8d35"),
        "--approver-key",
        &k.approver_pub,
        "--out",
        &out_path,
        "--signed-at",
        "2026-11-20T14:03:17Z",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    out_path
}

fn attest(dir: &TempDir, k: &Keys, framework: &str, bundles: &[&str], out: &str) -> Value {
    let out_dir = dir.path(out);
    let mut args = vec!["attest"];
    args.extend_from_slice(bundles);
    args.extend([
        "--framework",
        framework,
        "--key",
        &k.producer,
        "--trust",
        &k.trust,
        "--at",
        AT,
        "--out",
        &out_dir,
        "--format",
        "json",
    ]);
    let run = clyra(&args);
    let code = run.status.code();
    assert!(code == Some(0) || code == Some(1), "{run:?}");
    let summary: Value = serde_json::from_slice(&run.stdout).unwrap();
    let any_not_supported = summary["controls"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["status"] == "not_supported");
    assert_eq!(code == Some(1), any_not_supported, "{summary}");
    summary
}

fn statuses(summary: &Value) -> Vec<(String, String)> {
    summary["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn status_of(summary: &Value, id: &str) -> String {
    statuses(summary)
        .into_iter()
        .find(|(i, _)| i == id)
        .unwrap_or_else(|| panic!("no control {id}"))
        .1
}

fn verify(dir: &TempDir, k: &Keys, out: &str, bundles: &[&str]) -> (i32, Value) {
    let file = dir.path(&format!("{out}/attestation.dsse.json"));
    let mut args = vec!["attest", "verify", &file];
    args.extend_from_slice(bundles);
    args.extend(["--trust", &k.trust, "--at", AT, "--format", "json"]);
    let run = clyra(&args);
    (
        run.status.code().unwrap(),
        serde_json::from_slice(&run.stdout).unwrap_or(Value::Null),
    )
}

const FRAMEWORKS: [&str; 7] = [
    "sox",
    "pci",
    "hipaa",
    "eu-ai-act",
    "nist-rmf",
    "tcpa",
    "soc2",
];

#[test]
fn every_framework_supports_its_controls_over_a_passing_run_and_the_attestation_verifies() {
    let dir = TempDir::new();
    let k = keys(&dir);
    let good = def_bundle(&dir, &k, "good", 1, Fault::default());
    let voice = voice_bundle(&dir, &k);
    for f in FRAMEWORKS {
        let out = format!("att-{f}");
        let summary = attest(&dir, &k, f, &[&good, &voice], &out);
        for (id, status) in statuses(&summary) {
            let expected = match (f, id.as_str()) {
                // Two approvals are required by neither run.
                ("eu-ai-act", "Art. 14(5)") => "not_applicable",
                // The PEF run's retention is one year.
                ("hipaa", "164.316(b)(2)(i)") => "not_supported",
                _ => "supported",
            };
            assert_eq!(status, expected, "{f} {id}: {summary}");
        }
        let (code, verdict) = verify(&dir, &k, &out, &[&good, &voice]);
        assert_eq!(
            (code, &verdict["primary"]),
            (0, &json!("ok")),
            "{f}: {verdict}"
        );
        // Without the bundles: signature and schema only, a warning.
        let (code, verdict) = verify(&dir, &k, &out, &[]);
        assert_eq!(
            (code, &verdict["primary"]),
            (2, &json!("attest.not_recomputed"))
        );
        // The OSCAL view names every control.
        let oscal: Value = serde_json::from_slice(
            &std::fs::read(dir.path(&format!("{out}/oscal-assessment-results.json"))).unwrap(),
        )
        .unwrap();
        let findings = oscal["assessment-results"]["results"][0]["findings"]
            .as_array()
            .unwrap();
        assert_eq!(findings.len(), statuses(&summary).len());
        // The report people read: a PDF/A beside the signed files, the same bytes for the same
        // evidence and time (attested_at is the --at time, never the clock).
        let pdf = std::fs::read(dir.path(&format!("{out}/attestation.pdf"))).unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "{f}: not a PDF");
        let again = format!("{out}-again");
        attest(&dir, &k, f, &[&good, &voice], &again);
        assert_eq!(
            pdf,
            std::fs::read(dir.path(&format!("{again}/attestation.pdf"))).unwrap(),
            "{f}: the attestation PDF is not deterministic"
        );
    }
}

#[test]
fn failing_fixtures_fail_the_controls_that_need_their_evidence() {
    let dir = TempDir::new();
    let k = keys(&dir);
    let no_approval = def_bundle(
        &dir,
        &k,
        "noapproval",
        2,
        Fault {
            no_approval: true,
            ..Fault::default()
        },
    );
    // The producer refuses to seal a self-approval: the golden vector's bundle is one (approval
    // given by change.actor), with its trust file and producer key.
    let vector = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../vectors/0083-approval-self-approval"
    );
    let vk = Keys {
        producer: concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../vectors/keys/producer-ed25519-1.key"
        )
        .to_owned(),
        trust: format!("{vector}/trust.json"),
        approver: String::new(),
        approver_pub: String::new(),
        stranger: String::new(),
    };
    let self_approved = format!("{vector}/bundle.zip");
    let failed = def_bundle(
        &dir,
        &k,
        "failed",
        4,
        Fault {
            failed_tests: true,
            ..Fault::default()
        },
    );
    let untrusted = def_bundle(
        &dir,
        &k,
        "untrusted",
        5,
        Fault {
            untrusted: true,
            ..Fault::default()
        },
    );

    // Missing approval: the approval controls fail, the others still hold.
    let s = attest(&dir, &k, "sox", &[&no_approval], "a1");
    assert_eq!(status_of(&s, "Program changes"), "not_supported");
    assert_eq!(status_of(&s, "COSO P10"), "not_supported");
    assert_eq!(status_of(&s, "COSO P12"), "supported");
    let s = attest(&dir, &k, "soc2", &[&no_approval], "a2");
    assert_eq!(status_of(&s, "CC8.1"), "not_supported");
    assert_eq!(status_of(&s, "CC7.2"), "supported");
    let s = attest(&dir, &k, "nist-rmf", &[&no_approval], "a3");
    assert_eq!(status_of(&s, "MAP 3.5"), "not_supported");
    let s = attest(&dir, &k, "eu-ai-act", &[&no_approval], "a4");
    assert_eq!(status_of(&s, "Art. 14(1)"), "not_supported");
    let s = attest(&dir, &k, "pci", &[&no_approval], "a5");
    assert_eq!(status_of(&s, "6.5.1"), "not_supported");
    assert_eq!(status_of(&s, "6.5.4"), "not_supported");
    let s = attest(&dir, &k, "hipaa", &[&no_approval], "a6");
    assert_eq!(status_of(&s, "164.312(c)(1)"), "not_supported");

    // Failed tests: the change-management controls fail (no policy exception carries them).
    let s = attest(&dir, &k, "sox", &[&failed], "b1");
    assert_eq!(status_of(&s, "Program changes"), "not_supported");
    assert_eq!(status_of(&s, "Program development"), "not_supported");
    assert_eq!(status_of(&s, "COSO P10"), "supported");
    let s = attest(&dir, &k, "pci", &[&failed], "b2");
    assert_eq!(status_of(&s, "6.5.1"), "not_supported");

    // Approver = author and an untrusted producer key: the bundle is a finding and fails every
    // control in scope, for every framework (TCPA's scope excludes a dbt run).
    for (bundle, primary, keys) in [
        (&self_approved, "approval.self_approval", &vk),
        (&untrusted, "trust.untrusted_key", &k),
    ] {
        for f in FRAMEWORKS {
            let out = format!("c-{f}-{}", primary.replace('.', "-"));
            let s = attest(&dir, keys, f, &[bundle], &out);
            for (id, status) in statuses(&s) {
                let expected = match (f, id.as_str()) {
                    ("tcpa", _) | ("eu-ai-act", "Art. 14(5)") => "not_applicable",
                    _ => "not_supported",
                };
                assert_eq!(status, expected, "{f} {id} {primary}");
            }
            let payload = payload(&dir, &out);
            assert_eq!(
                payload["predicate"]["findings"][0]["kind"],
                "invalid_bundle"
            );
            assert_eq!(payload["predicate"]["findings"][0]["primary"], primary);
        }
    }
}

/// The Statement inside `out/attestation.dsse.json`.
fn payload(dir: &TempDir, out: &str) -> Value {
    let bytes = std::fs::read(dir.path(&format!("{out}/attestation.dsse.json"))).unwrap();
    let env = clyra_core::dsse::Envelope::decode(&bytes, &clyra_core::Limits::default()).unwrap();
    serde_json::from_slice(&env.payload).unwrap()
}

#[test]
fn a_gap_in_the_ledger_fails_every_control() {
    let dir = TempDir::new();
    let k = keys(&dir);
    let one = def_bundle(&dir, &k, "one", 6, Fault::default());
    let two = def_bundle(&dir, &k, "two", 7, Fault::default());
    let (_, ledger_key, _) = keygen(&dir, "ledgerkey");
    let ledger = dir.path("ledger");
    let out = clyra(&["ledger", "init", &ledger, "--key", &ledger_key]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    for bundle in [&one, &two] {
        let out = clyra(&[
            "ledger",
            "append",
            bundle,
            "--ledger",
            &ledger,
            "--key",
            &ledger_key,
            "--logged-at",
            AT,
        ]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        if bundle == &one {
            std::fs::copy(format!("{ledger}/checkpoint"), dir.path("checkpoint-1")).unwrap();
        }
    }
    let window_since = |out: &str, since: Option<&str>| {
        let out_dir = dir.path(out);
        let mut args = vec![
            "attest",
            "--ledger",
            &ledger,
            "--from",
            "2026-11-20",
            "--until",
            "2026-11-21",
            "--framework",
            "sox",
            "--key",
            &k.producer,
            "--trust",
            &k.trust,
            "--at",
            AT,
            "--out",
            &out_dir,
            "--format",
            "json",
        ];
        if let Some(since) = since {
            args.extend(["--since", since]);
        }
        let run = clyra(&args);
        (
            run.status.code(),
            serde_json::from_slice::<Value>(&run.stdout).unwrap_or(Value::Null),
        )
    };
    let window = |out: &str| window_since(out, None);
    // A period that ends before it starts is a usage error, before anything is read.
    let reversed = clyra(&[
        "attest",
        "--ledger",
        &ledger,
        "--from",
        "2026-11-21",
        "--until",
        "2026-11-20",
        "--framework",
        "sox",
        "--key",
        &k.producer,
        "--trust",
        &k.trust,
        "--out",
        &dir.path("reversed"),
        "--format",
        "json",
    ]);
    assert_eq!(reversed.status.code(), Some(4));
    assert!(
        text(&reversed.stdout).contains("attest.period"),
        "{reversed:?}"
    );
    let (code, s) = window("complete");
    assert_eq!(code, Some(0), "{s}");
    assert_eq!(s["bundles"], 2);
    assert!(statuses(&s).iter().all(|(_, st)| st == "supported"), "{s}");
    let p = payload(&dir, "complete");
    assert_eq!(p["predicate"]["completeness"]["entries"], 2);
    assert_eq!(p["predicate"]["completeness"]["accounted"], 2);
    // Since the checkpoint after the first run: the ledger extends it, and the attestation says so.
    let first = dir.path("checkpoint-1");
    let (code, s) = window_since("since", Some(&first));
    assert_eq!(code, Some(0), "{s}");
    let p = payload(&dir, "since");
    assert_eq!(p["predicate"]["completeness"]["since"]["size"], 1);
    // A checkpoint the ledger does not extend (its root line altered; its signature fails too).
    let text = std::fs::read_to_string(&first).unwrap();
    let line = text.lines().nth(2).unwrap().to_owned();
    let other = if line.starts_with('A') { "B" } else { "A" };
    let forged = text.replacen(&line, &format!("{other}{}", &line[1..]), 1);
    let forged_path = dir.write("checkpoint-forged", forged.as_bytes());
    let (code, s) = window_since("forged", Some(&forged_path));
    assert_eq!(code, Some(4), "{s}");
    assert!(s.to_string().contains("ledger."), "{s}");
    // A record altered inside the ledger: it no longer hashes to the signed checkpoint.
    // (the entry bundle of the partial first tile of two records, ledger-v0.md §4).
    let entries = format!("{ledger}/tile/entries/000.p/2");
    let original = std::fs::read(&entries).unwrap();
    // Still a valid record (only its `logged_at` differs): only the tiles' hashes show it.
    let needle = b"\"logged_at\":\"2026-11-21T09";
    let at = original
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    let mut altered = original.clone();
    altered[at + needle.len() - 1] = b'8';
    assert_ne!(altered, original);
    std::fs::write(&entries, &altered).unwrap();
    let (code, v) = window("altered");
    assert_eq!(code, Some(4), "{v}");
    assert!(v.to_string().contains("ledger.tile_mismatch"), "{v}");
    std::fs::write(&entries, &original).unwrap();
    // Remove one stored bundle: a gap, and no control is supported.
    let stored = std::fs::read_dir(format!("{ledger}/bundles"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    std::fs::remove_file(stored.path()).unwrap();
    let (code, s) = window("gap");
    assert_eq!(code, Some(1), "{s}");
    assert!(
        statuses(&s).iter().all(|(_, st)| st == "not_supported"),
        "{s}"
    );
    let p = payload(&dir, "gap");
    assert_eq!(
        p["predicate"]["completeness"]["gaps"][0]["reason"],
        "missing"
    );
    assert_eq!(p["predicate"]["findings"][0]["kind"], "gap");
}

#[test]
fn altered_attestations_are_caught_and_outputs_are_never_replaced_without_force() {
    let dir = TempDir::new();
    let k = keys(&dir);
    let good = def_bundle(&dir, &k, "good", 8, Fault::default());
    let other = def_bundle(&dir, &k, "other", 9, Fault::default());
    attest(&dir, &k, "sox", &[&good], "x");
    // A second run into the same folder is refused.
    let again = clyra(&[
        "attest",
        &good,
        "--framework",
        "sox",
        "--key",
        &k.producer,
        "--trust",
        &k.trust,
        "--at",
        AT,
        "--out",
        &dir.path("x"),
    ]);
    assert_eq!(again.status.code(), Some(4));
    assert!(text(&again.stderr).contains("--force"), "{again:?}");
    // Subjects: another bundle, or a missing one.
    let (code, v) = verify(&dir, &k, "x", &[&other]);
    assert_eq!(
        (code, v["primary"].as_str()),
        (1, Some("attest.subject_mismatch"))
    );
    // A status changed and re-signed by a key the trust file does not hold.
    let mut p = payload(&dir, "x");
    p["predicate"]["controls"][0]["status"] = json!("not_supported");
    resign(&dir, &p, &k.stranger, "y");
    let (code, v) = verify(&dir, &k, "y", &[&good]);
    assert_eq!((code, v["primary"].as_str()), (2, Some("attest.untrusted")));
    // The same change re-signed by the trusted key: the recomputation catches it.
    resign(&dir, &p, &k.producer, "z");
    let (code, v) = verify(&dir, &k, "z", &[&good]);
    assert_eq!(
        (code, v["primary"].as_str()),
        (1, Some("attest.status_mismatch"))
    );
    // A framework that is not one.
    let bad = clyra(&[
        "attest",
        &good,
        "--framework",
        "iso",
        "--key",
        &k.producer,
        "--trust",
        &k.trust,
        "--out",
        &dir.path("w"),
        "--format",
        "json",
    ]);
    assert_eq!(bad.status.code(), Some(4));
    assert!(text(&bad.stdout).contains("attest.framework"));
    // A signing key outside the trust file.
    let bad = clyra(&[
        "attest",
        &good,
        "--framework",
        "sox",
        "--key",
        &k.stranger,
        "--trust",
        &k.trust,
        "--out",
        &dir.path("w"),
        "--format",
        "json",
    ]);
    assert_eq!(bad.status.code(), Some(4));
    assert!(text(&bad.stdout).contains("attest.key_not_trusted"));
}

/// Signs `statement` (canonical JSON) with `key` into `out/attestation.dsse.json`.
fn resign(dir: &TempDir, statement: &Value, key: &str, out: &str) {
    use clyra_core::crypto::SigningKey;
    let bytes = clyra_core::jcs::canonicalize(
        statement.to_string().as_bytes(),
        &clyra_core::Limits::default(),
    )
    .unwrap();
    let key = SigningKey::from_pkcs8_pem(&std::fs::read_to_string(key).unwrap()).unwrap();
    let env = clyra_core::dsse::sign("application/vnd.in-toto+json", &bytes, &key);
    std::fs::create_dir_all(dir.path(out)).unwrap();
    std::fs::write(
        dir.path(&format!("{out}/attestation.dsse.json")),
        env.encode(),
    )
    .unwrap();
}

#[test]
fn the_demo_ends_with_a_sox_attestation_of_its_two_runs_that_verifies() {
    let dir = TempDir::new();
    let out = clyra(&["demo", "--out", &dir.path("demo")]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let shown = text(&out.stdout);
    let last = shown.rsplit("\n\n").next().unwrap();
    assert!(
        last.starts_with("4. clyra attest --framework sox over the two runs"),
        "{last}"
    );
    assert!(
        last.contains("COSO P10") && last.ends_with("VALID (ok), exit 0\n"),
        "{last}"
    );
    let d = |f: &str| dir.path(&format!("demo/{f}"));
    let run = clyra(&[
        "attest",
        "verify",
        &d("attestation.dsse.json"),
        &d("def.zip"),
        &d("pef.zip"),
        "--trust",
        &d("trust.json"),
        "--policy",
        &d("def-policy.json"),
        "--policy",
        &d("pef-policy.json"),
        "--at",
        "2026-12-01T00:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let oscal: Value =
        serde_json::from_slice(&std::fs::read(d("oscal-assessment-results.json")).unwrap())
            .unwrap();
    assert_eq!(
        oscal["assessment-results"]["metadata"]["oscal-version"],
        "1.1.3"
    );
}

#[test]
fn the_attesting_key_is_a_key_uri() {
    let dir = TempDir::new();
    let k = keys(&dir);
    let good = def_bundle(&dir, &k, "good", 1, Fault::default());
    let by_path = attest(&dir, &k, "sox", &[&good], "by-path");
    // `file:` names the same key: Ed25519 is deterministic, so the envelope is the same bytes.
    let uri = format!("file:{}", k.producer);
    let k_uri = Keys {
        producer: uri,
        ..k.clone()
    };
    let by_uri = attest(&dir, &k_uri, "sox", &[&good], "by-uri");
    assert_eq!(by_path["controls"], by_uri["controls"]);
    assert_eq!(
        std::fs::read(dir.path("by-path/attestation.dsse.json")).unwrap(),
        std::fs::read(dir.path("by-uri/attestation.dsse.json")).unwrap()
    );
    // A signer command that cannot run: exit 4 with a `signer.*` code, nothing written.
    let out = dir.path("refused");
    let run = clyra(&[
        "attest",
        &good,
        "--framework",
        "sox",
        "--key",
        "cmd:/nonexistent/clyra-signer",
        "--trust",
        &k.trust,
        "--at",
        AT,
        "--out",
        &out,
    ]);
    assert_eq!(run.status.code(), Some(4), "{run:?}");
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("signer."),
        "{run:?}"
    );
    assert!(!std::path::Path::new(&out)
        .join("attestation.dsse.json")
        .exists());
}
