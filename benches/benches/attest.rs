//! `clyra attest` over 1,000 bundles against plain verification of the same bundles (the peer).
//!
//! - `clyra_attest_sox_1000`: verify each of 1,000 signed DEF bundles in memory
//!   (`verify_bundle_with_evidence`), turn each into `attest::BundleFacts`, evaluate the SOX
//!   catalogue, build the predicate and Statement, sign it (DSSE, Ed25519) and render the OSCAL view:
//!   everything `clyra attest` does but reading the files and writing the two outputs.
//! - `peer_verify_only_1000`: `verify_bundle` of the same 1,000 bundles, nothing more.
//!
//! The goal of issue 15 is an attestation over 1,000 bundles in at most 5 s on two cores.
use std::hint::black_box;
use std::io::Cursor;

use clyra_core::attest::{self, BundleFacts, Completeness, Framework, Inputs};
use clyra_core::build::{build_bundle, BuildInputs, BundleSpec};
use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::digest::Sha256Digest;
use clyra_core::format::Schemas;
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verify::{verify_bundle, verify_bundle_with_evidence, VerifyInputs};
use clyra_core::Limits;
use criterion::{criterion_group, criterion_main, Criterion};

const N: usize = 1_000;
const AT: &str = "2026-12-01T00:00:00Z";

/// `N` distinct production dbt runs with a test and an anchor, signed by `key`.
fn bundles(key: &SigningKey) -> Vec<Vec<u8>> {
    let limits = Limits::default();
    (0..N)
        .map(|i| {
            let spec = format!(
                r#"{{"format":"def/v0","created_at":"2026-11-20T09:00:00Z","producer":{{"name":"bench","version":"0"}},
 "change":{{"subject":"model.bench.m{i}","kind":"data","actor":"bench@example.com","environment":"test"}},
 "anchors":[{{"kind":"snowflake","query_id":"q-{i}","session_tags":{{}}}}],
 "policy":{{"required":false,"decisions":[]}},
 "retention":{{"period":"P7Y","legal_hold":false}},
 "risk":{{"factors":{{"change_magnitude":"data","violations_critical":0,"violations_warning":0,"production":false,"off_hours":false,"approval_bypassed":false,"threats":0,"sql_findings":0,"first_time_actor":false}}}},
 "approvals":{{"required":0}},
 "journal":[{{"at":"2026-11-20T08:59:00Z","kind":"run.started","data":{{}}}}],
 "def":{{"run":{{"tool":"bench","tool_version":"0","invocation_id":"bench-{i}","command":"bench","started_at":"2026-11-20T08:59:00Z","finished_at":"2026-11-20T09:00:00Z","environment":"test","actor":"bench@example.com","status":"success"}},"assets":[],"tests":[{{"id":"test.bench.t{i}","status":"pass"}}],"metrics":{{}}}}}}"#
            );
            let spec = BundleSpec::parse(spec.as_bytes(), &limits).unwrap();
            let signers = [key];
            let inputs = BuildInputs {
                artifacts: vec![],
                approvals: vec![],
                approver_keys: &[],
                signers: &signers,
                signed_at: "2026-11-20T09:01:00Z",
            };
            let mut out = Cursor::new(Vec::new());
            build_bundle(&spec, inputs, &mut out, &limits).unwrap();
            out.into_inner()
        })
        .collect()
}

fn trust_of(key: &SigningKey) -> Vec<u8> {
    format!(
        r#"{{"version":0,"thresholds":{{"producer":1}},"keys":[{{"keyid":"{}","scheme":"ed25519","public_key_pem":{},"roles":["producer"]}}]}}"#,
        key.public_key().keyid(),
        serde_json::to_string(&key.public_key().to_pem()).unwrap()
    )
    .into_bytes()
}

fn attest_1000(c: &mut Criterion) {
    let key = SigningKey::generate(Scheme::Ed25519, [7; 32]).unwrap();
    let all = bundles(&key);
    let trust_bytes = trust_of(&key);
    let limits = Limits::default();
    let trust = Trust::parse(&trust_bytes, &limits).unwrap();
    let at = Timestamp::parse(AT).unwrap();
    let schemas = Schemas::new().unwrap();
    let inputs = VerifyInputs {
        trust: &trust,
        at: &at,
        policy: None,
        schemas: &schemas,
        limits: &limits,
        witnessed: None,
    };
    let mut group = c.benchmark_group("attest_1000_bundles");
    group.sample_size(10);
    group.bench_function("clyra_attest_sox_1000", |b| {
        b.iter(|| {
            let facts: Vec<BundleFacts> = all
                .iter()
                .enumerate()
                .map(|(i, bytes)| {
                    let (verdict, evidence) = verify_bundle_with_evidence(
                        Cursor::new(bytes),
                        bytes.len() as u64,
                        &inputs,
                    );
                    BundleFacts::of(
                        &format!("b{i}.zip"),
                        Sha256Digest::of(bytes),
                        &verdict,
                        evidence.manifest.as_ref(),
                        &evidence.approvals,
                    )
                })
                .collect();
            let attest_inputs = Inputs {
                framework: Framework::Sox,
                attested_at: AT.to_owned(),
                verified_at: AT.to_owned(),
                period: None,
                trust_digest: Sha256Digest::of(&trust_bytes),
                policy_digests: Vec::new(),
                completeness: Completeness::Bundles,
            };
            let statement = attest::statement(&facts, attest::predicate(&attest_inputs, &facts));
            let envelope = attest::sign(&statement, &key).encode();
            black_box((envelope, attest::oscal::assessment_results(&statement)))
        })
    });
    group.bench_function("peer_verify_only_1000", |b| {
        b.iter(|| {
            for bytes in &all {
                black_box(verify_bundle(
                    Cursor::new(bytes),
                    bytes.len() as u64,
                    &inputs,
                ));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, attest_1000);
criterion_main!(benches);
