//! The dbt gate over the FFI (plan-v0.md): make a plan and decide on it before dbt runs.
//!
//! `plan` turns what the host compiled into the plan document, its digest, the `change` an
//! approver signs and the policy's pre-execution evaluation. `gate` takes a plan back (the one
//! just made, or a held one), checks it, evaluates the policy over the facts known before
//! execution and checks the approvals against the plan's `change`: the host runs dbt only when
//! the answer's `gate` is `pass`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::bundle::{build_signed, ApprovalInput};
use super::{parse_call, Answer, DetailedError};
use crate::crypto::Signer;
use crate::def::plan::{canonical_digest, make_plan, plan_facts, plan_of, Plan, PlanInput};
use crate::def::DefError;

fn def_error(e: &DefError) -> Vec<DetailedError> {
    vec![DetailedError::of(e).with_help(e.help())]
}

/// The call of [`plan`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanCall {
    /// What the host determined (nodes with compiled SQL, target, git).
    pub input: PlanInput,
    /// The project's policy text, when it has one.
    #[serde(default)]
    pub policy: Option<String>,
    /// The policy's file name, for errors (default `policy.yaml`).
    #[serde(default)]
    pub policy_file: Option<String>,
}

/// The answer of [`plan`] and [`gate`].
#[derive(Debug, Clone, Serialize)]
pub struct Gated {
    /// The plan document (plan-v0.md §2).
    pub plan: Value,
    /// Its digest (plan-v0.md §3).
    pub digest: String,
    /// The `change` an approval signs, `plan` included (approval-v0.md §3.1).
    pub change: Value,
    /// The approvals' `payload_hash`: the digest of JCS(`change`).
    pub payload_hash: String,
    /// The facts known before execution (plan-v0.md §4).
    pub facts: Value,
    /// The policy's evaluation over those facts, when a policy was given.
    pub policy: Option<Value>,
    /// The approvals the enforced decision requires (0, 1 or 2).
    pub approvals_required: u8,
    /// How many of the given approvals cover the plan (every one, or none).
    pub approvals_counted: usize,
    /// Why the given approvals were refused (approval codes), empty when none was given or all
    /// cover the plan.
    pub approval_errors: Vec<DetailedError>,
    /// `pass`, `deny` (an enforced deny) or `approval_required` (fewer approvals than required).
    pub gate: &'static str,
    /// A bundle spec holding the plan's `change`: what `clyra approve --spec` signs.
    pub request: Value,
}

/// The call of [`gate`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateCall {
    /// The plan document.
    pub plan: Value,
    /// The project's policy text, when it has one.
    #[serde(default)]
    pub policy: Option<String>,
    /// The policy's file name, for errors.
    #[serde(default)]
    pub policy_file: Option<String>,
    /// Approval envelopes with the nonces issued for them.
    #[serde(default)]
    pub approvals: Vec<ApprovalInput>,
    /// The approvers' public keys, PEM.
    #[serde(default)]
    pub approver_keys: Vec<String>,
    /// The producer keys, PKCS#8 PEM (a provisional bundle is built to check the approvals).
    pub keys: Vec<String>,
    /// Now: the run starts after this instant.
    pub at: String,
    /// The integration's version.
    pub producer_version: String,
}

/// Makes the plan of an invocation and the policy's pre-execution decision on it.
pub fn plan(call: &[u8]) -> Vec<u8> {
    Answer::of(parse_call::<PlanCall>(call).and_then(|c| {
        let loaded = c
            .policy
            .as_deref()
            .map(|text| load(text, c.policy_file.as_deref()))
            .transpose()?;
        let plan = make_plan(
            &c.input,
            loaded.as_ref().map(|(p, h)| (p.doc(), h.as_str())),
        )
        .map_err(|e| def_error(&e))?;
        let at = c.input.context.created_at.clone();
        decide(
            plan,
            c.policy.as_deref(),
            c.policy_file.as_deref(),
            &Approvals::none(&at),
            &c.input.context.producer_version,
        )
    }))
    .to_json()
}

/// Checks a plan and decides on it: policy over the pre-execution facts, then the approvals.
pub fn gate(call: &[u8]) -> Vec<u8> {
    gate_signed(call, &[])
}

/// [`gate`] with producer `signers` the host opened from key URIs (spec/signer-command-v0.md),
/// which sign the provisional bundle that checks the approvals; the call's `keys` may then be
/// empty.
pub fn gate_signed(call: &[u8], signers: &[&dyn Signer]) -> Vec<u8> {
    Answer::of(parse_call::<GateCall>(call).and_then(|c| {
        let plan = plan_of(c.plan.clone()).map_err(|e| def_error(&e))?;
        let approvals = Approvals {
            given: &c.approvals,
            approver_keys: &c.approver_keys,
            keys: &c.keys,
            signers,
            at: &c.at,
        };
        decide(
            plan,
            c.policy.as_deref(),
            c.policy_file.as_deref(),
            &approvals,
            &c.producer_version,
        )
    }))
    .to_json()
}

fn load(
    text: &str,
    file: Option<&str>,
) -> Result<(crate::policy::Policy, String), Vec<DetailedError>> {
    let policy = super::policy::load_policy(&super::policy::PolicyCall {
        policy: text.to_owned(),
        file: file.unwrap_or("policy.yaml").to_owned(),
    })?;
    let hash = policy.hash().to_prefixed();
    Ok((policy, hash))
}

