//! `clyra demo`: the whole story in one command, with nothing to set up.
//!
//! A dbt run changes a production schema (a DEF bundle with two approvals and a Snowflake anchor)
//! and an AI agent calls a tool through MCP (a PEF bundle with one approval). Both are built,
//! signed and verified offline with the same core functions every host uses; then one changed
//! byte shows what tampering looks like. Keys are fresh from the operating system's randomness.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use clap::Args;
use clyra_core::approval::{approval_payload, sign_approval, ApprovalRequest};
use clyra_core::attest;
use clyra_core::audit::{audit, AuditReport};
use clyra_core::build::{build_bundle, ApprovalFile, Artifact, BuildInputs, BundleSpec};
use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::digest::{to_hex, Sha256Digest};
use clyra_core::format::Schemas;
use clyra_core::jcs::{self, Map, Value};
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verdict::Severity;
use clyra_core::verify::{verify_bundle_with_evidence, Verdict, VerifyInputs};
use clyra_core::{Coded, Limits};

use crate::exit::Exit;
use crate::output::{write_problem, Format, Problem, CODE_IO};
use crate::{atomic, Context};

const DEF_SPEC: &str = include_str!("demo_data/def-spec.json");
const PEF_SPEC: &str = include_str!("demo_data/pef-spec.json");
const DEF_POLICY: &str = include_str!("demo_data/def-policy.json");
const PEF_POLICY: &str = include_str!("demo_data/pef-policy.json");
const RUN_RESULTS: &[u8] =
    b"{\"results\":[{\"unique_id\":\"model.shop.orders\",\"status\":\"success\"}]}\n";
const DBT_MANIFEST: &[u8] = b"{\"metadata\":{\"dbt_version\":\"1.11.2\"},\"nodes\":{}}\n";
const ORDERS_SQL: &[u8] = b"select order_id, amount_cents, discount_code from raw.orders\n";

/// Arguments of `clyra demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Also write the two bundles, their trust file and policies into this folder
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Replace files already in --out (without it an existing file is refused, nothing written)
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// One demonstrated change: its bundle, what to verify it with, and the verdict.
struct Story {
    /// The change's `created_at`.
    facts_created_at: Option<String>,
    audit: AuditReport,
    title: &'static str,
    facts: Vec<String>,
    bundle: Vec<u8>,
    policy: &'static str,
    verdict: Verdict,
}

/// Runs `clyra demo`.
pub fn run(args: &DemoArgs, cx: &mut Context<'_>) -> Exit {
    match demo(args) {
        Ok((stories, tampered, trust, attestation)) => {
            let valid =
                stories.iter().all(|s| s.verdict.exit == 0) && attestation.verdict.exit == 0;
            let caught = tampered.outcome.as_str() == "INVALID";
            let exit = if valid && caught {
                Exit::Ok
            } else {
                Exit::Invalid
            };
            let report = match cx.format {
                Format::Human => human(&stories, &tampered, &attestation),
                Format::Json => json(&stories, &tampered, &trust, &attestation),
            };
            cx.print(&report, exit)
        }
        Err(problem) => cx.fail(&problem),
    }
}

type Outcome = (Vec<Story>, Verdict, Vec<u8>, DemoAttestation);

/// The demo's last step: `clyra attest --framework sox` over its two runs.
struct DemoAttestation {
    /// The signed envelope file.
    envelope: Vec<u8>,
    /// The OSCAL assessment-results view.
    oscal: Vec<u8>,
    /// (control id, status), in catalogue order.
    statuses: Vec<(&'static str, &'static str)>,
    /// `attest verify` of the envelope against the two bundles.
    verdict: attest::AttestVerdict,
}

