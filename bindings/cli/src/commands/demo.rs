//! `clyra demo`: the primitives end to end, on a small example a newcomer can read.
//!
//! It makes a fresh Ed25519 key, writes a three-event journal of a dbt schema change, hashes it
//! into a Merkle tree, describes it in a small manifest, signs an in-toto Statement over that
//! manifest as a DSSE envelope, then verifies everything back from the encoded bytes and shows
//! that a one-byte change is caught. Every step is a `clyra_core` call.

use std::path::PathBuf;

use clap::Args;
use clyra_core::crypto::{PublicKey, Scheme, SigningKey};
use clyra_core::digest::Sha256Digest;
use clyra_core::dsse::{self, Envelope, Statement, Subject, IN_TOTO_PAYLOAD_TYPE};
use clyra_core::jcs::{self, Map, Value};
use clyra_core::merkle::TreeBuilder;
use clyra_core::{Coded, Limits};
use serde_json::json;

use crate::exit::Exit;
use crate::output::{Format, Problem, CODE_IO};
use crate::{atomic, Context};

const CREATED_AT: &str = "2026-11-21T09:00:00Z";
const PREDICATE_TYPE: &str = "https://clyra.dev/def/v0";

/// Arguments of `clyra demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Also write the demo's files (journal, manifest, envelope, public key) into this folder
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// One verification check: what was checked, in plain words, and its result code.
struct Check {
    sentence: String,
    code: &'static str,
}

/// Everything the demo produced.
struct Evidence {
    journal: Vec<Vec<u8>>,
    manifest: Vec<u8>,
    envelope: Vec<u8>,
    public_pem: String,
    keyid: String,
}

/// Runs `clyra demo`.
pub fn run(args: &DemoArgs, cx: &mut Context<'_>) -> Exit {
    let mut seed = [0u8; 32];
    if let Err(err) = getrandom::getrandom(&mut seed) {
        return cx.fail(&Problem::new(
            CODE_IO,
            format!("no randomness from the system: {err}"),
        ));
    }
    let key = match SigningKey::generate(Scheme::Ed25519, seed) {
        Ok(key) => key,
        Err(err) => return cx.fail(&Problem::new(err.code(), err.to_string())),
    };
    seed.fill(0);
    let evidence = produce(&key);
    if let Some(dir) = &args.out {
        if let Err(problem) = save(dir, &evidence) {
            return cx.fail(&problem);
        }
    }
    let limits = Limits::default();
    let genuine = verify(&evidence.envelope, &evidence, &limits);
    // Change one byte of the signed payload and verify again.
    let mut tampered = evidence.envelope.clone();
    if let Ok(mut env) = Envelope::decode(&tampered, &limits) {
        if let Some(byte) = env.payload.iter_mut().rev().find(|b| b.is_ascii_digit()) {
            *byte = if *byte == b'9' { b'0' } else { *byte + 1 };
        }
        tampered = env.encode();
    }
    let forged = verify(&tampered, &evidence, &limits);
    let (outcome, primary) = verdict(&genuine);
    let (tampered_outcome, tampered_primary) = verdict(&forged);
    // The demo succeeds when the genuine evidence verifies and the tampered copy does not.
    let exit = if outcome == "VALID" && tampered_outcome == "INVALID" {
        Exit::Ok
    } else {
        Exit::Invalid
    };
    let report = match cx.format {
        Format::Json => format!(
            "{}\n",
            json!({
                "keyid": evidence.keyid,
                "scheme": "ed25519",
                "outcome": outcome,
                "primary": primary,
                "checks": genuine.iter().map(|c| json!({"check": c.sentence, "code": c.code})).collect::<Vec<_>>(),
                "tampered": {"outcome": tampered_outcome, "primary": tampered_primary},
            })
        ),
        Format::Human => human_report(&evidence, &genuine, &forged),
    };
    cx.print(&report, exit)
}

