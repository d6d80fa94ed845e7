//! HITL checkpoints: a require_approval / require_two_person decision parks the change with an
//! expiring resume token; resuming needs counted approvals (approval-v0.md §5), two for the
//! two-person rule, never from the actor or deployer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use clyra_core::approval::{approval_payload, sign_approval, ApprovalRequest};
use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::format::Schemas;
use clyra_core::jcs::{self, Map, Value};
use clyra_core::policy::checkpoint::{create, resume, CheckpointRequest, ResumeRequest};
use clyra_core::policy::{evaluate, Evaluation, Policy};
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::{Coded, Limits};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

fn key(n: u8) -> SigningKey {
    SigningKey::generate(Scheme::Ed25519, [n; 32]).unwrap()
}

fn trust() -> Trust {
    let keys: Vec<Value> = [1u8, 2, 3, 9]
        .iter()
        .map(|n| {
            let role = if *n == 9 { "producer" } else { "approver" };
            let k = key(*n);
            let mut m = Map::new();
            m.insert("keyid", Value::from(k.public_key().keyid()));
            m.insert("scheme", Value::from("ed25519"));
            m.insert("public_key_pem", Value::from(k.public_key().to_pem()));
            m.insert("roles", Value::from(vec![Value::from(role)]));
            Value::from(m)
        })
        .collect();
    let mut t = Map::new();
    t.insert("version", Value::from(0u32));
    t.insert("keys", Value::from(keys));
    let mut th = Map::new();
    th.insert("producer", Value::from(1u32));
    t.insert("thresholds", Value::from(th));
    Trust::parse(&jcs::to_vec(&Value::from(t)), &Limits::default()).unwrap()
}

fn change() -> Value {
    jcs::parse(
        br#"{"subject":"model.shop.orders","kind":"schema","actor":"alice@shop.example","deployer":"ci@shop.example","environment":"production","summary":"add a column"}"#,
        &Limits::default(),
    )
    .unwrap()
}

fn evaluation(tables: &str) -> Evaluation {
    let policy = Policy::load(
        clyra_core::policy::init::starter(clyra_core::policy::init::InitEnv::Prod).as_bytes(),
        "policy.yaml",
        &Limits::default(),
    )
    .unwrap();
    let facts = format!(
        r#"{{"change":{{"environment":"production","kind":"schema","actor":"alice@shop.example","tables":[{tables}]}}}}"#
    );
    evaluate(
        &policy,
        &jcs::parse(facts.as_bytes(), &Limits::default()).unwrap(),
    )
    .unwrap()
}

fn approve(n: u8, sub: &str, nonce: &str) -> Vec<u8> {
    let schemas = Schemas::new().unwrap();
    let payload = approval_payload(
        &change(),
        &ApprovalRequest {
            sso_sub: sub,
            idp_domain: "shop.okta.com",
            mfa_verified: true,
            challenge_nonce: nonce,
            approved_at: "2026-11-20T10:00:00Z",
            expires_at: "2026-11-20T20:00:00Z",
        },
        &schemas,
    )
    .unwrap();
    sign_approval(&payload, &key(n))
}

fn now(t: &str) -> Timestamp {
    Timestamp::parse(t).unwrap()
}

fn nonces() -> Vec<String> {
    vec!["n-0001".to_owned(), "n-0002".to_owned()]
}

fn resume_with(
    cp: &Value,
    token: &str,
    at: &str,
    approvals: &[Vec<u8>],
) -> Result<clyra_core::policy::checkpoint::Resumed, clyra_core::policy::PolicyError> {
    let schemas = Schemas::new().unwrap();
    let trust = trust();
    resume(&ResumeRequest {
        checkpoint: cp,
        token,
        secret: SECRET,
        now: &now(at),
        approvals,
        trust: &trust,
        schemas: &schemas,
        limits: &Limits::default(),
    })
}

#[test]
fn one_approval_resumes_a_require_approval_checkpoint() {
    let e = evaluation("");
    assert_eq!(e.approvals_required, 1);
    let ns = nonces();
    let t0 = now("2026-11-20T09:00:00Z");
    let request = CheckpointRequest {
        evaluation: &e,
        change: &change(),
        nonces: &ns,
        now: &t0,
        ttl_seconds: 3600 * 4,
        secret: SECRET,
    };
    let cp = create(&request).unwrap();
    // Deterministic: same inputs, same checkpoint and token.
    assert_eq!(create(&request).unwrap(), cp);
    assert!(cp.token.starts_with("ck1."));
    assert_eq!(
        cp.value.get("expires_at").unwrap().as_str(),
        Some("2026-11-20T13:00:00Z")
    );
    assert_eq!(
        cp.value.get("approvals_required").unwrap().as_u64(),
        Some(1)
    );
    let ok = resume_with(
        &cp.value,
        &cp.token,
        "2026-11-20T10:30:00Z",
        &[approve(1, "bob", "n-0001")],
    )
    .unwrap();
    assert_eq!((ok.approvals_required, ok.counted), (1, 1));
    // No approval: insufficient.
    let e2 = resume_with(&cp.value, &cp.token, "2026-11-20T10:30:00Z", &[]).unwrap_err();
    assert_eq!(e2.code(), "policy.approvals_insufficient");
}

