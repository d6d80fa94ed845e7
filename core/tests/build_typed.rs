//! The typed DEF/PEF builders (`core::build::typed`) against the JSON bundle spec input: the
//! worked spec of bundle-v0.md §9.6 written with the typed builder is the same `BundleSpec` as
//! the JSON document, and both build byte-identical bundles; a PEF spec round-trips through its
//! JSON form; a typed spec missing a required member fails exactly as the JSON one does.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use std::io::Cursor;

use clyra_core::build::{
    build_bundle, Artifact, BuildInputs, BundleSpec, Change, DefAsset, DefBundle, DefRun,
    PefBundle, PefOperation, PefThreat, Producer, RiskFactors, SpecBuilder,
};
use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::jcs::{self, Map, Value};
use clyra_core::{Coded, Limits};

/// The 199-byte `run_results.json` of bundle-v0.md §8.4 (any bytes do for the comparison).
const RUN_RESULTS: &[u8] = b"{\"metadata\":{\"dbt_version\":\"1.11.2\"},\"results\":[]}\n";

fn map(fields: &[(&str, Value)]) -> Map {
    fields.iter().cloned().collect()
}

fn s(text: &str) -> Value {
    Value::from(text)
}

fn factors(magnitude: &str, production: bool, threats: u32, first_time: bool) -> RiskFactors {
    RiskFactors {
        change_magnitude: magnitude.into(),
        violations_critical: 0,
        violations_warning: 0,
        production,
        off_hours: false,
        approval_bypassed: false,
        threats,
        sql_findings: 0,
        first_time_actor: first_time,
    }
}

/// bundle-v0.md §9.6, typed.
fn worked_example() -> SpecBuilder {
    DefBundle::builder()
        .created_at("2026-11-20T09:01:15Z")
        .producer(&Producer {
            name: "clyra-dbt".into(),
            version: "0.1.0".into(),
            host: Some("dbt-core 1.11.2".into()),
        })
        .change(&Change {
            subject: "model.shop.orders".into(),
            kind: "schema".into(),
            actor: "dana@example.com".into(),
            environment: "production".into(),
            deployer: None,
        })
        .risk(&factors("schema", true, 0, false))
        .retention("P7Y", false)
        .run(&DefRun {
            tool: "dbt".into(),
            tool_version: "1.11.2".into(),
            invocation_id: "5f0c8a4e-7d2b-4c1e-9a63-0b8e2f4d1c77".into(),
            command: "dbt build".into(),
            started_at: "2026-11-20T09:00:00Z".into(),
            finished_at: "2026-11-20T09:01:12Z".into(),
            git_commit: None,
            environment: "prod".into(),
            actor: "svc-dbt-ci@example.com".into(),
            status: "success".into(),
        })
        .asset(&DefAsset {
            id: "model.shop.orders".into(),
            relation: "analytics.shop.orders".into(),
            change: "schema".into(),
            columns_added: vec!["discount_cents".into()],
            columns_removed: vec![],
        })
        .metrics(map(&[("rows_affected", Value::from(1842u32))]))
        .artifact("run_results.json", "application/json")
        .event(
            "2026-11-20T09:00:00Z",
            "run.started",
            map(&[
                ("command", s("build")),
                ("invocation_id", s("5f0c8a4e-7d2b-4c1e-9a63-0b8e2f4d1c77")),
                ("tool", s("dbt")),
                ("tool_version", s("1.11.2")),
            ]),
        )
        .event(
            "2026-11-20T09:00:41Z",
            "asset.changed",
            map(&[
                ("asset", s("model.shop.orders")),
                ("change", s("schema")),
                ("columns_added", Value::from(vec![s("discount_cents")])),
                ("relation", s("analytics.shop.orders")),
            ]),
        )
        .event(
            "2026-11-20T09:01:12Z",
            "run.finished",
            map(&[
                ("assets_changed", Value::from(1u32)),
                ("rows_affected", Value::from(1842u32)),
                ("status", s("success")),
            ]),
        )
}

fn build(spec: &BundleSpec) -> Vec<u8> {
    let key = SigningKey::generate(Scheme::Ed25519, [7; 32]).unwrap();
    let mut out = Cursor::new(Vec::new());
    build_bundle(
        spec,
        BuildInputs {
            artifacts: vec![Artifact::new("run_results.json", Cursor::new(RUN_RESULTS))],
            approvals: vec![],
            approver_keys: &[],
            signers: &[&key],
            signed_at: "2026-11-20T09:01:16Z",
        },
        &mut out,
        &Limits::default(),
    )
    .unwrap();
    out.into_inner()
}

