//! Evidence: every answered request's event is in the WAL before its answer, sealed windows are
//! signed PEF bundles `clyra receipt extract` works on, and `kill -9` under load loses nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

/// Runs the `clyra` CLI (the binary's own entry point) and returns its exit code and stdout.
fn clyra(args: &[&str]) -> (u8, String) {
    let mut all = vec!["clyra"];
    all.extend_from_slice(args);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let exit = clyra_cli::run(all, &mut std::io::empty(), &mut out, &mut err);
    let code = exit.code();
    (
        code,
        format!(
            "{}{}",
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&err)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_bundles_give_receipts_the_cli_verifies() {
    let dir = TempDir::new("receipts");
    write_files(dir.path());
    let up = Upstream::start().await;
    let gw = start_gateway(
        dir.path(),
        &config_text(up.addr, "  - prefix: /crm\n    upstream: crm\n", ""),
    )
    .await;
    let mut receipts = Vec::new();
    for i in 0..5 {
        let r = post(
            gw.addr,
            "/crm/contacts",
            format!("{{\"i\":{i}}}").as_bytes(),
        )
        .await;
        assert_eq!(r.status, 200);
        receipts.push(r.header("clyra-receipt").unwrap().to_owned());
    }
    let denied = send(
        gw.addr,
        "DELETE",
        "/crm/contacts/1",
        &[("x-tenant", "acme")],
        b"",
    )
    .await;
    assert_eq!(denied.status, 403);
    receipts.push(denied.header("clyra-receipt").unwrap().to_owned());
    gw.gateway.evidence.seal_now().await.unwrap();

    let journals = journals(dir.path());
    assert_eq!(journals.len(), 1);
    let (id, lines) = journals.iter().next().unwrap();
    // Five intents and their outcomes, then the denial (never sent upstream: no intent).
    assert_eq!(lines.len(), 11);
    assert_eq!(lines[10]["data"]["decision"], "deny");
    assert_eq!(lines[10]["data"]["policy"]["rule"], "deny-delete");
    assert!(lines[10]["data"].get("intent").is_none());
    for receipt in &receipts[..5] {
        let seq: usize = receipt.split_once('/').unwrap().1.parse().unwrap();
        let outcome = &lines[seq];
        assert_eq!(outcome["kind"], "gateway.request");
        // The intent precedes its outcome and names the same request.
        let intent_id = outcome["data"]["intent"].as_str().unwrap();
        let (iid, iseq) = intent_id.split_once('/').unwrap();
        assert_eq!(iid, id);
        let iseq: usize = iseq.parse().unwrap();
        assert!(iseq < seq);
        assert_eq!(lines[iseq]["kind"], "gateway.intent");
        assert_eq!(
            lines[iseq]["data"]["request_id"],
            outcome["data"]["request_id"]
        );
    }
    let bundle = dir.path().join(format!("evidence/bundles/{id}.zip"));
    let trust = dir.path().join("producer.pub.pem");
    let (code, text) = clyra(&[
        "verify",
        bundle.to_str().unwrap(),
        "--trust",
        trust.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{text}");
    for receipt in &receipts {
        let (bundle_id, seq) = receipt.split_once('/').unwrap();
        assert_eq!(bundle_id, id);
        let out = dir.path().join(format!("r{seq}.json"));
        let (code, text) = clyra(&[
            "receipt",
            "extract",
            bundle.to_str().unwrap(),
            "--event",
            seq,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{text}");
        let (code, text) = clyra(&[
            "receipt",
            "verify",
            out.to_str().unwrap(),
            "--trust",
            trust.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{text}");
    }
    gw.task.abort();
}

/// A gateway directory with one route `/crm` to a fresh upstream (kept alive by the caller).
async fn one_route_dir(tag: &str) -> (TempDir, Upstream) {
    let dir = TempDir::new(tag);
    write_files(dir.path());
    let up = Upstream::start().await;
    std::fs::write(
        dir.path().join("gateway.yaml"),
        config_text(up.addr, "  - prefix: /crm\n    upstream: crm\n", ""),
    )
    .unwrap();
    (dir, up)
}

/// SIGTERM, and a clean exit (the open window sealed).
fn stop_cleanly(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
}

fn spawn_gateway(dir: &Path) -> (Child, std::net::SocketAddr) {
    spawn_gateway_with(dir, &[])
}

fn spawn_gateway_with(dir: &Path, env: &[(&str, &Path)]) -> (Child, std::net::SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clyra-gateway"))
        .envs(env.iter().copied())
        .arg("--config")
        .arg(dir.join("gateway.yaml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().rsplit(' ').next().unwrap().parse().unwrap();
    (child, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_answered_receipt() {
    let dir = TempDir::new("kill9");
    write_files(dir.path());
    let up = Upstream::start().await;
    let text = config_text(up.addr, "  - prefix: /crm\n    upstream: crm\n", "")
        .replace("seal_every_events: 1000", "seal_every_events: 40");
    std::fs::write(dir.path().join("gateway.yaml"), text).unwrap();
    let (mut child, addr) = spawn_gateway(dir.path());

    // Load from 8 clients; keep every receipt id that came back.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for c in 0..8 {
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            let mut i = 0u64;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                i += 1;
                let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
                    break;
                };
                let io = hyper_util::rt::TokioIo::new(stream);
                let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(io).await else {
                    break;
                };
                tokio::spawn(conn);
                let req = hyper::Request::post("/crm/load")
                    .header("host", "gw")
                    .header("x-tenant", "acme")
                    .body(http_body_util::Full::new(bytes::Bytes::from(format!(
                        "{{\"c\":{c},\"i\":{i}}}"
                    ))))
                    .unwrap();
                let Ok(resp) = sender.send_request(req).await else {
                    break;
                };
                if let Some(r) = resp.headers().get("clyra-receipt") {
                    got.push(r.to_str().unwrap().to_owned());
                }
            }
            got
        }));
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut answered = Vec::new();
    for t in tasks {
        answered.extend(t.await.unwrap());
    }
    assert!(
        answered.len() > 20,
        "load produced only {} answers",
        answered.len()
    );

    // Restart: the WAL left behind is sealed before the gateway listens.
    let (mut child, _) = spawn_gateway(dir.path());
    child.kill().unwrap();
    child.wait().unwrap();
    let journals = journals(dir.path());
    let mut missing = Vec::new();
    for receipt in &answered {
        let (id, seq) = receipt.split_once('/').unwrap();
        let seq: usize = seq.parse().unwrap();
        let found = journals.get(id).and_then(|lines| lines.get(seq));
        match found {
            Some(line) => assert_eq!(line["data"]["path"], "/crm/load"),
            None => missing.push(receipt.clone()),
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} answered receipts lost: {:?}",
        missing.len(),
        answered.len(),
        &missing[..missing.len().min(5)]
    );
    // Every intent is paired: by its outcome, or (sent upstream, answer never recorded) by one
    // `gateway.intent_unresolved` event sealed at restart. Every outcome that names an intent
    // names a real one, and the upstream saw no request without an intent.
    let check = pairing(&journals);
    assert!(check.intents >= answered.len(), "{check:?}");
    assert!(
        up.hits() as usize <= check.intents,
        "{} hits, {check:?}",
        up.hits()
    );
    // Eight clients, one request each in flight at the kill: at most eight left unresolved.
    assert!(check.unresolved <= 8, "{check:?}");
    eprintln!("kill -9: {} answered, {check:?}", answered.len());
    // No WAL file is left once everything is sealed.
    assert_eq!(
        std::fs::read_dir(dir.path().join("evidence/wal"))
            .unwrap()
            .count(),
        0
    );
}

/// Counts of the intent pairing across sealed journals.
#[derive(Debug)]
struct Pairing {
    intents: usize,
    unresolved: usize,
}

/// Checks that each `gateway.intent` has exactly one outcome or one unresolved mark, and that
/// every reference points at an intent of the same request.
fn pairing(journals: &BTreeMap<String, Vec<serde_json::Value>>) -> Pairing {
    let mut intents = BTreeMap::new();
    for (id, lines) in journals {
        for (seq, e) in lines.iter().enumerate() {
            if e["kind"] == "gateway.intent" {
                let rid = e["data"]["request_id"].as_str().unwrap().to_owned();
                intents.insert(format!("{id}/{seq}"), (rid, 0usize));
            }
        }
    }
    let mut unresolved = 0;
    for e in journals.values().flatten() {
        let kind = e["kind"].as_str().unwrap();
        if kind != "gateway.request" && kind != "gateway.intent_unresolved" {
            continue;
        }
        let Some(i) = e["data"]["intent"].as_str() else {
            continue;
        };
        let (rid, n) = intents
            .get_mut(i)
            .unwrap_or_else(|| panic!("{kind} names a missing intent {i}"));
        assert_eq!(rid.as_str(), e["data"]["request_id"].as_str().unwrap());
        *n += 1;
        if kind == "gateway.intent_unresolved" {
            unresolved += 1;
        }
    }
    for (i, (_, n)) in &intents {
        assert_eq!(*n, 1, "intent {i} is closed {n} times");
    }
    Pairing {
        intents: intents.len(),
        unresolved,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intent_without_outcome_is_sealed_as_unresolved_at_restart() {
    let dir = TempDir::new("unresolved");
    write_files(dir.path());
    let up = Upstream::start().await;
    let text = config_text(up.addr, "  - prefix: /crm\n    upstream: crm\n", "");
    // A first run makes the instance id and one sealed decision.
    let gw = start_gateway(dir.path(), &text).await;
    assert_eq!(post(gw.addr, "/crm/x", b"{}").await.status, 200);
    gw.gateway.evidence.seal_now().await.unwrap();
    gw.task.abort();
    // What a crash leaves: window 7 holds a paired intent, an intent without outcome and a
    // line cut in the middle; window 8 lists request r-c as open (its intent was sealed in a
    // bundle before the crash) and holds nothing else.
    let instance = std::fs::read_to_string(dir.path().join("evidence/instance")).unwrap();
    let instance = instance.trim();
    let wal = dir.path().join("evidence/wal");
    let ev = |kind: &str, data: &str| {
        format!("{{\"at\":\"2026-12-04T10:00:00Z\",\"data\":{data},\"kind\":\"{kind}\"}}\n")
    };
    let w7 = format!("{instance}-0000000007");
    let text7 = [
        ev("gateway.intent", r#"{"request_id":"r-a"}"#),
        ev("gateway.intent", r#"{"request_id":"r-b"}"#),
        ev(
            "gateway.request",
            &format!(r#"{{"intent":"{w7}/0","request_id":"r-a"}}"#),
        ),
        "{\"at\":\"2026-12-04T10:0".to_owned(),
    ]
    .concat();
    std::fs::write(wal.join("0000000007.ndjson"), text7).unwrap();
    let text8 = ev(
        "gateway.intents_open",
        r#"{"intents":[{"intent":"x-0000000003/4","request_id":"r-c"}]}"#,
    );
    std::fs::write(wal.join("0000000008.ndjson"), text8).unwrap();

    let gw = start_gateway(dir.path(), &text).await;
    gw.task.abort();
    let journals = journals(dir.path());
    // r-a is paired, r-b and r-c are each marked once, in a bundle of their own (window 9).
    let marks = &journals[&format!("{instance}-0000000009")];
    let ids: Vec<(&str, &str)> = marks
        .iter()
        .map(|e| {
            assert_eq!(e["kind"], "gateway.intent_unresolved");
            assert!(e["data"]["reason"].as_str().unwrap().contains("upstream"));
            (
                e["data"]["request_id"].as_str().unwrap(),
                e["data"]["intent"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ids,
        vec![
            ("r-b", format!("{w7}/1").as_str()),
            ("r-c", "x-0000000003/4")
        ]
    );
    assert_eq!(
        journals[&w7].len(),
        3,
        "the cut line was never acknowledged"
    );
    assert_eq!(
        std::fs::read_dir(&wal).unwrap().count(),
        0,
        "every window sealed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_bundles_are_appended_to_the_ledger() {
    let dir = TempDir::new("ledger");
    write_files(dir.path());
    let key =
        clyra_core::crypto::SigningKey::generate(clyra_core::crypto::Scheme::Ed25519, [11; 32])
            .unwrap();
    let key_path = dir.path().join("ledger.pem");
    std::fs::write(&key_path, key.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
    let ledger = dir.path().join("ledger");
    let (code, text) = clyra(&[
        "ledger",
        "init",
        ledger.to_str().unwrap(),
        "--key",
        key_path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{text}");
    let up = Upstream::start().await;
    let text = config_text(up.addr, "  - prefix: /crm\n    upstream: crm\n", "").replace(
        "  seal_every_events: 1000\n",
        "  seal_every_events: 3\n  ledger_dir: ledger\n  ledger_key: ledger.pem\n",
    );
    let gw = start_gateway(dir.path(), &text).await;
    for i in 0..7 {
        assert_eq!(
            post(gw.addr, "/crm/x", format!("{{\"i\":{i}}}").as_bytes())
                .await
                .status,
            200
        );
    }
    gw.gateway.evidence.seal_now().await.unwrap();
    let bundles: Vec<_> = std::fs::read_dir(dir.path().join("evidence/bundles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    // 7 intents and 7 outcomes (plus the open-intent lists that head a window opened while an
    // intent waited) in windows of 3 lines.
    assert!(bundles.len() >= 5, "{} bundles", bundles.len());
    let outcomes: usize = journals(dir.path())
        .values()
        .flatten()
        .filter(|e| e["kind"] == "gateway.request")
        .count();
    assert_eq!(outcomes, 7);
    for b in &bundles {
        let (code, text) = clyra(&[
            "ledger",
            "prove",
            b.to_str().unwrap(),
            "--ledger",
            ledger.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{}: {text}", b.display());
    }
    let (code, text) = clyra(&["ledger", "verify", ledger.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    gw.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_wal_disk_answers_503_and_recovers() {
    let dir = TempDir::new("fullwal");
    write_files(dir.path());
    let up = Upstream::start().await;
    let gw = start_gateway(
        dir.path(),
        &config_text(up.addr, "  - prefix: /crm\n    upstream: crm\n", ""),
    )
    .await;
    // The first window's WAL file is /dev/full: every write fails with ENOSPC.
    let wal = dir.path().join("evidence/wal/0000000000.ndjson");
    std::os::unix::fs::symlink("/dev/full", &wal).unwrap();
    let r = post(gw.addr, "/crm/x", b"{\"n\":1}").await;
    assert_eq!(r.status, 503);
    // The intent could not be written: the upstream was never called.
    assert_eq!(up.hits(), 0);
    assert_eq!(r.json()["code"], "gateway.wal");
    assert!(
        r.header("clyra-receipt").is_none(),
        "no receipt for an unrecorded decision"
    );
    // Space comes back: the gateway serves and records again.
    std::fs::remove_file(&wal).unwrap();
    let r = post(gw.addr, "/crm/x", b"{\"n\":2}").await;
    assert_eq!(r.status, 200);
    let receipt = r.header("clyra-receipt").unwrap().to_owned();
    gw.gateway.evidence.seal_now().await.unwrap();
    let journals = journals(dir.path());
    let (id, seq) = receipt.split_once('/').unwrap();
    let line = &journals[id][seq.parse::<usize>().unwrap()];
    assert_eq!(line["data"]["path"], "/crm/x");
    assert_eq!(
        journals.values().map(Vec::len).sum::<usize>(),
        2,
        "only the recorded decision (intent and outcome) is sealed"
    );
    gw.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_seals_the_open_window() {
    let (dir, _up) = one_route_dir("term").await;
    let (mut child, addr) = spawn_gateway(dir.path());
    let mut receipts = Vec::new();
    for _ in 0..3 {
        receipts.push(
            post(addr, "/crm/x", b"{}")
                .await
                .header("clyra-receipt")
                .unwrap()
                .to_owned(),
        );
    }
    stop_cleanly(&mut child);
    let journals = journals(dir.path());
    for r in receipts {
        let (id, seq) = r.split_once('/').unwrap();
        assert!(journals[id].get(seq.parse::<usize>().unwrap()).is_some());
    }
    assert_eq!(
        std::fs::read_dir(dir.path().join("evidence/wal"))
            .unwrap()
            .count(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_wal_file_left_at_start_is_removed_without_a_gap() {
    let dir = TempDir::new("emptywal");
    write_files(dir.path());
    let up = Upstream::start().await;
    let text = config_text(up.addr, "  - prefix: /crm\n    upstream: crm\n", "");
    let gw = start_gateway(dir.path(), &text).await;
    let first = post(gw.addr, "/crm/x", b"{}").await;
    let first = first.header("clyra-receipt").unwrap().to_owned();
    gw.gateway.evidence.seal_now().await.unwrap();
    gw.task.abort();
    let wal = dir.path().join("evidence/wal");
    assert_eq!(
        std::fs::read_dir(&wal).unwrap().count(),
        0,
        "a clean seal leaves no window file made ahead of use"
    );
    // What a crash can leave: window files made ahead of use, never written (empty, or
    // zero-filled: their content ends at the first NUL byte).
    std::fs::write(wal.join("0000000005.ndjson"), b"").unwrap();
    std::fs::write(wal.join("0000000006.ndjson"), vec![0u8; 65_536]).unwrap();
    let gw = start_gateway(dir.path(), &text).await;
    assert!(!wal.join("0000000005.ndjson").exists());
    assert!(!wal.join("0000000006.ndjson").exists());
    let r = post(gw.addr, "/crm/x", b"{}").await;
    let second = r.header("clyra-receipt").unwrap().to_owned();
    gw.gateway.evidence.seal_now().await.unwrap();
    gw.task.abort();
    // The first window was 0; the next one is 1, not 7: the empty files named no window.
    assert!(first.contains("-0000000000/"), "{first}");
    assert!(second.contains("-0000000001/"), "{second}");
    let journals = journals(dir.path());
    assert_eq!(journals.len(), 2, "no bundle for the empty file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stage_timing_is_written_at_a_clean_stop_when_asked() {
    let (dir, _up) = one_route_dir("stages").await;
    let stages = dir.path().join("stages");
    let (mut child, addr) = spawn_gateway_with(dir.path(), &[("CLYRA_GATEWAY_STAGES", &stages)]);
    for _ in 0..3 {
        assert_eq!(post(addr, "/crm/x", b"{}").await.status, 200);
    }
    stop_cleanly(&mut child);
    let read = |suffix: &str| {
        std::fs::read_to_string(dir.path().join(format!("stages.{suffix}.csv"))).unwrap()
    };
    let requests = read("requests");
    let mut lines = requests.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(head.first(), Some(&"at_ms"));
    assert_eq!(head.last(), Some(&"total"));
    let rows: Vec<Vec<u64>> = lines
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 3, "one row per request");
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
    for r in &rows {
        assert_eq!(r.len(), head.len());
        // Every request went upstream: its intent and outcome were synced, its total covers them.
        assert!(r[col("total")] > 0);
        assert!(r[col("total")] >= r[col("intent_sync")] + r[col("outcome_sync")]);
    }
    // Each request made two WAL records; the stop sealed one window.
    let batches = read("batches");
    let events: u64 = batches
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(events, 6);
    assert_eq!(read("seals").lines().count(), 2, "a header and one seal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stage_files_without_the_variable() {
    let (dir, _up) = one_route_dir("nostages").await;
    let (mut child, addr) = spawn_gateway(dir.path());
    assert_eq!(post(addr, "/crm/x", b"{}").await.status, 200);
    stop_cleanly(&mut child);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".csv")), "{names:?}");
}

/// A window file's lines, then the NUL bytes of its zero fill, then bytes of a batch a crash cut
/// before its sync: at restart exactly the lines before the first NUL byte are sealed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zero_filled_wal_window_is_sealed_up_to_its_first_nul() {
    let (dir, _up) = one_route_dir("zerowal").await;
    let (mut child, addr) = spawn_gateway(dir.path());
    assert_eq!(post(addr, "/crm/x", b"{}").await.status, 200);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // The window file (intent and outcome synced) as the crash left it, then a zero fill and
    // a torn, never-acknowledged line after it.
    let window = dir.path().join("evidence/wal/0000000000.ndjson");
    let mut bytes = std::fs::read(&window).unwrap();
    let content = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    bytes.truncate(content);
    assert_eq!(
        bytes.iter().filter(|b| **b == b'\n').count(),
        2,
        "intent and outcome"
    );
    bytes.extend_from_slice(&[0u8; 4096]);
    bytes.extend_from_slice(b"{\"at\":\"torn\"}\n");
    std::fs::write(&window, &bytes).unwrap();
    let (mut child, _) = spawn_gateway(dir.path());
    stop_cleanly(&mut child);
    let journals = journals(dir.path());
    let first = journals
        .iter()
        .find(|(id, _)| id.ends_with("-0000000000"))
        .map(|(_, events)| events.clone())
        .unwrap();
    let kinds: Vec<_> = first.iter().map(|e| e["kind"].clone()).collect();
    assert_eq!(kinds, ["gateway.intent", "gateway.request"]);
}

/// The scheduling policy of each thread of `pid` named `name` (field 41 of its stat).
fn policies(pid: u32, name: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() != name {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        let fields: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap()
            .split_whitespace()
            .collect();
        out.push(fields[41 - 3].parse().unwrap());
    }
    out
}

/// The sealer and the window-file maker run in SCHED_IDLE (policy 5), the request workers
/// and the WAL writer in the normal class (0).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_threads_run_in_the_idle_class() {
    const SCHED_IDLE: u32 = 5;
    let (dir, _up) = one_route_dir("idle").await;
    let (mut child, addr) = spawn_gateway(dir.path());
    // A first request opens window 0, which asks the window-file maker for window 1.
    assert_eq!(post(addr, "/crm/x", b"{}").await.status, 200);
    let pid = child.id();
    let mut seen = (Vec::new(), Vec::new());
    for _ in 0..200 {
        seen = (
            policies(pid, "clyra-sealer"),
            policies(pid, "clyra-wal-prep"),
        );
        if seen.0 == [SCHED_IDLE] && seen.1 == [SCHED_IDLE] {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(seen, (vec![SCHED_IDLE], vec![SCHED_IDLE]));
    assert!(policies(pid, "tokio-runtime-w").iter().all(|p| *p == 0));
    stop_cleanly(&mut child);
}
