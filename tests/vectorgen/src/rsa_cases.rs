//! Cases 0117 on: RSA producer and approver signatures (rsa-pkcs1v15-sha256, rsa-pss-sha256;
//! signatures.md §4.4–§4.5, trust-v0.md §2.3, §4.2, approval-v0.md §5 rule 5) and the one-role
//! rule `trust.role` (trust-v0.md §5.4). Append-only like `cases.rs`.

use clyra_core::approval::APPROVAL_PAYLOAD_TYPE;
use clyra_core::build::ApprovalFile;
use clyra_core::crypto::{PublicKey, Scheme};
use clyra_core::dsse::IN_TOTO_PAYLOAD_TYPE;
use serde_json::{json, Value};

use crate::cases::{base, invalid, t1, vector, with_approvals, Case, A1, P1, VALID};
use crate::{
    approval_payload, build, canon, def_spec, parse, trust, Build, Ctx, Parts, Vector, SIGNED_AT,
};

const R2048: &str = "producer-rsa2048-1";
const R3072: &str = "producer-rsa3072-1";
const RA: &str = "approver-rsa2048-1";

/// A trust entry for an RSA key (`trust()` takes signing keys; RSA keys are vectorgen's own).
fn rsa_entry(ctx: &Ctx<'_>, name: &str, scheme: Scheme, roles: &[&str]) -> Value {
    let k = ctx.keys.1.public(name);
    json!({"keyid": k.keyid(), "scheme": scheme.as_str(), "public_key_pem": k.to_pem(),
           "roles": roles})
}

/// `base` trust (canonical) with the RSA entries appended.
fn with_rsa(base_trust: &[u8], entries: Vec<Value>) -> Vec<u8> {
    let mut t = parse(base_trust);
    for e in entries {
        t["keys"].as_array_mut().unwrap().push(e);
    }
    canon(&t)
}

/// A trust holding only the RSA producer `name` under `scheme`, threshold 1.
fn rsa_trust(ctx: &Ctx<'_>, name: &str, scheme: Scheme) -> Vec<u8> {
    canon(
        &json!({"version": 0, "keys": [rsa_entry(ctx, name, scheme, &["producer"])],
                  "thresholds": {"producer": 1}}),
    )
}

/// 0001's bundle with its producer signature replaced by one of the RSA key `name` under
/// `scheme` (PSS with `salt_len` bytes of seeded salt); the key file is renamed accordingly.
fn rsa_signed(ctx: &Ctx<'_>, name: &str, scheme: Scheme, salt_len: usize) -> Parts {
    let mut p = base(ctx);
    let public = ctx.keys.1.public(name);
    let hex = public.keyid().strip_prefix("sha256:").unwrap().to_owned();
    let statement = p.statement(&json!(SIGNED_AT), scheme.as_str());
    let envelope = ctx.keys.1.envelope(
        name,
        scheme,
        IN_TOTO_PAYLOAD_TYPE,
        &canon(&statement),
        (ctx.label("pss-salt"), salt_len),
    );
    for e in &mut p.0 {
        if e.name.starts_with("keys/") {
            e.name = format!("keys/{hex}.pub.pem");
            e.data = public.to_pem().into_bytes();
        } else if e.name.starts_with("signatures/") {
            e.name = format!("signatures/{hex}.dsse.json");
            e.data = envelope.encode();
        }
    }
    p
}

/// 0001 signed by the RSA key `name` under `sign` (scheme, PSS salt length), trusted under
/// `trusted`.
fn rsa_vector(ctx: &Ctx<'_>, name: &str, sign: (Scheme, usize), trusted: Scheme) -> Vector {
    let p = rsa_signed(ctx, name, sign.0, sign.1);
    vector(p.write(), rsa_trust(ctx, name, trusted))
}

/// 0001 with `approvals.required` 1 and one approval by the RSA approver under `scheme`.
fn rsa_approved(ctx: &Ctx<'_>, scheme: Scheme) -> Vec<u8> {
    let mut spec = def_spec(ctx);
    spec["approvals"] = json!({"required": 1});
    let nonce = ctx.nonce("nonce-0");
    let payload = approval_payload("lee.ortiz@acme.example", &nonce, &spec["change"], |_| {});
    let envelope = ctx.keys.1.envelope(
        RA,
        scheme,
        APPROVAL_PAYLOAD_TYPE,
        &payload,
        (ctx.label("approval-salt"), 32),
    );
    let approver: PublicKey = ctx.keys.1.public(RA);
    build(
        ctx,
        &spec,
        Build {
            approvals: vec![ApprovalFile {
                envelope: envelope.encode(),
                nonce,
            }],
            approver_keys: vec![approver],
            ..Build::default()
        },
    )
}

