//! Merkle root of 1,000,000 leaves against its lower bound: the same number of raw SHA-256 calls.
//!
//! A tree of n leaves costs n leaf hashes (33-byte inputs) and n - 1 node hashes (65-byte
//! inputs). `peer_sha256_2m` does 1,000,000 of each with `sha2::Sha256` directly, on stack buffers
//! and with no tree bookkeeping, so `clyra_tree_builder / peer_sha256_2m` is the overhead of the
//! tree code (target: at most 1.3).

use std::hint::black_box;

use clyra_core::merkle::TreeBuilder;
use criterion::{criterion_group, criterion_main, Criterion};
use sha2::{Digest as _, Sha256};

const LEAVES: usize = 1_000_000;

/// 1,000,000 distinct 32-byte leaves, built once outside the measurement.
fn leaves() -> Vec<[u8; 32]> {
    (0..LEAVES as u64)
        .map(|i| Sha256::digest(i.to_le_bytes()).into())
        .collect()
}

fn merkle_root_1m(c: &mut Criterion) {
    let leaves = leaves();
    let mut group = c.benchmark_group("merkle_root_1m");
    group.sample_size(10);

    group.bench_function("clyra_tree_builder", |b| {
        b.iter(|| {
            let mut tree = TreeBuilder::new();
            for leaf in black_box(&leaves) {
                tree.push_leaf(leaf);
            }
            black_box(tree.root())
        })
    });

    group.bench_function("peer_sha256_2m", |b| {
        b.iter(|| {
            let mut leaf_input = [0u8; 33];
            let mut node_input = [1u8; 65];
            let mut acc = [0u8; 32];
            for leaf in black_box(&leaves) {
                // 0x00 ‖ leaf: one 33-byte hash per leaf.
                leaf_input[1..].copy_from_slice(leaf);
                let leaf_hash: [u8; 32] = Sha256::digest(leaf_input).into();
                // 0x01 ‖ left ‖ right: one 65-byte hash per leaf (n - 1 in a real tree).
                node_input[1..33].copy_from_slice(&acc);
                node_input[33..].copy_from_slice(&leaf_hash);
                acc = Sha256::digest(node_input).into();
            }
            black_box(acc)
        })
    });

    group.finish();
}

criterion_group!(benches, merkle_root_1m);
criterion_main!(benches);
