//! Cases 0102 on: orders and details the Go verifier found the spec silent about, now normative,
//! each pinned here (conformance.md §2.5 `subject` / `detail` where the triple alone cannot show
//! the order). Append-only like `cases.rs`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use clyra_core::bundle::Method;
use clyra_core::dsse::Envelope;
use clyra_core::Limits;
use serde_json::{json, Value};

use crate::cases::{
    cosigned, invalid, mutate, receipt_vector, t1, t_approvers, vector, with_approvals, Case, A1,
    A2, P1, P2, P3,
};
use crate::{canon, key_hex, parse, producer, trust, Ctx, Parts, TrustKey, Vector};

/// `keys/<hex>.pub.pem` of the key named `name`.
fn key_file(ctx: &Ctx<'_>, name: &str) -> String {
    format!("keys/{}.pub.pem", key_hex(ctx.keys.get(name)))
}

/// The receipt of line `seq` of `bundle`, parsed.
fn receipt_of(bundle: &[u8], seq: u64) -> Value {
    let r = clyra_core::receipt::extract(
        std::io::Cursor::new(bundle),
        bundle.len() as u64,
        seq,
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("extract: {e}"));
    parse(&r)
}

/// An ERROR `trust.file` vector over 0001's bundle with the trust `t` and the pinned detail.
fn trust_file(ctx: &Ctx<'_>, t: Vec<u8>, detail: &'static str) -> Vector {
    Vector {
        detail: Some(detail),
        ..vector(crate::cases::base(ctx).write(), t)
    }
}

/// The trust of 0001 as JSON, edited by `f`, written canonically.
fn t1_edited(ctx: &Ctx<'_>, f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut t = parse(&t1(ctx));
    f(&mut t);
    canon(&t)
}

const TRUST_FILE: (&str, &str, u8) = ("ERROR", "trust.file", 4);

