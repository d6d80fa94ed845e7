//! Each enforcement primitive's decision with the in-memory store (goal: under 5 µs each).
//! Peer: a bare `HashMap` get + insert of the same key shape, the floor any store pays.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::HashMap;

use clyra_core::guard::enforce::*;
use clyra_core::Limits;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const T0: u64 = 1_795_165_275_000;

fn enforce(c: &mut Criterion) {
    let mut group = c.benchmark_group("enforce");
    group.sample_size(50);

    let idem = Idempotency::new(&[7u8; 32], 60_000, 5_000, &Limits::default()).unwrap();
    let payload =
        br#"{"amount":1250,"currency":"EUR","customer":"c-9","items":[{"sku":"a","qty":2}]}"#;
    let mut store = MemoryStore::default();
    group.bench_function("idempotency_begin_abandon", |b| {
        b.iter(|| {
            let d = idem
                .begin(
                    &mut store,
                    "acme",
                    "req-1",
                    black_box(payload),
                    UnixMillis(T0),
                )
                .unwrap();
            idem.abandon(&mut store, "acme", "req-1", &d.fingerprint, UnixMillis(T0))
                .unwrap();
        })
    });
    let mut store = MemoryStore::default();
    let d = idem
        .begin(&mut store, "acme", "req-2", payload, UnixMillis(T0))
        .unwrap();
    idem.complete(
        &mut store,
        "acme",
        "req-2",
        &d.fingerprint,
        b"{\"ok\":true}",
        UnixMillis(T0),
    )
    .unwrap();
    group.bench_function("idempotency_replay", |b| {
        b.iter(|| {
            idem.begin(
                &mut store,
                "acme",
                "req-2",
                black_box(payload),
                UnixMillis(T0),
            )
            .unwrap()
        })
    });

    let rate = RateLimiter::new(1_000, 1_000, 50).unwrap();
    let mut store = MemoryStore::default();
    let mut now = T0;
    let key = RateKey {
        tenant: "acme",
        actor: "ana",
        route: "/v1/sync",
    };
    group.bench_function("rate_limit_check", |b| {
        b.iter(|| {
            now += 1;
            rate.check(&mut store, black_box(key), UnixMillis(now))
                .unwrap()
        })
    });

    let mut store = MemoryStore::default();
    TenantFence
        .fence(&mut store, "zeta", "incident", 0, UnixMillis(T0))
        .unwrap();
    group.bench_function("tenant_fence_check", |b| {
        b.iter(|| {
            TenantFence
                .check(&mut store, black_box("acme"), Some("acme"), UnixMillis(T0))
                .unwrap()
        })
    });

    let kill = KillSwitch::new(KillSwitchConfig {
        window_ms: 60_000,
        max_bytes: Some(u64::MAX / 2),
        max_rows: Some(u64::MAX / 2),
        max_threats: Some(1_000_000_000),
        max_error_percent: Some(50),
        min_requests: 100,
        trip_ms: 60_000,
    })
    .unwrap();
    let mut store = MemoryStore::default();
    group.bench_function("kill_switch_record", |b| {
        b.iter(|| {
            kill.record(
                &mut store,
                "acme",
                black_box(Signal::Data {
                    bytes: 512,
                    rows: 3,
                }),
                UnixMillis(T0),
            )
            .unwrap()
        })
    });
    group.bench_function("kill_switch_check", |b| {
        b.iter(|| {
            kill.check(&mut store, black_box("acme"), UnixMillis(T0))
                .unwrap()
        })
    });

    let breaker = LoopBreaker::new(60_000, 1_000_000, 16, 30_000).unwrap();
    let mut store = MemoryStore::default();
    let mut now = T0;
    group.bench_function("loop_breaker_step", |b| {
        b.iter(|| {
            now += 1;
            breaker
                .step(
                    &mut store,
                    "acme",
                    "run-7",
                    black_box(br#"{"tool":"search","q":"x"}"#),
                    UnixMillis(now),
                )
                .unwrap()
        })
    });

    let circuit = CircuitBreaker::new(5, 10_000, 1, 2).unwrap();
    let mut store = MemoryStore::default();
    group.bench_function("circuit_acquire_record", |b| {
        b.iter(|| {
            circuit
                .acquire(&mut store, black_box("warehouse"), UnixMillis(T0))
                .unwrap();
            circuit
                .record(&mut store, "warehouse", true, UnixMillis(T0))
                .unwrap()
        })
    });

    let d = rate
        .check(&mut MemoryStore::default(), key, UnixMillis(T0))
        .unwrap();
    group.bench_function("decision_to_event", |b| b.iter(|| black_box(&d).to_event()));

    let mut map: HashMap<String, Vec<u8>> = HashMap::new();
    group.bench_function("peer_hashmap_get_insert", |b| {
        b.iter(|| {
            let k = black_box("rate:4:acme:3:ana:8:/v1/sync");
            let v = map.get(k).cloned().unwrap_or_default();
            map.insert(k.to_owned(), v);
        })
    });
    group.finish();
}

criterion_group!(benches, enforce);
criterion_main!(benches);
