//! The ledger's proof files — a ledger receipt (inclusion) and a consistency proof — and their
//! verdicts (spec: ledger-v0.md §5).

use serde::{Deserialize, Serialize};

use super::note::{Checkpoint, VerifierKey};
use super::record::Record;
use super::{Hash, LedgerError, LedgerErrorKind as K};
use crate::digest::{to_hex, Sha256Digest};
use crate::jcs;
use crate::limits::Limits;
use crate::merkle::{leaf_hash, verify_consistency, verify_inclusion};
use crate::verdict::{Check, Severity, Step};
use crate::verify::Verdict;

/// `type` of a ledger receipt.
pub const INCLUSION_TYPE: &str = "clyra.ledger.inclusion/v0";
/// `type` of a consistency proof.
pub const CONSISTENCY_TYPE: &str = "clyra.ledger.consistency/v0";
/// Largest proof file accepted, in bytes.
use super::limits::MAX_PROOF_BYTES;

/// A ledger receipt: the inclusion proof of one record at a signed checkpoint (§5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// [`INCLUSION_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The signed checkpoint note.
    pub checkpoint: String,
    /// The size of the tree the proof was made for.
    pub tree_size: u64,
    /// The record's leaf index.
    pub index: u64,
    /// The leaf record.
    pub record: Record,
    /// Sibling hashes, leaf level first, as lowercase hex.
    pub proof: Vec<String>,
}

/// A consistency proof between two signed checkpoints (§5.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// [`CONSISTENCY_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The older signed checkpoint.
    pub old: String,
    /// The newer signed checkpoint.
    pub new: String,
    /// The RFC 9162 consistency proof, as lowercase hex.
    pub proof: Vec<String>,
}

/// Serialises a proof file as canonical JSON.
fn canonical<T: Serialize>(value: &T) -> Vec<u8> {
    let json = serde_json::to_vec(value).unwrap_or_default();
    jcs::canonicalize(&json, &Limits::default()).unwrap_or(json)
}

fn hex_all(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| to_hex(h)).collect()
}

/// Decodes hex proof hashes; a malformed one is `ledger.proof_schema`.
pub(crate) fn unhex_all(hashes: &[String]) -> Result<Vec<Hash>, LedgerError> {
    hashes
        .iter()
        .map(|h| {
            Sha256Digest::from_hex(h)
                .map(|d| *d.as_bytes())
                .ok_or_else(|| {
                    LedgerError::new(
                        K::ProofSchema,
                        format!("`{h}` is not 64 lowercase hex digits"),
                    )
                })
        })
        .collect()
}

/// Parses a proof file: size bound, strict JSON, the struct's members (`ledger.proof_schema`).
fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8], limits: &Limits) -> Result<T, LedgerError> {
    let bad = |why: String| LedgerError::new(K::ProofSchema, format!("bad proof file: {why}"));
    if bytes.len() > MAX_PROOF_BYTES {
        return Err(bad("larger than 1 MiB".into()));
    }
    jcs::parse(bytes, limits).map_err(|e| bad(e.to_string()))?;
    serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))
}

impl InclusionProof {
    /// A receipt for `record` at `index`, with its `proof` under the signed `checkpoint` of
    /// `tree_size` leaves.
    pub fn new(
        checkpoint: String,
        tree_size: u64,
        index: u64,
        record: Record,
        proof: &[Hash],
    ) -> Self {
        Self {
            kind: INCLUSION_TYPE.into(),
            checkpoint,
            tree_size,
            index,
            record,
            proof: hex_all(proof),
        }
    }

    /// The canonical JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        canonical(self)
    }

    /// Parses a receipt file (§5.2 step 1).
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Self, LedgerError> {
        let proof: Self = parse(bytes, limits)?;
        if proof.kind != INCLUSION_TYPE || proof.proof.len() > limits.merkle_max_proof_hashes {
            return Err(LedgerError::new(
                K::ProofSchema,
                "not a ledger inclusion proof",
            ));
        }
        Ok(proof)
    }
}

impl ConsistencyProof {
    /// A consistency proof between the signed notes `old` and `new`.
    pub fn new(old: String, new: String, proof: &[Hash]) -> Self {
        Self {
            kind: CONSISTENCY_TYPE.into(),
            old,
            new,
            proof: hex_all(proof),
        }
    }