/// Approvals to check against a plan, with what checking them needs.
pub(crate) struct Approvals<'a> {
    /// The envelopes with their nonces.
    pub given: &'a [ApprovalInput],
    /// The approvers' public keys, PEM.
    pub approver_keys: &'a [String],
    /// The producer keys, PKCS#8 PEM.
    pub keys: &'a [String],
    /// Producer signers opened by the host, besides `keys`.
    pub signers: &'a [&'a dyn Signer],
    /// Now.
    pub at: &'a str,
}

impl<'a> Approvals<'a> {
    fn none(at: &'a str) -> Self {
        Self {
            given: &[],
            approver_keys: &[],
            keys: &[],
            signers: &[],
            at,
        }
    }
}

fn decide(
    plan: Plan,
    policy: Option<&str>,
    file: Option<&str>,
    approvals: &Approvals<'_>,
    producer_version: &str,
) -> Result<Gated, Vec<DetailedError>> {
    let facts = plan_facts(&plan);
    let (evaluation, required, denied) = match policy {
        None => (None, 0, false),
        Some(text) => {
            let e = super::policy::evaluate_text(text, file.unwrap_or("policy.yaml"), &facts)?;
            let denied = e.evaluation.mode == "enforce"
                && e.evaluation.decision == crate::policy::Decision::Deny;
            let required = e.evaluation.approvals_required;
            let value = serde_json::to_value(&e)
                .map_err(|e| vec![DetailedError::new("ffi.answer", e.to_string())])?;
            (Some(value), required, denied)
        }
    };
    let request = request_spec(&plan.change, approvals.at, producer_version, required);
    let (counted, approval_errors) = if approvals.given.is_empty() {
        (0, Vec::new())
    } else {
        match approvals_cover(&request, approvals) {
            Ok(()) => (approvals.given.len(), Vec::new()),
            Err(errors) => (0, errors),
        }
    };
    let gate = if denied {
        "deny"
    } else if counted < usize::from(required) {
        "approval_required"
    } else {
        "pass"
    };
    let payload_hash = canonical_digest(&plan.change).map_err(|e| def_error(&e))?;
    Ok(Gated {
        digest: plan.digest,
        change: plan.change,
        plan: plan.document,
        payload_hash,
        facts,
        policy: evaluation,
        approvals_required: required,
        approvals_counted: counted,
        approval_errors,
        gate,
        request,
    })
}

/// The bundle spec an approver signs with `clyra approve --spec` (only its `change` is signed)
/// and that checks approvals on a provisional bundle before the run.
pub(crate) fn request_spec(
    change: &Value,
    at: &str,
    producer_version: &str,
    required: u8,
) -> Value {
    let environment = change
        .get("environment")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = change.get("kind").and_then(Value::as_str).unwrap_or("data");
    let deployer = change.get("deployer").and_then(Value::as_str).unwrap_or("");
    serde_json::json!({
        "format": "def/v0", "created_at": at,
        "producer": {"name": "clyra-dbt", "version": producer_version, "host": "dbt"},
        "change": change, "policy": {"required": false, "decisions": []},
        "risk": {"factors": {"change_magnitude": kind, "violations_critical": 0, "violations_warning": 0,
            "production": environment == "production", "off_hours": false, "approval_bypassed": false,
            "threats": 0, "sql_findings": 0, "first_time_actor": false}},
        "approvals": {"required": required},
        "def": {"run": {"tool": "dbt", "tool_version": "preflight", "invocation_id": "preflight",
            "command": "preflight", "started_at": at, "finished_at": at, "environment": environment,
            "actor": deployer, "status": "success"}, "assets": [], "tests": [], "metrics": {}},
        "journal": [{"at": at, "kind": "run.started", "data": {}}],
    })
}

/// Checks approvals on a provisional bundle of `request`'s change (approval-v0.md §5, the rules
/// a producer can check): every one must cover it, or the errors say why.
pub(crate) fn approvals_cover(
    request: &Value,
    a: &Approvals<'_>,
) -> Result<(), Vec<DetailedError>> {
    let mut spec = request.clone();
    if let Some(map) = spec.as_object_mut() {
        map.insert(
            "approvals".into(),
            serde_json::json!({"required": a.given.len().min(2)}),
        );
    }
    let given: Vec<Value> = a
        .given
        .iter()
        .map(|x| serde_json::json!({"envelope": x.envelope, "nonce": x.nonce}))
        .collect();
    let call = serde_json::json!({"spec": spec.to_string(), "keys": a.keys, "signed_at": a.at,
        "approvals": given, "approver_keys": a.approver_keys});
    let built = build_signed(call.to_string().as_bytes(), &[], a.signers);
    let answer: Value = serde_json::from_slice(&built.answer).unwrap_or(Value::Null);
    match answer.get("errors").and_then(Value::as_array) {
        None => Ok(()),
        Some(errors) => Err(errors
            .iter()
            .map(|e| {
                let text = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
                DetailedError::new(text("code"), text("message")).with_help(
                    "ask the approver to sign this plan's change (`clyra approve`) with the nonce you issued",
                )
            })
            .collect()),
    }
}

#[cfg(test)]
#[path = "gate_tests.rs"]
mod tests;
