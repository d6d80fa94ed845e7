//! Rule 5a (spec: trust-v0.md §6.5): what a ledger receipt whose checkpoint trusted witnesses
//! cosigned proves about the time of one bundle — the evidence that keeps a revoked producer
//! key's signature counted when the bundle was logged and witnessed before the revocation.

use super::note::{Checkpoint, VerifierKey};
use super::proof::{unhex_all, InclusionProof};
use crate::digest::Sha256Digest;
use crate::limits::Limits;
use crate::merkle::{leaf_hash, verify_inclusion};
use crate::trust::{Trust, Witnessed};

/// Evaluates the ledger receipt `receipt` for the bundle whose bytes hash to `bundle_sha256`
/// against the ledger keys and witnesses of `trust`, in the order of trust-v0.md §6.5.1: the
/// first failing step decides. Pure: the verifier's input, computed once per bundle.
pub fn witnessed(
    receipt: &[u8],
    trust: &Trust,
    bundle_sha256: &Sha256Digest,
    limits: &Limits,
) -> Witnessed {
    let mismatch = |why: String| Witnessed::Mismatch(why);
    // 1. a receipt with a well-formed signed checkpoint.
    let proof = match InclusionProof::parse(receipt, limits) {
        Ok(p) => p,
        Err(e) => return mismatch(e.to_string()),
    };
    let (cp, note) = match Checkpoint::open(proof.checkpoint.as_bytes()) {
        Ok(opened) => opened,
        Err(e) => return mismatch(e.to_string()),
    };
    // 2. a trusted ledger key named as the origin, with a line in the note.
    let Some(key) = trust
        .ledger_keys()
        .iter()
        .find(|k| k.name() == cp.origin && note.has_line(k))
    else {
        return Witnessed::Untrusted(format!(
            "no ledger key of the trust file signed the checkpoint of `{}`",
            cp.origin
        ));
    };
    // 3. its signature, the tree size, the inclusion and these bundle bytes.
    if let Err(e) = note.verify(key) {
        return mismatch(e.to_string());
    }
    if proof.tree_size != cp.size {
        return mismatch(format!(
            "the proof is for a tree of {} leaves; the checkpoint has {}",
            proof.tree_size, cp.size
        ));
    }
    let included = unhex_all(&proof.proof).and_then(|path| {
        let leaf = leaf_hash(&proof.record.to_bytes());
        verify_inclusion(&leaf, proof.index, cp.size, &path, &cp.root, limits)
            .map_err(|e| super::LedgerError::new(super::LedgerErrorKind::Inclusion, e.to_string()))
    });
    if let Err(e) = included {
        return mismatch(format!("the record is not in the checkpoint's tree: {e}"));
    }
    if proof.record.bundle_sha256 != bundle_sha256.to_hex() {
        return mismatch(format!(
            "the receipt names bundle bytes {}, not these ({})",
            proof.record.bundle_sha256,
            bundle_sha256.to_hex()
        ));
    }
    // 4. a line by some trusted witness.
    let listed: Vec<&VerifierKey> = trust
        .witnesses()
        .iter()
        .filter(|w| note.has_line(w))
        .collect();
    if listed.is_empty() {
        return Witnessed::Untrusted("no witness of the trust file cosigned the checkpoint".into());
    }
    // 5. the earliest valid cosignature among them.
    listed
        .iter()
        .filter_map(|w| note.verify_cosignature(w).ok())
        .min()
        .map_or_else(
            || mismatch("no cosignature by a witness of the trust file verifies".into()),
            Witnessed::At,
        )
}

/// The ledger key the receipt's own checks use when the caller names none (ledger-v0.md §5.2):
/// the first key of the trust's `ledger_keys` named as the checkpoint's origin, else the first
/// key; `None` when the trust lists no ledger key.
pub fn default_ledger_key<'t>(
    receipt: &[u8],
    trust: &'t Trust,
    limits: &Limits,
) -> Option<&'t VerifierKey> {
    let origin = InclusionProof::parse(receipt, limits)
        .ok()
        .and_then(|p| Checkpoint::open(p.checkpoint.as_bytes()).ok())
        .map(|(cp, _)| cp.origin);
    trust
        .ledger_keys()
        .iter()
        .find(|k| origin.as_deref() == Some(k.name()))
        .or_else(|| trust.ledger_keys().first())
}