/// Builds the journal, the manifest and the signed statement.
fn produce(key: &SigningKey) -> Evidence {
    let events = [
        (
            "run.started",
            json_obj(&[("tool", "dbt"), ("command", "dbt build --select orders")]),
        ),
        (
            "asset.changed",
            json_obj(&[
                ("asset", "analytics.orders"),
                ("change", "schema"),
                ("column_added", "discount_cents"),
            ]),
        ),
        (
            "run.finished",
            json_obj(&[("status", "success"), ("tests", "12 passed")]),
        ),
    ];
    let mut journal = Vec::new();
    let mut prev = format!("sha256:{}", "0".repeat(64));
    let mut tree = TreeBuilder::new();
    for (seq, (kind, data)) in (0u32..).zip(events) {
        let mut line = Map::new();
        line.insert("seq", Value::from(seq));
        line.insert("prev", Value::from(prev.as_str()));
        line.insert("kind", Value::from(kind));
        line.insert("data", data);
        let bytes = jcs::to_vec(&Value::from(line));
        prev = Sha256Digest::of(&bytes).to_prefixed();
        tree.push_leaf(&bytes);
        journal.push(bytes);
    }
    let merkle_root = Sha256Digest::from_bytes(tree.root()).to_prefixed();
    let mut manifest = Map::new();
    manifest.insert("format", Value::from("def/v0"));
    manifest.insert("bundle_id", Value::from("demo-orders-schema-change"));
    manifest.insert("created_at", Value::from(CREATED_AT));
    manifest.insert(
        "change",
        json_obj(&[
            ("subject", "analytics.orders"),
            ("kind", "schema"),
            ("actor", "dana@example.com"),
        ]),
    );
    manifest.insert(
        "journal",
        json_obj(&[("head", prev.as_str()), ("count", "3")]),
    );
    manifest.insert(
        "merkle",
        json_obj(&[("root", merkle_root.as_str()), ("size", "3")]),
    );
    let manifest = jcs::to_vec(&Value::from(manifest));
    let mut predicate = Map::new();
    predicate.insert("bundle_id", Value::from("demo-orders-schema-change"));
    predicate.insert("merkle_root", Value::from(merkle_root.as_str()));
    predicate.insert("journal_head", Value::from(prev.as_str()));
    predicate.insert("signed_at", Value::from(CREATED_AT));
    predicate.insert("role", Value::from("producer"));
    predicate.insert("scheme", Value::from(key.scheme().as_str()));
    let statement = Statement {
        subject: vec![Subject {
            name: "manifest.json".to_owned(),
            sha256: Sha256Digest::of(&manifest),
        }],
        predicate_type: PREDICATE_TYPE.to_owned(),
        predicate: Value::from(predicate),
    };
    let envelope = dsse::sign(IN_TOTO_PAYLOAD_TYPE, &statement.to_canonical_bytes(), key).encode();
    Evidence {
        journal,
        manifest,
        envelope,
        public_pem: key.public_key().to_pem(),
        keyid: key.public_key().keyid().to_owned(),
    }
}

fn json_obj(fields: &[(&str, &str)]) -> Value {
    Value::from(
        fields
            .iter()
            .map(|(k, v)| (*k, Value::from(*v)))
            .collect::<Map>(),
    )
}

