//! The approvals step on the spec's DEF manifest with real approvals, and each rule broken in turn.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use std::collections::BTreeMap;

use clyra_core::approval::{check_approvals, ApprovalContext, APPROVAL_PAYLOAD_TYPE};
use clyra_core::crypto::{PublicKey, Scheme, SigningKey};
use clyra_core::digest::Sha256Digest;
use clyra_core::dsse;
use clyra_core::format::{check_manifest, Manifest, Schemas};
use clyra_core::jcs::{self, Map, Value};
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::Limits;

fn def_manifest() -> Map {
    common::spec_example_object("def-v0.md", "manifest-def-v0")
}

fn obj(fields: &[(&str, Value)]) -> Value {
    Value::from(fields.iter().cloned().collect::<Map>())
}

/// One approval to sign: who, with which key, and what it says.
#[derive(Clone)]
struct Approval {
    key: u8,
    sso_sub: &'static str,
    nonce: &'static str,
    approved_at: &'static str,
    expires_at: &'static str,
    payload_hash: Option<String>,
    payload_type: &'static str,
}

fn approval(key: u8, sso_sub: &'static str, nonce: &'static str) -> Approval {
    Approval {
        key,
        sso_sub,
        nonce,
        approved_at: "2026-11-20T08:30:00Z",
        expires_at: "2026-11-21T08:30:00Z",
        payload_hash: None,
        payload_type: APPROVAL_PAYLOAD_TYPE,
    }
}

fn signing_key(n: u8) -> SigningKey {
    let scheme = if n.is_multiple_of(2) {
        Scheme::Ed25519
    } else {
        Scheme::EcdsaP256Sha256
    };
    SigningKey::generate(scheme, [n; 32]).unwrap()
}

/// A trust file holding keys 1, 2, 3 and 5 as approvers and key 9 as producer.
fn trust() -> Trust {
    let entry = |n: u8, role: &str| {
        let k = signing_key(n);
        let mut fields = vec![
            ("keyid", Value::from(k.public_key().keyid())),
            ("scheme", Value::from(k.scheme().as_str())),
            ("public_key_pem", Value::from(k.public_key().to_pem())),
            ("roles", Value::from(vec![Value::from(role)])),
        ];
        // Key 3's window ended before the approvals; key 5 is revoked before verification.
        if n == 3 {
            fields.push(("not_after", Value::from("2026-11-01T00:00:00Z")));
        }
        if n == 5 {
            fields.push(("revoked_at", Value::from("2026-11-25T00:00:00Z")));
        }
        obj(&fields)
    };
    let doc = obj(&[
        ("version", Value::from(0u32)),
        (
            "keys",
            Value::from(vec![
                entry(1, "approver"),
                entry(2, "approver"),
                entry(3, "approver"),
                entry(5, "approver"),
                entry(9, "producer"),
            ]),
        ),
        ("thresholds", obj(&[("producer", Value::from(1u32))])),
    ]);
    Trust::parse(&jcs::to_vec(&doc), &Limits::default()).unwrap()
}

struct Bundle {
    manifest: Manifest,
    files: BTreeMap<String, Vec<u8>>,
    keys: BTreeMap<String, PublicKey>,
}

/// Signs `approvals`, records them in the manifest (real digests and nonces) and checks it.
fn bundle(approvals: &[Approval], required: u32, edit: impl FnOnce(&mut Map)) -> Bundle {
    let mut map = def_manifest();
    edit(&mut map);
    let change = map.get("change").unwrap().clone();
    let change_digest = Sha256Digest::of(&jcs::to_vec(&change)).to_prefixed();
    let mut files = BTreeMap::new();
    let mut keys = BTreeMap::new();
    let mut entries = Vec::new();
    for (i, a) in approvals.iter().enumerate() {
        let key = signing_key(a.key);
        let payload = obj(&[
            ("type", Value::from("https://clyra.dev/approval/v0")),
            ("sso_sub", Value::from(a.sso_sub)),
            ("idp_domain", Value::from("acme.example")),
            ("mfa_verified", Value::from(true)),
            ("challenge_nonce", Value::from(a.nonce)),
            (
                "payload_hash",
                Value::from(a.payload_hash.clone().unwrap_or(change_digest.clone())),
            ),
            ("approved_at", Value::from(a.approved_at)),
            ("expires_at", Value::from(a.expires_at)),
        ]);
        let envelope = dsse::sign(a.payload_type, &jcs::to_vec(&payload), &key).encode();
        let file = format!("approvals/{:04}.dsse.json", i + 1);
        entries.push(obj(&[
            ("file", Value::from(file.as_str())),
            (
                "digest",
                Value::from(Sha256Digest::of(&envelope).to_prefixed()),
            ),
            ("nonce", Value::from(a.nonce)),
        ]));
        files.insert(file, envelope);
        keys.insert(
            key.public_key().keyid().to_owned(),
            key.public_key().clone(),
        );
    }
    map.insert(
        "approvals",
        obj(&[
            ("required", Value::from(required)),
            ("entries", Value::from(entries)),
        ]),
    );
    let bytes = jcs::to_vec(&Value::from(map));
    let (manifest, _) =
        check_manifest(&bytes, &Schemas::new().unwrap(), &Limits::default()).unwrap();
    Bundle {
        manifest,
        files,
        keys,
    }
}

