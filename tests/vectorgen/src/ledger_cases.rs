//! Ledger vectors (ledger-v0.md §5, conformance.md §2.6): ledger receipts and consistency proofs
//! over small deterministic ledgers, each signed by the ledger key `producer-ed25519-2` under the
//! origin `vectors.clyra.dev/ledger`. Expected triples are written from ledger-v0.md §5.2, §5.4
//! and §5.5.

use clyra_core::digest::Sha256Digest;
use clyra_core::ledger::note::ALG_ED25519;
use clyra_core::ledger::proof::{ConsistencyProof, InclusionProof};
use clyra_core::ledger::tiles::{MemoryStore, TiledTree};
use clyra_core::ledger::{Checkpoint, NoteSigner, Record};

use crate::cases::{invalid, vector, Case, P1, P2, VALID};
use crate::{Ctx, Vector, CREATED_AT};

pub(crate) const ORIGIN: &str = "vectors.clyra.dev/ledger";

/// A ledger of `n` records labelled `set` (records differ between sets), in memory.
struct Ledger {
    store: MemoryStore,
    records: Vec<Record>,
}

pub(crate) fn record(ctx: &Ctx<'_>, set: &str, i: u64) -> Record {
    let bundle = ctx.label(&format!("{set} bundle {i}"));
    Record {
        v: 0,
        bundle_id: format!("vectors:{}", hex::encode(&bundle[..8])),
        bundle_sha256: hex::encode(bundle),
        manifest_digest: Sha256Digest::from_bytes(ctx.label(&format!("{set} manifest {i}")))
            .to_prefixed(),
        format: "def/v0".into(),
        created_at: CREATED_AT.into(),
        subject: "model.shop.orders".into(),
        environment: "production".into(),
        approvals: vec![],
        logged_at: "2026-11-20T10:00:00Z".into(),
    }
}

impl Ledger {
    /// Appends records one batch per size in `sizes` (each a checkpoint size), from `set`.
    fn new(ctx: &Ctx<'_>, set: &str, sizes: &[u64]) -> Self {
        let mut store = MemoryStore::default();
        let mut records = Vec::new();
        let mut size = 0u64;
        for &next in sizes {
            let batch: Vec<Record> = (size..next).map(|i| record(ctx, set, i)).collect();
            let bytes: Vec<Vec<u8>> = batch.iter().map(Record::to_bytes).collect();
            store.append(size, &bytes).unwrap();
            records.extend(batch);
            size = next;
        }
        Self { store, records }
    }

    fn checkpoint(&mut self, size: u64) -> Checkpoint {
        let root = TiledTree::new(&mut self.store, size).root().unwrap();
        Checkpoint {
            origin: ORIGIN.into(),
            size,
            root,
        }
    }
}

fn signed(ctx: &Ctx<'_>, cp: &Checkpoint, key: &str) -> String {
    let signer = NoteSigner::new(ctx.keys.get(key), ORIGIN, ALG_ED25519).unwrap();
    cp.sign(&signer).unwrap()
}

/// The ledger key's verifier key text, with its LF: `ledger-key.txt`.
fn ledger_key(ctx: &Ctx<'_>) -> Vec<u8> {
    let signer = NoteSigner::new(ctx.keys.get(P2), ORIGIN, ALG_ED25519).unwrap();
    format!("{}\n", signer.verifier().to_text()).into_bytes()
}

fn ledger_vector(ctx: &Ctx<'_>, proof: Vec<u8>) -> Vector {
    Vector {
        ledger: true,
        ..vector(proof, ledger_key(ctx))
    }
}

/// The receipt of record `index` in a ledger with checkpoints at `sizes`, proved at `size`,
/// edited by `f` before writing.
fn inclusion(
    ctx: &Ctx<'_>,
    sizes: &[u64],
    size: u64,
    index: u64,
    f: impl FnOnce(&mut Ledger, &mut InclusionProof),
) -> Vector {
    let mut ledger = Ledger::new(ctx, "a", sizes);
    let cp = ledger.checkpoint(size);
    let path = TiledTree::new(&mut ledger.store, size)
        .inclusion_proof(index)
        .unwrap();
    let rec = ledger.records[index as usize].clone();
    let mut proof = InclusionProof::new(signed(ctx, &cp, P2), size, index, rec, &path);
    f(&mut ledger, &mut proof);
    ledger_vector(ctx, proof.to_bytes())
}

/// A consistency proof between the checkpoints `old` and `new` of one ledger with checkpoints at
/// `sizes`, edited by `f`.
fn consistency(
    ctx: &Ctx<'_>,
    sizes: &[u64],
    old: u64,
    new: u64,
    f: impl FnOnce(&mut ConsistencyProof),
) -> Vector {
    let mut ledger = Ledger::new(ctx, "a", sizes);
    let (o, n) = (ledger.checkpoint(old), ledger.checkpoint(new));
    let path = if old < new {
        TiledTree::new(&mut ledger.store, new)
            .consistency_proof(old)
            .unwrap()
    } else {
        vec![]
    };
    let mut proof = ConsistencyProof::new(signed(ctx, &o, P2), signed(ctx, &n, P2), &path);
    f(&mut proof);
    ledger_vector(ctx, proof.to_bytes())
}

