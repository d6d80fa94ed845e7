//! `clyra verify`'s artifact hashing on several threads (shared with the Node addon, in
//! `clyra_host::hasher`) and the SHA-256 of a whole open bundle file.

use std::fs::File;
use std::io;

use clyra_host::hasher::At;
pub(crate) use clyra_host::hasher::ParallelHasher;

/// SHA-256 of a whole open file's bytes, read from offset 0 without moving its shared offset
/// (the bundle's identity in a ledger record, ledger-v0.md §2.1).
pub(crate) fn file_sha256(file: &File) -> io::Result<clyra_core::digest::Sha256Digest> {
    clyra_core::digest::Sha256Digest::of_reader(At::new(file))
}
