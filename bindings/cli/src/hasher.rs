//! `clyra verify`'s artifact hashing on several threads (shared with the Node addon, in
//! `clyra_host::hasher`) and the SHA-256 of a whole open bundle file.

use std::fs::File;
use std::io::{self, Read};

use clyra_host::hasher::At;
pub(crate) use clyra_host::hasher::ParallelHasher;

/// SHA-256 of a whole open file's bytes, read from offset 0 without moving its shared offset
/// (the bundle's identity in a ledger record, ledger-v0.md §2.1).
pub(crate) fn file_sha256(file: &File) -> io::Result<clyra_core::digest::Sha256Digest> {
    use sha2::{Digest as _, Sha256};
    let mut reader = At::new(file);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok(clyra_core::digest::Sha256Digest::from_bytes(
        hasher.finalize().into(),
    ))
}
