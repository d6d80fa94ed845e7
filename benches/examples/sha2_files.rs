//! The peer of the bundle benchmarks: raw `sha2` SHA-256 over files on one core.
//!
//! Usage: `sha2_files FILE...` — prints the seconds spent reading and hashing them, the way the
//! verifier does (64 KiB reads), so `clyra verify` can be compared with the bare hashing cost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Read;
use std::time::Instant;

use sha2::{Digest, Sha256};

fn main() {
    let start = Instant::now();
    let mut buffer = vec![0u8; 64 * 1024];
    for path in std::env::args().skip(1) {
        let mut file = std::fs::File::open(&path).unwrap();
        let mut hasher = Sha256::new();
        loop {
            let n = file.read(&mut buffer).unwrap();
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
        eprintln!("{path}: {:x}", hasher.finalize());
    }
    println!("{:.3}", start.elapsed().as_secs_f64());
}
