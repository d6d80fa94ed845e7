//! Witnessed vectors (trust-v0.md §6.5 rule 5a, conformance.md §2.9): base 0001's bundle, whose
//! producer key `producer-ed25519-1` the trust file revokes at 2026-11-25, with a ledger receipt
//! for it (record 2 of a 4-entry ledger, ledger key `producer-ed25519-2`) whose checkpoint the
//! witness `approver-ed25519-1` (`witness.vectors.clyra.dev/w1`, type 0x04) cosigned. Expected
//! triples are written from trust-v0.md §6.5 and verdicts.md §1.

use std::io::Cursor;

use clyra_core::digest::Sha256Digest;
use clyra_core::ledger::note::{ALG_COSIGNATURE_V1, ALG_ED25519};
use clyra_core::ledger::proof::InclusionProof;
use clyra_core::ledger::tiles::{MemoryStore, TiledTree};
use clyra_core::ledger::{Checkpoint, Note, NoteSigner, Record};
use clyra_core::time::Timestamp;
use clyra_core::Limits;
use serde_json::json;

use crate::cases::{invalid, vector, Case, A2, P1, P2, VALID};
use crate::ledger_cases::{record, ORIGIN};
use crate::{canon, trust, Ctx, TrustKey, Vector};

/// The trusted witness's name.
const WITNESS: &str = "witness.vectors.clyra.dev/w1";
/// A witness key the trust file does not list.
const OTHER_WITNESS_KEY: &str = "approver-ed25519-2";
/// When the trust file revokes the producer key.
const REVOKED_AT: &str = "2026-11-25T00:00:00Z";
/// A cosignature time before the revocation.
const BEFORE: &str = "2026-11-21T00:00:00Z";
/// Index of the bundle's record in the ledger.
const INDEX: u64 = 2;

fn unix(t: &str) -> u64 {
    u64::try_from(Timestamp::parse(t).unwrap().unix_seconds()).unwrap()
}

fn witness_signer<'a>(ctx: &'a Ctx<'_>, key: &str) -> NoteSigner<'a> {
    NoteSigner::new(ctx.keys.get(key), WITNESS, ALG_COSIGNATURE_V1).unwrap()
}

fn ledger_signer<'a>(ctx: &'a Ctx<'_>, key: &str) -> NoteSigner<'a> {
    NoteSigner::new(ctx.keys.get(key), ORIGIN, ALG_ED25519).unwrap()
}

/// The trust file: P1 revoked at [`REVOKED_AT`] (`revoked` false: not revoked), the ledger key
/// and the witness [`A2`] as `witnesses`.
fn witnessed_trust(ctx: &Ctx<'_>, revoked: bool) -> Vec<u8> {
    let extra = [("revoked_at", REVOKED_AT)];
    let key = TrustKey {
        name: P1,
        roles: &["producer"],
        extra: if revoked { &extra } else { &[] },
    };
    let mut t: serde_json::Value = serde_json::from_slice(&trust(ctx.keys, &[key], 1)).unwrap();
    t["ledger_keys"] = json!([ledger_signer(ctx, P2).verifier().to_text()]);
    t["witnesses"] = json!([witness_signer(ctx, A2).verifier().to_text()]);
    canon(&t)
}

/// Base 0001's bundle and the receipt of its record, the checkpoint signed by `ledger_key` and
/// cosigned by `witness_key` at `cosigned`; `edit` changes the receipt before it is written.
fn witnessed(
    ctx: &Ctx<'_>,
    ledger_key: &str,
    witness_key: &str,
    cosigned: &str,
    edit: impl FnOnce(&mut InclusionProof, &[Record]),
) -> (Vec<u8>, Vec<u8>) {
    let bundle = crate::cases::base(ctx).write();
    let sha = Sha256Digest::from_bytes(crate::sha256(&bundle));
    let limits = Limits::default();
    let ours = Record::of_bundle(
        Cursor::new(&bundle),
        bundle.len() as u64,
        &sha,
        "2026-11-20T10:00:00Z",
        &limits,
    )
    .unwrap();
    let records: Vec<Record> = (0..4)
        .map(|i| {
            if i == INDEX {
                ours.clone()
            } else {
                record(ctx, "w", i)
            }
        })
        .collect();
    let mut store = MemoryStore::default();
    let leaves: Vec<Vec<u8>> = records.iter().map(Record::to_bytes).collect();
    store.append(0, &leaves).unwrap();
    let size = records.len() as u64;
    let mut tree = TiledTree::new(&mut store, size);
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size,
        root: tree.root().unwrap(),
    };
    let path = tree.inclusion_proof(INDEX).unwrap();
    let note = cp.sign(&ledger_signer(ctx, ledger_key)).unwrap();
    let cosigned = Note::cosign(&note, &witness_signer(ctx, witness_key), unix(cosigned)).unwrap();
    let mut proof = InclusionProof::new(cosigned, size, INDEX, ours, &path);
    edit(&mut proof, &records);
    (bundle, proof.to_bytes())
}

fn witnessed_vector(trust: Vec<u8>, parts: (Vec<u8>, Vec<u8>)) -> Vector {
    Vector {
        ledger_proof: Some(parts.1),
        ..vector(parts.0, trust)
    }
}

/// The plain case: P1 revoked, the receipt cosigned by the trusted witness at `cosigned`.
fn revoked_cosigned_at(ctx: &Ctx<'_>, cosigned: &str) -> Vector {
    witnessed_vector(
        witnessed_trust(ctx, true),
        witnessed(ctx, P2, A2, cosigned, |_, _| {}),
    )
}

