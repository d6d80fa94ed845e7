//! The host hook for hashing artifacts: the core stays single-threaded and pure, a host may read
//! the `artifacts/` entries on several file handles at once and hand the core their digests.
//!
//! spec: bundle-v0.md §2.4.3 item 8 (every entry's data is checked) and §7 step 3 (artifact
//! digests). The hook changes how artifact bytes are read, never what is checked or reported: the
//! container step still walks the entries in central-directory order and reports the first
//! failure in that order, whether the host computed the digests in parallel or not.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::bundle::{ContainerError, ContainerErrorKind, EntryDigest, EntryInfo, Method};
use crate::digest::Sha256Digest;

/// Reads out and hashes a bundle's `artifacts/` entries for the container step.
///
/// A host implements it when it can do better than the core's sequential read (the `clyra` CLI
/// hashes on two or more threads, each with its own file handle). Each entry must be checked with
/// [`crate::bundle::read_entry_data`] over the same bytes the core opened, so that the results are
/// exactly what the core would compute, or be a [`HostDigests`] check.
pub trait ArtifactHasher {
    /// Returns one result per entry of `entries` (every `artifacts/` entry of the bundle, in
    /// central-directory order), in the same order. An entry whose result is `None`, or that a
    /// shorter vector leaves out, is read by the core in place.
    fn hash_artifacts(
        &self,
        entries: &[EntryInfo],
    ) -> Vec<Option<Result<EntryDigest, ContainerError>>>;
}

/// What a host measured over the bytes of one *stored* artifact entry, read from the bundle the
/// core verifies: a host with a faster SHA-256 of its own (the browser page's WebCrypto, issue 13)
/// takes the digest, and the CRC-32 ([`crc32_update`]) and length over the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostDigest {
    /// The entry's name.
    pub name: String,
    /// Where the bytes were read: the entry's data offset in the bundle file.
    pub offset: u64,
    /// How many bytes were read from `offset` (fewer than the entry's size at the end of the file).
    pub read: u64,
    /// The CRC-32 of those bytes.
    pub crc32: u32,
    /// Their SHA-256, in lowercase hex.
    pub sha256: String,
}

/// An [`ArtifactHasher`] over digests a host took before the verification ([`HostDigest`]):
/// each is checked against its entry as [`crate::bundle::read_entry_data`] checks a stored entry
/// (bundle-v0 §2.4.3 item 8: the data ends at the recorded sizes and matches the recorded CRC-32;
/// else `zip.crc` naming the entry), and its SHA-256 stands for the entry's. Entries without one
/// (deflated, or left out by the host) are read by the core in place.
#[derive(Debug, Clone, Default)]
pub struct HostDigests(pub Vec<HostDigest>);

/// The result for `entry` from `digest`, the host's digest at its name and data offset.
fn check(entry: &EntryInfo, digest: &HostDigest) -> Option<Result<EntryDigest, ContainerError>> {
    let sha256 = Sha256Digest::from_hex(&digest.sha256)?;
    // spec: bundle-v0 §2.4.3 item 8, as `read_entry_data` reads a stored entry: exactly
    // `compressed_size` bytes, which must equal `uncompressed_size`, with the recorded CRC-32.
    let whole = entry.method == Method::Stored
        && digest.read == entry.compressed_size
        && digest.read == entry.uncompressed_size
        && digest.crc32 == entry.crc32;
    Some(if whole {
        Ok(EntryDigest {
            sha256,
            size: digest.read,
        })
    } else {
        Err(ContainerError::new(ContainerErrorKind::Crc).with_entry(entry.name.as_bytes()))
    })
}

impl ArtifactHasher for HostDigests {
    fn hash_artifacts(
        &self,
        entries: &[EntryInfo],
    ) -> Vec<Option<Result<EntryDigest, ContainerError>>> {
        // One look-up per entry, whatever the number of digests the call carries.
        let by_place: BTreeMap<(&str, u64), &HostDigest> = self
            .0
            .iter()
            .map(|d| ((d.name.as_str(), d.offset), d))
            .collect();
        entries
            .iter()
            .map(|e| {
                let digest = by_place.get(&(e.name.as_str(), e.data_offset))?;
                check(e, digest)
            })
            .collect()
    }
}

/// The CRC-32 (ZIP's, bundle-v0 §2.4.3 item 8) of bytes that follow bytes whose CRC-32 is `crc`
/// (0 before the first): a host taking a [`HostDigest`] feeds the entry's bytes in pieces.
pub fn crc32_update(crc: u32, bytes: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new_with_initial(crc);
    hasher.update(bytes);
    hasher.finalize()
}