fn demo(args: &DemoArgs) -> Result<Outcome, Problem> {
    let limits = Limits::default();
    let schemas = Schemas::new().map_err(|e| Problem::new("cli.io", e.to_string()))?;
    let producer = fresh_key(Scheme::Ed25519)?;
    let approvers = [
        fresh_key(Scheme::EcdsaP256Sha256)?,
        fresh_key(Scheme::Ed25519)?,
    ];
    let trust_bytes = trust_file(&producer, &approvers);
    let trust =
        Trust::parse(&trust_bytes, &limits).map_err(|e| Problem::new(e.code(), e.to_string()))?;

    let def = seal(
        DEF_SPEC,
        DEF_POLICY,
        vec![
            Artifact::new("compiled/orders.sql", Cursor::new(ORDERS_SQL)),
            Artifact::new("dbt/manifest.json", Cursor::new(DBT_MANIFEST)),
            Artifact::new("dbt/run_results.json", Cursor::new(RUN_RESULTS)),
        ],
        &[
            (&approvers[0], "lee.ortiz@acme.example"),
            (&approvers[1], "sam.kim@acme.example"),
        ],
        &producer,
        &schemas,
        &limits,
    )?;
    let pef = seal(
        PEF_SPEC,
        PEF_POLICY,
        Vec::new(),
        &[(&approvers[0], "lee.ortiz@acme.example")],
        &producer,
        &schemas,
        &limits,
    )?;

    let mut stories = Vec::new();
    for (title, (spec, bundle), policy) in [
        (
            "A dbt run changes a production schema (DEF bundle)",
            def,
            DEF_POLICY,
        ),
        (
            "An AI agent calls a tool through MCP (PEF bundle)",
            pef,
            PEF_POLICY,
        ),
    ] {
        let (verdict, audit) = check(&bundle, &trust, &spec, Some(policy), &schemas, &limits)?;
        stories.push(Story {
            facts_created_at: spec
                .get("created_at")
                .and_then(Value::as_str)
                .map(str::to_owned),
            audit,
            title,
            facts: facts(&spec, &bundle),
            bundle,
            policy,
            verdict,
        });
    }
    // One changed byte inside the DEF bundle's manifest data.
    let mut tampered = stories
        .first()
        .map(|s| s.bundle.clone())
        .unwrap_or_default();
    if let Some(byte) = tampered.get_mut(30 + "manifest.json".len() + 5) {
        *byte ^= 0x01;
    }
    let tampered_verdict = {
        let spec = spec_value(DEF_SPEC, DEF_POLICY)?;
        check(
            &tampered,
            &trust,
            &spec,
            Some(DEF_POLICY),
            &schemas,
            &limits,
        )?
        .0
    };
    let attestation = attest_sox(&stories, &trust, &trust_bytes, &producer, &schemas, &limits)?;
    if let Some(dir) = &args.out {
        save(dir, &stories, &trust_bytes, &attestation, args.force)?;
    }
    Ok((stories, tampered_verdict, trust_bytes, attestation))
}

/// The SOX attestation of the two runs, signed with the producer key (a producer of the demo's
/// trust file) and verified at once against both bundles (spec/attestation-v0.md).
fn attest_sox(
    stories: &[Story],
    trust: &Trust,
    trust_bytes: &[u8],
    producer: &SigningKey,
    schemas: &Schemas,
    limits: &Limits,
) -> Result<DemoAttestation, Problem> {
    // One verification time for both: one day after the later change.
    let at_text = stories
        .iter()
        .filter_map(|s| s.facts_created_at.as_deref())
        .max()
        .map(|t| earlier(t, -24 * 3600))
        .unwrap_or_default();
    let at = Timestamp::parse(&at_text).map_err(|_| Problem::new("cli.usage", "bad demo time"))?;
    let mut policy_digests = Vec::new();
    let facts: Vec<attest::BundleFacts> = stories
        .iter()
        .zip(["def.zip", "pef.zip"])
        .map(|(story, name)| {
            let inputs = VerifyInputs {
                trust,
                at: &at,
                policy: Some(story.policy.as_bytes()),
                schemas,
                limits,
                witnessed: None,
            };
            if let Ok(d) = clyra_core::verify::policy_digest(story.policy.as_bytes(), limits) {
                policy_digests.push(d);
            }
            let (verdict, evidence) = verify_bundle_with_evidence(
                Cursor::new(&story.bundle),
                story.bundle.len() as u64,
                &inputs,
            );
            attest::BundleFacts::of(
                name,
                Sha256Digest::of(&story.bundle),
                &verdict,
                evidence.manifest.as_ref(),
                &evidence.approvals,
            )
        })
        .collect();
    let inputs = attest::Inputs {
        framework: attest::Framework::Sox,
        attested_at: at_text.clone(),
        verified_at: at_text,
        period: None,
        trust_digest: Sha256Digest::of(trust_bytes),
        policy_digests,
        completeness: attest::Completeness::Bundles,
    };
    let statement = attest::statement(&facts, attest::predicate(&inputs, &facts));
    let mut envelope = attest::sign(&statement, producer).encode();
    envelope.push(b'\n');
    let mut oscal = attest::oscal::assessment_results(&statement);
    oscal.push(b'\n');
    let (mut checks, opened) = attest::open(&envelope, trust, &at, limits);
    if let Some(opened) = &opened {
        checks.extend(attest::recompute(opened, Some(&facts)));
    }
    let statuses = attest::evaluate(attest::Framework::Sox, &facts, 0)
        .iter()
        .map(|c| (c.def.id, c.status.as_str()))
        .collect();
    Ok(DemoAttestation {
        envelope,
        oscal,
        statuses,
        verdict: attest::AttestVerdict::of(checks),
    })
}