/// The codes of the approvals step (without `ok`), in order.
fn codes(b: &Bundle, producers: &[String], at: &str) -> Vec<&'static str> {
    let schemas = Schemas::new().unwrap();
    let trust = trust();
    let created_at = Timestamp::parse(&b.manifest.created_at).unwrap();
    let first_event_at = Timestamp::parse("2026-11-20T09:00:00Z").unwrap();
    let at = Timestamp::parse(at).unwrap();
    let cx = ApprovalContext {
        manifest: &b.manifest,
        created_at: &created_at,
        first_event_at: &first_event_at,
        at: &at,
        trust: &trust,
        producer_keyids: producers,
        keys: &b.keys,
        schemas: &schemas,
        limits: &Limits::default(),
    };
    check_approvals(&cx, &b.files)
        .checks
        .iter()
        .map(|c| c.code())
        .filter(|c| *c != "ok")
        .collect()
}

const AT: &str = "2026-12-01T00:00:00Z";
const ALICE: &str = "alice@acme.example";
const BOB: &str = "bob@acme.example";

#[test]
fn two_independent_trusted_approvals_count() {
    let b = bundle(
        &[approval(1, ALICE, "n-1"), approval(2, BOB, "n-2")],
        2,
        |_| {},
    );
    assert_eq!(codes(&b, &[], AT), Vec::<&str>::new());
}

#[test]
fn the_author_approving_breaks_the_two_person_rule() {
    let b = bundle(
        &[
            approval(1, ALICE, "n-1"),
            approval(2, "maria.chen@acme.example", "n-2"),
        ],
        2,
        |_| {},
    );
    assert_eq!(
        codes(&b, &[], AT),
        ["approval.self_approval", "approval.insufficient"]
    );
    let deployer = bundle(&[approval(1, "svc-dbt-ci@acme.example", "n-1")], 1, |_| {});
    assert_eq!(
        codes(&deployer, &[], AT),
        ["approval.self_approval", "approval.insufficient"]
    );
}

#[test]
fn one_person_or_one_key_cannot_approve_twice() {
    let same_person = bundle(
        &[approval(1, ALICE, "n-1"), approval(2, ALICE, "n-2")],
        2,
        |_| {},
    );
    assert_eq!(
        codes(&same_person, &[], AT),
        ["approval.duplicate_approver", "approval.insufficient"]
    );
    let same_key = bundle(
        &[approval(1, ALICE, "n-1"), approval(1, BOB, "n-2")],
        2,
        |_| {},
    );
    assert_eq!(
        codes(&same_key, &[], AT),
        ["approval.duplicate_approver", "approval.insufficient"]
    );
}

#[test]
fn expired_late_and_misbound_approvals_fail() {
    let expired = Approval {
        expires_at: "2026-11-20T08:45:00Z",
        ..approval(1, ALICE, "n-1")
    };
    assert_eq!(
        codes(&bundle(&[expired], 1, |_| {}), &[], AT),
        ["approval.window", "approval.insufficient"]
    );
    let after_run = Approval {
        approved_at: "2026-11-20T09:00:30Z",
        ..approval(1, ALICE, "n-1")
    };
    assert_eq!(
        codes(&bundle(&[after_run], 1, |_| {}), &[], AT),
        ["approval.after_execution", "approval.insufficient"]
    );
    let other_change = Approval {
        payload_hash: Some(Sha256Digest::of(b"x").to_prefixed()),
        ..approval(1, ALICE, "n-1")
    };
    assert_eq!(
        codes(&bundle(&[other_change], 1, |_| {}), &[], AT),
        ["approval.payload_hash", "approval.insufficient"]
    );
    // Expiry is judged at the change, never at verification time: years later it still counts.
    assert_eq!(
        codes(
            &bundle(&[approval(1, ALICE, "n-1")], 1, |_| {}),
            &[],
            "2031-01-01T00:00:00Z"
        ),
        Vec::<&str>::new()
    );
}

