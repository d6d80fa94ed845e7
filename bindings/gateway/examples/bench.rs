//! `just bench-gateway`: open-loop, latency-corrected load at a fixed rate (default 2,000 req/s),
//! the same traffic sent straight to the upstream and through the gateway (every primitive on:
//! fence, kill switch, GCRA, idempotency, policy, GenAI scan, loop breaker, circuit, WAL +
//! sealing), with the memory store and with Redis. Prints p50/p95/p99 latency, the added latency
//! and the gateway's CPU time per 1,000 requests (from /proc).
//!
//! Latency is measured from each request's scheduled start, not from when it was sent, so a
//! stall counts against every request it delays (no coordinated omission).
//!
//! Flags: `--rate N`, `--seconds N`, `--memory-only`, `--redis-only`, `--seal-every N`,
//! `--without CHECK`, `--gateway PATH` (another build of the gateway); `--stages` runs the gateway with `CLYRA_GATEWAY_STAGES` and prints where
//! a request's time goes (p50, p99, and the mean of the slowest 1 %), each WAL batch's write
//! and sync, and each seal (`--stages-out DIR` keeps the raw CSV files); `--wal-dir DIR` / `--bundles-dir DIR` put the WAL or the sealed
//! bundles on another file system (e.g. `/dev/shm`) to see whether their syncs interfere. Each
//! row prints the load average before it (the machine may be shared).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

const POLICY: &str = r#"version: 1
name: bench
default_decision: allow
enforcement:
  mode: enforce
  rules:
    - id: deny-delete
      when: 'request.method == "DELETE"'
      decision: deny
      reason: no deletes
    - id: approve-export
      when: 'request.tool == "/crm/export"'
      decision: require_approval
      reason: exports need approval
"#;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn upstream() -> SocketAddr {
    // Its own thread and runtime, as a real upstream is another process: on the load
    // generator's thread the direct path would skip the cross-thread wake-up every real hop
    // (and the gateway's) pays.
    serve_on_thread(b"{\"ok\":true,\"id\":\"0042\"}")
}

/// Serves `answer` on loopback from a thread and runtime of its own.
fn serve_on_thread(answer: &'static [u8]) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            serve(listener, answer).await;
        });
    });
    addr
}

/// Answers every HTTP/1 request on `listener` with 200 and `answer`.
async fn serve(listener: tokio::net::TcpListener, answer: &'static [u8]) {
    loop {
        let (s, _) = listener.accept().await.unwrap();
        let _ = s.set_nodelay(true);
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<hyper::body::Incoming>| async move {
                let _ = req.into_body().collect().await;
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(answer))))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(s), svc)
                .await;
        });
    }
}

