//! Rule 5a (spec: trust-v0.md §6.5): what a ledger receipt whose checkpoint trusted witnesses
//! cosigned proves about the time of one bundle — the evidence that keeps a revoked producer
//! key's signature counted when the bundle was logged and witnessed before the revocation.

use super::note::{Checkpoint, VerifierKey};
use super::proof::{inclusion_checks, unhex_all, InclusionProof};
use super::{LedgerError, LedgerErrorKind};
use crate::digest::Sha256Digest;
use crate::limits::Limits;
use crate::merkle::{leaf_hash, verify_inclusion};
use crate::trust::{Trust, Witnessed};
use crate::verify::Verdict;

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
            .map_err(|e| LedgerError::new(LedgerErrorKind::Inclusion, e.to_string()))
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

/// A ledger receipt given with one verification (`clyra verify --ledger-proof`), judged for the
/// bundle's bytes: the key of its own checks, the bundle's SHA-256 and rule 5a's evidence. The
/// CLI and the FFI hosts both go through it, so every host judges a receipt alike.
pub struct BundleReceipt<'a> {
    proof: &'a [u8],
    key: VerifierKey,
    sha256: Sha256Digest,
    witnessed: Witnessed,
}

impl<'a> BundleReceipt<'a> {
    /// The key of the receipt's own checks (ledger-v0.md §5.2): `given` (`--ledger-key`) when
    /// there is one, else the trust file's ([`default_ledger_key`]); neither is `ledger.key`.
    /// Chosen before the bundle is hashed, so a missing key is reported before any reading.
    pub fn key(
        proof: &[u8],
        given: Option<VerifierKey>,
        trust: &Trust,
        limits: &Limits,
    ) -> Result<VerifierKey, LedgerError> {
        match given {
            Some(key) => Ok(key),
            None => default_ledger_key(proof, trust, limits).cloned().ok_or_else(|| {
                LedgerError::new(
                    LedgerErrorKind::Key,
                    "--ledger-proof needs the ledger's key: give --ledger-key or list it in the trust file's `ledger_keys`",
                )
            }),
        }
    }

    /// Judges `proof` for the bundle whose bytes hash to `sha256`: rule 5a's evidence
    /// (trust-v0.md §6.5, [`witnessed`]) for the trust-and-time step, kept with what the
    /// receipt's own checks need afterwards.
    pub fn new(
        proof: &'a [u8],
        key: VerifierKey,
        sha256: Sha256Digest,
        trust: &Trust,
        limits: &Limits,
    ) -> Self {
        let witnessed = witnessed(proof, trust, &sha256, limits);
        Self {
            proof,
            key,
            sha256,
            witnessed,
        }
    }

    /// Rule 5a's evidence, the `witnessed` input of the bundle's verification.
    pub fn witnessed(&self) -> &Witnessed {
        &self.witnessed
    }