/// A signing key from 32 bytes of operating-system randomness.
fn fresh_key(scheme: Scheme) -> Result<SigningKey, Problem> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed)
        .map_err(|e| Problem::new(CODE_IO, format!("no randomness from the system: {e}")))?;
    let key = SigningKey::generate(scheme, seed).map_err(|e| Problem::new(e.code(), e.to_string()));
    seed.fill(0);
    key
}

/// The verifier's trust: the producer key, and two approver keys.
fn trust_file(producer: &SigningKey, approvers: &[SigningKey]) -> Vec<u8> {
    let entry = |key: &SigningKey, role: &str| {
        let mut m = Map::new();
        m.insert("keyid", Value::from(key.public_key().keyid()));
        m.insert("scheme", Value::from(key.scheme().as_str()));
        m.insert("public_key_pem", Value::from(key.public_key().to_pem()));
        m.insert("roles", Value::from(vec![Value::from(role)]));
        Value::from(m)
    };
    let mut keys = vec![entry(producer, "producer")];
    keys.extend(approvers.iter().map(|k| entry(k, "approver")));
    let mut thresholds = Map::new();
    thresholds.insert("producer", Value::from(1u32));
    let mut doc = Map::new();
    doc.insert("version", Value::from(0u32));
    doc.insert("keys", Value::from(keys));
    doc.insert("thresholds", Value::from(thresholds));
    jcs::to_vec(&Value::from(doc))
}

/// The bundle spec with `policy.hash` set to the real digest of the policy document.
fn spec_value(spec: &str, policy: &str) -> Result<Value, Problem> {
    let limits = Limits::default();
    let bad = |e: jcs::JcsError| Problem::new(e.code(), e.to_string());
    let policy_hash =
        Sha256Digest::of(&jcs::canonicalize(policy.as_bytes(), &limits).map_err(bad)?)
            .to_prefixed();
    let Value::Object(mut map) = jcs::parse(spec.as_bytes(), &limits).map_err(bad)? else {
        return Err(Problem::new(
            "build.spec_schema",
            "the demo spec is not an object",
        ));
    };
    if let Some(Value::Object(mut p)) = map.remove("policy") {
        p.insert("hash", Value::from(policy_hash));
        map.insert("policy", Value::from(p));
    }
    Ok(Value::from(map))
}