fn args_has(flag: &str) -> bool {
    std::env::args().any(|a| a == flag)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The value after `flag`, if given.
fn arg_str(flag: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn setup(dir: &Path, up: SocketAddr, state: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    // `--wal-dir` / `--bundles-dir`: the evidence subdirectory is a link to elsewhere.
    for (flag, sub) in [("--wal-dir", "wal"), ("--bundles-dir", "bundles")] {
        if let Some(target) = arg_str(flag) {
            let target = PathBuf::from(target).join(format!(
                "clyra-gw-bench-{}-{sub}-{}",
                std::process::id(),
                dir.file_name().unwrap().to_string_lossy()
            ));
            std::fs::create_dir_all(&target).unwrap();
            std::fs::create_dir_all(dir.join("evidence")).unwrap();
            std::os::unix::fs::symlink(&target, dir.join("evidence").join(sub)).unwrap();
        }
    }
    let key =
        clyra_core::crypto::SigningKey::generate(clyra_core::crypto::Scheme::Ed25519, [3; 32])
            .unwrap();
    std::fs::write(
        dir.join("producer.pem"),
        key.to_pkcs8_pem().unwrap().as_bytes(),
    )
    .unwrap();
    std::fs::write(dir.join("secret"), [5u8; 40]).unwrap();
    std::fs::write(dir.join("policy.yaml"), POLICY).unwrap();
    let seal = arg("--seal-every", 1_000);
    let cfg = format!(
        r#"version: 0
listen: "127.0.0.1:0"
secret_file: secret
policy: policy.yaml
limits: {{max_in_flight: 4096}}
{state}evidence:
  dir: evidence
  signing_key: producer.pem
  seal_every_events: {seal}
  seal_every_ms: 60000
upstreams:
  crm: {{url: "http://{up}", timeout_ms: 5000}}
routes:
  - prefix: /crm
    upstream: crm
    rate: {{limit: 1000000, period_ms: 1000, burst: 100000}}
    idempotency: {{ttl_ms: 60000, lock_ttl_ms: 5000}}
    scan: {{request: true}}
    loop: {{window_ms: 60000, max_repeats: 5, history: 8, cool_off_ms: 1000}}
    kill: {{window_ms: 60000, trip_ms: 60000, max_error_percent: 50, min_requests: 1000000}}
"#
    );
    // `--without scan` (or policy, loop, idempotency, kill) drops one check, to see its cost.
    let args: Vec<String> = std::env::args().collect();
    let mut cfg = cfg;
    for w in args.windows(2).filter(|w| w[0] == "--without") {
        let drop = match w[1].as_str() {
            "scan" => "    scan: {request: true}\n",
            "loop" => "    loop: {window_ms: 60000, max_repeats: 5, history: 8, cool_off_ms: 1000}\n",
            "idempotency" => "    idempotency: {ttl_ms: 60000, lock_ttl_ms: 5000}\n",
            "kill" => "    kill: {window_ms: 60000, trip_ms: 60000, max_error_percent: 50, min_requests: 1000000}\n",
            "policy" => "policy: policy.yaml\n",
            other => panic!("unknown check `{other}`"),
        };
        cfg = cfg.replace(drop, "");
    }
    // `--with detector`: the route also asks an external GenAI detector on loopback (answers
    // clean at once), to see the cost of the exchange (gateway-config-v0.md §7.1).
    if args
        .windows(2)
        .any(|w| w[0] == "--with" && w[1] == "detector")
    {
        let det = detector();
        cfg.push_str(&format!(
            "    detector: {{url: \"http://{det}/detect\", timeout_ms: 500, fallback: closed}}\n"
        ));
    }
    let path = dir.join("gateway.yaml");
    std::fs::write(&path, cfg).unwrap();
    path
}

/// A loopback GenAI detector answering `{"findings":[]}`, on its own thread and runtime (off
/// the load generator's).
fn detector() -> SocketAddr {
    serve_on_thread(b"{\"findings\":[]}")
}

fn spawn_gateway(bin: &Path, config: &Path, stages: Option<&Path>) -> (Child, SocketAddr) {
    let mut cmd = Command::new(bin);
    if let Some(s) = stages {
        cmd.env("CLYRA_GATEWAY_STAGES", s);
    }
    let mut child = cmd
        .arg("--config")
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (
        child,
        line.trim().rsplit(' ').next().unwrap().parse().unwrap(),
    )
}

/// utime + stime of `pid`, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// Sends `rate` req/s for `secs` to `addr`; returns the latencies (µs) from scheduled start.
async fn load(addr: SocketAddr, rate: u64, secs: u64, tag: &str) -> (Vec<u64>, u64) {
    let total = rate * secs;
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now() + Duration::from_millis(50);
    let interval_ns = 1_000_000_000 / rate;
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (next, errors, tag) = (next.clone(), errors.clone(), tag.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            tokio::spawn(conn);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let at = start + Duration::from_nanos(i * interval_ns);
                // Latency runs from the scheduled start when the connection was still busy
                // then (coordinated omission), else from the send: tokio's timer wakes up to
                // 1 ms late, a lateness of the client, not of the path measured.
                let free = Instant::now() < at;
                tokio::time::sleep_until(at.into()).await;
                let at = if free { Instant::now() } else { at };
                let body = format!(
                    "{{\"contact\":{i},\"email\":\"user{i}@example.com\",\"segment\":\"vip\"}}"
                );
                let req = Request::post("/crm/contacts")
                    .header("host", "bench")
                    .header("x-tenant", "acme")
                    .header("x-actor", "hightouch")
                    .header("x-session", format!("s{}", i % 1000))
                    .header("idempotency-key", format!("{tag}-{i}"))
                    .body(Full::new(Bytes::from(body)))
                    .unwrap();
                match sender.send_request(req).await {
                    Ok(r) => {
                        let ok = r.status().is_success();
                        let _ = r.into_body().collect().await;
                        if !ok {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                lat.push(u64::try_from(at.elapsed().as_micros()).unwrap_or(u64::MAX));
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_unstable();
    (all, errors.load(Ordering::Relaxed))
}

fn csv(path: &Path) -> (Vec<String>, Vec<Vec<u64>>) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines = text.lines();
    let head = lines
        .next()
        .unwrap_or_default()
        .split(',')
        .map(str::to_owned)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(|c| c.parse().unwrap_or(0)).collect())
        .collect();
    (head, rows)
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Where the measured requests' time went (the first `warm` rows are the warm-up).
fn print_stages(stages: &Path, warm: usize, client: &[u64]) {
    if let Some(out) = arg_str("--stages-out") {
        // Keep the raw CSV files for a closer look.
        std::fs::create_dir_all(&out).unwrap();
        for suffix in [".requests.csv", ".batches.csv", ".seals.csv"] {
            let from = with_suffix(stages, suffix);
            let name = format!("{}{suffix}", std::process::id());
            let _ = std::fs::copy(&from, Path::new(&out).join(name));
        }
    }
    let (head, rows) = csv(&with_suffix(stages, ".requests.csv"));
    if rows.len() <= warm {
        println!("(no stage rows)");
        return;
    }
    let from_ms = rows[warm][0];
    let rows = &rows[warm..];
    let total_col = head.len() - 1;
    let mut by_total: Vec<&Vec<u64>> = rows.iter().collect();
    by_total.sort_by_key(|r| r[total_col]);
    let slow = &by_total[by_total.len() - (by_total.len() / 100).max(1)..];
    println!(
        "\nstages of {} measured requests inside the gateway (µs):\n",
        rows.len()
    );
    println!("| stage | p50 | p99 | max | mean | mean of the slowest 1 % (by total) |");
    println!("|---|---|---|---|---|---|");
    for (i, name) in head.iter().enumerate().skip(1) {
        let mut v: Vec<u64> = rows.iter().map(|r| r[i]).collect();
        v.sort_unstable();
        let mean = v.iter().sum::<u64>() as f64 / v.len() as f64;
        let slow_mean = slow.iter().map(|r| r[i]).sum::<u64>() as f64 / slow.len() as f64;
        println!(
            "| {name} | {} | {} | {} | {mean:.0} | {slow_mean:.0} |",
            pct(&v, 0.5),
            pct(&v, 0.99),
            v[v.len() - 1]
        );
    }
    println!(
        "| client-measured (for comparison) | {} | {} | {} | | |",
        pct(client, 0.5),
        pct(client, 0.99),
        client.last().copied().unwrap_or(0)
    );
    let (_, batches) = csv(&with_suffix(stages, ".batches.csv"));
    // Rows of another build's layout (no `open` column) are not compared.
    let batches: Vec<&Vec<u64>> = batches
        .iter()
        .filter(|b| b.len() == 6 && b[0] >= from_ms)
        .collect();
    if !batches.is_empty() {
        println!("\nWAL batches in the measured run: {}", batches.len());
        println!("| column | p50 | p99 | max |");
        println!("|---|---|---|---|");
        for (i, name) in ["events", "gather µs", "open µs", "write µs", "sync µs"]
            .iter()
            .enumerate()
        {
            let mut v: Vec<u64> = batches.iter().map(|b| b[i + 1]).collect();
            v.sort_unstable();
            println!(
                "| {name} | {} | {} | {} |",
                pct(&v, 0.5),
                pct(&v, 0.99),
                v[v.len() - 1]
            );
        }
        // Batches that started a window (opened its file) against the others.
        for (name, opened) in [
            ("batches that opened a window file", true),
            ("other batches", false),
        ] {
            let mut v: Vec<u64> = batches
                .iter()
                .filter(|b| (b[3] > 0) == opened)
                .map(|b| b[3] + b[4] + b[5])
                .collect();
            v.sort_unstable();
            if !v.is_empty() {
                println!(
                    "{name}: {} — open+write+sync µs p50 {} p99 {} max {}",
                    v.len(),
                    pct(&v, 0.5),
                    pct(&v, 0.99),
                    v[v.len() - 1]
                );
            }
        }
    }
    let (_, seals) = csv(&with_suffix(stages, ".seals.csv"));
    let seals: Vec<&Vec<u64>> = seals
        .iter()
        .filter(|b| b.len() == 5 && b[0] >= from_ms)
        .collect();
    if !seals.is_empty() {
        let mean =
            |i: usize| seals.iter().map(|s| s[i]).sum::<u64>() as f64 / seals.len() as f64 / 1000.0;
        let max = |i: usize| seals.iter().map(|s| s[i]).max().unwrap_or(0) as f64 / 1000.0;
        println!(
            "\nseals in the measured run: {} (ms mean/max) build {:.1}/{:.1}, durable write {:.1}/{:.1}, ledger+wal removal {:.1}/{:.1}",
            seals.len(), mean(2), max(2), mean(3), max(3), mean(4), max(4)
        );
    }
    println!();
}

fn pct(v: &[u64], p: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let rate = arg("--rate", 2_000);
    let secs = arg("--seconds", 10);
    // `--gateway PATH` runs another build (before/after comparisons in one session).
    let bin = arg_str("--gateway").map_or_else(
        || {
            std::env::current_exe()
                .unwrap()
                .parent()
                .unwrap()
                .parent()
                .unwrap()
                .join("clyra-gateway")
        },
        PathBuf::from,
    );
    let up = upstream().await;
    let root = std::env::temp_dir().join(format!("clyra-gw-bench-{}", std::process::id()));
    println!("clyra-gateway bench: {rate} req/s open loop for {secs} s per row, 64 keep-alive connections, every primitive on");
    println!("latency (µs) from each request's scheduled start, or from its send when its connection was free before that start (the client timer's lateness left out); added = through gateway − direct, same traffic, same run\n");
    println!("| store | path | p50 | p95 | p99 | errors | added p50 | added p95 | added p99 | gateway CPU ms / 1,000 req |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut redis: Option<Child> = None;
    let stores: Vec<&str> = if args_has("--memory-only") {
        vec!["memory"]
    } else if args_has("--redis-only") {
        vec!["redis"]
    } else {
        vec!["memory", "redis"]
    };
    for store in stores {
        let state = if store == "redis" {
            let port = free_port();
            let dir = root.join("redis");
            std::fs::create_dir_all(&dir).unwrap();
            let child = Command::new("redis-server")
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .arg("--dir")
                .arg(&dir)
                .stdout(Stdio::null())
                .spawn();
            let Ok(child) = child else {
                println!("| redis | (redis-server not installed: skipped) | | | | | | | | |");
                continue;
            };
            redis = Some(child);
            for _ in 0..100 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            format!("state: {{store: redis, redis_url: \"redis://127.0.0.1:{port}/\"}}\n")
        } else {
            String::new()
        };
        let config = setup(&root.join(store), up, &state);
        let stages = args_has("--stages").then(|| root.join(store).join("stages"));
        let (mut gw, gw_addr) = spawn_gateway(&bin, &config, stages.as_deref());
        let load_before = loadavg();
        // Warm up both paths.
        load(up, rate, 1, &format!("{store}-wd")).await;
        load(gw_addr, rate, 1, &format!("{store}-wg")).await;
        let (direct, direct_err) = load(up, rate, secs, &format!("{store}-d")).await;
        let cpu0 = cpu_seconds(gw.id());
        let (through, gw_err) = load(gw_addr, rate, secs, &format!("{store}-g")).await;
        let cpu = cpu_seconds(gw.id()) - cpu0;
        let per_k = cpu * 1_000.0 / (through.len() as f64 / 1_000.0);
        let row = |name: &str, v: &[u64], e: u64| {
            format!(
                "| {store} | {name} | {} | {} | {} | {e} |",
                pct(v, 0.5),
                pct(v, 0.95),
                pct(v, 0.99)
            )
        };
        println!("{} | | | |", row("direct", &direct, direct_err));
        let added = |p: f64| pct(&through, p) as i64 - pct(&direct, p) as i64;
        println!(
            "{} {} | {} | {} | {per_k:.1} |",
            row("gateway", &through, gw_err),
            added(0.5),
            added(0.95),
            added(0.99)
        );
        println!(
            "load average before the row: {load_before}; after: {}",
            loadavg()
        );
        if let Some(stages) = &stages {
            // A clean stop writes the stage files.
            let _ = Command::new("kill")
                .args(["-TERM", &gw.id().to_string()])
                .status();
            let _ = gw.wait();
            print_stages(stages, rate as usize, &through);
        } else {
            let _ = gw.kill();
            let _ = gw.wait();
        }
    }
    if let Some(mut r) = redis {
        let _ = r.kill();
        let _ = r.wait();
    }
    let _ = std::fs::remove_dir_all(&root);
    // The directories `--wal-dir` / `--bundles-dir` linked to.
    for flag in ["--wal-dir", "--bundles-dir"] {
        if let Some(dir) = arg_str(flag) {
            let mine = format!("clyra-gw-bench-{}-", std::process::id());
            for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                if e.file_name().to_string_lossy().starts_with(&mine) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }
}
