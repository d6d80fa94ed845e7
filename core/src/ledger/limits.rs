//! The ledger's fixed bounds, `spec/limits.md` L47–L55. They are format constants every
//! implementation shares (the Go verifier's `ledger/limits.go` holds the same values), not host
//! settings: a different value would change which ledgers and proofs verify.

/// L47: largest ledger proof file (inclusion or consistency), in bytes (`ledger.proof_schema`).
pub const MAX_PROOF_BYTES: usize = 1 << 20;
/// L48: largest record (its canonical JSON, the leaf data), in bytes: the `uint16` length
/// prefix of an entry bundle (`ledger.record`).
pub const MAX_RECORD_BYTES: usize = 65_535;
/// L49: signature lines in one signed note, the ledger's signature and every cosignature
/// (`ledger.checkpoint_malformed`).
pub const MAX_NOTE_SIGNATURES: usize = 100;
/// L50: largest tree size, and largest cosignature timestamp: 2^63 − 1
/// (`ledger.checkpoint_malformed`; a cosignature beyond it does not verify).
pub const MAX_TREE_SIZE: u64 = i64::MAX as u64;
/// L51: hashes in one full tile and records in one full entry bundle (C2SP tlog-tiles: height 8).
pub const TILE_WIDTH: u64 = 256;
/// The tile height, log2 of [`TILE_WIDTH`].
pub const TILE_HEIGHT: u32 = 8;
/// L52: approvals one record lists (`ledger.record`).
pub const MAX_RECORD_APPROVALS: usize = 16;
/// L53: a record's `subject`, in bytes (`ledger.record`).
pub const MAX_SUBJECT_BYTES: usize = 4_096;
/// L54: largest signed note (checkpoint) file, in bytes (`ledger.checkpoint_malformed`).
pub const MAX_NOTE_BYTES: usize = 1 << 20;
/// L55: records one append adds (`ledger.append_too_large`): an append holds its new entry
/// bundles and tiles in memory before it writes them.
pub const MAX_APPEND_RECORDS: usize = 100_000;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::ledger::note::{Checkpoint, Note};
    use crate::ledger::proof::InclusionProof;
    use crate::ledger::record::{Record, RecordApproval};
    use crate::ledger::tiles::{append, join_entries, MemoryStore};
    use crate::ledger::LedgerErrorKind as K;
    use crate::limits::Limits;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;

    fn record(subject_bytes: usize, approvals: usize) -> Record {
        Record {
            v: 0,
            bundle_id: "b-1".into(),
            bundle_sha256: "ab".repeat(32),
            manifest_digest: format!("sha256:{}", "cd".repeat(32)),
            format: "def/v0".into(),
            created_at: "2026-11-20T09:01:15Z".into(),
            subject: "s".repeat(subject_bytes),
            environment: "production".into(),
            approvals: (0..approvals)
                .map(|i| RecordApproval {
                    digest: format!("sha256:{}", "ef".repeat(32)),
                    nonce: format!("n-{i}"),
                })
                .collect(),
            logged_at: "2026-11-20T09:02:00Z".into(),
        }
    }

    fn kind_of(bytes: &[u8]) -> Option<K> {
        Record::parse(bytes, &Limits::default())
            .err()
            .map(|e| e.kind())
    }

    /// A note of `sigs` signature lines, padded by an extension line to `size` bytes (when > 0).
    fn note(sigs: usize, size: usize) -> Vec<u8> {
        let mut body = format!("example.com/log\n1\n{}\n", STANDARD.encode([0u8; 32]));
        let line = format!("\u{2014} w {}\n", STANDARD.encode([0u8; 68]));
        let tail = format!("\n{}", line.repeat(sigs));
        if size > 0 {
            let pad = size - body.len() - tail.len() - 1;
            body.push_str(&"x".repeat(pad));
            body.push('\n');
        }
        format!("{body}{tail}").into_bytes()
    }

    #[test]
    fn l47_proof_file() {
        let doc = |n: usize| format!("{{}}{}", " ".repeat(n - 2)).into_bytes();
        let at = InclusionProof::parse(&doc(MAX_PROOF_BYTES), &Limits::default()).unwrap_err();
        assert_eq!(at.kind(), K::ProofSchema);
        assert!(!at.to_string().contains("larger than 1 MiB"), "{at}");
        let over =
            InclusionProof::parse(&doc(MAX_PROOF_BYTES + 1), &Limits::default()).unwrap_err();
        assert!(over.to_string().contains("larger than 1 MiB"), "{over}");
    }

    #[test]
    fn l48_record_bytes() {
        let at = vec![b' '; MAX_RECORD_BYTES];
        let e = Record::parse(&at, &Limits::default()).unwrap_err();
        assert!(!e.to_string().contains("longer than"), "{e}");
        let over = vec![b' '; MAX_RECORD_BYTES + 1];
        let e = Record::parse(&over, &Limits::default()).unwrap_err();
        assert!(e.to_string().contains("longer than 65,535 bytes"), "{e}");
        assert!(join_entries(&[vec![0u8; MAX_RECORD_BYTES]]).is_ok());
        assert_eq!(
            join_entries(&[vec![0u8; MAX_RECORD_BYTES + 1]])
                .unwrap_err()
                .kind(),
            K::Record
        );
    }

    #[test]
    fn l49_note_signatures() {
        assert!(Note::parse(&note(MAX_NOTE_SIGNATURES, 0)).is_ok());
        let e = Note::parse(&note(MAX_NOTE_SIGNATURES + 1, 0)).unwrap_err();
        assert_eq!(e.kind(), K::CheckpointMalformed);
        assert!(e.to_string().contains("more than 100"), "{e}");
    }

    #[test]
    fn l50_tree_size() {
        let body = |n: u64| format!("o.example/l\n{n}\n{}\n", STANDARD.encode([0u8; 32]));
        assert_eq!(
            Checkpoint::parse_body(&body(MAX_TREE_SIZE)).unwrap().size,
            MAX_TREE_SIZE
        );
        let e = Checkpoint::parse_body(&body(MAX_TREE_SIZE + 1)).unwrap_err();
        assert_eq!(e.kind(), K::CheckpointMalformed);
    }

    #[test]
    fn l51_tile_width() {
        let records = |n: u64| (0..n).map(|i| i.to_be_bytes()).collect::<Vec<_>>();
        let (at, _) = append(&mut MemoryStore::default(), 0, &records(TILE_WIDTH)).unwrap();
        let paths: Vec<_> = at.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(paths, ["tile/entries/000", "tile/0/000", "tile/1/000.p/1"]);
        let (over, _) = append(&mut MemoryStore::default(), 0, &records(TILE_WIDTH + 1)).unwrap();
        let paths: Vec<_> = over.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "tile/entries/000",
                "tile/entries/001.p/1",
                "tile/0/000",
                "tile/0/001.p/1",
                "tile/1/000.p/1"
            ]
        );
    }

    #[test]
    fn l52_record_approvals() {
        assert_eq!(kind_of(&record(1, MAX_RECORD_APPROVALS).to_bytes()), None);
        assert_eq!(
            kind_of(&record(1, MAX_RECORD_APPROVALS + 1).to_bytes()),
            Some(K::Record)
        );
    }

    #[test]
    fn l53_record_subject() {
        assert_eq!(kind_of(&record(MAX_SUBJECT_BYTES, 0).to_bytes()), None);
        assert_eq!(
            kind_of(&record(MAX_SUBJECT_BYTES + 1, 0).to_bytes()),
            Some(K::Record)
        );
    }

    #[test]
    fn l54_note_bytes() {
        let at = note(1, MAX_NOTE_BYTES);
        assert_eq!(at.len(), MAX_NOTE_BYTES);
        assert!(Note::parse(&at).is_ok());
        let e = Note::parse(&note(1, MAX_NOTE_BYTES + 1)).unwrap_err();
        assert_eq!(e.kind(), K::CheckpointMalformed);
        assert!(e.to_string().contains("L54"), "{e}");
    }

    #[test]
    fn l55_append_records() {
        let records: Vec<[u8; 8]> = (0..MAX_APPEND_RECORDS as u64 + 1)
            .map(u64::to_be_bytes)
            .collect();
        let (writes, _) = append(
            &mut MemoryStore::default(),
            0,
            &records[..MAX_APPEND_RECORDS],
        )
        .unwrap();
        assert!(!writes.is_empty());
        let e = append(&mut MemoryStore::default(), 0, &records).unwrap_err();
        assert_eq!(e.kind(), K::AppendTooLarge);
    }
}
