//! Receipt verification cost (receipt-v0.md §4) against the raw Ed25519 verify as peer.
//!
//! Verifies the worked receipt of spec/receipt-v0.md §5 (3,764 canonical bytes, one Ed25519
//! producer envelope) with the worked trust of trust-v0.md §8, schemas and trust already
//! compiled: `receipt::verify_receipt` (strict parse, schema, manifest checks, event, inclusion
//! proof, key, envelope, statement binding, trust and time, risk) vs `ed25519-dalek` verifying
//! the envelope's PAE bytes with an already-parsed key and signature. Prints the ratio.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use clyra_core::dsse::{pae, Envelope};
use clyra_core::format::Schemas;
use clyra_core::jcs;
use clyra_core::receipt::verify_receipt;
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verdict::Outcome;
use clyra_core::Limits;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ed25519_dalek::Verifier as _;

/// The canonical bytes of the first `<!-- example: STEM -->` JSON block of `spec/FILE`.
fn spec_example(file: &str, stem: &str) -> Vec<u8> {
    let path = format!("{}/../spec/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let marker = format!("<!-- example: {stem} -->");
    let block = &text[text.find(&marker).unwrap()..];
    let open = block.find("```json").unwrap() + "```json".len();
    let close = open + block[open..].find("```").unwrap();
    jcs::canonicalize(&block.as_bytes()[open..close], &Limits::default()).unwrap()
}

fn best_times(variants: &[&dyn Fn()], rounds: u32, iters: u32) -> Vec<Duration> {
    let mut best = vec![Duration::MAX; variants.len()];
    for _ in 0..rounds {
        for (slot, f) in best.iter_mut().zip(variants) {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            *slot = (*slot).min(start.elapsed() / iters);
        }
    }
    best
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let receipt = spec_example("receipt-v0.md", "receipt-v0");
    let trust = Trust::parse(&spec_example("trust-v0.md", "trust-v0"), &limits).unwrap();
    let schemas = Schemas::new().unwrap();
    let at = Timestamp::parse("2026-11-21T00:00:00Z").unwrap();
    println!("receipt: {} bytes", receipt.len());
    assert_eq!(
        verify_receipt(&receipt, &trust, &at, &schemas, &limits).outcome,
        Outcome::Valid
    );

    // The peer: the producer envelope's signature over its PAE, key and signature pre-parsed.
    let value = jcs::parse(&receipt, &limits).unwrap();
    let envelope = value.get("envelopes").unwrap().as_array().unwrap()[0]
        .as_str()
        .unwrap();
    let env = Envelope::decode(&STANDARD.decode(envelope).unwrap(), &limits).unwrap();
    let key = trust.keys()[0].public_key();
    let vk =
        ed25519_dalek::VerifyingKey::from_bytes(key.spki_der()[12..].try_into().unwrap()).unwrap();
    let sig = ed25519_dalek::Signature::from_slice(&env.signatures[0].sig).unwrap();
    let message = pae(&env.payload_type, &env.payload);

    let clyra = || {
        black_box(verify_receipt(
            black_box(&receipt),
            &trust,
            &at,
            &schemas,
            &limits,
        ));
    };
    let raw = || vk.verify(black_box(&message), &sig).unwrap();

    let mut group = c.benchmark_group("receipt_verify");
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("clyra_verify_receipt", |b| b.iter(clyra));
    group.bench_function("peer_ed25519_dalek_verify", |b| b.iter(raw));
    group.finish();

    let times = best_times(&[&raw, &clyra], 40, 100);
    println!(
        "RATIO receipt: raw ed25519 {:?}, verify_receipt {:?} ({:.2}x)",
        times[0],
        times[1],
        times[1].as_secs_f64() / times[0].as_secs_f64()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
