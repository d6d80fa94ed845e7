//! Cases 0126 on: checks of the pipeline that had no vector with their code as primary yet
//! (conformance.md §4.4: every check has at least one). Append-only like `cases.rs`.

use clyra_core::dsse::IN_TOTO_PAYLOAD_TYPE;
use serde_json::{json, Value};

use crate::cases::{
    approval_mutated, edit_envelope_json, invalid, mutate, t_approvers, vector, with_approvals,
    Case, A1, A2, P1, P3,
};
use crate::{approver, build, producer, trust, Parts, TrustKey};

/// 0006's bundle: one approval by A1, required 1.
fn one_approval(ctx: &crate::Ctx<'_>) -> Vec<u8> {
    with_approvals(ctx, 1, &[(A1, "lee.ortiz@acme.example")], |_| {})
}

/// The cases, numbered after `rsa_cases.rs`.
#[allow(clippy::too_many_lines)]
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            slug: "approval-nonce",
            readme: "0006 with the approval's challenge_nonce not the manifest entry's nonce (digest updated, re-signed): approval-v0.md rule 8, approval.nonce",
            expected: invalid("approval.nonce"),
            make: |c| approval_mutated(c, |a| a["challenge_nonce"] = json!("n-00000000000000000000000000000000")),
        },
        Case {
            slug: "approval-payload-hash",
            readme: "0006 with the approval's payload_hash of another change (digest updated, re-signed): approval-v0.md rule 9, approval.payload_hash",
            expected: invalid("approval.payload_hash"),
            make: |c| approval_mutated(c, |a| a["payload_hash"] = json!(format!("sha256:{}", "0".repeat(64)))),
        },
        Case {
            slug: "approval-after-execution",
            readme: "0006 with approved_at 09:00:30, after journal line 0 (09:00:00) but before created_at: approval-v0.md rule 11, approval.after_execution",
            expected: invalid("approval.after_execution"),
            make: |c| approval_mutated(c, |a| a["approved_at"] = json!("2026-11-20T09:00:30Z")),
        },
        Case {
            slug: "approval-payload-schema",
            readme: "0006 with the approval payload lacking mfa_verified (digest updated, re-signed): not valid against approval-v0 (rule 7), approval.schema",
            expected: invalid("approval.schema"),
            make: |c| approval_mutated(c, |a| {
                a.as_object_mut().unwrap().remove("mfa_verified");
            }),
        },
        Case {
            slug: "approval-duplicate-approver",
            readme: "0007 whose two approvals (distinct keys) carry the same sso_sub: rule 16 reports the later one, approval.duplicate_approver",
            expected: invalid("approval.duplicate_approver"),
            make: |c| {
                // The builder refuses duplicates, so 0007 is edited: approval 0002 is re-made
                // with approval 0001's sso_sub (digest updated, re-signed).
                let b = with_approvals(c, 2, &[(A1, "lee.ortiz@acme.example"), (A2, "sam.kim@acme.example")], |_| {});
                let mut p = Parts::open(&b);
                let m = p.manifest();
                let nonce = m["approvals"]["entries"][1]["nonce"].as_str().unwrap().to_owned();
                let file = crate::approval(c.keys.get(A2), "lee.ortiz@acme.example", &nonce, &m["change"], |_| {});
                p.replace_approval(c.keys, 1, file.envelope);
                vector(p.write(), t_approvers(c))
            },
        },
        Case {
            slug: "approval-key-window",
            readme: "0006 with the approver key's trust window ending before approved_at (08:30): approval-v0.md rule 14, approval.key_window",
            expected: invalid("approval.key_window"),
            make: |c| {
                let extra = [("not_after", "2026-11-20T08:00:00Z")];
                let t = trust(c.keys, &[producer(P1), TrustKey { name: A1, roles: &["approver"], extra: &extra }], 1);
                vector(one_approval(c), t)
            },
        },
        Case {
            slug: "approval-untrusted-warns",
            readme: "0006 with approvals.required 1 and two approvals, the second by an approver the trust lacks: required met by the first, approval.untrusted is a warning, VALID exit 2",
            expected: ("VALID", "approval.untrusted", 2),
            make: |c| {
                let b = with_approvals(c, 1, &[(A1, "lee.ortiz@acme.example"), (A2, "sam.kim@acme.example")], |_| {});
                vector(b, trust(c.keys, &[producer(P1), approver(A1)], 1))
            },
        },
        Case {
            slug: "signature-scheme-unknown",
            readme: "0001 re-signed with predicate.scheme ed448, a scheme this version does not know: signature.scheme_unknown, INDETERMINATE",
            expected: ("INDETERMINATE", "signature.scheme_unknown", 3),
            make: |c| mutate(c, |p, ctx| {
                p.resign_with(ctx.keys, IN_TOTO_PAYLOAD_TYPE, |s| s["predicate"]["scheme"] = json!("ed448"));
            }),
        },
        Case {
            slug: "risk-algorithm-unknown",
            readme: "0001 with risk.algorithm risk/v9 (re-signed): the manifest schema reads only the algorithm, the risk step cannot recompute it, risk.algorithm_unknown INDETERMINATE",
            expected: ("INDETERMINATE", "risk.algorithm_unknown", 3),
            make: |c| mutate(c, |p, ctx| {
                p.edit_manifest(|m| m["risk"]["algorithm"] = json!("risk/v9"));
                p.resign(ctx.keys);
            }),
        },
        Case {
            slug: "key-pem-malformed",
            readme: "0001 with the producer key file holding a PEM block without a body: key.pem_malformed",
            expected: invalid("key.pem_malformed"),
            make: |c| mutate(c, |p, _| {
                let name = p.first("keys/");
                p.set(&name, b"-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".to_vec());
            }),
        },
        Case {
            slug: "dsse-unknown-field",
            readme: "0001 whose producer envelope has an extra member x: dsse.md section 3 admits no unknown field, dsse.unknown_field",
            expected: invalid("dsse.unknown_field"),
            make: |c| mutate(c, |p, _| edit_envelope_json(p, |e| e["x"] = Value::Null)),
        },
        // ---- readings of the Go verifier pinned (verifier/go/README.md, now spec text) ----
        Case {
            slug: "manifest-format-missing",
            readme: "0001 whose manifest has no format member (re-signed): a missing format is a schema failure, not an unknown format (verdicts.md manifest table, bundle-v0.md 5.3), manifest.schema",
            expected: invalid("manifest.schema"),
            make: |c| mutate(c, |p, ctx| {
                p.edit_manifest(|m| {
                    m.as_object_mut().unwrap().remove("format");
                });
                p.resign(ctx.keys);
            }),
        },
        Case {
            slug: "manifest-not-an-object",
            readme: "0001 whose manifest.json is the canonical JSON array [] (envelope unchanged: the manifest step stops first): strict JSON but not an object, manifest.json (verdicts.md manifest table)",
            expected: invalid("manifest.json"),
            make: |c| mutate(c, |p, _| p.set("manifest.json", b"[]".to_vec())),
        },
        Case {
            slug: "approval-file-absent",
            readme: "0006 without approvals/0001.dsse.json (and without its signer's then unused key file): the manifest entry's file is absent, approval-v0.md rule 2, approval.digest",
            expected: invalid("approval.digest"),
            make: |c| {
                let mut p = Parts::open(&one_approval(c));
                p.remove("approvals/0001.dsse.json");
                p.remove(&format!("keys/{}.pub.pem", crate::key_hex(c.keys.get(A1))));
                vector(p.write(), t_approvers(c))
            },
        },
        // ---- found by the long differential campaign (seed 1, bundle cases 301 and 6908) ----
        Case {
            slug: "key-oid-arc-out-of-range",
            readme: "0001 whose producer key SPKI has the OID bytes 2b6570 changed to f76570 (OID 2.15253.112, valid DER): an unknown algorithm, not malformed DER (signatures.md 2.2), key.unsupported_algorithm",
            expected: invalid("key.unsupported_algorithm"),
            make: |c| mutate(c, |p, _| {
                let name = p.first("keys/");
                let der = der_of(p.get(&name));
                let at = der.windows(3).position(|w| w == [0x2b, 0x65, 0x70]).unwrap();
                let mut der = der;
                der[at] = 0xf7;
                p.set(&name, pem_of(&der));
            }),
        },
        Case {
            slug: "key-ec-parameter-unknown-tag",
            readme: "0003 whose P-256 key SPKI has its namedCurve parameter tag 06 changed to 07 (still valid DER): wrong parameters are an unknown algorithm (signatures.md 2.2), key.unsupported_algorithm",
            expected: invalid("key.unsupported_algorithm"),
            make: |c| {
                let b = build(c, &crate::def_spec(c), crate::Build { signers: vec![P3], ..crate::Build::default() });
                let mut p = Parts::open(&b);
                let name = p.first("keys/");
                let mut der = der_of(p.get(&name));
                let at = der.windows(2).position(|w| w == [0x06, 0x08]).unwrap();
                der[at] = 0x07;
                p.set(&name, pem_of(&der));
                vector(p.write(), trust(c.keys, &[producer(P3)], 1))
            },
        },
    ]
}

/// The DER inside a PEM text.
fn der_of(pem: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let text = std::str::from_utf8(pem).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// A `PUBLIC KEY` PEM text (64-character lines, LF) of `der`.
fn pem_of(der: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str("-----END PUBLIC KEY-----\n");
    out.into_bytes()
}
