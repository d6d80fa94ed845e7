//! The host hook for hashing artifacts: the core stays single-threaded and pure, a host may read
//! the `artifacts/` entries on several file handles at once and hand the core their digests.
//!
//! spec: bundle-v0.md §2.4.3 item 8 (every entry's data is checked) and §7 step 3 (artifact
//! digests). The hook changes how artifact bytes are read, never what is checked or reported: the
//! container step still walks the entries in central-directory order and reports the first
//! failure in that order, whether the host computed the digests in parallel or not.

use crate::bundle::{ContainerError, EntryDigest, EntryInfo};

/// Reads out and hashes a bundle's `artifacts/` entries for the container step.
///
/// A host implements it when it can do better than the core's sequential read (the `clyra` CLI
/// hashes on two or more threads, each with its own file handle). Each entry must be checked with
/// [`crate::bundle::read_entry_data`] over the same bytes the core opened, so that the results are
/// exactly what the core would compute.
pub trait ArtifactHasher {
    /// Returns one result per entry of `entries` (every `artifacts/` entry of the bundle, in
    /// central-directory order), in the same order. A result the hasher does not return (a
    /// shorter vector) is computed by the core in place.
    fn hash_artifacts(&self, entries: &[EntryInfo]) -> Vec<Result<EntryDigest, ContainerError>>;
}
