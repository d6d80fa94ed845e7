//! Policy files given to a verifier (policy-v1.md §1.3: L36, byte-order mark, `%YAML` directive,
//! schema), risk weights checked against a given policy (risk-v1.md §6.1 item 4), and what a
//! receipt verdict does not cover (receipt-v0.md §1.2). Append-only like `cases.rs`.
//!
//! `def-policy-required-match` and `policy-wrong` gave a policy that breaks
//! `policy-v1.schema.json`; under §1.3 that file is refused (`policy.file`), so they are
//! superseded by `policy-file-match` and `policy-file-other` (vectors/ERRATA.md) and
//! `policy-file-off-schema` pins the refusal.

use clyra_core::Limits;
use serde_json::{json, Value};

use crate::cases::{
    invalid, receipt_vector, t1, t_approvers, vector, with_approvals, Case, A1, VALID,
};
use crate::{build, def_spec, prefixed, Build, Ctx, Vector, POLICY};

/// A schema-valid policy (not canonical on purpose: it is hashed as JCS). No `compliance.risk`:
/// the risk weights it implies are the risk-v1.md §2.1 defaults.
const VALID_POLICY: &[u8] = b"{\"version\": 1, \"name\": \"vectors\", \"data_platform\": {\"rules\": [{\"id\": \"dbt-tests-failed\", \"when\": \"dbt.tests_failed > 0\", \"decision\": \"deny\"}]}}\n";

/// Another schema-valid policy: a wrong policy for a bundle that records [`VALID_POLICY`].
const OTHER_VALID_POLICY: &[u8] = b"{\"version\": 1, \"name\": \"vectors\", \"data_platform\": {\"rules\": [{\"id\": \"dbt-tests-failed\", \"when\": \"dbt.tests_failed > 1\", \"decision\": \"deny\"}]}}\n";

/// A policy that sets two risk weights and the thresholds (the other nine weights keep their
/// defaults).
const RISK_POLICY: &[u8] = b"{\"version\": 1, \"name\": \"vectors-risk\", \"compliance\": {\"risk\": {\"weights\": {\"production\": 40, \"magnitude_schema\": 30}, \"thresholds\": {\"review\": 40, \"block\": 80}}}}\n";

/// The YAML form of a policy whose section mode is `off`, declaring `%YAML 1.1` (where `off`
/// reads as false).
const YAML_11_POLICY: &[u8] = b"%YAML 1.1\n---\nversion: 1\nname: vectors\ndata_platform:\n  mode: off\n  rules:\n    - id: dbt-tests-failed\n      when: dbt.tests_failed > 0\n      decision: deny\n";

/// The JSON value a YAML 1.2 reader gives [`YAML_11_POLICY`] (`mode` the string `off`).
fn yaml_11_policy_as_12() -> Value {
    json!({"version": 1, "name": "vectors", "data_platform": {"mode": "off", "rules": [
        {"id": "dbt-tests-failed", "when": "dbt.tests_failed > 0", "decision": "deny"}]}})
}

/// `sha256:` of the JCS of a JSON text (policy-v1.md §1.2).
fn policy_hash(json_text: &[u8]) -> String {
    prefixed(&clyra_core::jcs::canonicalize(json_text, &Limits::default()).unwrap())
}

/// A DEF bundle (base 0001's spec) recording `hash` as its policy (`required` as given) and, when
/// given, `weights` as its risk weights (the score is recomputed by the builder).
fn bundle_under(ctx: &Ctx<'_>, hash: &str, required: bool, weights: Option<Value>) -> Vec<u8> {
    let mut spec = def_spec(ctx);
    spec["policy"] = json!({"required": required, "hash": hash, "decisions": []});
    if let Some(w) = weights {
        spec["risk"]["weights"] = w;
    }
    build(ctx, &spec, Build::default())
}

/// A bundle recording [`VALID_POLICY`] (required), given `policy` bytes.
fn valid_policy_given(ctx: &Ctx<'_>, policy: Vec<u8>) -> Vector {
    Vector {
        policy: Some(policy),
        ..vector(
            bundle_under(ctx, &policy_hash(VALID_POLICY), true, None),
            t1(ctx),
        )
    }
}

/// Every risk/v1 weight set to 0.
fn zero_weights() -> Value {
    json!({"magnitude_schema": 0, "magnitude_data": 0, "magnitude_config": 0,
           "violation_critical": 0, "violation_warning": 0, "production": 0, "off_hours": 0,
           "approval_bypassed": 0, "threat": 0, "sql_finding": 0, "first_time_actor": 0})
}

/// A production schema change scored 0 with zero weights, recording [`VALID_POLICY`] (not
/// required).
fn zero_weights_bundle(ctx: &Ctx<'_>) -> Vec<u8> {
    bundle_under(ctx, &policy_hash(VALID_POLICY), false, Some(zero_weights()))
}