/// Verifies `envelope_bytes` against the demo's journal and manifest, check by check.
///
/// Stops at the first failure: later checks would only repeat it.
fn verify(envelope_bytes: &[u8], evidence: &Evidence, limits: &Limits) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut check = |sentence: String, result: Result<(), &'static str>| {
        let failed = result.is_err();
        checks.push(Check {
            sentence,
            code: result.err().unwrap_or("ok"),
        });
        !failed
    };
    let key = match PublicKey::from_pem(evidence.public_pem.as_bytes(), limits) {
        Ok(key) => key,
        Err(err) => {
            check(
                "the public key is a strict SPKI PEM".into(),
                Err(err.code()),
            );
            return checks;
        }
    };
    let envelope = match Envelope::decode(envelope_bytes, limits) {
        Ok(env) => env,
        Err(err) => {
            check(
                "the envelope is strict JSON with standard base64".into(),
                Err(err.code()),
            );
            return checks;
        }
    };
    check(
        "the envelope is strict JSON with standard base64".into(),
        Ok(()),
    );
    let payload = match dsse::verify(&envelope, &key, Scheme::Ed25519, limits) {
        Ok(payload) => payload,
        Err(err) => {
            check(
                format!("the signature verifies with key {}", key.keyid()),
                Err(err.code()),
            );
            return checks;
        }
    };
    check(
        format!(
            "the signature verifies with key {}, over canonical JSON",
            key.keyid()
        ),
        Ok(()),
    );
    let statement = match Statement::parse(payload, limits) {
        Ok(statement) => statement,
        Err(err) => {
            check(
                "the payload is an in-toto Statement v1".into(),
                Err(err.code()),
            );
            return checks;
        }
    };
    let manifest_digest = Sha256Digest::of(&evidence.manifest);
    let binds = statement
        .subject
        .iter()
        .any(|s| s.name == "manifest.json" && s.sha256 == manifest_digest);
    if !check(
        format!("the statement names manifest.json with digest {manifest_digest}"),
        if binds {
            Ok(())
        } else {
            Err("demo.subject_mismatch")
        },
    ) {
        return checks;
    }
    let mut tree = TreeBuilder::new();
    let mut prev = format!("sha256:{}", "0".repeat(64));
    let mut chained = true;
    for line in &evidence.journal {
        chained &= jcs::parse(line, limits)
            .ok()
            .and_then(|v| v.get("prev").and_then(Value::as_str).map(|p| p == prev))
            .unwrap_or(false);
        prev = Sha256Digest::of(line).to_prefixed();
        tree.push_leaf(line);
    }
    if !check(
        format!(
            "each of the {} journal events links to the one before it",
            evidence.journal.len()
        ),
        if chained {
            Ok(())
        } else {
            Err("demo.journal_chain")
        },
    ) {
        return checks;
    }
    let root = Sha256Digest::from_bytes(tree.root()).to_prefixed();
    let signed_root = statement
        .predicate
        .get("merkle_root")
        .and_then(Value::as_str);
    check(
        format!("the Merkle root recomputed from the journal ({root}) is the signed one"),
        if signed_root == Some(root.as_str()) {
            Ok(())
        } else {
            Err("demo.merkle_root_mismatch")
        },
    );
    checks
}

fn verdict(checks: &[Check]) -> (&'static str, &'static str) {
    match checks.iter().find(|c| c.code != "ok") {
        Some(failed) => ("INVALID", failed.code),
        None => ("VALID", "ok"),
    }
}

fn human_report(evidence: &Evidence, genuine: &[Check], forged: &[Check]) -> String {
    let mut out = String::new();
    out.push_str("Clyra demo: sign a change's evidence and verify it offline\n\n");
    out.push_str(&format!(
        "  key       a new Ed25519 key, {}\n",
        evidence.keyid
    ));
    out.push_str(&format!(
        "  journal   {} events of a dbt schema change to analytics.orders\n",
        evidence.journal.len()
    ));
    out.push_str(&format!(
        "  manifest  {} bytes of canonical JSON, {}\n",
        evidence.manifest.len(),
        Sha256Digest::of(&evidence.manifest)
    ));
    out.push_str(&format!(
        "  envelope  DSSE over an in-toto Statement, {} bytes\n\n",
        evidence.envelope.len()
    ));
    out.push_str("Verification of the envelope as written\n");
    push_checks(&mut out, genuine);
    out.push_str("\nVerification of a copy with one digit of the payload changed\n");
    push_checks(&mut out, forged);
    out
}

fn push_checks(out: &mut String, checks: &[Check]) {
    for c in checks {
        match c.code {
            "ok" => out.push_str(&format!("  ok    {}\n", c.sentence)),
            code => out.push_str(&format!("  FAIL  {} [{code}]\n", c.sentence)),
        }
    }
    let (outcome, primary) = verdict(checks);
    out.push_str(&format!("Verdict: {outcome} ({primary})\n"));
}

/// Writes the demo's files into `dir`, atomically, replacing earlier demo files.
fn save(dir: &std::path::Path, evidence: &Evidence) -> Result<(), Problem> {
    let io = |path: &std::path::Path, err: std::io::Error| {
        Problem::new(
            CODE_IO,
            format!(
                "cannot write `{}`: {}",
                path.display(),
                err.to_string().to_lowercase()
            ),
        )
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let journal: Vec<u8> = evidence
        .journal
        .iter()
        .flat_map(|l| l.iter().copied().chain([b'\n']))
        .collect();
    for (name, bytes) in [
        ("journal.ndjson", journal.as_slice()),
        ("manifest.json", evidence.manifest.as_slice()),
        ("statement.dsse.json", evidence.envelope.as_slice()),
        ("clyra.pub", evidence.public_pem.as_bytes()),
    ] {
        let path = dir.join(name);
        atomic::write(&path, bytes, 0o644, true).map_err(|e| io(&path, e))?;
    }
    Ok(())
}
