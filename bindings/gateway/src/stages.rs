//! Per-stage timing, off by default: with `CLYRA_GATEWAY_STAGES=<file>` in the environment the
//! gateway splits each request's time into stages (body read, checks, the intent's WAL wait,
//! upstream, the outcome's WAL wait, …), records each WAL batch and each seal, and writes them
//! as CSV at a clean stop (`<file>.requests.csv`, `<file>.batches.csv`, `<file>.seals.csv`).
//! `bench --stages` reads them and prints where a request's time goes at p50/p99. It is a
//! measuring aid: it does not change what the gateway does.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// Columns of a request row (µs each, after `at_ms`).
pub const REQUEST_COLUMNS: [&str; 14] = [
    "body",
    "checks",
    "intent_queue",
    "intent_write",
    "intent_sync",
    "intent_wake",
    "upstream",
    "after",
    "event",
    "outcome_queue",
    "outcome_write",
    "outcome_sync",
    "outcome_wake",
    "total",
];

/// A stage of a request (index into [`REQUEST_COLUMNS`]).
#[derive(Debug, Clone, Copy)]
pub enum Stage {
    /// Reading the body.
    Body = 0,
    /// Fence to loop breaker (and blocking answers).
    Checks = 1,
    /// The upstream call.
    Upstream = 6,
    /// After the upstream: circuit, kill switch, response scan, idempotency completion.
    After = 7,
    /// Building the outcome event.
    Event = 8,
}

/// How a WAL record was written: when the writer took it, started its batch's write and sync,
/// and acknowledged it.
#[derive(Debug, Clone, Copy)]
pub struct WalTrace {
    /// The writer started the batch holding the record.
    pub picked: Instant,
    /// The batch's `write` started.
    pub write: Instant,
    /// The batch's sync started.
    pub sync: Instant,
    /// The record was acknowledged.
    pub acked: Instant,
}

struct Recorder {
    path: PathBuf,
    start: Instant,
    requests: Mutex<Vec<(u32, [u32; 14])>>,
    batches: Mutex<Vec<[u32; 6]>>,
    seals: Mutex<Vec<[u32; 5]>>,
}

fn recorder() -> Option<&'static Recorder> {
    static R: OnceLock<Option<Recorder>> = OnceLock::new();
    R.get_or_init(|| {
        let path = std::env::var_os("CLYRA_GATEWAY_STAGES")?;
        Some(Recorder {
            path: PathBuf::from(path),
            start: Instant::now(),
            requests: Mutex::new(Vec::new()),
            batches: Mutex::new(Vec::new()),
            seals: Mutex::new(Vec::new()),
        })
    })
    .as_ref()
}

