//! The enforcement primitives' state machines over `MemoryStore`: idempotency, GCRA rate
//! limits, tenant fencing, kill switch, loop breaker and circuit breaker, with TTL expiry,
//! Retry-After arithmetic and journal events (spec: guard-enforce.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use clyra_core::guard::enforce::*;
use clyra_core::jcs;
use clyra_core::{Coded, Limits};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const T0: UnixMillis = UnixMillis(1_795_165_275_000);

fn at(ms: u64) -> UnixMillis {
    T0.plus(ms)
}

fn idem() -> Idempotency {
    Idempotency::new(SECRET, 60_000, 5_000, &Limits::default()).unwrap()
}

/// A journal event as canonical JSON text.
fn event<D: Decision>(d: &D) -> String {
    String::from_utf8(jcs::to_vec(&d.to_event())).unwrap()
}

#[test]
fn idempotency_proceed_conflict_replay_mismatch() {
    let (i, mut s) = (idem(), MemoryStore::default());
    let first = i
        .begin(&mut s, "acme", "k-1", br#"{"a":1,"b":[2]}"#, T0)
        .unwrap();
    assert_eq!(first.outcome, IdempotencyOutcome::Proceed);
    assert_eq!(first.http_status(), None);
    // Same JSON, other member order and spacing: the same request, still in flight.
    let again = i
        .begin(&mut s, "acme", "k-1", br#"{ "b":[2], "a":1.0 }"#, at(1))
        .unwrap();
    assert_eq!(again.outcome, IdempotencyOutcome::Conflict);
    assert_eq!(again.http_status(), Some(409));
    let other = i
        .begin(&mut s, "acme", "k-1", br#"{"a":2}"#, at(2))
        .unwrap();
    assert_eq!(other.outcome, IdempotencyOutcome::Mismatch);
    assert_eq!(other.http_status(), Some(422));
    i.complete(
        &mut s,
        "acme",
        "k-1",
        &first.fingerprint,
        b"HTTP 201",
        at(3),
    )
    .unwrap();
    let replay = i
        .begin(&mut s, "acme", "k-1", br#"{"b":[2],"a":1}"#, at(4))
        .unwrap();
    assert_eq!(
        replay.outcome,
        IdempotencyOutcome::Replay(b"HTTP 201".to_vec())
    );
    let other = i
        .begin(&mut s, "acme", "k-1", br#"{"a":2}"#, at(5))
        .unwrap();
    assert_eq!(other.outcome, IdempotencyOutcome::Mismatch);
    // Completing twice is refused.
    let err = i
        .complete(&mut s, "acme", "k-1", &first.fingerprint, b"x", at(6))
        .unwrap_err();
    assert_eq!(err.code(), "enforce.not_in_flight");
    // The record expires after its TTL.
    let later = i
        .begin(&mut s, "acme", "k-1", br#"{"a":2}"#, at(3 + 60_000))
        .unwrap();
    assert_eq!(later.outcome, IdempotencyOutcome::Proceed);
}

#[test]
fn idempotency_is_scoped_per_tenant_and_frees_abandoned_or_crashed_keys() {
    let (i, mut s) = (idem(), MemoryStore::default());
    let a = i.begin(&mut s, "acme", "k", b"{}", T0).unwrap();
    let b = i.begin(&mut s, "zeta", "k", b"{}", T0).unwrap();
    assert_eq!(b.outcome, IdempotencyOutcome::Proceed);
    assert_ne!(
        a.fingerprint, b.fingerprint,
        "tenant is part of the fingerprint"
    );
    i.abandon(&mut s, "acme", "k", &a.fingerprint, at(1))
        .unwrap();
    assert_eq!(
        i.begin(&mut s, "acme", "k", b"{}", at(2)).unwrap().outcome,
        IdempotencyOutcome::Proceed
    );
    // A crashed request's lock expires after lock_ttl.
    assert_eq!(
        i.begin(&mut s, "zeta", "k", b"{}", at(4_999))
            .unwrap()
            .outcome,
        IdempotencyOutcome::Conflict
    );
    assert_eq!(
        i.begin(&mut s, "zeta", "k", b"{}", at(5_000))
            .unwrap()
            .outcome,
        IdempotencyOutcome::Proceed
    );
}

#[test]
fn idempotency_rejects_bad_keys_payloads_responses_and_config() {
    let (i, mut s) = (idem(), MemoryStore::default());
    let long = "k".repeat(256);
    for key in ["", long.as_str(), "tab\there", "é"] {
        let e = i.begin(&mut s, "t", key, b"{}", T0).unwrap_err();
        assert_eq!(e.code(), "enforce.idempotency_key", "{key:?}");
    }
    assert!(i.begin(&mut s, "t", &"k".repeat(255), b"{}", T0).is_ok());
    let e = i
        .begin(&mut s, "t", "k2", br#"{"a":1,"a":2}"#, T0)
        .unwrap_err();
    assert_eq!(e.code(), "enforce.payload");
    assert!(e.to_string().contains("jcs.duplicate_key"), "{e}");
    let d = i.begin(&mut s, "t", "k3", b"{}", T0).unwrap();
    let big = vec![0u8; 1024 * 1024 + 1];
    let e = i
        .complete(&mut s, "t", "k3", &d.fingerprint, &big, T0)
        .unwrap_err();
    assert_eq!(e.code(), "enforce.response_too_large");
    assert_eq!(
        Idempotency::new(b"short", 1, 1, &Limits::default())
            .unwrap_err()
            .code(),
        "enforce.config"
    );
    assert_eq!(
        Idempotency::new(SECRET, 0, 1, &Limits::default())
            .unwrap_err()
            .code(),
        "enforce.config"
    );
}

#[test]
fn idempotency_fingerprint_is_hmac_sha256_of_tenant_and_canonical_payload() {
    use hmac_check::expected;
    let i = idem();
    let fp = i.fingerprint("acme", br#"{"b":2,"a":1}"#).unwrap();
    assert_eq!(fp, expected(SECRET, "acme", br#"{"a":1,"b":2}"#));
}

/// An independent HMAC-SHA256 (RFC 2104 over sha2) to check the fingerprint construction.
mod hmac_check {
    use sha2::{Digest, Sha256};

    pub fn expected(secret: &[u8], tenant: &str, canonical: &[u8]) -> [u8; 32] {
        let mut key = [0u8; 64];
        key[..secret.len()].copy_from_slice(secret);
        let ipad: Vec<u8> = key.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = key.iter().map(|b| b ^ 0x5c).collect();
        let mut inner = Sha256::new();
        inner.update(&ipad);
        inner.update((tenant.len() as u64).to_be_bytes());
        inner.update(tenant.as_bytes());
        inner.update(canonical);
        let mut outer = Sha256::new();
        outer.update(&opad);
        outer.update(inner.finalize());
        outer.finalize().into()
    }
}

#[test]
fn gcra_bursts_then_spaces_requests_with_exact_retry_after() {
    // 10 requests per second, bursts of 3: T = 100 ms, tau = 300 ms.
    let r = RateLimiter::new(10, 1_000, 3).unwrap();
    let mut s = MemoryStore::default();
    let key = RateKey {
        tenant: "acme",
        actor: "ana",
        route: "/sync",
    };
    let remaining: Vec<u64> = (0..3)
        .map(|_| {
            let d = r.check(&mut s, key, T0).unwrap();
            assert!(d.allowed);
            d.remaining
        })
        .collect();
    assert_eq!(remaining, [2, 1, 0]);
    let denied = r.check(&mut s, key, T0).unwrap();
    assert!(!denied.allowed);
    assert_eq!(denied.retry_after_ms, 100);
    assert_eq!(denied.retry_after_secs(), Some(1));
    assert_eq!(denied.reset_after_ms, 300);
    // 40 ms later: 60 ms to wait.
    assert_eq!(r.check(&mut s, key, at(40)).unwrap().retry_after_ms, 60);
    let ok = r.check(&mut s, key, at(100)).unwrap();
    assert!(ok.allowed);
    assert_eq!(ok.retry_after_secs(), None);
    assert!(!r.check(&mut s, key, at(100)).unwrap().allowed);
    // Other actors, tenants and routes have their own cells.
    for other in [
        RateKey { actor: "bo", ..key },
        RateKey {
            tenant: "zeta",
            ..key
        },
        RateKey {
            route: "/other",
            ..key
        },
    ] {
        assert!(r.check(&mut s, other, at(100)).unwrap().allowed);
    }
    // After a quiet period the full burst is back and the cell expired from the store.
    let d = r.check(&mut s, key, at(10_000)).unwrap();
    assert!(d.allowed);
    assert_eq!(d.remaining, 2);
}

#[test]
fn gcra_retry_after_rounds_up_and_config_is_checked() {
    // 1 request per minute, no burst beyond 1.
    let r = RateLimiter::new(1, 60_000, 1).unwrap();
    let mut s = MemoryStore::default();
    let key = RateKey {
        tenant: "t",
        actor: "",
        route: "",
    };
    assert!(r.check(&mut s, key, T0).unwrap().allowed);
    let d = r.check(&mut s, key, at(1)).unwrap();
    assert_eq!(d.retry_after_ms, 59_999);
    assert_eq!(d.retry_after_secs(), Some(60));
    for (limit, period, burst) in [(0, 1, 1), (1, 0, 1), (1, 1, 0), (2_000, 1, 1)] {
        assert_eq!(
            RateLimiter::new(limit, period, burst).unwrap_err().code(),
            "enforce.config"
        );
    }
}

#[test]
fn tenant_fence_blocks_cross_tenant_and_fenced_tenants_until_ttl_or_lift() {
    let (f, mut s) = (TenantFence, MemoryStore::default());
    assert!(f.check(&mut s, "acme", Some("acme"), T0).unwrap().allowed());
    assert!(f.check(&mut s, "acme", None, T0).unwrap().allowed());
    let cross = f.check(&mut s, "acme", Some("zeta"), T0).unwrap();
    assert_eq!(
        cross.outcome,
        FenceOutcome::CrossTenant {
            owner: "zeta".into()
        }
    );
    assert!(event(&cross).contains(r#""reason":"cross_tenant""#));
    f.fence(&mut s, "acme", "incident 42", 1_000, T0).unwrap();
    let fenced = f.check(&mut s, "acme", None, at(999)).unwrap();
    assert_eq!(
        fenced.outcome,
        FenceOutcome::Fenced {
            until: Some(at(1_000)),
            reason: "incident 42".into()
        }
    );
    assert!(f.check(&mut s, "zeta", None, at(999)).unwrap().allowed());
    assert!(f.check(&mut s, "acme", None, at(1_000)).unwrap().allowed());
    f.fence(&mut s, "acme", "manual", 0, at(2_000)).unwrap();
    assert!(!f
        .check(&mut s, "acme", None, at(999_999_999))
        .unwrap()
        .allowed());
    f.lift(&mut s, "acme", at(3_000)).unwrap();
    assert!(f.check(&mut s, "acme", None, at(3_000)).unwrap().allowed());
}

fn kill_switch() -> KillSwitch {
    KillSwitch::new(KillSwitchConfig {
        window_ms: 1_000,
        max_bytes: Some(1_000),
        max_rows: Some(100),
        max_threats: Some(2),
        max_error_percent: Some(50),
        min_requests: 4,
        trip_ms: 5_000,
    })
    .unwrap()
}

#[test]
fn kill_switch_trips_on_a_data_burst_and_recovers_after_its_ttl() {
    let (k, mut s) = (kill_switch(), MemoryStore::default());
    let d = k
        .record(
            &mut s,
            "acme",
            Signal::Data {
                bytes: 600,
                rows: 10,
            },
            T0,
        )
        .unwrap();
    assert!(d.allowed && !d.tripped_now);
    let d = k
        .record(
            &mut s,
            "acme",
            Signal::Data {
                bytes: 600,
                rows: 10,
            },
            at(10),
        )
        .unwrap();
    assert!(!d.allowed && d.tripped_now);
    assert_eq!(
        d.state,
        KillState::Tripped {
            trigger: Trigger::DataBurst,
            until: at(5_010)
        }
    );
    assert!(
        event(&d).contains(r#""trigger":"data_burst""#),
        "{}",
        event(&d)
    );
    assert!(!k.check(&mut s, "acme", at(5_009)).unwrap().allowed);
    assert!(k.check(&mut s, "other", at(20)).unwrap().allowed);
    // TTL auto-recovery, with a fresh window.
    let d = k
        .record(
            &mut s,
            "acme",
            Signal::Data { bytes: 10, rows: 1 },
            at(5_010),
        )
        .unwrap();
    assert!(d.allowed);
    assert_eq!(d.state, KillState::Clear);
}

#[test]
fn kill_switch_windows_reset_and_rows_threats_and_errors_trip() {
    let (k, mut s) = (kill_switch(), MemoryStore::default());
    // Bytes spread over two windows never trip.
    k.record(
        &mut s,
        "a",
        Signal::Data {
            bytes: 900,
            rows: 0,
        },
        T0,
    )
    .unwrap();
    let d = k
        .record(
            &mut s,
            "a",
            Signal::Data {
                bytes: 900,
                rows: 0,
            },
            at(1_000),
        )
        .unwrap();
    assert!(d.allowed);
    let d = k
        .record(
            &mut s,
            "b",
            Signal::Data {
                bytes: 0,
                rows: 101,
            },
            T0,
        )
        .unwrap();
    assert_eq!(
        d.state,
        KillState::Tripped {
            trigger: Trigger::DataBurst,
            until: at(5_000)
        }
    );
    for n in 0..3 {
        let d = k
            .record(&mut s, "c", Signal::Threat { count: 1 }, at(n))
            .unwrap();
        assert_eq!(d.allowed, n < 2, "threat {n}");
    }
    // Error rate: 3 errors of 3 requests do not count below min_requests (4).
    let e = Signal::Outcome { error: true };
    let ok = Signal::Outcome { error: false };
    for (n, sig) in [e, e, e].into_iter().enumerate() {
        assert!(k.record(&mut s, "d", sig, at(n as u64)).unwrap().allowed);
    }
    let d = k.record(&mut s, "d", ok, at(4)).unwrap();
    assert_eq!(
        d.state,
        KillState::Tripped {
            trigger: Trigger::ErrorRate,
            until: at(5_004)
        }
    );
    // Exactly 50 % does not trip.
    for (n, sig) in [e, ok, e, ok].into_iter().enumerate() {
        assert!(k.record(&mut s, "f", sig, at(n as u64)).unwrap().allowed);
    }
}

#[test]
fn kill_switch_manual_engage_and_release_override_triggers() {
    let (k, mut s) = (kill_switch(), MemoryStore::default());
    let d = k.engage(&mut s, "acme", 0, T0).unwrap();
    assert!(!d.allowed);
    assert!(!k.check(&mut s, "acme", at(1_000_000)).unwrap().allowed);
    let d = k.release(&mut s, "acme", 10_000, at(1)).unwrap();
    assert!(d.allowed);
    // Released: a burst does not trip during the suppression.
    let d = k
        .record(
            &mut s,
            "acme",
            Signal::Data {
                bytes: 5_000,
                rows: 0,
            },
            at(2),
        )
        .unwrap();
    assert!(d.allowed && !d.tripped_now);
    assert_eq!(d.state, KillState::Released { until: at(10_001) });
    // After it, the next burst trips again.
    let d = k
        .record(
            &mut s,
            "acme",
            Signal::Data {
                bytes: 5_000,
                rows: 0,
            },
            at(10_001),
        )
        .unwrap();
    assert!(d.tripped_now);
    // A timed engage releases itself; release(0) clears.
    k.engage(&mut s, "b", 100, T0).unwrap();
    assert!(!k.check(&mut s, "b", at(99)).unwrap().allowed);
    assert!(k.check(&mut s, "b", at(100)).unwrap().allowed);
    k.engage(&mut s, "c", 0, T0).unwrap();
    assert_eq!(
        k.release(&mut s, "c", 0, T0).unwrap().state,
        KillState::Clear
    );
    assert!(k.check(&mut s, "c", T0).unwrap().allowed);
    let bad = KillSwitchConfig {
        window_ms: 0,
        ..kill_config()
    };
    assert_eq!(KillSwitch::new(bad).unwrap_err().code(), "enforce.config");
    let bad = KillSwitchConfig {
        max_error_percent: Some(101),
        ..kill_config()
    };
    assert_eq!(KillSwitch::new(bad).unwrap_err().code(), "enforce.config");
}

fn kill_config() -> KillSwitchConfig {
    KillSwitchConfig {
        window_ms: 1,
        max_bytes: None,
        max_rows: None,
        max_threats: None,
        max_error_percent: None,
        min_requests: 0,
        trip_ms: 1,
    }
}

#[test]
fn loop_breaker_breaks_repeats_and_alternations_then_cools_off() {
    let b = LoopBreaker::new(60_000, 3, 8, 10_000).unwrap();
    let mut s = MemoryStore::default();
    let step =
        |s: &mut MemoryStore, what: &[u8], t: u64| b.step(s, "acme", "run-1", what, at(t)).unwrap();
    assert_eq!(step(&mut s, b"search(x)", 0).repeats, 1);
    assert!(step(&mut s, b"search(x)", 1).allowed);
    let d = step(&mut s, b"search(x)", 2);
    assert!(!d.allowed && d.broke);
    assert_eq!(d.cool_off_until, Some(at(10_002)));
    assert!(event(&d).contains(r#""broke":true"#));
    // During the cool-off every step is denied, without extending it.
    let d = step(&mut s, b"other", 5_000);
    assert!(!d.allowed && !d.broke);
    assert_eq!(d.cool_off_until, Some(at(10_002)));
    // Afterwards the history starts afresh.
    assert_eq!(step(&mut s, b"search(x)", 10_002).repeats, 1);
    // Alternating A, B, A, B, A breaks at the third A.
    let mut s = MemoryStore::default();
    let seq: Vec<bool> = [b"A", b"B", b"A", b"B", b"A"]
        .iter()
        .enumerate()
        .map(|(n, w)| step(&mut s, *w, n as u64).allowed)
        .collect();
    assert_eq!(seq, [true, true, true, true, false]);
    // Repeats outside the window do not count; other sessions are separate.
    let mut s = MemoryStore::default();
    for t in [0, 60_000, 120_000] {
        assert!(step(&mut s, b"A", t).allowed);
    }
    assert!(
        b.step(&mut s, "acme", "run-2", b"A", at(120_000))
            .unwrap()
            .allowed
    );
    assert_eq!(
        LoopBreaker::new(1, 1, 8, 1).unwrap_err().code(),
        "enforce.config"
    );
    assert_eq!(
        LoopBreaker::new(1, 2, 65, 1).unwrap_err().code(),
        "enforce.config"
    );
}

#[test]
fn loop_breaker_history_is_bounded() {
    let b = LoopBreaker::new(60_000, 2, 2, 10).unwrap();
    let mut s = MemoryStore::default();
    // A falls out of a 2-step history after B and C.
    for (t, w) in [(0, b"A"), (1, b"B"), (2, b"C"), (3, b"A")] {
        assert!(b.step(&mut s, "t", "s", w, at(t)).unwrap().allowed, "{t}");
    }
}

#[test]
fn circuit_breaker_closed_open_half_open_cycle() {
    let c = CircuitBreaker::new(3, 1_000, 1, 2).unwrap();
    let mut s = MemoryStore::default();
    for t in 0..2 {
        assert!(c.acquire(&mut s, "warehouse", at(t)).unwrap().allowed);
        assert_eq!(
            c.record(&mut s, "warehouse", false, at(t)).unwrap().state,
            CircuitState::Closed
        );
    }
    // A success resets the consecutive count.
    c.record(&mut s, "warehouse", true, at(2)).unwrap();
    for t in 3..5 {
        c.record(&mut s, "warehouse", false, at(t)).unwrap();
    }
    let d = c.record(&mut s, "warehouse", false, at(5)).unwrap();
    assert_eq!(d.state, CircuitState::Open);
    let d = c.acquire(&mut s, "warehouse", at(6)).unwrap();
    assert!(!d.allowed);
    assert_eq!(d.retry_after_ms, 999);
    assert!(event(&d).contains(r#""state":"open""#));
    // After open_ms: one probe passes, the next waits.
    let d = c.acquire(&mut s, "warehouse", at(1_005)).unwrap();
    assert!(d.allowed);
    assert_eq!(d.state, CircuitState::HalfOpen);
    assert!(!c.acquire(&mut s, "warehouse", at(1_006)).unwrap().allowed);
    // A failing probe opens it again.
    assert_eq!(
        c.record(&mut s, "warehouse", false, at(1_007))
            .unwrap()
            .state,
        CircuitState::Open
    );
    assert!(!c.acquire(&mut s, "warehouse", at(2_006)).unwrap().allowed);
    // Two successful probes close it.
    assert!(c.acquire(&mut s, "warehouse", at(2_007)).unwrap().allowed);
    assert_eq!(
        c.record(&mut s, "warehouse", true, at(2_008))
            .unwrap()
            .state,
        CircuitState::HalfOpen
    );
    assert!(c.acquire(&mut s, "warehouse", at(2_009)).unwrap().allowed);
    assert_eq!(
        c.record(&mut s, "warehouse", true, at(2_010))
            .unwrap()
            .state,
        CircuitState::Closed
    );
    assert!(c.acquire(&mut s, "warehouse", at(2_011)).unwrap().allowed);
    // A late failure while open changes nothing.
    let c1 = CircuitBreaker::new(1, 1_000, 1, 1).unwrap();
    c1.record(&mut s, "x", false, T0).unwrap();
    c1.record(&mut s, "x", false, at(999)).unwrap();
    assert!(c1.acquire(&mut s, "x", at(1_000)).unwrap().allowed);
    assert_eq!(
        CircuitBreaker::new(0, 1, 1, 1).unwrap_err().code(),
        "enforce.config"
    );
}

#[test]
fn every_decision_is_a_valid_journal_event() {
    let mut s = MemoryStore::default();
    let events = [
        event(&idem().begin(&mut s, "t", "k", b"{}", T0).unwrap()),
        event(
            &RateLimiter::new(1, 1_000, 1)
                .unwrap()
                .check(
                    &mut s,
                    RateKey {
                        tenant: "t",
                        actor: "a",
                        route: "r",
                    },
                    T0,
                )
                .unwrap(),
        ),
        event(&TenantFence.check(&mut s, "t", None, T0).unwrap()),
        event(&kill_switch().check(&mut s, "t", T0).unwrap()),
        event(
            &LoopBreaker::new(1, 2, 1, 1)
                .unwrap()
                .step(&mut s, "t", "s", b"x", T0)
                .unwrap(),
        ),
        event(
            &CircuitBreaker::new(1, 1, 1, 1)
                .unwrap()
                .acquire(&mut s, "c", T0)
                .unwrap(),
        ),
    ];
    let kinds = [
        "guard.idempotency",
        "guard.rate_limit",
        "guard.tenant_fence",
        "guard.kill_switch",
        "guard.loop_breaker",
        "guard.circuit",
    ];
    for (e, kind) in events.iter().zip(kinds) {
        assert!(
            e.starts_with(r#"{"at":"2026-11-20T09:01:15Z","data":{"#),
            "{e}"
        );
        assert!(e.ends_with(&format!("}},\"kind\":\"{kind}\"}}")), "{e}");
        jcs::parse_canonical(e.as_bytes(), &Limits::default()).unwrap();
    }
    assert_eq!(
        events[1],
        r#"{"at":"2026-11-20T09:01:15Z","data":{"actor":"a","allowed":true,"limit":1,"period_ms":1000,"remaining":0,"retry_after_ms":0,"route":"r","tenant":"t"},"kind":"guard.rate_limit"}"#
    );
}

#[test]
fn corrupt_state_is_a_coded_error_not_a_panic() {
    let mut s = MemoryStore::default();
    // Write garbage where each primitive keeps its state.
    for key in [
        "rate:1:t:1:a:1:r",
        "circuit:1:c",
        "loop:1:t:1:s",
        "kill:1:t",
        "idem:1:t:1:k",
    ] {
        s.put_if_absent(key, b"\x09ga", 0, T0).unwrap();
    }
    let codes = [
        RateLimiter::new(1, 1_000, 1)
            .unwrap()
            .check(
                &mut s,
                RateKey {
                    tenant: "t",
                    actor: "a",
                    route: "r",
                },
                T0,
            )
            .unwrap_err(),
        CircuitBreaker::new(1, 1, 1, 1)
            .unwrap()
            .acquire(&mut s, "c", T0)
            .unwrap_err(),
        LoopBreaker::new(1, 2, 1, 1)
            .unwrap()
            .step(&mut s, "t", "s", b"x", T0)
            .unwrap_err(),
        kill_switch().check(&mut s, "t", T0).unwrap_err(),
        idem().begin(&mut s, "t", "k", b"{}", T0).unwrap_err(),
    ];
    for e in codes {
        assert_eq!(e.code(), "enforce.store_corrupt", "{e}");
    }
}