#[test]
fn typed_and_json_specs_build_byte_identical_bundles() {
    let limits = Limits::default();
    let json = common::spec_example("bundle-v0.md", "bundle-spec-v0");
    let from_json = BundleSpec::parse(&json, &limits).unwrap();
    let typed = worked_example();
    // The typed spec is the worked JSON document, member for member.
    assert_eq!(
        jcs::to_vec(&typed.to_value()),
        jcs::canonicalize(&json, &limits).unwrap()
    );
    let from_typed = typed.build().unwrap();
    assert_eq!(from_typed, from_json);
    let a = build(&from_typed);
    assert_eq!(a, build(&from_json));
    assert!(a.starts_with(b"PK\x03\x04"));
}

#[test]
fn a_pef_spec_round_trips_through_its_json_form() {
    let zeros = format!("sha256:{}", "0".repeat(64));
    let typed = PefBundle::builder()
        .bundle_id("gateway:run-7")
        .created_at("2026-11-20T09:00:45Z")
        .producer(&Producer {
            name: "clyra-gateway".into(),
            version: "0.1.0".into(),
            host: None,
        })
        .change(&Change {
            subject: "crm:case/500XX00000A1b2C".into(),
            kind: "tool_call".into(),
            actor: "agent-support-7".into(),
            environment: "staging".into(),
            deployer: None,
        })
        .risk(&factors("data", false, 1, true))
        .operation(&PefOperation {
            seq: 0,
            actor: "agent-support-7".into(),
            tool: "crm.update_case".into(),
            target: "crm:case/500XX00000A1b2C".into(),
            parameters_hash: zeros.clone(),
            result_hash: None,
            decision: "allow".into(),
            outcome: "executed".into(),
        })
        .threat(&PefThreat {
            owasp_llm_edition: "2025".into(),
            owasp_llm_id: "LLM01".into(),
            confidence: 40,
            detector: "clyra-guard/prompt-injection@0.4.0".into(),
            seq: Some(0),
        })
        .extension(
            "mcp",
            Value::from(map(&[
                ("server_id", s("mcp-crm.acme.example")),
                ("tool", s("crm.update_case")),
                ("operation", s("tools/call")),
                ("params_hash", s(&zeros)),
                ("token_scope", Value::from(vec![s("crm.cases:write")])),
            ])),
        )
        .event("2026-11-20T09:00:40Z", "operation.requested", Map::new())
        .event(
            "2026-11-20T09:00:42Z",
            "operation.executed",
            map(&[("applies_to", Value::from(0u32))]),
        );
    let spec = typed.build().unwrap();
    let bytes = jcs::to_vec(&typed.to_value());
    assert_eq!(BundleSpec::parse(&bytes, &Limits::default()).unwrap(), spec);
    let key = SigningKey::generate(Scheme::Ed25519, [9; 32]).unwrap();
    let mut out = Cursor::new(Vec::new());
    build_bundle(
        &spec,
        BuildInputs {
            artifacts: vec![],
            approvals: vec![],
            approver_keys: &[],
            signers: &[&key],
            signed_at: "2026-11-20T09:00:46Z",
        },
        &mut out,
        &Limits::default(),
    )
    .unwrap();
}

#[test]
fn a_typed_spec_is_checked_like_the_json_one() {
    // No created_at: the same error the JSON input gets.
    let e = DefBundle::builder()
        .producer(&Producer {
            name: "p".into(),
            version: "1".into(),
            host: None,
        })
        .build()
        .unwrap_err();
    assert_eq!(e.code(), "build.spec_schema");
    // A timestamp that is not a valid time.
    let e = worked_example()
        .created_at("2026-02-30T00:00:00Z")
        .build()
        .unwrap_err();
    assert_eq!(e.code(), "build.time");
    // A derived-form bundle_id given by the host.
    let e = worked_example()
        .bundle_id("b-0123456789abcdef0123456789abcdef")
        .build()
        .unwrap_err();
    assert_eq!(e.code(), "build.spec_schema");
}