    /// The canonical JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        canonical(self)
    }

    /// Parses a consistency proof file (§5.4 step 1).
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Self, LedgerError> {
        let proof: Self = parse(bytes, limits)?;
        if proof.kind != CONSISTENCY_TYPE || proof.proof.len() > limits.merkle_max_proof_hashes {
            return Err(LedgerError::new(
                K::ProofSchema,
                "not a ledger consistency proof",
            ));
        }
        Ok(proof)
    }
}

/// Severity of a ledger code in a verdict (§5.5).
pub fn severity(kind: K) -> Severity {
    if kind == K::UntrustedKey {
        Severity::Untrusted
    } else {
        Severity::Fail
    }
}

/// The message of a passing ledger check, by its subject (§5.5).
pub(crate) fn ok_message(subject: &str) -> &'static str {
    match subject {
        "proof" => "the proof file is well formed",
        "checkpoint" | "old checkpoint" | "new checkpoint" => "signed by the ledger key",
        "tree_size" => "the proof is for the checkpoint's tree size",
        "inclusion" => "the record is in the checkpoint's tree",
        "bundle" => "the record names these exact bundle bytes",
        "consistency" => "the older tree is a prefix of the newer one",
        "tiles" => "every record and tile hashes up to the checkpoint's root",
        "since" => "the current tree extends the earlier checkpoint",
        _ => "cosigned by the witness",
    }
}

pub(crate) fn check(subject: &str, result: Result<(), LedgerError>) -> Check {
    match result {
        Ok(()) => Check::ok(Step::Ledger)
            .with_subject(subject)
            .with_message(ok_message(subject)),
        Err(e) => Check::new(Step::Ledger, e.kind().code(), severity(e.kind()))
            .with_subject(subject)
            .with_message(e.to_string()),
    }
}

fn skipped(subject: &str) -> Check {
    Check::new(Step::Ledger, "skipped", Severity::Ok)
        .with_subject(subject)
        .with_message("not checked: an earlier ledger check failed")
}

/// A checkpoint verified with §3.4, tolerating an untrusted key: the checks can go on (the
/// verdict is then VALID_UNTRUSTED at best).
fn open_checkpoint(note: &str, key: &VerifierKey) -> (Result<(), LedgerError>, Option<Checkpoint>) {
    match Checkpoint::verify(note.as_bytes(), key) {
        Ok(cp) => (Ok(()), Some(cp)),
        Err(e) if e.kind() == K::UntrustedKey => {
            let cp = Checkpoint::open(note.as_bytes()).ok().map(|(cp, _)| cp);
            (Err(e), cp)
        }
        Err(e) => (Err(e), None),
    }
}

/// The checks of a ledger receipt (§5.2) against the ledger key `key`; with `bundle_sha256`, the
/// receipt must also name that bundle (step 5). Appended after a bundle's checks by `clyra
/// verify --ledger-proof`.
pub fn inclusion_checks(
    bytes: &[u8],
    key: &VerifierKey,
    bundle_sha256: Option<&Sha256Digest>,
    limits: &Limits,
) -> Vec<Check> {
    let mut subjects = vec!["tree_size", "inclusion"];
    if bundle_sha256.is_some() {
        subjects.push("bundle");
    }
    let proof = match InclusionProof::parse(bytes, limits) {
        Ok(p) => p,
        Err(e) => {
            let mut checks = vec![check("proof", Err(e)), skipped("checkpoint")];
            checks.extend(subjects.iter().map(|s| skipped(s)));
            return checks;
        }
    };
    let mut checks = vec![check("proof", Ok(()))];
    let (verified, cp) = open_checkpoint(&proof.checkpoint, key);
    checks.push(check("checkpoint", verified));
    let Some(cp) = cp else {
        checks.extend(subjects.iter().map(|s| skipped(s)));
        return checks;
    };
    let size_ok = if proof.tree_size == cp.size {
        Ok(())
    } else {
        Err(LedgerError::new(
            K::TreeSizeMismatch,
            format!(
                "the proof is for a tree of {} leaves; the checkpoint has {}",
                proof.tree_size, cp.size
            ),
        ))
    };
    let size_failed = size_ok.is_err();
    checks.push(check("tree_size", size_ok));
    if size_failed {
        checks.push(skipped("inclusion"));
    } else {
        let included = unhex_all(&proof.proof).and_then(|path| {
            let leaf = leaf_hash(&proof.record.to_bytes());
            verify_inclusion(&leaf, proof.index, cp.size, &path, &cp.root, limits).map_err(|e| {
                LedgerError::new(
                    K::Inclusion,
                    format!(
                        "record {} is not in the checkpoint's tree: {e}",
                        proof.index
                    ),
                )
            })
        });
        checks.push(check("inclusion", included));
    }
    if let Some(sha) = bundle_sha256 {
        let same = if proof.record.bundle_sha256 == sha.to_hex() {
            Ok(())
        } else {
            Err(LedgerError::new(
                K::BundleMismatch,
                format!(
                    "the record names bundle bytes {}, not these ({})",
                    proof.record.bundle_sha256,
                    sha.to_hex()
                ),
            ))
        };
        checks.push(check("bundle", same));
    }
    checks
}