    /// `verdict` with the receipt's inclusion checks after the bundle's own (ledger-v0.md §5.2).
    pub fn append_checks(&self, verdict: Verdict, limits: &Limits) -> Verdict {
        let mut checks = verdict.checks;
        checks.extend(inclusion_checks(
            self.proof,
            &self.key,
            Some(&self.sha256),
            limits,
        ));
        Verdict::from_checks(checks)
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::crypto::{Scheme, SigningKey};
    use crate::ledger::note::{Note, NoteSigner, ALG_COSIGNATURE_V1, ALG_ED25519};
    use crate::ledger::tiles::{MemoryStore, TiledTree};
    use crate::ledger::Record;

    const ORIGIN: &str = "log.example";

    fn key(seed: u8) -> SigningKey {
        SigningKey::generate(Scheme::Ed25519, [seed; 32]).unwrap()
    }

    fn record(i: u8) -> Record {
        Record {
            v: 0,
            bundle_id: format!("b{i}"),
            bundle_sha256: Sha256Digest::of(&[i]).to_hex(),
            manifest_digest: Sha256Digest::of(b"m").to_prefixed(),
            format: "def/v0".into(),
            created_at: "2026-11-20T09:01:15Z".into(),
            subject: "s".into(),
            environment: "production".into(),
            approvals: vec![],
            logged_at: "2026-11-20T10:00:00Z".into(),
        }
    }

    /// A trust with producer key 1, ledger key 2 and the witnesses of `witnesses` (seeds).
    fn trust(witnesses: &[u8]) -> Trust {
        let producer = key(1);
        let pk = producer.public_key();
        let ledger = NoteSigner::new(&key(2), ORIGIN, ALG_ED25519)
            .unwrap()
            .verifier()
            .to_text();
        let ws: Vec<String> = witnesses
            .iter()
            .map(|s| {
                NoteSigner::new(&key(*s), &format!("w{s}"), ALG_COSIGNATURE_V1)
                    .unwrap()
                    .verifier()
                    .to_text()
            })
            .collect();
        let mut v = serde_json::json!({"version": 0, "keys": [{"keyid": pk.keyid(), "scheme": "ed25519",
            "public_key_pem": pk.to_pem(), "roles": ["producer"]}], "thresholds": {"producer": 1},
            "ledger_keys": [ledger]});
        if !ws.is_empty() {
            v["witnesses"] = serde_json::json!(ws);
        }
        Trust::parse(v.to_string().as_bytes(), &Limits::default()).unwrap()
    }

    /// The receipt of record 1 of 3, the checkpoint signed by key `ledger` and cosigned by each
    /// `(seed, time)` witness.
    fn receipt(ledger: u8, cosigners: &[(u8, u64)]) -> Vec<u8> {
        let records: Vec<Record> = (0..3).map(record).collect();
        let mut store = MemoryStore::default();
        let leaves: Vec<Vec<u8>> = records.iter().map(Record::to_bytes).collect();
        store.append(0, &leaves).unwrap();
        let mut tree = TiledTree::new(&mut store, 3);
        let cp = Checkpoint {
            origin: ORIGIN.into(),
            size: 3,
            root: tree.root().unwrap(),
        };
        let path = tree.inclusion_proof(1).unwrap();
        let lk = key(ledger);
        let mut note = cp
            .sign(&NoteSigner::new(&lk, ORIGIN, ALG_ED25519).unwrap())
            .unwrap();
        for (seed, time) in cosigners {
            let wk = key(*seed);
            let w = NoteSigner::new(&wk, &format!("w{seed}"), ALG_COSIGNATURE_V1).unwrap();
            note = Note::cosign(&note, &w, *time).unwrap();
        }
        InclusionProof::new(note, 3, 1, records[1].clone(), &path).to_bytes()
    }

    fn judge(receipt: &[u8], trust: &Trust) -> Witnessed {
        witnessed(receipt, trust, &Sha256Digest::of(&[1]), &Limits::default())
    }

    #[test]
    fn each_step_of_6_5_1() {
        let t = trust(&[3, 4]);
        // The earliest valid cosignature by a listed witness; unlisted ones are ignored.
        let r = receipt(2, &[(3, 500), (4, 400), (5, 100)]);
        assert_eq!(judge(&r, &t), Witnessed::At(400));
        // Step 1: not a receipt.
        assert!(matches!(judge(b"{}", &t), Witnessed::Mismatch(_)));
        // Step 2: signed by another key than the trusted ledger key.
        assert!(matches!(
            judge(&receipt(9, &[(3, 1)]), &t),
            Witnessed::Untrusted(_)
        ));
        // Step 3: other bundle bytes.
        let other = witnessed(&r, &t, &Sha256Digest::of(&[2]), &Limits::default());
        assert!(matches!(other, Witnessed::Mismatch(_)), "{other:?}");
        // Step 3: a record edited after proving.
        let mut edited: serde_json::Value = serde_json::from_slice(&r).unwrap();
        edited["record"]["subject"] = serde_json::json!("t");
        let edited = serde_json::to_vec(&edited).unwrap();
        assert!(matches!(judge(&edited, &t), Witnessed::Mismatch(_)));
        // Step 4: no listed witness cosigned.
        assert!(matches!(
            judge(&receipt(2, &[(5, 1)]), &t),
            Witnessed::Untrusted(_)
        ));
        assert!(matches!(
            judge(&receipt(2, &[(3, 1)]), &trust(&[])),
            Witnessed::Untrusted(_)
        ));
        // Step 5: the only listed cosignature does not verify (its time changed after signing).
        let one = String::from_utf8(receipt(2, &[(3, 7)])).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&one).unwrap();
        let note = v["checkpoint"].as_str().unwrap().to_owned();
        let (head, line) = note.trim_end().rsplit_once('\n').unwrap();
        let (name, sig) = line.rsplit_once(' ').unwrap();
        use base64::Engine as _;
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(sig)
            .unwrap();
        raw[11] ^= 1;
        let sig = base64::engine::general_purpose::STANDARD.encode(raw);
        v["checkpoint"] = serde_json::json!(format!("{head}\n{name} {sig}\n"));
        let tampered = serde_json::to_vec(&v).unwrap();
        assert!(matches!(judge(&tampered, &t), Witnessed::Mismatch(_)));
    }

