//! dbt over the FFI: seal one run (artifacts + hook facts + state) into a signed DEF bundle, and
//! schema fingerprints (def-v0.md §3) for hosts that compare relations themselves.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::bundle::{build_signed, ApprovalInput, Produced};
use super::{parse_call, Answer, DetailedError};
use crate::crypto::Signer;
use crate::def::dbt::{seal_spec, RunContext};
use crate::def::facts::policy_facts;
use crate::def::plan::{canonical_bytes, plan_of};

/// The artifact name of the plan a run was gated on (plan-v0.md §5).
pub const PLAN_ARTIFACT: &str = "clyra/plan.json";
use crate::def::fingerprint::{fingerprint as fingerprint_of, Column};
use crate::def::DefError;

fn def_error(e: &DefError) -> Vec<DetailedError> {
    vec![DetailedError::of(e).with_help(e.help())]
}

/// The call of [`seal`]: everything but dbt's artifact bytes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealCall {
    /// The host's facts about the run.
    pub context: RunContext,
    /// The object the `on-run-end` hook logged, when it ran.
    #[serde(default)]
    pub facts: Option<Value>,
    /// The state the previous run left, when there was one.
    #[serde(default)]
    pub previous: Option<Value>,
    /// The producer keys, PKCS#8 PEM.
    pub keys: Vec<String>,
    /// The signing time.
    pub signed_at: String,
    /// Approval envelopes checked by the gate (`ffi::gate`) before the run, with their nonces.
    #[serde(default)]
    pub approvals: Vec<ApprovalInput>,
    /// The approvers' public keys, PEM.
    #[serde(default)]
    pub approver_keys: Vec<String>,
    /// The project's policy text (`.clyra/policy.yaml`), evaluated over the run's facts
    /// ([`crate::def::facts::policy_facts`]); its hash and decisions go in the manifest.
    #[serde(default)]
    pub policy: Option<String>,
    /// The policy's file name, for errors (default `policy.yaml`).
    #[serde(default)]
    pub policy_file: Option<String>,
    /// The plan the run was gated on (plan-v0.md): its `change` is sealed, drift recorded, and
    /// the plan added as the artifact `clyra/plan.json` (its canonical bytes).
    #[serde(default)]
    pub plan: Option<Value>,
}

/// The result of [`seal`]; the bundle is the produced bytes.
#[derive(Debug, Clone, Serialize)]
pub struct SealResult {
    /// The build report (bundle id, digests, risk score, entries).
    pub bundle: Value,
    /// The state to keep for the next run.
    pub state: Value,
    /// What happened: status, schema changes, tests, anchors.
    pub summary: Value,
    /// The bundle spec that was sealed.
    pub spec: Value,
    /// Whether the given approvals were sealed in; `false` when they do not cover the change
    /// the run made (the bundle then records `approvals.required` without them, which its
    /// verifier reports).
    pub approvals_applied: bool,
    /// The policy evaluation (as `ffi::policy::eval` answers it) when a policy was given: the
    /// host fails the run when it is `blocked` by an enforced `deny`.
    pub policy: Option<Value>,
    /// `approvals.required` as sealed (from the host and the enforced policy decisions).
    pub approvals_required: u8,
    /// How many approvals the bundle holds; fewer than required is a run its policy did not
    /// allow, which the host fails and the verifier reports (`approval.insufficient`).
    pub approvals_recorded: usize,
}

/// Seals a dbt run: `run_results.json` and `manifest.json` bytes (added as the artifacts
/// `dbt/run_results.json` and `dbt/manifest.json`, exact bytes) and `extra` artifacts.
pub fn seal(
    call: &[u8],
    run_results: &[u8],
    manifest: &[u8],
    extra: &[(String, &[u8])],
) -> Produced {
    seal_signed(call, run_results, manifest, extra, &[])
}