/// The cases, numbered after the previous files of the case list.
#[allow(clippy::too_many_lines)]
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            slug: "policy-file-match",
            readme: "0001 with policy.required true and the hash of a schema-valid policy, given that policy: VALID (supersedes 0010, whose policy breaks policy-v1.schema.json)",
            expected: VALID,
            make: |c| valid_policy_given(c, VALID_POLICY.to_vec()),
        },
        Case {
            slug: "policy-file-other",
            readme: "a bundle built like policy-file-match's given another schema-valid policy: policy.hash_mismatch (supersedes 0087, whose policy breaks the schema)",
            expected: invalid("policy.hash_mismatch"),
            make: |c| valid_policy_given(c, OTHER_VALID_POLICY.to_vec()),
        },
        Case {
            slug: "policy-file-off-schema",
            readme: "a bundle built like 0010's, given 0010's policy: the hash matches but the policy breaks policy-v1.schema.json (top-level rules), so the file is unusable: policy.file, detail policy.schema (policy-v1.md 1.3 item 4)",
            expected: ("ERROR", "policy.file", 4),
            make: |c| Vector {
                policy: Some(POLICY.to_vec()),
                detail: Some("policy.schema"),
                ..vector(bundle_under(c, &policy_hash(POLICY), true, None), t1(c))
            },
        },
        Case {
            slug: "policy-file-too-large",
            readme: "a bundle built like policy-file-match's given its policy padded with spaces to L36 + 1 bytes (the hash still matches): policy.file, detail policy.too_large (limits.md L36 binds verifiers)",
            expected: ("ERROR", "policy.file", 4),
            make: |c| {
                let mut policy = VALID_POLICY.to_vec();
                policy.resize(Limits::default().policy_max_bytes + 1, b' ');
                Vector { detail: Some("policy.too_large"), ..valid_policy_given(c, policy) }
            },
        },
        Case {
            slug: "policy-file-bom",
            readme: "a bundle built like policy-file-match's given its policy after a UTF-8 byte-order mark (the hash would match without it): policy.file, detail policy.bom (policy-v1.md 1.1)",
            expected: ("ERROR", "policy.file", 4),
            make: |c| {
                let mut policy = b"\xEF\xBB\xBF".to_vec();
                policy.extend_from_slice(VALID_POLICY);
                Vector { detail: Some("policy.bom"), ..valid_policy_given(c, policy) }
            },
        },
        Case {
            slug: "policy-file-yaml-1-1",
            readme: "0001 recording the hash of a policy with data_platform.mode \"off\", given its YAML form under a %YAML 1.1 directive (where off reads as false): refused, policy.file (policy-v1.md 2.1; detail left to the reader)",
            expected: ("ERROR", "policy.file", 4),
            make: |c| {
                let hash = policy_hash(&serde_json::to_vec(&yaml_11_policy_as_12()).unwrap());
                Vector {
                    policy: Some(YAML_11_POLICY.to_vec()),
                    ..vector(bundle_under(c, &hash, true, None), t1(c))
                }
            },
        },
        Case {
            slug: "risk-weights-zero-no-policy",
            readme: "0001 with every risk weight 0 (a production schema change scored 0) recording a policy hash, verified without the policy: VALID, the weights are the producer's choice (risk-v1.md 2.3)",
            expected: VALID,
            make: |c| vector(zero_weights_bundle(c), t1(c)),
        },
        Case {
            slug: "risk-weights-zero-policy",
            readme: "a bundle built like risk-weights-zero-no-policy's given its policy (hash matches, no compliance.risk: default weights): risk.weights_mismatch (risk-v1.md 6.1 item 4)",
            expected: invalid("risk.weights_mismatch"),
            make: |c| Vector {
                policy: Some(VALID_POLICY.to_vec()),
                ..vector(zero_weights_bundle(c), t1(c))
            },
        },
        Case {
            slug: "risk-weights-policy-match",
            readme: "0001 scored with the weights of a policy that sets production 40 and magnitude_schema 30 (others default), given that policy: VALID",
            expected: VALID,
            make: |c| {
                let weights = json!({"magnitude_schema": 30, "magnitude_data": 10,
                    "magnitude_config": 5, "violation_critical": 25, "violation_warning": 5,
                    "production": 40, "off_hours": 5, "approval_bypassed": 30, "threat": 10,
                    "sql_finding": 8, "first_time_actor": 10});
                Vector {
                    policy: Some(RISK_POLICY.to_vec()),
                    ..vector(bundle_under(c, &policy_hash(RISK_POLICY), true, Some(weights)), t1(c))
                }
            },
        },
        Case {
            slug: "receipt-approvals-not-covered",
            readme: "receipt of line 1 of a bundle built like approval-insufficient's (approvals.required 2, one approval: the bundle is INVALID, approval.insufficient): the receipt is VALID and its verdict says approvals are not covered (receipt-v0.md 1.2)",
            expected: VALID,
            make: |c| {
                let b = with_approvals(c, 2, &[(A1, "lee.ortiz@acme.example")], |_| {});
                let r = clyra_core::receipt::extract(
                    std::io::Cursor::new(&b),
                    b.len() as u64,
                    1,
                    &Limits::default(),
                )
                .unwrap();
                receipt_vector(r, t_approvers(c))
            },
        },
    ]
}