/// The pinning cases, numbered from 0102.
#[allow(clippy::too_many_lines)]
pub fn cases() -> Vec<Case> {
    vec![
        // ---- bundle-v0.md §2.4.4: the order of bundle.missing_entry reports ----
        Case {
            slug: "bundle-missing-key-before-approval",
            readme: "0007 without the producer key file and without approvals/0001: signer keys are reported before approval gaps (bundle-v0.md 2.4.4), bundle.missing_entry naming the key file",
            expected: invalid("bundle.missing_entry"),
            make: |c| {
                let b = with_approvals(c, 2, &[(A1, "lee.ortiz@acme.example"), (A2, "sam.kim@acme.example")], |_| {});
                let mut p = Parts::open(&b);
                p.remove(&key_file(c, P1));
                p.remove("approvals/0001.dsse.json");
                Vector { subject: Some(key_file(c, P1)), ..vector(crate::zip::encode(&p.raw(), b""), t_approvers(c)) }
            },
        },
        Case {
            slug: "bundle-missing-two-keys",
            readme: "0004 without both producer key files: the key of the first signature in central-directory order is reported (bundle-v0.md 2.4.4), bundle.missing_entry",
            expected: invalid("bundle.missing_entry"),
            make: |c| {
                let mut p = Parts::open(&cosigned(c, vec![P1, P3]));
                p.remove(&key_file(c, P1));
                p.remove(&key_file(c, P3));
                let first = p.first("signatures/").replace("signatures/", "keys/").replace(".dsse.json", ".pub.pem");
                Vector { subject: Some(first), ..vector(crate::zip::encode(&p.raw(), b""), trust(c.keys, &[producer(P1), producer(P3)], 1)) }
            },
        },
        Case {
            slug: "bundle-missing-approval-gap",
            readme: "0007 without approvals/0001 while approvals/0002 is present: the lowest missing approval number is reported (bundle-v0.md 2.4.4), bundle.missing_entry",
            expected: invalid("bundle.missing_entry"),
            make: |c| {
                let b = with_approvals(c, 2, &[(A1, "lee.ortiz@acme.example"), (A2, "sam.kim@acme.example")], |_| {});
                let mut p = Parts::open(&b);
                p.remove("approvals/0001.dsse.json");
                Vector { subject: Some("approvals/0001.dsse.json".into()), ..vector(crate::zip::encode(&p.raw(), b""), t_approvers(c)) }
            },
        },
        // ---- bundle-v0.md §6.1: the order of key-file checks ----
        Case {
            slug: "key-mismatch-before-unused",
            readme: "0001 plus a key file named for producer-ed25519-2 holding the P-256 key, signer of nothing: key.filename_mismatch is checked before the unused-key rule (bundle-v0.md 6.1)",
            expected: invalid("key.filename_mismatch"),
            make: |c| mutate(c, |p, ctx| {
                let name = key_file(ctx, P2);
                p.insert_sorted(&name, Method::Stored, ctx.keys.get(P3).public_key().to_pem().into_bytes());
            }),
        },
        Case {
            slug: "keys-checked-in-name-order",
            readme: "0001 plus an unused key file of producer-ed25519-2 (6917...) and the producer key file (b577...) made malformed: key files are checked one by one in name order, bundle.unexpected_entry first (bundle-v0.md 6.1)",
            expected: invalid("bundle.unexpected_entry"),
            make: |c| {
                let v = mutate(c, |p, ctx| {
                    let name = key_file(ctx, P2);
                    p.insert_sorted(&name, Method::Stored, ctx.keys.get(P2).public_key().to_pem().into_bytes());
                    p.set(&key_file(ctx, P1), b"-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".to_vec());
                });
                assert!(key_file(c, P2) < key_file(c, P1), "the unused key must sort first");
                Vector { subject: Some(key_file(c, P2)), ..v }
            },
        },
        // ---- receipt-v0.md §4.1 step 3: the receipt outside `manifest` before the manifest ----
        Case {
            slug: "receipt-shape-before-manifest",
            readme: "receipt of line 1 with an extra top-level member x and an extra manifest member: the receipt outside manifest is checked first (receipt-v0.md 4.1 step 3), receipt.schema",
            expected: invalid("receipt.schema"),
            make: |c| crate::cases::receipt_mutated(c, 1, |r| {
                r["x"] = json!(1);
                r["manifest"]["zzz"] = json!(1);
            }),
        },
        Case {
            slug: "receipt-count-before-manifest",
            readme: "receipt of line 1 with its key listed twice (2 keys, 1 envelope) and manifest producer.version a number: the count is checked before the manifest (receipt-v0.md 4.1 step 3), receipt.schema",
            expected: invalid("receipt.schema"),
            make: |c| crate::cases::receipt_mutated(c, 1, |r| {
                let k = r["keys"][0].clone();
                r["keys"].as_array_mut().unwrap().push(k);
                r["manifest"]["producer"]["version"] = json!(7);
            }),
        },
        // ---- receipt-v0.md §4.1 step 7: keyid order of envelopes ----
        Case {
            slug: "receipt-envelopes-descending",
            readme: "receipt of 0004's line 1 with envelopes and keys both reversed and the second envelope's signature broken: the keyid order is checked before the signature (receipt-v0.md 4.1 step 7), receipt.schema on envelopes[1]",
            expected: invalid("receipt.schema"),
            make: |c| {
                let mut r = receipt_of(&cosigned(c, vec![P1, P3]), 1);
                for member in ["envelopes", "keys"] {
                    r[member].as_array_mut().unwrap().reverse();
                }
                let file = STANDARD.decode(r["envelopes"][1].as_str().unwrap()).unwrap();
                let mut env = Envelope::decode(&file, &Limits::default()).unwrap();
                env.signatures[0].sig[5] ^= 0x01;
                r["envelopes"][1] = json!(STANDARD.encode(env.encode()));
                let t = trust(c.keys, &[producer(P1), producer(P3)], 1);
                Vector { subject: Some("envelopes[1]".into()), ..receipt_vector(canon(&r), t) }
            },
        },
        // ---- trust-v0.md §3.4: trust.file details ----
        Case {
            slug: "trust-file-invalid-time",
            readme: "0001 with a trust whose not_before is 2026-02-30T00:00:00Z: not a valid time (trust-v0.md 3.1 item 2), ERROR trust.file detail schema",
            expected: TRUST_FILE,
            make: |c| trust_file(c, t1_edited(c, |t| t["keys"][0]["not_before"] = json!("2026-02-30T00:00:00Z")), "schema"),
        },
        Case {
            slug: "trust-file-keyid-mismatch",
            readme: "0001 with a trust entry whose keyid is producer-ed25519-2's: not the key's keyid (trust-v0.md 3.1 item 3), ERROR trust.file detail keyid_mismatch",
            expected: TRUST_FILE,
            make: |c| {
                let other = c.keys.get(P2).public_key().keyid().to_owned();
                trust_file(c, t1_edited(c, |t| t["keys"][0]["keyid"] = json!(other)), "keyid_mismatch")
            },
        },
        Case {
            slug: "trust-file-scheme-not-allowed",
            readme: "0001 with its Ed25519 trust entry given scheme ecdsa-p256-sha256: a scheme not allowed for the key (trust-v0.md 2.3), ERROR trust.file detail sig.scheme_mismatch",
            expected: TRUST_FILE,
            make: |c| trust_file(c, t1_edited(c, |t| t["keys"][0]["scheme"] = json!("ecdsa-p256-sha256")), "sig.scheme_mismatch"),
        },
        Case {
            slug: "trust-file-window-inverted",
            readme: "0001 with a trust window whose not_before is after its not_after (trust-v0.md 3.1 item 3), ERROR trust.file detail window",
            expected: TRUST_FILE,
            make: |c| {
                let extra = [("not_before", "2026-11-21T00:00:00Z"), ("not_after", "2026-11-20T00:00:00Z")];
                trust_file(c, trust(c.keys, &[TrustKey { name: P1, roles: &["producer"], extra: &extra }], 1), "window")
            },
        },
        Case {
            slug: "trust-file-duplicate-keyid",
            readme: "0001 with its trust entry listed twice: keyids are unique (trust-v0.md 3.1 item 4), ERROR trust.file detail duplicate_keyid",
            expected: TRUST_FILE,
            make: |c| trust_file(c, trust(c.keys, &[producer(P1), producer(P1)], 1), "duplicate_keyid"),
        },
        Case {
            slug: "trust-file-threshold-unreachable",
            readme: "0001 with one producer key and threshold 2: a threshold that can never be met (trust-v0.md 3.1 item 5), ERROR trust.file detail threshold",
            expected: TRUST_FILE,
            make: |c| trust_file(c, trust(c.keys, &[producer(P1)], 2), "threshold"),
        },
        Case {
            slug: "trust-file-not-json-detail",
            readme: "0001 with the trust file `{`: not strict JSON (trust-v0.md 3.1 item 1), ERROR trust.file detail jcs.unexpected_end",
            expected: TRUST_FILE,
            make: |c| trust_file(c, b"{".to_vec(), "jcs.unexpected_end"),
        },
    ]
}