#[test]
fn nonces_must_match_and_not_repeat() {
    let mut b = bundle(&[approval(1, ALICE, "n-1")], 1, |_| {});
    b.manifest.approvals[0].nonce = "n-other".into();
    assert_eq!(
        codes(&b, &[], AT),
        ["approval.nonce", "approval.insufficient"]
    );
    let repeated = bundle(
        &[approval(1, ALICE, "n-1"), approval(2, BOB, "n-1")],
        2,
        |_| {},
    );
    assert_eq!(
        codes(&repeated, &[], AT),
        ["approval.nonce", "approval.insufficient"]
    );
}

#[test]
fn tampered_or_foreign_files_stop_at_the_first_failure() {
    let mut b = bundle(&[approval(1, ALICE, "n-1")], 1, |_| {});
    b.files
        .get_mut("approvals/0001.dsse.json")
        .unwrap()
        .push(b' ');
    assert_eq!(
        codes(&b, &[], AT),
        ["approval.digest", "approval.insufficient"]
    );
    // A listed file absent from the zip fails rule 2 as well (approval-v0.md §5, vector 0139).
    b.files.remove("approvals/0001.dsse.json");
    assert_eq!(
        codes(&b, &[], AT),
        ["approval.digest", "approval.insufficient"]
    );
    let wrong_type = Approval {
        payload_type: "application/vnd.in-toto+json",
        ..approval(1, ALICE, "n-1")
    };
    assert_eq!(
        codes(&bundle(&[wrong_type], 1, |_| {}), &[], AT),
        ["approval.schema", "approval.insufficient"]
    );
    let mut no_key = bundle(&[approval(1, ALICE, "n-1")], 1, |_| {});
    no_key.keys.clear();
    assert_eq!(
        codes(&no_key, &[], AT),
        ["bundle.missing_entry", "approval.insufficient"]
    );
    let producer = bundle(&[approval(1, ALICE, "n-1")], 1, |_| {});
    let keyid = signing_key(1).public_key().keyid().to_owned();
    assert_eq!(
        codes(&producer, &[keyid], AT),
        ["trust.role", "approval.insufficient"]
    );
}

#[test]
fn untrusted_approvers_give_at_best_valid_untrusted() {
    // Key 4 is not in the trust: the approval is intact but does not count.
    let b = bundle(
        &[approval(1, ALICE, "n-1"), approval(4, BOB, "n-2")],
        2,
        |_| {},
    );
    assert_eq!(
        codes(&b, &[], AT),
        ["approval.untrusted", "approval.insufficient_trusted"]
    );
}

#[test]
fn production_self_deploys_are_reported() {
    let b = bundle(&[approval(1, ALICE, "n-1")], 1, |m| {
        let Some(Value::Object(mut change)) = m.remove("change") else {
            panic!()
        };
        change.insert("deployer", Value::from("maria.chen@acme.example"));
        m.insert("change", Value::from(change));
        // The derived bundle_id covers `change`: use a host-given id for this edited manifest.
        m.insert("bundle_id", Value::from("acme:test:self-deploy"));
    });
    assert_eq!(codes(&b, &[], AT), ["approval.actor_is_deployer"]);
}

#[test]
fn approver_keys_must_be_in_their_window_and_not_revoked() {
    let outside = bundle(&[approval(3, ALICE, "n-1")], 1, |_| {});
    assert_eq!(
        codes(&outside, &[], AT),
        ["approval.key_window", "approval.insufficient"]
    );
    let revoked = bundle(&[approval(5, ALICE, "n-1")], 1, |_| {});
    assert_eq!(
        codes(&revoked, &[], AT),
        ["time.key_revoked", "approval.insufficient"]
    );
    // Revocation is judged at verification time: before it, the approval counts.
    assert_eq!(
        codes(&revoked, &[], "2026-11-24T00:00:00Z"),
        Vec::<&str>::new()
    );
}