    #[test]
    fn a_bundle_receipt_picks_its_key_and_appends_its_checks() {
        let t = trust(&[3]);
        let r = receipt(2, &[(3, 9)]);
        let limits = Limits::default();
        // No key given and none in the trust file: `ledger.key`, before any hashing.
        let producer = key(1);
        let pk = producer.public_key();
        let bare = serde_json::json!({"version": 0, "keys": [{"keyid": pk.keyid(),
            "scheme": "ed25519", "public_key_pem": pk.to_pem(), "roles": ["producer"]}],
            "thresholds": {"producer": 1}});
        let no_keys = Trust::parse(bare.to_string().as_bytes(), &limits).unwrap();
        let err = BundleReceipt::key(&r, None, &no_keys, &limits).unwrap_err();
        assert_eq!(err.kind(), LedgerErrorKind::Key);
        // A given key wins over the trust file's.
        let other = NoteSigner::new(&key(8), "other", ALG_ED25519)
            .unwrap()
            .verifier()
            .clone();
        let given = BundleReceipt::key(&r, Some(other.clone()), &t, &limits).unwrap();
        assert_eq!(given.name(), "other");
        // The trust file's key: the receipt is witnessed and its checks pass.
        let key = BundleReceipt::key(&r, None, &t, &limits).unwrap();
        let sha = Sha256Digest::of(&[1]);
        let judged = BundleReceipt::new(&r, key.clone(), sha, &t, &limits);
        assert_eq!(judged.witnessed(), &Witnessed::At(9));
        let empty = Verdict::from_checks(Vec::new());
        let appended = judged.append_checks(empty, &limits);
        assert!(!appended.checks.is_empty());
        assert_eq!(appended.primary, "ok");
        // With another key the receipt's own checks fail.
        let wrong = BundleReceipt::new(&r, other, sha, &t, &limits);
        let failed = wrong.append_checks(Verdict::from_checks(Vec::new()), &limits);
        assert_ne!(failed.primary, "ok");
    }

    #[test]
    fn the_default_ledger_key_is_named_as_the_origin() {
        let t = trust(&[3]);
        let r = receipt(2, &[]);
        let limits = Limits::default();
        assert_eq!(default_ledger_key(&r, &t, &limits).unwrap().name(), ORIGIN);
        // An unreadable receipt: the first key.
        assert_eq!(
            default_ledger_key(b"x", &t, &limits).unwrap().name(),
            ORIGIN
        );
    }
}
