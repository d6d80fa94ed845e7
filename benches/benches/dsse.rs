//! DSSE verification cost against the raw signature crates (peer: ed25519-dalek, p256).
//!
//! For Ed25519 and P-256: verify a ~1 KiB canonical in-toto Statement through `dsse::verify`
//! (envelope already decoded, key already parsed; includes the PAE, the keyid match and the
//! canonical-payload check) vs the crate's own `verify` over the same PAE bytes. Also
//! `dsse::verify_signature`, which skips the canonical-payload check. Prints the ratios.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::digest::Sha256Digest;
use clyra_core::dsse::{self, pae, Envelope, Statement, Subject, IN_TOTO_PAYLOAD_TYPE};
use clyra_core::jcs::{Map, Value};
use clyra_core::Limits;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ed25519_dalek::Verifier as _;

/// A canonical statement of about 1 KiB.
fn statement_bytes() -> Vec<u8> {
    let mut predicate = Map::new();
    predicate.insert("bundle_id", Value::from("bundle-2026-01-02-0001"));
    predicate.insert(
        "merkle_root",
        Value::from(Sha256Digest::of(b"root").to_prefixed()),
    );
    predicate.insert(
        "journal_head",
        Value::from(Sha256Digest::of(b"head").to_prefixed()),
    );
    predicate.insert("signed_at", Value::from("2026-01-02T03:04:05Z"));
    predicate.insert("role", Value::from("producer"));
    predicate.insert("scheme", Value::from("ed25519"));
    let notes: Vec<Value> = (0..12)
        .map(|i| {
            Value::from(format!(
                "model.analytics.orders_{i:02} materialized as table"
            ))
        })
        .collect();
    predicate.insert("notes", Value::from(notes));
    let statement = Statement {
        subject: vec![Subject {
            name: "manifest.json".to_owned(),
            sha256: Sha256Digest::of(b"manifest"),
        }],
        predicate_type: "https://clyra.dev/def/v0".to_owned(),
        predicate: Value::from(predicate),
    };
    statement.to_canonical_bytes()
}

/// Best mean time per call over `rounds` interleaved rounds of `iters` calls of each variant:
/// interleaving and taking the minimum keeps other load on the machine out of the ratios.
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
    let payload = statement_bytes();
    println!("statement payload: {} bytes", payload.len());
    let limits = Limits::default();
    for scheme in [Scheme::Ed25519, Scheme::EcdsaP256Sha256] {
        let key = SigningKey::generate(scheme, [0x42; 32]).unwrap();
        let env: Envelope = dsse::sign(IN_TOTO_PAYLOAD_TYPE, &payload, &key);
        let public = key.public_key().clone();
        let pae_bytes = pae(&env.payload_type, &env.payload);
        let sig = env.signatures[0].sig.clone();

        let clyra = || {
            dsse::verify(black_box(&env), &public, scheme, &limits).unwrap();
        };
        let clyra_sig_only = || {
            dsse::verify_signature(black_box(&env), &public, scheme).unwrap();
        };
        // The peer: the raw crate verifying the same PAE bytes with an already-parsed key and
        // signature.
        let raw: Box<dyn Fn()> = match scheme {
            Scheme::Ed25519 => {
                let vk = ed25519_dalek::VerifyingKey::from_bytes(
                    public.spki_der()[12..].try_into().unwrap(),
                )
                .unwrap();
                let s = ed25519_dalek::Signature::from_slice(&sig).unwrap();
                let m = pae_bytes.clone();
                Box::new(move || vk.verify(black_box(&m), &s).unwrap())
            }
            _ => {
                let vk =
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(&public.spki_der()[26..]).unwrap();
                let s = p256::ecdsa::Signature::from_der(&sig).unwrap();
                let m = pae_bytes.clone();
                Box::new(move || vk.verify(black_box(&m), &s).unwrap())
            }
        };

        let mut group = c.benchmark_group(format!("dsse_verify_{scheme}"));
        group.measurement_time(Duration::from_secs(3));
        group.bench_function("clyra_verify", |b| b.iter(clyra));
        group.bench_function("clyra_verify_signature", |b| b.iter(clyra_sig_only));
        group.bench_function("peer_raw_crate_verify", |b| b.iter(&raw));
        group.finish();

        // Ratios from interleaved timing (criterion's own estimates are printed above).
        let times = best_times(&[&*raw, &clyra, &clyra_sig_only], 40, 100);
        let (t_raw, t_clyra, t_sig) = (times[0], times[1], times[2]);
        println!(
            "RATIO {scheme}: raw {t_raw:?}, dsse::verify {t_clyra:?} ({:.3}x), \
             dsse::verify_signature {t_sig:?} ({:.3}x)",
            t_clyra.as_secs_f64() / t_raw.as_secs_f64(),
            t_sig.as_secs_f64() / t_raw.as_secs_f64(),
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
