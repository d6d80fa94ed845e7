//! `clyra verify`'s artifact hashing on several threads (shared with the Node addon, in
//! `clyra_host::hasher`) and the SHA-256 of a whole open bundle file.

use std::fs::File;
use std::io;

use clyra_host::hasher::At;
pub(crate) use clyra_host::hasher::ParallelHasher;

/// SHA-256 of a whole open file's bytes (the bundle's identity in a ledger record, ledger-v0.md
/// §2.1): the core's `Sha256Digest::of_reader` over a positioned reader from offset 0, so the file's
/// shared offset does not move.
pub(crate) fn file_sha256(file: &File) -> io::Result<clyra_core::digest::Sha256Digest> {
    clyra_core::digest::Sha256Digest::of_reader(At::new(file))
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, SeekFrom};

    use super::*;

    #[test]
    fn file_sha256_hashes_the_whole_file_and_leaves_its_offset() {
        let path = std::env::temp_dir().join(format!("clyra-hasher-{}", std::process::id()));
        std::fs::write(&path, b"abc").unwrap();
        let mut file = File::open(&path).unwrap();
        file.seek(SeekFrom::Start(2)).unwrap();
        let digest = file_sha256(&file).unwrap();
        let offset = file.stream_position().unwrap();
        std::fs::remove_file(&path).unwrap();
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            digest.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(offset, 2);
    }
}
