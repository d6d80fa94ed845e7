//! Many replicas: two gateways share a rate limit, an idempotency key and a fence through a
//! real `redis-server` (Debian package) started on a free port; Redis going away fails closed or
//! open as configured (gateway-config-v0.md §4).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

struct Redis {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Redis {
    fn start() -> Self {
        let dir = TempDir::new("redis");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is required (apt-get install -y redis-server; `just test` installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self {
                    child,
                    port,
                    _dir: dir,
                };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("redis-server did not start on port {port}");
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

const ROUTES: &str = "  - prefix: /crm/limited\n    upstream: crm\n    rate: {limit: 3, period_ms: 60000, burst: 3}\n  - prefix: /crm\n    upstream: crm\n    idempotency: {ttl_ms: 60000, lock_ttl_ms: 5000}\n";

async fn replica(
    redis_port: u16,
    upstream: std::net::SocketAddr,
    on_error: &str,
) -> (TempDir, clyra_gateway::server::Running) {
    let dir = TempDir::new("replica");
    write_files(dir.path());
    let extra = format!("state: {{store: redis, redis_url: \"redis://127.0.0.1:{redis_port}/\", on_error: {on_error}}}\n");
    let gw = start_gateway(dir.path(), &config_text(upstream, ROUTES, &extra)).await;
    (dir, gw)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_state_and_redis_failure_is_explicit() {
    let mut redis = Redis::start();
    let up = Upstream::start().await;
    let (_da, a) = replica(redis.port, up.addr, "closed").await;
    let (_db, b) = replica(redis.port, up.addr, "closed").await;
    let (_dc, c) = replica(redis.port, up.addr, "open").await;

    // One GCRA bucket across replicas: 3 allowed in total, the 4th refused wherever it lands.
    assert_eq!(post(a.addr, "/crm/limited", b"{}").await.status, 200);
    assert_eq!(post(b.addr, "/crm/limited", b"{}").await.status, 200);
    assert_eq!(post(a.addr, "/crm/limited", b"{}").await.status, 200);
    let r = post(b.addr, "/crm/limited", b"{}").await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());

    // One idempotency record across replicas.
    let key = [("x-tenant", "acme"), ("idempotency-key", "shared-1")];
    let first = send(a.addr, "POST", "/crm/deals", &key, b"{\"deal\":7}").await;
    assert_eq!(first.status, 200);
    let hits = up.hits();
    let replay = send(b.addr, "POST", "/crm/deals", &key, b"{\"deal\":7}").await;
    assert_eq!(replay.status, 200);
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.header("idempotency-replayed"), Some("true"));
    assert_eq!(up.hits(), hits);
    assert_eq!(
        send(b.addr, "POST", "/crm/deals", &key, b"{\"deal\":8}")
            .await
            .status,
        422
    );

    // A fence set through one replica holds on the other.
    let admin = [("authorization", "Bearer admin-token-0123456789")];
    assert_eq!(
        send(
            a.addr,
            "POST",
            "/_clyra/admin/fence",
            &admin,
            b"{\"tenant\":\"acme\"}"
        )
        .await
        .status,
        200
    );
    assert_eq!(post(b.addr, "/crm/x", b"{}").await.status, 403);
    assert_eq!(
        send(
            b.addr,
            "POST",
            "/_clyra/admin/unfence",
            &admin,
            b"{\"tenant\":\"acme\"}"
        )
        .await
        .status,
        200
    );
    assert_eq!(post(a.addr, "/crm/x", b"{}").await.status, 200);

    // Redis goes away: closed → 503 `gateway.store`; open → the request goes on, recorded.
    redis.stop();
    let r = post(a.addr, "/crm/x", b"{}").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["code"], "gateway.store");
    assert!(
        r.header("clyra-receipt").is_some(),
        "the failure is recorded"
    );
    let r = post(c.addr, "/crm/x", b"{}").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    for g in [a, b, c] {
        g.task.abort();
    }
}

/// A value read ahead serves one `get`; a value another replica moved since makes the rate
/// limiter's compare-and-set fail and re-read, so reading ahead never lets a request past a
/// full bucket.
#[test]
fn prefetched_values_never_outlive_a_write() {
    use clyra_core::guard::enforce::{RateKey, RateLimiter, UnixMillis};
    use clyra_gateway::redis_store::{Prefetch, RedisStore};
    let redis = Redis::start();
    let url = format!("redis://127.0.0.1:{}/", redis.port);
    let (a, b) = (
        RedisStore::new(&url).unwrap(),
        RedisStore::new(&url).unwrap(),
    );
    let limiter = RateLimiter::new(3, 60_000, 3).unwrap();
    let key = RateKey {
        tenant: "t1",
        actor: "agent",
        route: "/crm",
    };
    let now = UnixMillis(1_000_000);
    let mut pre = Prefetch::default();
    pre.want(RateLimiter::store_key(key));
    // `a` reads the empty bucket ahead, along with another key.
    let other = a.with_prefetch(&mut pre, |s| s.get("other", now)).unwrap();
    assert_eq!(other, None);
    // Replica `b` fills the bucket meanwhile.
    for _ in 0..3 {
        assert!(b.with(|s| limiter.check(s, key, now)).unwrap().allowed);
    }
    assert!(!b.with(|s| limiter.check(s, key, now)).unwrap().allowed);
    // `a` decides from the stale empty bucket first; its write fails and it re-reads: denied.
    let d = a
        .with_prefetch(&mut pre, |s| limiter.check(s, key, now))
        .unwrap();
    assert!(
        !d.allowed,
        "a stale read-ahead let a request past a full bucket"
    );
    // Nothing read ahead is left: the next check reads Redis again.
    assert!(
        !a.with_prefetch(&mut pre, |s| limiter.check(s, key, now))
            .unwrap()
            .allowed
    );
}

/// The hold-expiry sweep (gateway-config-v0.md §8.1) with two replicas sweeping one Redis: a
/// hold made on one replica and never resumed is recorded expired exactly once, by either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_sweeping_one_redis_record_an_expired_hold_once() {
    use clyra_gateway::chain::now_ms;
    let redis = Redis::start();
    let up = Upstream::start().await;
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let dir = TempDir::new("sweep-replica");
        write_files(dir.path());
        let extra = format!(
            "state: {{store: redis, redis_url: \"redis://127.0.0.1:{}/\"}}\n",
            redis.port
        );
        let text =
            config_text(up.addr, ROUTES, &extra).replace("ttl_s: 60", "ttl_s: 1\n  sweep_ms: 20");
        let gw = start_gateway(dir.path(), &text).await;
        replicas.push((dir, gw));
    }
    let r = post(replicas[0].1.addr, "/crm/export", b"{}").await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let hold = r.json();
    let hold_id = hold["hold_id"].as_str().unwrap();
    // The other replica sees it in the shared index.
    let index = |gw: &clyra_gateway::gateway::Gateway| -> serde_json::Value {
        gw.store
            .with(|s| s.get(clyra_gateway::sweep::INDEX_KEY, now_ms()))
            .unwrap()
            .map_or(serde_json::Value::Null, |b| {
                serde_json::from_slice(&b).unwrap()
            })
    };
    assert!(index(&replicas[1].1.gateway)[hold_id].is_u64());
    let mut swept = false;
    for _ in 0..80 {
        if index(&replicas[1].1.gateway).get(hold_id).is_none() {
            swept = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(swept, "the hold was not swept");
    // A replica that read the index before the entry was dropped finds the hold claimed: put
    // the entry back and sweep on the other replica; nothing more is recorded.
    let stale = serde_json::to_vec(&serde_json::json!({hold_id: 1})).unwrap();
    replicas[1]
        .1
        .gateway
        .store
        .with(|s| {
            let current = s.get(clyra_gateway::sweep::INDEX_KEY, now_ms())?;
            s.compare_and_set(
                clyra_gateway::sweep::INDEX_KEY,
                current.as_deref(),
                Some(&stale),
                60_000,
                now_ms(),
            )
        })
        .unwrap();
    let again = clyra_gateway::sweep::sweep_once(&replicas[1].1.gateway)
        .await
        .unwrap();
    assert_eq!(again, 0);
    assert!(index(&replicas[1].1.gateway).get(hold_id).is_none());
    // Both replicas kept sweeping after it; let any late duplicate land, then seal both.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut expired = Vec::new();
    for (dir, gw) in &replicas {
        gw.gateway.evidence.seal_now().await.unwrap();
        expired.extend(
            sealed_events(dir.path())
                .into_iter()
                .filter(|e| e["kind"] == "gateway.hold_expired"),
        );
    }
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert_eq!(expired[0]["data"]["hold_id"], hold["hold_id"]);
    assert_eq!(expired[0]["data"]["detected"], "sweep");
    assert_eq!(expired[0]["data"]["expired_at"], hold["expires_at"]);
    for (_, gw) in replicas {
        gw.task.abort();
    }
}
