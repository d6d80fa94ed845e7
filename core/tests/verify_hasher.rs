//! `verify_bundle_hashed`: a host's `ArtifactHasher` changes how artifact bytes are read, never
//! the verdict. Every golden bundle vector is verified without a hasher and with hashers that
//! compute the entries in reverse order (as a parallel host may finish them), return none, or
//! return only the first; all verdicts must be identical, checks and their order included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use std::io::Cursor;
use std::path::Path;

use clyra_core::bundle::{read_entry_data, ContainerError, EntryDigest, EntryInfo};
use clyra_core::format::Schemas;
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verify::{verify_bundle_hashed, ArtifactHasher, VerifyInputs};
use clyra_core::Limits;

/// Hashes the entries last to first over its own reader on the same bytes, then keeps `keep`.
struct Reversed<'a> {
    bytes: &'a [u8],
    keep: usize,
}

impl ArtifactHasher for Reversed<'_> {
    fn hash_artifacts(&self, entries: &[EntryInfo]) -> Vec<Result<EntryDigest, ContainerError>> {
        let mut reader = Cursor::new(self.bytes);
        let mut out: Vec<_> = entries
            .iter()
            .rev()
            .map(|e| read_entry_data(&mut reader, e, &mut std::io::sink()))
            .collect();
        out.reverse();
        out.truncate(self.keep);
        out
    }
}

#[test]
fn a_hasher_never_changes_a_verdict() {
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors");
    let limits = Limits::default();
    let schemas = Schemas::new().unwrap();
    let mut compared = 0;
    let mut dirs: Vec<_> = std::fs::read_dir(&vectors)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let Ok(bytes) = std::fs::read(dir.join("bundle.zip")) else {
            continue;
        };
        let Ok(trust) = Trust::parse(&std::fs::read(dir.join("trust.json")).unwrap(), &limits)
        else {
            continue;
        };
        let args: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("args.json")).unwrap()).unwrap();
        let at = Timestamp::parse(args["at"].as_str().unwrap()).unwrap();
        let policy = args["policy"]
            .as_str()
            .map(|p| std::fs::read(dir.join(p)).unwrap());
        let inputs = VerifyInputs {
            trust: &trust,
            at: &at,
            policy: policy.as_deref(),
            schemas: &schemas,
            limits: &limits,
            witnessed: None,
        };
        let len = bytes.len() as u64;
        let plain = verify_bundle_hashed(Cursor::new(&bytes), len, &inputs, None).0;
        for keep in [usize::MAX, 0, 1] {
            let hasher = Reversed {
                bytes: &bytes,
                keep,
            };
            let hashed = verify_bundle_hashed(Cursor::new(&bytes), len, &inputs, Some(&hasher)).0;
            assert_eq!(hashed, plain, "{} (keep {keep})", dir.display());
        }
        compared += 1;
    }
    assert!(compared >= 100, "only {compared} bundle vectors compared");
}