/// [`seal`] signed also by `signers` the host opened from key URIs (the dbt config's `key`:
/// spec/signer-command-v0.md §2); the call's `keys` may then be empty.
pub fn seal_signed(
    call: &[u8],
    run_results: &[u8],
    manifest: &[u8],
    extra: &[(String, &[u8])],
    signers: &[&dyn Signer],
) -> Produced {
    let parsed = parse_call::<SealCall>(call).and_then(|c| {
        let json = |bytes: &[u8], name: &str| {
            serde_json::from_slice::<Value>(bytes).map_err(|e| {
                vec![
                    DetailedError::new("seal.artifact", format!("`{name}` is not JSON: {e}"))
                        .with_help("run dbt again so that target/ holds complete artifacts"),
                ]
            })
        };
        let results = json(run_results, "run_results.json")?;
        let manifest_json = json(manifest, "manifest.json")?;
        let mut context = c.context.clone();
        if !c.approvals.is_empty() {
            context.approvals_required = context.approvals_required.max(1);
        }
        for name in ["dbt/run_results.json", "dbt/manifest.json"] {
            context
                .artifacts
                .insert(name.to_owned(), "application/json".to_owned());
        }
        let plan = c
            .plan
            .clone()
            .map(plan_of)
            .transpose()
            .map_err(|e| def_error(&e))?;
        if plan.is_some() {
            context
                .artifacts
                .insert(PLAN_ARTIFACT.to_owned(), "application/json".to_owned());
        }
        let mut sealed = seal_spec(
            &results,
            &manifest_json,
            c.facts.as_ref(),
            c.previous.as_ref(),
            &context,
        )
        .map_err(|e| def_error(&e))?;
        if let Some(p) = &plan {
            let ran = results
                .get("results")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            sealed.record_plan(p, ran);
        }
        let Some(text) = &c.policy else {
            let required = context.approvals_required;
            return Ok((c, sealed, None, required, plan));
        };
        // The policy decides on the facts of the run as sealed; its block (hash and decisions)
        // then goes in the manifest and journal.
        let file = c.policy_file.as_deref().unwrap_or("policy.yaml");
        let evaluation = super::policy::evaluate_text(text, file, &policy_facts(&sealed))?;
        // An enforced decision is only auditable with the policy (def-v0 §7.2), and its
        // approvals are the run's required count (§7.5; shadow decisions never change it).
        let block = serde_json::json!({
            "hash": evaluation.evaluation.policy_hash,
            "required": evaluation.evaluation.mode == "enforce",
            "decisions": evaluation.decisions,
        });
        context.approvals_required = context
            .approvals_required
            .max(evaluation.evaluation.approvals_required);
        sealed.record_policy(Some(block), context.approvals_required);
        // policy-v1.md §3.2, risk-v1.md §2.2: the risk weights are the policy's (a verifier
        // given the policy checks them, risk-v1.md §6.1 item 4). The text loaded above.
        if let Ok(given) = crate::policy::read_given(text.as_bytes(), &crate::Limits::default()) {
            if let Some(risk) = sealed.spec.get_mut("risk").and_then(Value::as_object_mut) {
                let weights: serde_json::Map<String, Value> = given
                    .risk_weights
                    .named()
                    .iter()
                    .map(|(name, v)| ((*name).to_owned(), Value::from(*v)))
                    .collect();
                risk.insert("weights".into(), Value::Object(weights));
            }
        }
        let evaluation = serde_json::to_value(&evaluation)
            .map_err(|e| vec![DetailedError::new("ffi.answer", e.to_string())])?;
        Ok((
            c,
            sealed,
            Some(evaluation),
            context.approvals_required,
            plan,
        ))
    });
    let (c, sealed, evaluation, required, plan) = match parsed {
        Ok(ok) => ok,
        Err(errors) => {
            return Produced {
                answer: Answer::<()>::of(Err(errors)).to_json(),
                bytes: Vec::new(),
            }
        }
    };
    let mut artifacts: Vec<(String, &[u8])> = vec![
        ("dbt/run_results.json".to_owned(), run_results),
        ("dbt/manifest.json".to_owned(), manifest),
    ];
    artifacts.extend(extra.iter().cloned());
    let plan_bytes = match plan
        .as_ref()
        .map(|p| canonical_bytes(&p.document))
        .transpose()
    {
        Ok(b) => b,
        Err(e) => {
            return Produced {
                answer: Answer::<()>::of(Err(def_error(&e))).to_json(),
                bytes: Vec::new(),
            }
        }
    };
    if let Some(bytes) = &plan_bytes {
        artifacts.push((PLAN_ARTIFACT.to_owned(), bytes.as_slice()));
    }
    let approvals: Vec<Value> = c
        .approvals
        .iter()
        .map(|a| serde_json::json!({"envelope": a.envelope, "nonce": a.nonce}))
        .collect();
    let build_with = |approvals: &[Value]| {
        let call = serde_json::json!({"spec": sealed.spec.to_string(), "keys": c.keys, "signed_at": c.signed_at,
            "approvals": approvals, "approver_keys": c.approver_keys});
        let built = build_signed(call.to_string().as_bytes(), &artifacts, signers);
        let answer: Value = serde_json::from_slice(&built.answer).unwrap_or(Value::Null);
        (built, answer)
    };
    let (mut built, mut answer) = build_with(&approvals);
    let code = answer.pointer("/errors/0/code").and_then(Value::as_str);
    let mut approvals_applied = !approvals.is_empty();
    if code == Some("build.approval") {
        // The approvals do not cover the change the run made: seal the run without them.
        (built, answer) = build_with(&[]);
        approvals_applied = false;
    }
    if answer.get("type").and_then(Value::as_str) != Some("success") {
        return built;
    }
    let result = SealResult {
        bundle: answer.get("result").cloned().unwrap_or(Value::Null),
        state: sealed.state,
        summary: sealed.summary,
        spec: sealed.spec,
        approvals_applied,
        policy: evaluation,
        approvals_required: required,
        approvals_recorded: if approvals_applied {
            approvals.len()
        } else {
            0
        },
    };
    Produced {
        answer: Answer::of(Ok(result)).to_json(),
        bytes: built.bytes,
    }
}

