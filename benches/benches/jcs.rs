//! Canonicalization throughput against serde_jcs 0.2.0 and plain serde_json parse+serialize.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

use clyra_core::jcs::{self, IntegerMode};
use clyra_core::Limits;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

fn shared() -> PathBuf {
    std::env::var_os("CLYRA_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

fn canonicalize(c: &mut Criterion) {
    let limits = Limits::default();
    for (file, mode) in [
        ("canada", IntegerMode::Strict),
        ("citm_catalog", IntegerMode::Strict),
        ("twitter", IntegerMode::Lossy),
    ] {
        let path = shared().join(format!("conformance/json-benchmark/data/{file}.json"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut group = c.benchmark_group(format!("jcs_{file}"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.sample_size(30);
        group.bench_function("clyra", |b| {
            b.iter(|| jcs::canonicalize_with(black_box(&bytes), &limits, mode).unwrap())
        });
        group.bench_function("peer_serde_jcs", |b| {
            b.iter(|| {
                let v: serde_json::Value = serde_json::from_slice(black_box(&bytes)).unwrap();
                serde_jcs::to_vec(&v).unwrap()
            })
        });
        group.bench_function("peer_serde_json", |b| {
            b.iter(|| {
                let v: serde_json::Value = serde_json::from_slice(black_box(&bytes)).unwrap();
                serde_json::to_vec(&v).unwrap()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, canonicalize);
criterion_main!(benches);