fn us(d: std::time::Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

fn at_ms(r: &Recorder) -> u32 {
    u32::try_from(r.start.elapsed().as_millis()).unwrap_or(u32::MAX)
}

/// Whether stage timing is on.
pub fn enabled() -> bool {
    recorder().is_some()
}

/// One request's stage clock (a no-op when timing is off).
#[derive(Debug, Default)]
pub struct Clock {
    inner: Option<(Instant, Instant, [u32; 14])>,
}

impl Clock {
    /// Starts the clock now, if timing is on.
    pub fn start() -> Self {
        let now = Instant::now();
        Self {
            inner: enabled().then_some((now, now, [0; 14])),
        }
    }

    /// Adds the time since the last lap to `stage`.
    pub fn lap(&mut self, stage: Stage) {
        if let Some((_, last, row)) = &mut self.inner {
            let now = Instant::now();
            if let Some(c) = row.get_mut(stage as usize) {
                *c = c.saturating_add(us(now - *last));
            }
            *last = now;
        }
    }

    /// Splits a WAL wait that started at `sent` into queue, write, sync and wake-up time;
    /// `outcome` picks the outcome's columns, else the intent's.
    pub fn wal(&mut self, sent: Instant, trace: Option<WalTrace>, outcome: bool) {
        if let (Some((_, last, row)), Some(t)) = (&mut self.inner, trace) {
            let now = Instant::now();
            // What ran between the last lap and the append belongs to the stage before.
            let before = if outcome { Stage::Event } else { Stage::Checks };
            if let Some(c) = row.get_mut(before as usize) {
                *c = c.saturating_add(us(sent.saturating_duration_since(*last)));
            }
            let base = if outcome { 9 } else { 2 };
            let parts = [
                us(t.write.saturating_duration_since(sent)),
                us(t.sync.saturating_duration_since(t.write)),
                us(t.acked.saturating_duration_since(t.sync)),
                us(now.saturating_duration_since(t.acked)),
            ];
            for (i, p) in parts.into_iter().enumerate() {
                if let Some(c) = row.get_mut(base + i) {
                    *c = c.saturating_add(p);
                }
            }
            *last = now;
        }
    }

    /// Ends the request: its row is kept.
    pub fn finish(self) {
        if let (Some((start, _, mut row)), Some(r)) = (self.inner, recorder()) {
            if let Some(t) = row.last_mut() {
                *t = us(start.elapsed());
            }
            if let Ok(mut v) = r.requests.lock() {
                v.push((at_ms(r), row));
            }
        }
    }
}

/// Records one WAL batch: `events` lines, `gather_us` spent gathering, `open_us` opening the
/// window's file (0 unless the batch starts a window), `write_us` and `sync_us`.
pub fn batch(events: usize, gather_us: u32, open_us: u32, write_us: u32, sync_us: u32) {
    if let Some(r) = recorder() {
        let n = u32::try_from(events).unwrap_or(u32::MAX);
        if let Ok(mut v) = r.batches.lock() {
            v.push([at_ms(r), n, gather_us, open_us, write_us, sync_us]);
        }
    }
}

/// Records one seal: `events`, building the bundle, writing it durably, the rest (ledger, WAL
/// removal), all in µs.
pub fn seal(events: usize, build_us: u32, write_us: u32, rest_us: u32) {
    if let Some(r) = recorder() {
        let n = u32::try_from(events).unwrap_or(u32::MAX);
        if let Ok(mut v) = r.seals.lock() {
            v.push([at_ms(r), n, build_us, write_us, rest_us]);
        }
    }
}

/// Microseconds of a duration, saturated (for callers of [`batch`] and [`seal`]).
pub fn micros(d: std::time::Duration) -> u32 {
    us(d)
}

/// Writes the three CSV files (at a clean stop). Errors are printed, not returned: timing is
/// an aid and never stops the gateway.
pub fn dump() {
    let Some(r) = recorder() else {
        return;
    };
    let mut req = String::from("at_ms");
    for c in REQUEST_COLUMNS {
        req.push(',');
        req.push_str(c);
    }
    req.push('\n');
    for (at, row) in r.requests.lock().map(|v| v.clone()).unwrap_or_default() {
        let _ = write!(req, "{at}");
        for c in row {
            let _ = write!(req, ",{c}");
        }
        req.push('\n');
    }
    fn table<const N: usize>(head: &str, rows: Vec<[u32; N]>) -> String {
        let mut s = format!("{head}\n");
        for row in rows {
            let cells: Vec<String> = row.iter().map(u32::to_string).collect();
            s.push_str(&cells.join(","));
            s.push('\n');
        }
        s
    }
    let batches = table(
        "at_ms,events,gather,open,write,sync",
        r.batches.lock().map(|v| v.clone()).unwrap_or_default(),
    );
    let seals = table(
        "at_ms,events,build,write,rest",
        r.seals.lock().map(|v| v.clone()).unwrap_or_default(),
    );
    for (suffix, text) in [
        ("requests.csv", req),
        ("batches.csv", batches),
        ("seals.csv", seals),
    ] {
        let mut p = r.path.clone().into_os_string();
        p.push(".");
        p.push(suffix);
        if let Err(e) = std::fs::write(&p, text) {
            eprintln!("clyra-gateway: stage timing `{}`: {e}", p.to_string_lossy());
        }
    }
}