/// The call of [`fingerprint`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FingerprintCall {
    /// `db.schema.table`.
    pub relation: String,
    /// The columns as the warehouse reports them.
    pub columns: Vec<Column>,
}

/// The schema fingerprint of a relation (def-v0.md §3): `{"fingerprint": "sha256:…"}`.
pub fn fingerprint(call: &[u8]) -> Vec<u8> {
    Answer::of(parse_call::<FingerprintCall>(call).and_then(|c| {
        fingerprint_of(&c.relation, &c.columns)
            .map(|fp| serde_json::json!({"fingerprint": fp}))
            .map_err(|e| def_error(&e))
    }))
    .to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_answers_and_fails_with_codes() {
        let ok = fingerprint(
            br#"{"relation":"a.b.c","columns":[{"name":"x","type":"int","nullable":true}]}"#,
        );
        assert!(String::from_utf8(ok).unwrap().contains("sha256:"));
        let dup = fingerprint(br#"{"relation":"a.b.c","columns":[{"name":"x","type":"int","nullable":true},{"name":"x","type":"int","nullable":true}]}"#);
        assert!(String::from_utf8(dup).unwrap().contains("seal.columns"));
    }

    #[test]
    fn seal_records_the_policy_s_risk_weights() {
        // policy-v1.md §3.2: a verifier given this policy checks them (risk-v1.md §6.1 item 4).
        use crate::ffi::bundle::{keygen, verify};
        let made = keygen(b"{}", [3; 32]);
        let private = String::from_utf8(made.bytes).unwrap();
        let key: Value = serde_json::from_slice(&made.answer).unwrap();
        let policy = "version: 1\ncompliance:\n  risk:\n    weights: {production: 40}\n";
        let call = serde_json::json!({
            "context": {"producer_version": "0", "created_at": "2026-11-21T07:47:00Z",
                "actor": "dana@example.com", "deployer": "ci@example.com", "environments": {"dev": "production"}, "target": "dev"},
            "keys": [private], "signed_at": "2026-11-21T07:47:01Z", "policy": policy});
        let results = br#"{"metadata":{"dbt_version":"1.11.16","invocation_id":"i-1","invocation_started_at":"2026-11-21T07:46:43Z","generated_at":"2026-11-21T07:46:46Z"},"elapsed_time":0.8,"args":{"which":"build"},"results":[{"unique_id":"model.shop.orders","status":"success","compiled_code":"select 1","adapter_response":{},"timing":[{"name":"execute","started_at":"2026-11-21T07:46:44Z","completed_at":"2026-11-21T07:46:45Z"}]}]}"#;
        let manifest = br#"{"metadata":{"invocation_id":"i-1","project_name":"shop","adapter_type":"duckdb"},"nodes":{"model.shop.orders":{"resource_type":"model","database":"shop","schema":"main","alias":"orders","depends_on":{"nodes":[]}}}}"#;
        let out = seal(call.to_string().as_bytes(), results, manifest, &[]);
        let answer: Value = serde_json::from_slice(&out.answer).unwrap();
        let weights = &answer["result"]["spec"]["risk"]["weights"];
        assert_eq!(weights["production"], 40, "{answer}");
        assert_eq!(weights["magnitude_schema"], 20, "{answer}");
        let vcall = serde_json::json!({"trust": key["result"]["public_pem"], "at": "2026-12-01T00:00:00Z",
            "policy": policy});
        let verdict: Value =
            serde_json::from_slice(&verify(vcall.to_string().as_bytes(), &out.bytes)).unwrap();
        assert_eq!(verdict["result"]["primary"], "ok", "{verdict}");
    }

    #[test]
    fn seal_rejects_corrupt_artifacts_with_one_code() {
        let call = br#"{"context":{"producer_version":"0","created_at":"2026-11-21T07:47:00Z","actor":"a","environments":{}},"keys":[],"signed_at":"2026-11-21T07:47:00Z"}"#;
        let out = seal(call, b"{not json", b"{}", &[]);
        let text = String::from_utf8(out.answer).unwrap();
        assert!(
            text.contains("seal.artifact") && out.bytes.is_empty(),
            "{text}"
        );
    }
}