/// The verdict of a ledger receipt alone (§5.2, §5.5).
pub fn verify_inclusion_proof(bytes: &[u8], key: &VerifierKey, limits: &Limits) -> Verdict {
    Verdict::from_checks(inclusion_checks(bytes, key, None, limits))
}

/// Judges consistency between two verified checkpoints (§5.4 step 3).
pub fn check_consistency(
    old: &Checkpoint,
    new: &Checkpoint,
    proof: &[Hash],
    limits: &Limits,
) -> Result<(), LedgerError> {
    if old.size > new.size {
        return Err(LedgerError::new(
            K::Rewound,
            format!("the log shrank from {} to {} leaves", old.size, new.size),
        ));
    }
    if old.size == new.size && old.root != new.root {
        return Err(LedgerError::new(
            K::Fork,
            format!("two different trees of {} leaves", old.size),
        ));
    }
    if old.size == 0 {
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(LedgerError::new(
                K::Inconsistent,
                "a proof from the empty log must be empty",
            ))
        };
    }
    verify_consistency(old.size, new.size, proof, &old.root, &new.root, limits).map_err(|e| {
        LedgerError::new(
            K::Inconsistent,
            format!(
                "the tree of {} leaves is not a prefix of the tree of {}: {e}",
                old.size, new.size
            ),
        )
    })
}

/// The verdict of a consistency proof file against the ledger key (§5.4, §5.5).
pub fn verify_consistency_proof(bytes: &[u8], key: &VerifierKey, limits: &Limits) -> Verdict {
    let proof = match ConsistencyProof::parse(bytes, limits) {
        Ok(p) => p,
        Err(e) => {
            return Verdict::from_checks(vec![
                check("proof", Err(e)),
                skipped("old checkpoint"),
                skipped("new checkpoint"),
                skipped("consistency"),
            ])
        }
    };
    let mut checks = vec![check("proof", Ok(()))];
    let (old_ok, old) = open_checkpoint(&proof.old, key);
    checks.push(check("old checkpoint", old_ok));
    let (new_ok, new) = open_checkpoint(&proof.new, key);
    checks.push(check("new checkpoint", new_ok));
    let consistent = match (old, new) {
        (Some(old), Some(new)) => Some(
            unhex_all(&proof.proof).and_then(|path| check_consistency(&old, &new, &path, limits)),
        ),
        _ => None,
    };
    checks.push(match consistent {
        Some(result) => check("consistency", result),
        None => skipped("consistency"),
    });
    Verdict::from_checks(checks)
}

/// The verdict of either proof file, chosen by its `type` member.
pub fn verify_proof_file(bytes: &[u8], key: &VerifierKey, limits: &Limits) -> Verdict {
    let is_consistency = serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| {
            v.get("type")
                .and_then(|t| t.as_str())
                .map(|t| t == CONSISTENCY_TYPE)
        })
        .unwrap_or(false);
    if is_consistency {
        verify_consistency_proof(bytes, key, limits)
    } else {
        verify_inclusion_proof(bytes, key, limits)
    }
}
