//! Attestation vectors (attestation-v0.md §6): a SOX attestation over base 0001's bundle, signed
//! by `producer-ed25519-1` (trusted as producer by `t1`), and three alterations of it. Each
//! folder holds `attestation.dsse.json` beside `bundle.zip`, `trust.json` and `args.json`; the
//! conformance runner calls `attest-verify ATTESTATION BUNDLE --trust --at`. Expected triples are
//! written from attestation-v0.md §6.1.

use std::io::Cursor;

use clyra_core::attest::{self, BundleFacts, Completeness, Framework, Inputs};
use clyra_core::digest::Sha256Digest;
use clyra_core::dsse::{self, IN_TOTO_PAYLOAD_TYPE};
use clyra_core::format::Schemas;
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verify::{verify_bundle_with_evidence, VerifyInputs};
use clyra_core::Limits;
use serde_json::{json, Value};

use crate::cases::{base, invalid, t1, vector, Case, P1, P2, VALID};
use crate::{canon, parse, Ctx, AT};

/// The four attestation cases, appended at the end of the table.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            slug: "attestation-valid",
            readme: "a SOX attestation over base 0001's bundle, signed by a trusted producer key; the statuses recompute from the bundle (attestation-v0.md section 6)",
            expected: VALID,
            make: bundle_vector,
        },
        Case {
            slug: "attestation-status-altered-untrusted-signer",
            readme: "attestation-valid with its first control's status changed and re-signed by producer-ed25519-2, which the trust file does not hold: attest.untrusted",
            expected: ("VALID_UNTRUSTED", "attest.untrusted", 2),
            make: bundle_vector,
        },
        Case {
            slug: "attestation-status-altered-trusted-signer",
            readme: "attestation-valid with its first control's status changed and re-signed by the trusted key: the recomputed status differs, attest.status_mismatch",
            expected: invalid("attest.status_mismatch"),
            make: bundle_vector,
        },
        Case {
            slug: "attestation-subject-digest-mismatch",
            readme: "attestation-valid whose subject digest names other bytes than the bundle given, re-signed by the trusted key: attest.subject_mismatch",
            expected: invalid("attest.subject_mismatch"),
            make: bundle_vector,
        },
    ]
}

fn bundle_vector(ctx: &Ctx<'_>) -> crate::Vector {
    vector(base(ctx).write(), t1(ctx))
}

/// The valid attestation's Statement as JSON, over base 0001's bundle verified at `AT`.
fn statement(ctx: &Ctx<'_>) -> Value {
    let limits = Limits::default();
    let bundle = base(ctx).write();
    let trust_bytes = t1(ctx);
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
    let (verdict, evidence) =
        verify_bundle_with_evidence(Cursor::new(&bundle), bundle.len() as u64, &inputs);
    let facts = BundleFacts::of(
        "bundle.zip",
        Sha256Digest::of(&bundle),
        &verdict,
        evidence.manifest.as_ref(),
        &evidence.approvals,
    );
    let inputs = Inputs {
        framework: Framework::Sox,
        attested_at: AT.to_owned(),
        verified_at: AT.to_owned(),
        period: None,
        trust_digest: Sha256Digest::of(&trust_bytes),
        policy_digests: Vec::new(),
        completeness: Completeness::Bundles,
    };
    let facts = [facts];
    let statement = attest::statement(&facts, attest::predicate(&inputs, &facts));
    parse(&statement.to_canonical_bytes())
}

fn signed(ctx: &Ctx<'_>, statement: &Value, key: &str) -> Vec<u8> {
    let mut out = dsse::sign(IN_TOTO_PAYLOAD_TYPE, &canon(statement), ctx.keys.get(key)).encode();
    out.push(b'\n');
    out
}

fn altered_status(ctx: &Ctx<'_>) -> Value {
    let mut s = statement(ctx);
    let status = &mut s["predicate"]["controls"][0]["status"];
    *status = if *status == json!("supported") {
        json!("not_supported")
    } else {
        json!("supported")
    };
    s
}

/// `attestation.dsse.json` of the case `slug`, or `None` for the cases of other files.
pub fn attestation(slug: &str, ctx: &Ctx<'_>) -> Option<Vec<u8>> {
    Some(match slug {
        "attestation-valid" => signed(ctx, &statement(ctx), P1),
        "attestation-status-altered-untrusted-signer" => signed(ctx, &altered_status(ctx), P2),
        "attestation-status-altered-trusted-signer" => signed(ctx, &altered_status(ctx), P1),
        "attestation-subject-digest-mismatch" => {
            let mut s = statement(ctx);
            s["subject"][0]["digest"]["sha256"] = json!(Sha256Digest::of(b"other bytes").to_hex());
            signed(ctx, &s, P1)
        }
        _ => return None,
    })
}