/// Signs the approvals, builds and seals one bundle; returns its spec value and bytes.
fn seal(
    spec_text: &str,
    policy: &str,
    artifacts: Vec<Artifact<'_>>,
    approvers: &[(&SigningKey, &str)],
    producer: &SigningKey,
    schemas: &Schemas,
    limits: &Limits,
) -> Result<(Value, Vec<u8>), Problem> {
    let mut value = spec_value(spec_text, policy)?;
    let spec = BundleSpec::from_value(&value).map_err(|e| Problem::new(e.code(), e.to_string()))?;
    let text = |path: &[&str]| {
        path.iter()
            .try_fold(&value, |v, k| v.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let first_event = value
        .get("journal")
        .and_then(|j| j.as_array())
        .and_then(|j| j.first());
    let approved_at = earlier(
        first_event
            .and_then(|e| e.get("at"))
            .and_then(Value::as_str)
            .unwrap_or_default(),
        30 * 60,
    );
    let expires_at = earlier(&text(&["created_at"]), -24 * 3600);
    let change = value.get("change").cloned().unwrap_or(Value::Null);
    let mut approvals = Vec::new();
    for (key, sso_sub) in approvers {
        let mut nonce_bytes = [0u8; 16];
        getrandom::getrandom(&mut nonce_bytes).map_err(|e| Problem::new(CODE_IO, e.to_string()))?;
        let nonce = format!("n-{}", to_hex(&nonce_bytes));
        let request = ApprovalRequest {
            sso_sub,
            idp_domain: "acme.example",
            mfa_verified: true,
            challenge_nonce: &nonce,
            approved_at: &approved_at,
            expires_at: &expires_at,
        };
        let payload = approval_payload(&change, &request, schemas)
            .map_err(|e| Problem::new(e.code(), e.to_string()))?;
        let envelope = sign_approval(&payload, key);
        approvals.push(ApprovalFile { envelope, nonce });
    }
    let approver_keys: Vec<_> = approvers
        .iter()
        .map(|(k, _)| k.public_key().clone())
        .collect();
    let mut out = Cursor::new(Vec::new());
    let report = build_bundle(
        &spec,
        BuildInputs {
            artifacts,
            approvals,
            approver_keys: &approver_keys,
            signers: &[producer],
            signed_at: &text(&["created_at"]),
        },
        &mut out,
        limits,
    )
    .map_err(|e| Problem::new(e.code(), e.to_string()))?;
    // Facts for the report that only sealing knows.
    if let Value::Object(map) = &mut value {
        map.insert(
            "x_risk_score",
            Value::from(u32::try_from(report.risk_score).unwrap_or(u32::MAX)),
        );
        let names: Vec<Value> = approvers.iter().map(|(_, sub)| Value::from(*sub)).collect();
        map.insert("x_approvers", Value::from(names));
    }
    Ok((value, out.into_inner()))
}

/// `timestamp` moved `seconds` earlier (negative: later), in the spec's form.
fn earlier(timestamp: &str, seconds: i64) -> String {
    let unix = Timestamp::parse(timestamp)
        .map(|t| t.unix_seconds())
        .unwrap_or(0);
    crate::clock::format_utc(unix - seconds)
}

/// Verifies `bundle` one day after its change, with the demo's trust and policy.
fn check(
    bundle: &[u8],
    trust: &Trust,
    spec: &Value,
    policy: Option<&str>,
    schemas: &Schemas,
    limits: &Limits,
) -> Result<(Verdict, AuditReport), Problem> {
    let created = spec
        .get("created_at")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let at = Timestamp::parse(&earlier(created, -24 * 3600))
        .map_err(|_| Problem::new("cli.usage", "bad demo time"))?;
    let inputs = VerifyInputs {
        trust,
        at: &at,
        policy: policy.map(str::as_bytes),
        schemas,
        limits,
        witnessed: None,
    };
    let (verdict, evidence) =
        verify_bundle_with_evidence(Cursor::new(bundle), bundle.len() as u64, &inputs);
    let report = audit(&verdict, evidence.manifest.as_ref(), &evidence.approvals);
    Ok((verdict, report))
}

/// The facts an auditor reads first, from the bundle spec and the sealed bytes.
fn facts(spec: &Value, bundle: &[u8]) -> Vec<String> {
    let s = |path: &[&str]| {
        path.iter()
            .try_fold(spec, |v, k| v.get(k))
            .and_then(Value::as_str)
            .unwrap_or("-")
            .to_owned()
    };
    let events = spec
        .get("journal")
        .and_then(|j| j.as_array())
        .map_or(0, <[Value]>::len);
    let required = spec
        .get("approvals")
        .and_then(|a| a.get("required"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let mut out = vec![
        format!(
            "{} change to {} in {}: {}",
            s(&["change", "kind"]),
            s(&["change", "subject"]),
            s(&["change", "environment"]),
            s(&["change", "summary"])
        ),
        format!(
            "author {}, deployed by {}",
            s(&["change", "actor"]),
            s(&["change", "deployer"])
        ),
        format!(
            "{required} approval(s) required; {events} journal events; created {}",
            s(&["created_at"])
        ),
    ];
    let approvers: Vec<&str> = spec
        .get("x_approvers")
        .and_then(|a| a.as_array())
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if !approvers.is_empty() {
        out.push(format!(
            "approved by {} before the run started",
            approvers.join(" and ")
        ));
    }
    if let Some(score) = spec.get("x_risk_score").and_then(Value::as_u64) {
        out.push(format!(
            "risk {score}/100 (risk/v1, recomputed by every verifier)"
        ));
    }
    if let Some(anchor) = spec
        .get("anchors")
        .and_then(|a| a.as_array())
        .and_then(|a| a.first())
    {
        let kind = anchor.get("kind").and_then(Value::as_str).unwrap_or("-");
        let id = anchor
            .get("query_id")
            .or_else(|| anchor.get("job_id"))
            .and_then(Value::as_str)
            .unwrap_or("-");
        out.push(format!("warehouse anchor: {kind} query {id}"));
    }
    if let Some(mcp) = spec.get("extensions").and_then(|e| e.get("mcp")) {
        let field = |k: &str| mcp.get(k).and_then(Value::as_str).unwrap_or("-").to_owned();
        out.push(format!(
            "MCP: server {}, tool {}",
            field("server_id"),
            field("tool")
        ));
    }
    out.push(format!(
        "bundle: {} bytes, {}",
        bundle.len(),
        Sha256Digest::of(bundle)
    ));
    out
}

fn human(stories: &[Story], tampered: &Verdict, attestation: &DemoAttestation) -> String {
    let mut out =
        String::from("Clyra demo: two changes sealed as signed evidence, then verified offline\n");
    for (n, story) in stories.iter().enumerate() {
        out.push_str(&format!("\n{}. {}\n", n + 1, story.title));
        for fact in &story.facts {
            out.push_str(&format!("   {fact}\n"));
        }
        out.push_str("   verification (trust: 1 producer key, 2 approver keys; policy given; one day later):\n");
        push_steps(&mut out, &story.verdict);
        out.push('\n');
        for line in story.audit.to_text().lines() {
            if !line.is_empty() {
                out.push_str("   ");
                out.push_str(line);
            }
            out.push('\n');
        }
    }
    out.push_str(&format!(
        "\n{}. The DEF bundle with one byte changed\n",
        stories.len() + 1
    ));
    push_steps(&mut out, tampered);
    out.push_str(&format!(
        "\n{}. clyra attest --framework sox over the two runs (signed by the producer key)\n",
        stories.len() + 2
    ));
    for (id, status) in &attestation.statuses {
        out.push_str(&format!("     {status:<15} {id}\n"));
    }
    out.push_str(&format!(
        "   clyra attest verify (statuses recomputed from both bundles): {} ({}), exit {}\n",
        attestation.verdict.outcome.as_str(),
        attestation.verdict.primary,
        attestation.verdict.exit
    ));
    out
}

/// One line per pipeline step: `ok`, or its worst finding; then the verdict.
fn push_steps(out: &mut String, verdict: &Verdict) {
    let mut steps: Vec<(&str, Severity, Vec<&str>)> = Vec::new();
    for check in &verdict.checks {
        let name = check.step().as_str();
        if steps.last().is_none_or(|(s, _, _)| *s != name) {
            steps.push((name, Severity::Ok, Vec::new()));
        }
        if let Some((_, worst, codes)) = steps.last_mut() {
            if check.code() != "ok" && !codes.contains(&check.code()) {
                codes.push(check.code());
            }
            *worst = (*worst).max(check.severity());
        }
    }
    for (name, worst, codes) in steps {
        let status = match (codes.as_slice(), worst) {
            ([], _) => "ok".to_owned(),
            (["skipped"], Severity::Ok) => "skipped (the container failed)".to_owned(),
            (codes, worst) => format!("{}: {}", worst.as_str(), codes.join(", ")),
        };
        out.push_str(&format!("     {name:<11} {status}\n"));
    }
    out.push_str(&format!(
        "   Verdict: {} ({}), exit {}\n",
        verdict.outcome.as_str(),
        verdict.primary,
        verdict.exit
    ));
}

fn json(
    stories: &[Story],
    tampered: &Verdict,
    trust: &[u8],
    attestation: &DemoAttestation,
) -> String {
    let parse =
        |bytes: Vec<u8>| serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default();
    let bundles: Vec<_> = stories
        .iter()
        .map(|s| serde_json::json!({"title": s.title, "facts": s.facts, "verdict": parse(s.verdict.to_json())}))
        .collect();
    let report = serde_json::json!({
        "bundles": bundles,
        "tampered": parse(tampered.to_json()),
        "trust": parse(trust.to_vec()),
        "attestation": {
            "framework": "sox",
            "controls": attestation.statuses.iter().map(|(id, status)| serde_json::json!({"id": id, "status": status})).collect::<Vec<_>>(),
            "verify": parse(attestation.verdict.to_json()),
        },
    });
    format!("{report}\n")
}

/// Writes the bundles, the trust file and the policies into `dir`, atomically. Without `force`
/// an existing file is refused (`cli.exists`) before any file is written.
fn save(
    dir: &Path,
    stories: &[Story],
    trust: &[u8],
    attestation: &DemoAttestation,
    force: bool,
) -> Result<(), Problem> {
    let io = |path: &Path, err: std::io::Error| write_problem(path, &err);
    let mut files: Vec<(PathBuf, &[u8])> = vec![
        (dir.join("trust.json"), trust),
        (
            dir.join(super::attest::ATTESTATION_FILE),
            &attestation.envelope,
        ),
        (dir.join(super::attest::OSCAL_FILE), &attestation.oscal),
    ];
    for (story, stem) in stories.iter().zip(["def", "pef"]) {
        files.push((dir.join(format!("{stem}.zip")), &story.bundle));
        files.push((
            dir.join(format!("{stem}-policy.json")),
            story.policy.as_bytes(),
        ));
    }
    for (path, _) in &files {
        atomic::check_target(path, force).map_err(|e| io(path, e))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    for (path, bytes) in &files {
        atomic::write(path, bytes, 0o644, force).map_err(|e| io(path, e))?;
    }
    Ok(())
}