/// A trust file with one more member `name` set to `value` (for trust.file vectors).
fn trust_with(ctx: &Ctx<'_>, name: &str, value: serde_json::Value) -> Vec<u8> {
    let mut t: serde_json::Value = serde_json::from_slice(&witnessed_trust(ctx, true)).unwrap();
    t[name] = value;
    canon(&t)
}

/// The witnessed cases, appended after every other case.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            slug: "witness-revoked-key-cosigned-before",
            readme: "0001 with its producer key revoked at 2026-11-25 and a ledger receipt cosigned by a trusted witness at 2026-11-21: rule 5a keeps the signature, time.key_revoked_witnessed (warn), VALID exit 2",
            expected: ("VALID", "time.key_revoked_witnessed", 2),
            make: |c| revoked_cosigned_at(c, BEFORE),
        },
        Case {
            slug: "witness-cosigned-after-revocation",
            readme: "the same with the witness cosignature at 2026-11-26, after revoked_at: time.witness_after_revocation",
            expected: invalid("time.witness_after_revocation"),
            make: |c| revoked_cosigned_at(c, "2026-11-26T00:00:00Z"),
        },
        Case {
            slug: "witness-cosigned-at-revocation",
            readme: "the same with the witness cosignature at exactly revoked_at: it must be strictly before, time.witness_after_revocation",
            expected: invalid("time.witness_after_revocation"),
            make: |c| revoked_cosigned_at(c, REVOKED_AT),
        },
        Case {
            slug: "witness-not-in-trust",
            readme: "witness-revoked-key-cosigned-before with the cosignature made by a key the trust file does not list as a witness: time.witness_untrusted",
            expected: invalid("time.witness_untrusted"),
            make: |c| witnessed_vector(witnessed_trust(c, true), witnessed(c, P2, OTHER_WITNESS_KEY, BEFORE, |_, _| {})),
        },
        Case {
            slug: "witness-ledger-key-untrusted",
            readme: "witness-revoked-key-cosigned-before with the checkpoint signed under the ledger's origin by producer-ed25519-1, not a ledger key of the trust file: time.witness_untrusted",
            expected: invalid("time.witness_untrusted"),
            make: |c| witnessed_vector(witnessed_trust(c, true), witnessed(c, P1, A2, BEFORE, |_, _| {})),
        },
        Case {
            slug: "witness-receipt-other-bundle",
            readme: "witness-revoked-key-cosigned-before with the receipt of record 1 (another bundle) of the same cosigned checkpoint: it does not prove these bytes, time.witness_proof_mismatch",
            expected: invalid("time.witness_proof_mismatch"),
            make: |c| {
                let (bundle, _) = witnessed(c, P2, A2, BEFORE, |_, _| {});
                let (_, proof) = witnessed(c, P2, A2, BEFORE, |p, records| {
                    // Record 1's own receipt: same checkpoint, its path recomputed.
                    let mut store = MemoryStore::default();
                    let leaves: Vec<Vec<u8>> = records.iter().map(Record::to_bytes).collect();
                    store.append(0, &leaves).unwrap();
                    let path = TiledTree::new(&mut store, p.tree_size).inclusion_proof(1).unwrap();
                    *p = InclusionProof::new(p.checkpoint.clone(), p.tree_size, 1, records[1].clone(), &path);
                });
                witnessed_vector(witnessed_trust(c, true), (bundle, proof))
            },
        },
        Case {
            slug: "witness-cosignature-tampered",
            readme: "witness-revoked-key-cosigned-before with a byte of the cosignature timestamp changed after signing: the trusted witness's only line fails, time.witness_proof_mismatch",
            expected: invalid("time.witness_proof_mismatch"),
            make: |c| witnessed_vector(witnessed_trust(c, true), witnessed(c, P2, A2, BEFORE, |p, _| {
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::STANDARD;
                let (body, line) = p.checkpoint.trim_end().rsplit_once('\n').unwrap();
                let (name, sig) = line.rsplit_once(' ').unwrap();
                let mut raw = b64.decode(sig).unwrap();
                raw[11] = raw[11].wrapping_sub(1); // the timestamp's last byte (after the 4-byte key ID)
                p.checkpoint = format!("{body}\n{name} {}\n", b64.encode(raw));
            })),
        },
        Case {
            slug: "witness-key-not-revoked",
            readme: "witness-revoked-key-cosigned-before with the producer key not revoked: rule 5a does not apply, the receipt's ledger checks pass, VALID ok",
            expected: VALID,
            make: |c| witnessed_vector(witnessed_trust(c, false), witnessed(c, P2, A2, BEFORE, |_, _| {})),
        },
        Case {
            slug: "witness-trust-witness-wrong-type",
            readme: "0001 with a trust file whose witnesses entry is a ledger-type (0x01) verifier key: trust-v0.md 3.1 item 6, trust.file witness_key",
            expected: ("ERROR", "trust.file", 4),
            make: |c| Vector {
                detail: Some("witness_key"),
                ..vector(crate::cases::base(c).write(), trust_with(c, "witnesses", json!([ledger_signer(c, A2).verifier().to_text()])))
            },
        },
        Case {
            slug: "witness-trust-ledger-key-bad-hash",
            readme: "0001 with a trust file whose ledger_keys entry has a key hash that is not its key's: trust-v0.md 3.1 item 6, trust.file ledger_key",
            expected: ("ERROR", "trust.file", 4),
            make: |c| {
                let text = ledger_signer(c, P2).verifier().to_text();
                let (name, rest) = text.split_once('+').unwrap();
                let (_, key) = rest.split_once('+').unwrap();
                Vector {
                    detail: Some("ledger_key"),
                    ..vector(crate::cases::base(c).write(), trust_with(c, "ledger_keys", json!([format!("{name}+00000000+{key}")])))
                }
            },
        },
    ]
}