#[test]
fn two_person_needs_two_distinct_approvers_neither_actor_nor_deployer() {
    let e = evaluation(r#""analytics.customers""#);
    assert_eq!(e.approvals_required, 2);
    let ns = nonces();
    let t0 = now("2026-11-20T09:00:00Z");
    let cp = create(&CheckpointRequest {
        evaluation: &e,
        change: &change(),
        nonces: &ns,
        now: &t0,
        ttl_seconds: 36000,
        secret: SECRET,
    })
    .unwrap();
    let at = "2026-11-20T10:30:00Z";
    let one = resume_with(&cp.value, &cp.token, at, &[approve(1, "bob", "n-0001")]).unwrap_err();
    assert_eq!(one.code(), "policy.approvals_insufficient");
    // Two approvals, any order of nonces.
    let two = resume_with(
        &cp.value,
        &cp.token,
        at,
        &[approve(2, "carol", "n-0002"), approve(1, "bob", "n-0001")],
    )
    .unwrap();
    assert_eq!(two.counted, 2);
    // The same person twice counts once.
    let same = resume_with(
        &cp.value,
        &cp.token,
        at,
        &[approve(1, "bob", "n-0001"), approve(2, "bob", "n-0002")],
    )
    .unwrap_err();
    assert!(
        same.message().contains("approval.duplicate_approver"),
        "{same}"
    );
    // The actor and the deployer cannot approve their own change.
    for who in ["alice@shop.example", "ci@shop.example"] {
        let selfie = resume_with(
            &cp.value,
            &cp.token,
            at,
            &[approve(1, "bob", "n-0001"), approve(2, who, "n-0002")],
        )
        .unwrap_err();
        assert!(
            selfie.message().contains("approval.self_approval"),
            "{selfie}"
        );
    }
    // An untrusted key does not count.
    let untrusted = resume_with(
        &cp.value,
        &cp.token,
        at,
        &[approve(1, "bob", "n-0001"), approve(7, "dave", "n-0002")],
    )
    .unwrap_err();
    assert_eq!(untrusted.code(), "policy.approvals_insufficient");
}

#[test]
fn tokens_expire_and_bind_the_checkpoint() {
    let e = evaluation("");
    let ns = nonces();
    let t0 = now("2026-11-20T09:00:00Z");
    let cp = create(&CheckpointRequest {
        evaluation: &e,
        change: &change(),
        nonces: &ns,
        now: &t0,
        ttl_seconds: 3600,
        secret: SECRET,
    })
    .unwrap();
    let approvals = [approve(1, "bob", "n-0001")];
    let late = resume_with(&cp.value, &cp.token, "2026-11-20T10:00:01Z", &approvals).unwrap_err();
    assert_eq!(late.code(), "policy.token_expired");
    // Pushing the expiry back, or any other edit, breaks the token.
    let mut edited = cp.value.as_object().unwrap().clone();
    edited.insert("expires_at", Value::from("2026-11-30T00:00:00Z"));
    let forged = resume_with(
        &Value::from(edited),
        &cp.token,
        "2026-11-20T10:30:00Z",
        &approvals,
    )
    .unwrap_err();
    assert_eq!(forged.code(), "policy.token_invalid");
    let wrong = resume_with(&cp.value, "ck1.AAAA", "2026-11-20T09:30:00Z", &approvals).unwrap_err();
    assert_eq!(wrong.code(), "policy.token_invalid");
}

#[test]
fn checkpoints_only_for_approval_decisions_with_enough_nonces() {
    let policy = Policy::load(b"version: 1\n", "p.yaml", &Limits::default()).unwrap();
    let allow = evaluate(&policy, &jcs::parse(b"{}", &Limits::default()).unwrap()).unwrap();
    let ns = nonces();
    let t0 = now("2026-11-20T09:00:00Z");
    let c = change();
    let base = CheckpointRequest {
        evaluation: &allow,
        change: &c,
        nonces: &ns,
        now: &t0,
        ttl_seconds: 60,
        secret: SECRET,
    };
    assert_eq!(create(&base).unwrap_err().code(), "policy.checkpoint");
    let two = evaluation(r#""analytics.customers""#);
    let one_nonce = vec!["n-1".to_owned()];
    for bad in [
        CheckpointRequest {
            evaluation: &two,
            nonces: &one_nonce,
            ..base
        },
        CheckpointRequest {
            evaluation: &two,
            secret: b"short",
            ..base
        },
        CheckpointRequest {
            evaluation: &two,
            ttl_seconds: 0,
            ..base
        },
        CheckpointRequest {
            evaluation: &two,
            ttl_seconds: 8 * 24 * 3600,
            ..base
        },
    ] {
        assert_eq!(create(&bad).unwrap_err().code(), "policy.checkpoint");
    }
    let dup = vec!["n-1".to_owned(), "n-1".to_owned()];
    assert_eq!(
        create(&CheckpointRequest {
            evaluation: &two,
            nonces: &dup,
            ..base
        })
        .unwrap_err()
        .code(),
        "policy.checkpoint"
    );
}
