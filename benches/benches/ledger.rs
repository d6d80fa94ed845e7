//! The evidence ledger's costs against the raw Merkle cost of the same leaves.
//!
//! - `ledger_append_100k`: `ledger::tiles::append` of 100,000 records (leaf hashes, every tile
//!   and entry bundle, the new root) vs `peer_merkle_root_100k`, the RFC 9162 root of the same
//!   records with `merkle::TreeBuilder` (the least any append must do).
//! - `ledger_inclusion_1m`: an inclusion proof at 1,000,000 entries read from tiles (a fresh
//!   `TiledTree` each time, so every tile it needs is fetched and split again) vs
//!   `peer_inclusion_from_all_leaves_1m`, `merkle::inclusion_proof` over all 1,000,000 leaf hashes
//!   (what a ledger without tiles would have to do). The tiles read per proof are printed.
//!
//! The disk end to end (`clyra ledger append` of 100,000 bundle files, `clyra ledger prove` at
//! 1,000,000 entries) is `benches/ledger_scale.sh`.

use std::hint::black_box;

use clyra_core::ledger::tiles::{append, MemoryStore, TiledTree};
use clyra_core::merkle::{inclusion_proof, leaf_hash, TreeBuilder};
use criterion::{criterion_group, criterion_main, Criterion};

/// `n` distinct records of the size of a real one (~400 bytes).
fn records(n: u64) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("{{\"approvals\":[],\"bundle_id\":\"bench:{i:016}\",\"bundle_sha256\":\"{:064x}\",\"created_at\":\"2026-11-20T09:00:00Z\",\"environment\":\"test\",\"format\":\"def/v0\",\"logged_at\":\"2026-11-20T09:02:00Z\",\"manifest_digest\":\"sha256:{:064x}\",\"subject\":\"model.bench.m{i}\",\"v\":0}}", i, i + 1).into_bytes())
        .collect()
}

fn append_100k(c: &mut Criterion) {
    let recs = records(100_000);
    let mut group = c.benchmark_group("ledger_append_100k");
    group.sample_size(10);
    group.bench_function("clyra_tiles_append", |b| {
        b.iter(|| {
            let mut store = MemoryStore::default();
            black_box(append(&mut store, 0, black_box(&recs)).map(|(w, r)| (w.len(), r)))
        })
    });
    group.bench_function("peer_merkle_root_100k", |b| {
        b.iter(|| {
            let mut tree = TreeBuilder::new();
            for r in black_box(&recs) {
                tree.push_leaf_hash(leaf_hash(r));
            }
            black_box(tree.root())
        })
    });
    group.finish();
}

fn inclusion_1m(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let recs: Vec<Vec<u8>> = (0..N).map(|i| i.to_be_bytes().to_vec()).collect();
    let mut store = MemoryStore::default();
    store.append(0, &recs).unwrap_or_default();
    let leaves: Vec<[u8; 32]> = recs.iter().map(|r| leaf_hash(r)).collect();
    drop(recs);
    let index = 765_432;
    let mut tree = TiledTree::new(&mut store, N);
    let proof = tree.inclusion_proof(index).unwrap_or_default();
    eprintln!(
        "ledger_inclusion_1m: {} tiles read for a {}-hash proof",
        tree.tiles_read(),
        proof.len()
    );
    let mut group = c.benchmark_group("ledger_inclusion_1m");
    group.bench_function("clyra_tiled_inclusion_proof", |b| {
        b.iter(|| {
            let mut tree = TiledTree::new(&mut store, N);
            black_box(tree.inclusion_proof(black_box(index)).map(|p| p.len()))
        })
    });
    group.sample_size(10);
    group.bench_function("peer_inclusion_from_all_leaves_1m", |b| {
        b.iter(|| black_box(inclusion_proof(black_box(&leaves), index).map(|p| p.len())))
    });
    group.finish();
}

criterion_group!(benches, append_100k, inclusion_1m);
criterion_main!(benches);
