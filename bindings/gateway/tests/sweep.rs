//! The hold-expiry sweep (gateway-config-v0.md §8.1) with the memory store: an expired hold is
//! recorded without any resume call, once; a released hold is never recorded expired; a resume
//! after the sweep is 404.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use clyra_gateway::chain::now_ms;
use clyra_gateway::sweep::INDEX_KEY;
use common::*;
use serde_json::Value;

/// The hold ids the sweep index holds.
fn indexed(gw: &clyra_gateway::gateway::Gateway) -> Vec<String> {
    let bytes = gw.store.with(|s| s.get(INDEX_KEY, now_ms())).unwrap();
    bytes
        .map(|b| {
            let v: Value = serde_json::from_slice(&b).unwrap();
            v.as_object().unwrap().keys().cloned().collect()
        })
        .unwrap_or_default()
}

/// Waits (at most 8 s) until the index no longer names `hold_id`.
pub async fn until_swept(gw: &clyra_gateway::gateway::Gateway, hold_id: &str) {
    for _ in 0..80 {
        if !indexed(gw).iter().any(|h| h == hold_id) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("hold `{hold_id}` was not swept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_records_expired_holds_without_a_resume() {
    let dir = TempDir::new("sweep");
    let approver = write_files(dir.path());
    let up = Upstream::start().await;
    let text = config_text(up.addr, "  - prefix: /crm\n    upstream: crm\n", "")
        .replace("ttl_s: 60", "ttl_s: 1\n  sweep_ms: 100");
    let gw = start_gateway(dir.path(), &text).await;
    let a = gw.addr;

    // Two holds: one released at once, one left to expire.
    let r = post(a, "/crm/export", b"{\"segment\":\"a\"}").await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let released = r.json();
    let r = post(a, "/crm/export", b"{\"segment\":\"b\"}").await;
    assert_eq!(r.status, 202);
    let left = r.json();
    let left_id = left["hold_id"].as_str().unwrap();
    let released_id = released["hold_id"].as_str().unwrap();
    let mut ids = indexed(&gw.gateway);
    ids.sort();
    let mut want = vec![left_id.to_owned(), released_id.to_owned()];
    want.sort();
    assert_eq!(ids, want, "both holds are indexed");
    let body = serde_json::json!({
        "token": released["token"],
        "approvals": [approve(&released, &approver, "dana@acme.example")]
    });
    let path = format!("/_clyra/holds/{released_id}/resume");
    let r = send(a, "POST", &path, &[], &serde_json::to_vec(&body).unwrap()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    // Nobody resumes the other: the sweep records it once it is past its expiry.
    until_swept(&gw.gateway, left_id).await;
    until_swept(&gw.gateway, released_id).await;
    let key = format!("hold:{left_id}");
    assert!(gw
        .gateway
        .store
        .with(|s| s.get(&key, now_ms()))
        .unwrap()
        .is_none());
    // A resume after the sweep finds nothing: the expiry is not recorded twice.
    let body = serde_json::json!({"token": left["token"], "approvals": []});
    let path = format!("/_clyra/holds/{left_id}/resume");
    let r = send(a, "POST", &path, &[], &serde_json::to_vec(&body).unwrap()).await;
    assert_eq!(r.status, 404, "{}", String::from_utf8_lossy(&r.body));

    gw.gateway.evidence.seal_now().await.unwrap();
    let events = sealed_events(dir.path());
    let expired: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "gateway.hold_expired")
        .collect();
    assert_eq!(expired.len(), 1, "{expired:?}");
    let data = &expired[0]["data"];
    assert_eq!(data["hold_id"], left_id);
    assert_eq!(data["detected"], "sweep");
    assert_eq!(data["expired_at"], left["expires_at"]);
    assert_eq!(data["path"], "/crm/export");
    assert_eq!(data["tenant"], "acme");
    gw.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_not_yet_expired_is_left_alone() {
    let dir = TempDir::new("sweep-live");
    write_files(dir.path());
    let up = Upstream::start().await;
    let text = config_text(up.addr, "  - prefix: /crm\n    upstream: crm\n", "")
        .replace("ttl_s: 60", "ttl_s: 60\n  sweep_ms: 10");
    let gw = start_gateway(dir.path(), &text).await;
    let r = post(gw.addr, "/crm/export", b"{}").await;
    assert_eq!(r.status, 202);
    let hold_id = r.json()["hold_id"].as_str().unwrap().to_owned();
    // Many sweeps run meanwhile; the live hold stays stored and indexed.
    let swept = clyra_gateway::sweep::sweep_once(&gw.gateway).await.unwrap();
    assert_eq!(swept, 0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(indexed(&gw.gateway), std::slice::from_ref(&hold_id));
    let key = format!("hold:{hold_id}");
    assert!(gw
        .gateway
        .store
        .with(|s| s.get(&key, now_ms()))
        .unwrap()
        .is_some());
    gw.task.abort();
}