/// The ledger cases, appended after every other case.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            slug: "ledger-inclusion-valid",
            readme: "ledger receipt of record 3 in a 5-entry ledger (checkpoints at 2 and 5), signed by the ledger key: VALID (ledger-v0.md 5.2)",
            expected: VALID,
            make: |c| inclusion(c, &[2, 5], 5, 3, |_, _| {}),
        },
        Case {
            slug: "ledger-inclusion-large",
            readme: "ledger receipt of record 600 in a 1,000-entry ledger read from full and partial tiles at levels 0 and 1: VALID",
            expected: VALID,
            make: |c| inclusion(c, &[300, 1000], 1000, 600, |_, _| {}),
        },
        Case {
            slug: "ledger-consistency-valid",
            readme: "consistency proof from the 3-entry to the 7-entry checkpoint of one ledger: VALID (ledger-v0.md 5.4)",
            expected: VALID,
            make: |c| consistency(c, &[3, 7], 3, 7, |_| {}),
        },
        Case {
            slug: "ledger-checkpoint-forged",
            readme: "ledger-inclusion-valid with the checkpoint's root replaced by another after signing: the ledger key's signature fails, ledger.checkpoint_signature",
            expected: invalid("ledger.checkpoint_signature"),
            make: |c| inclusion(c, &[2, 5], 5, 3, |ledger, p| {
                let other = ledger.checkpoint(2);
                let forged = Checkpoint { size: 5, ..other };
                let body = forged.body();
                let sigs = p.checkpoint.split_once("\n\n").unwrap().1.to_owned();
                p.checkpoint = format!("{body}\n{sigs}");
            }),
        },
        Case {
            slug: "ledger-checkpoint-untrusted-key",
            readme: "ledger-inclusion-valid with the checkpoint signed under the ledger's origin by another key (producer-ed25519-1): no signature by the given key, ledger.untrusted_key (VALID_UNTRUSTED)",
            expected: ("VALID_UNTRUSTED", "ledger.untrusted_key", 2),
            make: |c| inclusion(c, &[2, 5], 5, 3, |ledger, p| {
                let cp = ledger.checkpoint(5);
                p.checkpoint = signed(c, &cp, P1);
            }),
        },
        Case {
            slug: "ledger-rewound",
            readme: "consistency proof file whose old checkpoint has 7 entries and new checkpoint 4, both signed: the log shrank, ledger.rewound",
            expected: invalid("ledger.rewound"),
            make: |c| consistency(c, &[4, 7], 7, 4, |_| {}),
        },
        Case {
            slug: "ledger-fork",
            readme: "two signed checkpoints of 5 entries with different roots (ledgers of different records, one key): ledger.fork",
            expected: invalid("ledger.fork"),
            make: |c| consistency(c, &[5], 5, 5, |p| {
                let mut other = Ledger::new(c, "b", &[5]);
                let cp = other.checkpoint(5);
                p.new = signed(c, &cp, P2);
            }),
        },
        Case {
            slug: "ledger-proof-other-size",
            readme: "ledger receipt made for the 5-entry tree presented with the signed 6-entry checkpoint of the same ledger: ledger.tree_size_mismatch",
            expected: invalid("ledger.tree_size_mismatch"),
            make: |c| inclusion(c, &[5, 6], 5, 3, |ledger, p| {
                let cp = ledger.checkpoint(6);
                p.checkpoint = signed(c, &cp, P2);
            }),
        },
        Case {
            slug: "ledger-inclusion-altered-record",
            readme: "ledger-inclusion-valid with the record's subject changed: its leaf hash is not in the tree, ledger.inclusion",
            expected: invalid("ledger.inclusion"),
            make: |c| inclusion(c, &[2, 5], 5, 3, |_, p| {
                p.record.subject = "model.shop.refunds".into();
            }),
        },
        Case {
            slug: "ledger-consistency-bad-hash",
            readme: "ledger-consistency-valid with the first proof hash's last digit changed: ledger.inconsistent",
            expected: invalid("ledger.inconsistent"),
            make: |c| consistency(c, &[3, 7], 3, 7, |p| {
                let h = &mut p.proof[0];
                let last = if h.ends_with('0') { "1" } else { "0" };
                h.replace_range(63.., last);
            }),
        },
        Case {
            slug: "ledger-proof-unknown-member",
            readme: "ledger-inclusion-valid with an extra top-level member: the file breaks its schema, ledger.proof_schema",
            expected: invalid("ledger.proof_schema"),
            make: |c| {
                let v = inclusion(c, &[2, 5], 5, 3, |_, _| {});
                let mut value: serde_json::Value = serde_json::from_slice(&v.bundle).unwrap();
                value["witness"] = serde_json::json!("none");
                Vector { bundle: crate::canon(&value), ..v }
            },
        },
    ]
}