/// The RSA and `trust.role` cases, numbered after `pins.rs`.
#[allow(clippy::too_many_lines)]
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            slug: "def-rsa-pkcs1v15-producer",
            readme: "0001 signed by an RSA-2048 producer key with rsa-pkcs1v15-sha256, trusted with that scheme: VALID",
            expected: VALID,
            make: |c| rsa_vector(c, R2048, (Scheme::RsaPkcs1v15Sha256, 32), Scheme::RsaPkcs1v15Sha256),
        },
        Case {
            slug: "def-rsa-pss-producer",
            readme: "0001 signed by an RSA-3072 producer key with rsa-pss-sha256 (MGF1-SHA-256, 32-byte seeded salt), trusted with that scheme: VALID",
            expected: VALID,
            make: |c| rsa_vector(c, R3072, (Scheme::RsaPssSha256, 32), Scheme::RsaPssSha256),
        },
        Case {
            slug: "def-rsa-pss-approver",
            readme: "0001 with approvals.required 1 and one approval signed by an RSA-2048 approver with rsa-pss-sha256, trusted with that scheme: VALID",
            expected: VALID,
            make: |c| {
                let t = with_rsa(&t1(c), vec![rsa_entry(c, RA, Scheme::RsaPssSha256, &["approver"])]);
                vector(rsa_approved(c, Scheme::RsaPssSha256), t)
            },
        },
        Case {
            slug: "rsa-pss-salt-20",
            readme: "0118's bundle re-signed with a 20-byte PSS salt: the salt length is fixed to 32 (signatures.md 4.5), sig.invalid",
            expected: invalid("sig.invalid"),
            make: |c| rsa_vector(c, R3072, (Scheme::RsaPssSha256, 20), Scheme::RsaPssSha256),
        },
        Case {
            slug: "rsa-signature-not-reduced",
            readme: "0117's bundle with the signature replaced by the modulus n itself (s = n, right length): s < n is checked before the RSA operation (signatures.md 4.4), sig.malformed",
            expected: invalid("sig.malformed"),
            make: |c| {
                let mut p = rsa_signed(c, R2048, Scheme::RsaPkcs1v15Sha256, 32);
                let name = p.first("signatures/");
                let mut env = clyra_core::dsse::Envelope::decode(p.get(&name), &clyra_core::Limits::default()).unwrap();
                env.signatures[0].sig = c.keys.1.modulus(R2048);
                p.set(&name, env.encode());
                vector(p.write(), rsa_trust(c, R2048, Scheme::RsaPkcs1v15Sha256))
            },
        },
        Case {
            slug: "rsa-trusted-with-other-scheme",
            readme: "0117's bundle (predicate.scheme rsa-pkcs1v15-sha256) with its key trusted only as rsa-pss-sha256: the signature verifies but is not trusted (trust-v0.md 5.2), VALID_UNTRUSTED trust.untrusted_key",
            expected: ("VALID_UNTRUSTED", "trust.untrusted_key", 2),
            make: |c| rsa_vector(c, R2048, (Scheme::RsaPkcs1v15Sha256, 32), Scheme::RsaPssSha256),
        },
        Case {
            slug: "rsa-approver-not-in-trust",
            readme: "0119's bundle verified without the RSA approver in the trust: its scheme is unknown, rule 5 stops it as approval.untrusted and it never helps (approval-v0.md 5.4), approval.insufficient",
            expected: invalid("approval.insufficient"),
            make: |c| vector(rsa_approved(c, Scheme::RsaPssSha256), t1(c)),
        },
        Case {
            slug: "trust-file-rsa-bare-pem",
            readme: "0001 with a bare-PEM trust file holding an RSA key: its scheme would be ambiguous (trust-v0.md 4.2), ERROR trust.file detail key.unsupported_algorithm",
            expected: ("ERROR", "trust.file", 4),
            make: |c| Vector {
                detail: Some("key.unsupported_algorithm"),
                ..vector(base(c).write(), c.keys.1.public(R2048).to_pem().into_bytes())
            },
        },
        Case {
            slug: "trust-role-producer-approves",
            readme: "0001 with approvals.required 1 and the approval signed by the producer key itself, trusted as producer and approver: one role per key per bundle (trust-v0.md 5.4), trust.role",
            expected: invalid("trust.role"),
            make: |c| {
                // The builder refuses this bundle, so 0006 is edited: its approval is replaced by
                // one the producer key signs (digest updated, A1's then unused key file removed,
                // re-signed), so that only the one-role rule fails.
                let mut p = Parts::open(&with_approvals(c, 1, &[(A1, "lee.ortiz@acme.example")], |_| {}));
                let change = p.manifest()["change"].clone();
                let nonce = p.manifest()["approvals"]["entries"][0]["nonce"].as_str().unwrap().to_owned();
                let file = crate::approval(c.keys.get(P1), "lee.ortiz@acme.example", &nonce, &change, |_| {});
                p.remove(&format!("keys/{}.pub.pem", crate::key_hex(c.keys.get(A1))));
                p.replace_approval(c.keys, 0, file.envelope);
                let t = trust(c.keys, &[crate::TrustKey { name: P1, roles: &["producer", "approver"], extra: &[] }], 1);
                vector(p.write(), t)
            },
        },
    ]
}
