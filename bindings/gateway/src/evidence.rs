//! Evidence: every decision is a journal event appended to a write-ahead log and synced before
//! the response is sent (group commit: whatever queued while the last sync ran is written and
//! synced together); windows of events are sealed into signed PEF bundles (spec:
//! gateway-config-v0.md §5).
//!
//! Layout under `evidence.dir`: `instance` (this gateway's id, made once), `wal/<window>.ndjson`
//! (one canonical journal event per line), `bundles/<bundle_id>.zip`. A window's WAL file is
//! removed only after its bundle is durably written; at start every WAL file left behind is
//! sealed first, so a crash (even `kill -9`) loses no event whose response was sent.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Cursor, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use clyra_core::build::{build_bundle_with, BuildErrorKind, BuildInputs, BundleSpec};
use clyra_core::crypto::SigningKey;
use clyra_core::format::Schemas;
use clyra_core::jcs::{self, Map, Value};
use clyra_core::time::Timestamp;
use clyra_core::{Coded, Limits};
use tokio::sync::oneshot;

use crate::config::{lower, EvidenceConfig};
use crate::error::{GatewayError, CODE_IO};
use crate::stages::{self, Clock, WalTrace};

/// Kind of the one journal event each request leaves (its outcome).
pub const EVENT_KIND: &str = "gateway.request";

/// Kind of the event written and synced before a request is sent upstream (its intent); the
/// outcome event names it in `data.intent` (gateway-config-v0.md §10).
pub const INTENT_KIND: &str = "gateway.intent";

/// Kind of the event that lists, at the head of a window, the intents of earlier windows that
/// had no outcome yet when that window was opened (so recovery can pair across windows).
pub const OPEN_KIND: &str = "gateway.intents_open";

/// Kind of the event an expired hold leaves when its expiry is detected (gateway-config-v0.md §8).
pub const HOLD_EXPIRED_KIND: &str = "gateway.hold_expired";

/// Kind of the event recovery writes for an intent whose outcome was never recorded (the
/// gateway stopped between sending the request upstream and recording its answer).
pub const UNRESOLVED_KIND: &str = "gateway.intent_unresolved";

/// Most events queued for the WAL writer; a full queue makes requests wait (backpressure).
const QUEUE: usize = 8_192;

/// Facts about the bundles the sealer writes.
#[derive(Debug, Clone)]
pub struct SealFacts {
    /// `change.subject`.
    pub subject: String,
    /// `change.environment`.
    pub environment: String,
    /// Policy hash, when a policy is loaded.
    pub policy_hash: Option<String>,
}

/// What the writer answers an append: the record's id and how it was written, or the error.
type Acked = Result<(String, WalTrace), String>;

enum Msg {
    Append(&'static str, Map, oneshot::Sender<Acked>),
    Seal(oneshot::Sender<()>),
}

/// The handle requests use to record their event.
#[derive(Clone)]
pub struct Evidence {
    tx: SyncSender<Msg>,
}

impl std::fmt::Debug for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Evidence { .. }")
    }
}

impl Evidence {
    /// Opens `config.dir`, seals any window a previous run left, and starts the WAL writer and
    /// the sealer threads.
    pub fn open(
        config: &EvidenceConfig,
        key: SigningKey,
        facts: SealFacts,
    ) -> Result<Self, GatewayError> {
        let io = |p: &Path, e: std::io::Error| {
            GatewayError::new(CODE_IO, format!("`{}`: {}", p.display(), lower(&e)))
        };
        let wal = config.dir.join("wal");
        let bundles = config.dir.join("bundles");
        fs::create_dir_all(&wal).map_err(|e| io(&wal, e))?;
        fs::create_dir_all(&bundles).map_err(|e| io(&bundles, e))?;
        let instance = instance_id(&config.dir)?;
        let schemas = Schemas::new()
            .map_err(|e| GatewayError::new(BuildErrorKind::Manifest.code(), e.to_string()))?;
        let sealer = Sealer {
            key,
            schemas,
            facts,
            instance: instance.clone(),
            bundles,
            ledger: config.ledger_dir.clone().zip(config.ledger_key.clone()),
        };
        // Zero fills a crash interrupted before they became a window file.
        for e in fs::read_dir(&wal).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().ends_with(PREP_SUFFIX) {
                let _ = fs::remove_file(e.path());
            }
        }
        // Recovery: intents without an outcome get their own event, then what a previous run
        // left is sealed, oldest first.
        let mut left = windows(&wal)?;
        // An empty WAL file holds no event: a window file made ahead of use that was never
        // written (or one a crash left before its first line). Nothing to seal or pair.
        left.retain(|(_, p)| {
            let empty = File::open(p)
                .and_then(|f| content_len(&f))
                .is_ok_and(|n| n == 0);
            if empty {
                let _ = fs::remove_file(p);
            }
            !empty
        });
        let mut next = left.last().map_or(0, |(w, _)| w + 1);
        next = next.max(sealer.next_window()?);
        if let Some(extra) = unresolved(&left, &instance, next)? {
            left.push(extra);
        }
        for (window, path) in left {
            // A window that cannot be sealed now stays in the WAL (logged), retried next start.
            if let Err(e) = sealer.seal(window, &path) {
                eprintln!("clyra-gateway: recovering window {window}: {e}");
            }
            next = next.max(window + 1);
        }
        next = next.max(sealer.next_window()?);
        let (seal_tx, seal_rx) = mpsc::channel::<(u64, PathBuf, Option<oneshot::Sender<()>>)>();
        std::thread::Builder::new()
            .name("clyra-sealer".into())
            .spawn(move || {
                background_priority();
                for (window, path, done) in seal_rx {
                    if let Err(e) = sealer.seal(window, &path) {
                        eprintln!("clyra-gateway: sealing window {window} failed: {e}");
                    }
                    if let Some(done) = done {
                        let _ = done.send(());
                    }
                }
            })
            .map_err(|e| io(&config.dir, e))?;
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        // The next window's file is created (and its directory entry synced) by a helper
        // thread while the current window fills, so a window change costs the WAL writer —
        // and every request queued behind it — no directory sync (issue 17: 3–12 ms each).
        let (prep_tx, prep_rx) = mpsc::channel::<(PathBuf, u64)>();
        let (made_tx, made_rx) = mpsc::channel::<Made>();
        let dir = wal.clone();
        std::thread::Builder::new()
            .name("clyra-wal-prep".into())
            .spawn(move || {
                background_priority();
                for (path, zeros) in prep_rx {
                    // A failure here is not an error: the writer then creates the file itself.
                    let made = open_wal_file(&path, &dir, zeros).ok();
                    if made_tx.send((path, made)).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| io(&config.dir, e))?;
        let writer = Writer {
            wal,
            instance,
            window: next,
            file: None,
            count: 0,
            opened: Instant::now(),
            last_at: 0,
            seal_events: config.seal_every_events,
            seal_after: Duration::from_millis(config.seal_every_ms),
            seal_tx,
            gather: Duration::from_millis(config.fsync_batch_ms),
            open: BTreeMap::new(),
            picked: (Instant::now(), Duration::ZERO),
            open_us: 0,
            prep: (prep_tx, made_rx),
            asked: 0,
            ready: None,
            zeros: zero_fill(config.seal_every_events.saturating_mul(512)),
        };
        std::thread::Builder::new()
            .name("clyra-wal".into())
            .spawn(move || writer.run(&rx))
            .map_err(|e| io(&config.dir, e))?;
        Ok(Self { tx })
    }

    /// Appends one event (`data` of a `gateway.request` event) and waits until it is synced;
    /// returns its receipt id `<bundle_id>/<seq>`.
    pub async fn record(&self, data: Map) -> Result<String, GatewayError> {
        Ok(self.append(EVENT_KIND, data).await?.0)
    }

    /// Appends the intent of a request about to be sent upstream (`data` holds its
    /// `request_id`) and waits until it is synced: the upstream is called only after. Returns
    /// the intent's id, which the outcome event names in `data.intent`.
    pub async fn record_intent(
        &self,
        data: Map,
        clock: &mut Clock,
    ) -> Result<String, GatewayError> {
        let sent = Instant::now();
        let (id, trace) = self.append(INTENT_KIND, data).await?;
        clock.wal(sent, Some(trace), false);
        Ok(id)
    }

    /// Appends an event of another kind (`gateway.hold_expired`) and waits until it is synced.
    pub async fn record_kind(&self, kind: &'static str, data: Map) -> Result<String, GatewayError> {
        Ok(self.append(kind, data).await?.0)
    }

    /// Hands a `gateway.request` event (its outcome) to the WAL writer without waiting, so
    /// the request can finish other work before its answer while the event is synced; the
    /// answer waits for [`Submitted::recorded`].
    pub fn submit(&self, data: Map) -> Submitted {
        self.submit_kind(EVENT_KIND, data)
    }

    fn submit_kind(&self, kind: &'static str, data: Map) -> Submitted {
        let sent = Instant::now();
        let (ack, done) = oneshot::channel();
        let (full, done) = match self.tx.try_send(Msg::Append(kind, data, ack)) {
            Ok(()) => (None, Some(done)),
            Err(mpsc::TrySendError::Full(msg)) => (Some(msg), Some(done)),
            Err(mpsc::TrySendError::Disconnected(_)) => (None, None),
        };
        Submitted {
            sent,
            full,
            done,
            tx: self.tx.clone(),
        }
    }

    async fn append(
        &self,
        kind: &'static str,
        data: Map,
    ) -> Result<(String, WalTrace), GatewayError> {
        self.submit_kind(kind, data).wait().await
    }

    /// Closes the open window and waits until its bundle is written (shutdown, tests).
    pub async fn seal_now(&self) -> Result<(), GatewayError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Msg::Seal(ack))
            .map_err(|_| GatewayError::new(CODE_IO, "the wal writer stopped"))?;
        done.await
            .map_err(|_| GatewayError::new(CODE_IO, "the sealer stopped"))
    }
}

/// An event handed to the WAL writer (see [`Evidence::submit`]).
pub struct Submitted {
    sent: Instant,
    /// The message, when the queue was full at submission (sent on waiting: backpressure).
    full: Option<Msg>,
    /// The writer's answer; `None` when the writer had stopped.
    done: Option<oneshot::Receiver<Acked>>,
    tx: SyncSender<Msg>,
}

impl Submitted {
    /// Waits until the event is synced; returns its receipt id `<bundle_id>/<seq>`, with the
    /// wait split into the request's stage clock.
    pub async fn recorded(self, clock: &mut Clock) -> Result<String, GatewayError> {
        let sent = self.sent;
        let (id, trace) = self.wait().await?;
        clock.wal(sent, Some(trace), true);
        Ok(id)
    }

    async fn wait(self) -> Result<(String, WalTrace), GatewayError> {
        let Some(done) = self.done else {
            return Err(GatewayError::new(CODE_IO, "the wal writer stopped"));
        };
        if let Some(msg) = self.full {
            // A full queue blocks (backpressure): off the async workers.
            let tx = self.tx;
            tokio::task::spawn_blocking(move || tx.send(msg))
                .await
                .map_err(|e| GatewayError::new(CODE_IO, format!("wal queue: {e}")))?
                .map_err(|_| GatewayError::new(CODE_IO, "the wal writer stopped"))?;
        }
        match done.await {
            Ok(Ok(acked)) => Ok(acked),
            Ok(Err(message)) => Err(GatewayError::new(CODE_IO, message)),
            Err(_) => Err(GatewayError::new(CODE_IO, "the wal writer stopped")),
        }
    }
}

/// Moves the calling thread to Linux's idle scheduling class (SCHED_IDLE), so that sealing —
/// deflate, SHA-256, signing, a CPU-bound burst per window — runs only on CPU the request
/// workers and the WAL writer leave: a waking request worker preempts it at once. Nice 19
/// was not enough (issue 17: with it the upstream stage's p99 was 3.4 ms, with SCHED_IDLE
/// 0.56 ms). Falls back to nice 19; a failure of both leaves the thread as it was.
fn background_priority() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{
            set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy,
            ThreadPriority, ThreadSchedulePolicy,
        };
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        let Err(idle_error) =
            set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle)
        else {
            return;
        };
        // On Linux the nice value is per thread: this thread's id names only this thread.
        let tid = rustix::thread::gettid();
        if let Err(e) = rustix::process::setpriority_process(Some(tid), 19) {
            eprintln!("clyra-gateway: a background thread keeps its priority: {idle_error:?}; {e}");
        }
    }
}

/// The gateway's instance id, made once from operating-system randomness and kept in
/// `dir/instance`, so bundle ids of two gateways never collide.
fn instance_id(dir: &Path) -> Result<String, GatewayError> {
    let path = dir.join("instance");
    if let Ok(text) = fs::read_to_string(&path) {
        let id = text.trim().to_owned();
        if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Ok(id);
        }
    }
    let mut raw = [0u8; 6];
    getrandom::getrandom(&mut raw)
        .map_err(|e| GatewayError::new(CODE_IO, format!("no randomness: {e}")))?;
    let id = format!("gw-{}", clyra_core::digest::to_hex(&raw));
    write_atomic(&path, id.as_bytes())?;
    Ok(id)
}

/// Opens (creating it if needed) the WAL file `path` and syncs its directory `dir`, so that
/// the file's entry is durable before any line in it is acknowledged. A new file is first
/// filled with `zeros` NUL bytes and synced: lines then overwrite allocated blocks, and each
/// group commit's `fdatasync` flushes data only, with no journal commit of a size change (which
/// waited behind the sealer's writes: issue 17). The zero fill is made under a temporary name
/// and linked to `path` only if no file is there: the writer, when it needed the window before
/// the fill was ready, has made the file itself and its lines are never overwritten. Returns the
/// file and its content length.
fn open_wal_file(path: &Path, dir: &Path, zeros: u64) -> std::io::Result<(File, u64)> {
    let f = if zeros > 0 {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let tmp = dir.join(format!(".{name}{PREP_SUFFIX}"));
        let made = zero_filled(&tmp, zeros).and_then(|f| fs::hard_link(&tmp, path).map(|()| f));
        let _ = fs::remove_file(&tmp);
        made?
    } else {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?
    };
    File::open(dir).and_then(|d| d.sync_all())?;
    let len = content_len(&f)?;
    Ok((f, len))
}

/// Suffix of a window file being zero-filled (not a window: removed at start).
const PREP_SUFFIX: &str = ".prep";

/// A new file at `tmp` holding `zeros` NUL bytes, synced.
fn zero_filled(tmp: &Path, zeros: u64) -> std::io::Result<File> {
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)?;
    let chunk = vec![0u8; 64 * 1024];
    let mut at = 0;
    while at < zeros {
        let n = chunk
            .len()
            .min(usize::try_from(zeros - at).unwrap_or(usize::MAX));
        f.write_all_at(chunk.get(..n).unwrap_or_default(), at)?;
        at += n as u64;
    }
    f.sync_all()?;
    Ok(f)
}

/// Length of a WAL file's content: the log ends at its first NUL byte (the zero fill made
/// ahead of use), or at the end of the file.
fn content_len(f: &File) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut at = 0u64;
    loop {
        let n = f.read_at(&mut buf, at)?;
        let read = buf.get(..n).unwrap_or_default();
        if let Some(i) = read.iter().position(|b| *b == 0) {
            return Ok(at + i as u64);
        }
        if n == 0 {
            return Ok(at);
        }
        at += n as u64;
    }
}

/// Bytes of zero fill for the next window file: a quarter more than the last window held
/// (first window: 512 bytes per event), between 64 KiB and 16 MiB.
fn zero_fill(bytes: u64) -> u64 {
    (bytes.saturating_add(bytes / 4)).clamp(64 * 1024, 16 * 1024 * 1024)
}

/// WAL files of `wal`, by window number.
fn windows(wal: &Path) -> Result<Vec<(u64, PathBuf)>, GatewayError> {
    let entries = fs::read_dir(wal)
        .map_err(|e| GatewayError::new(CODE_IO, format!("`{}`: {}", wal.display(), lower(&e))))?;
    let mut out: Vec<(u64, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = name.strip_suffix(".ndjson")?.parse::<u64>().ok()?;
            Some((n, e.path()))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Writes `bytes` to `path` through a synced temporary file and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), GatewayError> {
    let io = |e: std::io::Error| {
        GatewayError::new(CODE_IO, format!("`{}`: {}", path.display(), lower(&e)))
    };
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    fs::rename(&tmp, path).map_err(io)?;
    if let Some(parent) = path.parent() {
        File::open(parent).and_then(|d| d.sync_all()).map_err(io)?;
    }
    Ok(())
}

/// The bundle id of `window` of `instance`.
pub fn bundle_id(instance: &str, window: u64) -> String {
    format!("{instance}-{window:010}")
}

/// A JSON integer (clamped to the safe range).
pub fn int(n: u64) -> Value {
    let n = i64::try_from(n.min(jcs::MAX_SAFE_INTEGER)).unwrap_or(0);
    jcs::Number::from_i64(n).map_or(Value::Null, Value::Number)
}

/// Now, whole seconds since the epoch.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn timestamp(seconds: i64) -> String {
    Timestamp::from_unix_seconds(seconds)
        .map(|t| t.as_str().to_owned())
        .unwrap_or_default()
}

struct Writer {
    wal: PathBuf,
    instance: String,
    window: u64,
    file: Option<(File, u64)>,
    count: u64,
    opened: Instant,
    last_at: i64,
    seal_events: u64,
    seal_after: Duration,
    seal_tx: mpsc::Sender<(u64, PathBuf, Option<oneshot::Sender<()>>)>,
    /// Longest extra wait to gather a batch before syncing.
    gather: Duration,
    /// Intents without an outcome yet: request id → intent id.
    open: BTreeMap<String, String>,
    /// When the current batch was taken, and how long gathering it took (stage timing).
    picked: (Instant, Duration),
    /// Time the last append spent opening the window's file (stage timing).
    open_us: u32,
    /// Asks the helper thread for a window file of some zero-filled size; receives the files
    /// it made, with their content length.
    prep: (mpsc::Sender<(PathBuf, u64)>, Receiver<Made>),
    /// Files asked of the helper and not yet received.
    asked: usize,
    /// A window file made ahead of use, not yet taken, with its content length.
    ready: Option<(PathBuf, File, u64)>,
    /// Zero fill asked for the next window file (from the size of the last closed window).
    zeros: u64,
}

/// A window file the helper thread made (with its content length), or `None` when it failed.
type Made = (PathBuf, Option<(File, u64)>);

/// A written line waiting for its sync: the requester's ack, the line's id, what it opened.
type Pending = (oneshot::Sender<Acked>, String, Opened);

/// What an acknowledged line changed in the writer's open intents (undone if its write fails).
enum Opened {
    Nothing,
    Intent(String),
    Resolved(String, String),
}

/// `data.request_id` of an event's data.
fn request_id(data: &Map) -> Option<&str> {
    data.get("request_id").and_then(Value::as_str)
}

/// One WAL line: `{"at","data","kind"}` in canonical form, with its newline.
fn line(buf: &mut Vec<u8>, at: i64, kind: &str, data: Map) {
    let mut event = Map::new();
    event.insert("at", Value::from(timestamp(at)));
    event.insert("data", Value::from(data));
    event.insert("kind", Value::from(kind));
    buf.extend_from_slice(&jcs::to_vec(&Value::from(event)));
    buf.push(b'\n');
}

/// The whole lines of a WAL file (a line cut by a crash was never acknowledged).
fn wal_events(path: &Path) -> Result<Vec<Value>, GatewayError> {
    let text = fs::read(path)
        .map_err(|e| GatewayError::new(CODE_IO, format!("`{}`: {}", path.display(), lower(&e))))?;
    // The content ends at the first NUL byte (the zero fill of a file made ahead of use).
    let text = text.split(|b| *b == 0).next().unwrap_or_default();
    let limits = Limits::default();
    let mut events = Vec::new();
    for l in text.split_inclusive(|b| *b == b'\n') {
        let Some(l) = l.strip_suffix(b"\n") else {
            break;
        };
        events.push(jcs::parse(l, &limits).map_err(|e| {
            GatewayError::new(
                CODE_IO,
                format!("wal `{}` holds a bad line: {e}", path.display()),
            )
        })?);
    }
    Ok(events)
}

/// Recovery (gateway-config-v0.md §5): pairs the intents of the windows a previous run left
/// with their outcomes, and writes one `gateway.intent_unresolved` event per intent left
/// without one into a new window `next` (synced). Returns that window, if one was written.
fn unresolved(
    left: &[(u64, PathBuf)],
    instance: &str,
    next: u64,
) -> Result<Option<(u64, PathBuf)>, GatewayError> {
    let mut open: BTreeMap<String, String> = BTreeMap::new();
    let mut last_at = 0i64;
    for (window, path) in left {
        for (seq, event) in wal_events(path)?.iter().enumerate() {
            if let Some(t) = event
                .get("at")
                .and_then(Value::as_str)
                .and_then(|t| Timestamp::parse(t).ok())
            {
                last_at = last_at.max(t.unix_seconds());
            }
            let (Some(kind), Some(data)) = (
                event.get("kind").and_then(Value::as_str),
                event.get("data").and_then(Value::as_object),
            ) else {
                continue;
            };
            match kind {
                INTENT_KIND => {
                    if let Some(id) = request_id(data) {
                        let intent = format!("{}/{seq}", bundle_id(instance, *window));
                        open.insert(id.to_owned(), intent);
                    }
                }
                OPEN_KIND => {
                    for i in data
                        .get("intents")
                        .and_then(Value::as_array)
                        .unwrap_or_default()
                    {
                        if let (Some(r), Some(intent)) = (
                            i.get("request_id").and_then(Value::as_str),
                            i.get("intent").and_then(Value::as_str),
                        ) {
                            open.entry(r.to_owned())
                                .or_insert_with(|| intent.to_owned());
                        }
                    }
                }
                EVENT_KIND | UNRESOLVED_KIND if data.get("intent").is_some() => {
                    if let Some(id) = request_id(data) {
                        open.remove(id);
                    }
                }
                _ => {}
            }
        }
    }
    if open.is_empty() {
        return Ok(None);
    }
    let wal = left
        .first()
        .and_then(|(_, p)| p.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let path = wal.join(format!("{next:010}.ndjson"));
    let at = unix_now().max(last_at);
    let mut buf = Vec::new();
    for (id, intent) in open {
        eprintln!(
            "clyra-gateway: request {id} was sent upstream but its answer was never recorded: sealed as unresolved (gateway.intent_unresolved)"
        );
        let mut data = Map::new();
        data.insert("request_id", Value::from(id));
        data.insert("intent", Value::from(intent));
        data.insert(
            "reason",
            Value::from("the gateway stopped after sending the request upstream and before recording its answer"),
        );
        line(&mut buf, at, UNRESOLVED_KIND, data);
    }
    write_atomic(&path, &buf)?;
    Ok(Some((next, path)))
}

impl Writer {
    fn path(&self) -> PathBuf {
        self.wal.join(format!("{:010}.ndjson", self.window))
    }

    fn run(mut self, rx: &Receiver<Msg>) {
        loop {
            let wait = if self.count > 0 {
                self.seal_after.saturating_sub(self.opened.elapsed())
            } else {
                Duration::from_secs(3_600)
            };
            let first = match rx.recv_timeout(wait) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => {
                    self.close(None);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.close(None);
                    return;
                }
            };
            let mut batch = vec![first];
            let got = Instant::now();
            let deadline = got + self.gather;
            while batch.len() < 4_096 {
                let left = deadline.saturating_duration_since(Instant::now());
                let next = if left.is_zero() {
                    rx.try_recv().ok()
                } else {
                    rx.recv_timeout(left).ok()
                };
                match next {
                    Some(m) => batch.push(m),
                    None => break,
                }
            }
            let now = Instant::now();
            self.picked = (now, now - got);
            self.write_batch(batch);
        }
    }

    fn write_batch(&mut self, batch: Vec<Msg>) {
        let mut acks = Vec::new();
        let mut buf = Vec::new();
        let mut seal_requests = Vec::new();
        for msg in batch {
            match msg {
                Msg::Seal(done) => seal_requests.push(done),
                Msg::Append(kind, data, ack) => {
                    if self.count + acks.len() as u64 >= self.seal_events {
                        // The window is full: write what it holds, then start the next one.
                        self.flush(&mut buf, &mut acks);
                        self.close(None);
                    }
                    let id = format!(
                        "{}/{}",
                        bundle_id(&self.instance, self.window),
                        self.count + acks.len() as u64
                    );
                    let rid = request_id(&data).map(str::to_owned);
                    let opened = match (kind, rid) {
                        (INTENT_KIND, Some(r)) => {
                            self.open.insert(r.clone(), id.clone());
                            Opened::Intent(r)
                        }
                        (EVENT_KIND, Some(r)) if data.get("intent").is_some() => {
                            match self.open.remove(&r) {
                                Some(intent) => Opened::Resolved(r, intent),
                                None => Opened::Nothing,
                            }
                        }
                        _ => Opened::Nothing,
                    };
                    let at = unix_now().max(self.last_at);
                    self.last_at = at;
                    line(&mut buf, at, kind, data);
                    acks.push((ack, id, opened));
                }
            }
        }
        self.flush(&mut buf, &mut acks);
        if self.count >= self.seal_events
            || (self.count > 0 && self.opened.elapsed() >= self.seal_after)
        {
            self.close(None);
        }
        if !seal_requests.is_empty() {
            // Before the seal is acknowledged (a clean stop may exit right after it).
            self.drop_ready();
        }
        for done in seal_requests {
            self.close(Some(done));
        }
    }

    /// Writes and syncs `buf`, then answers every ack; on failure the file is cut back to its
    /// last synced length and every ack gets the error.
    fn flush(&mut self, buf: &mut Vec<u8>, acks: &mut Vec<Pending>) {
        if acks.is_empty() {
            return;
        }
        let result = self.append(buf);
        match result {
            Ok((write, sync)) => {
                let acked = Instant::now();
                stages::batch(
                    acks.len(),
                    stages::micros(self.picked.1),
                    self.open_us,
                    stages::micros(sync - write),
                    stages::micros(acked - sync),
                );
                let trace = WalTrace {
                    picked: self.picked.0,
                    write,
                    sync,
                    acked,
                };
                self.count += acks.len() as u64;
                for (ack, id, _) in acks.drain(..) {
                    let _ = ack.send(Ok((id, trace)));
                }
            }
            Err(e) => {
                let message = format!("wal `{}`: {}", self.path().display(), lower(&e));
                eprintln!("clyra-gateway: {message} (gateway.io)");
                for (ack, _, opened) in acks.drain(..) {
                    // Not written: an intent never was (its request is not sent), an outcome
                    // leaves its intent open.
                    match opened {
                        Opened::Intent(r) => {
                            self.open.remove(&r);
                        }
                        Opened::Resolved(r, intent) => {
                            self.open.insert(r, intent);
                        }
                        Opened::Nothing => {}
                    }
                    let _ = ack.send(Err(message.clone()));
                }
            }
        }
        buf.clear();
    }

    /// Appends `buf` to the window's file and syncs it; returns when the write and the sync
    /// started.
    fn append(&mut self, buf: &[u8]) -> std::io::Result<(Instant, Instant)> {
        let opening = Instant::now();
        let opens = self.file.is_none();
        if opens {
            let path = self.path();
            // Reopened after a failure, the file already holds this window's synced lines:
            // the length is its content's.
            let (f, len) = match self.take_ready(&path) {
                Some(made) => made,
                None => open_wal_file(&path, &self.wal, 0)?,
            };
            // The next window's file, made while this one fills.
            let next = self.wal.join(format!("{:010}.ndjson", self.window + 1));
            if self.prep.0.send((next, self.zeros)).is_ok() {
                self.asked += 1;
            }
            self.file = Some((f, len));
            if self.count == 0 {
                self.opened = Instant::now();
            }
        }
        let Some((f, len)) = self.file.as_mut() else {
            return Err(std::io::Error::other("no wal file"));
        };
        let write = Instant::now();
        self.open_us = if opens {
            stages::micros(write - opening).max(1)
        } else {
            0
        };
        let mut sync = write;
        let written = f.write_all_at(buf, *len).and_then(|()| {
            sync = Instant::now();
            f.sync_data()
        });
        match written {
            Ok(()) => {
                *len += buf.len() as u64;
                Ok((write, sync))
            }
            Err(e) => {
                // Keep the file a sequence of whole, acknowledged lines (the zero fill after
                // them goes too), and reopen it for the next batch (the failure may be gone by
                // then: space freed, file replaced).
                let _ = f.set_len(*len);
                self.file = None;
                Err(e)
            }
        }
    }

    /// The window file the helper made for `path`, if it is ready (older ones are dropped).
    fn take_ready(&mut self, path: &Path) -> Option<(File, u64)> {
        while let Ok(made) = self.prep.1.try_recv() {
            self.receive(made);
        }
        match self.ready.take() {
            Some((p, f, len)) if p == path => Some((f, len)),
            other => {
                self.ready = other;
                None
            }
        }
    }

    fn receive(&mut self, (path, made): Made) {
        self.asked = self.asked.saturating_sub(1);
        if let Some((f, len)) = made {
            self.ready = Some((path, f, len));
        }
    }

    /// Removes the window file made ahead of use when it is still empty (a clean stop
    /// leaves no WAL file behind).
    fn drop_ready(&mut self) {
        // Wait for what the helper is still making, so no file appears after this.
        while self.asked > 0 {
            match self.prep.1.recv() {
                Ok(made) => self.receive(made),
                Err(_) => break,
            }
        }
        // Removed only while still empty now (the writer may have opened the same file).
        if let Some((path, f, _)) = self.ready.take() {
            if content_len(&f).is_ok_and(|n| n == 0) {
                let _ = fs::remove_file(&path);
            }
        }
    }

    /// Hands the open window (if it holds events) to the sealer and starts the next one.
    fn close(&mut self, done: Option<oneshot::Sender<()>>) {
        if self.count == 0 {
            if let Some(done) = done {
                let _ = done.send(());
            }
            return;
        }
        let path = self.path();
        if let Some((_, len)) = self.file.take() {
            self.zeros = zero_fill(len);
        }
        let closed = self.window;
        self.window += 1;
        self.count = 0;
        // Intents still waiting for their outcome are listed at the head of the next window
        // before this one is handed to the sealer, so recovery sees them whatever is sealed.
        if !self.open.is_empty() {
            let intents: Vec<Value> = self
                .open
                .iter()
                .map(|(r, i)| {
                    let mut m = Map::new();
                    m.insert("request_id", Value::from(r.as_str()));
                    m.insert("intent", Value::from(i.as_str()));
                    Value::from(m)
                })
                .collect();
            let mut data = Map::new();
            data.insert("intents", Value::from(intents));
            let at = unix_now().max(self.last_at);
            self.last_at = at;
            let mut buf = Vec::new();
            line(&mut buf, at, OPEN_KIND, data);
            match self.append(&buf) {
                Ok(_) => self.count = 1,
                Err(e) => eprintln!(
                    "clyra-gateway: wal `{}`: {} (gateway.io)",
                    self.path().display(),
                    lower(&e)
                ),
            }
        }
        let _ = self.seal_tx.send((closed, path, done));
    }
}

struct Sealer {
    key: SigningKey,
    /// The JSON Schemas, compiled once for every bundle this sealer builds.
    schemas: Schemas,
    facts: SealFacts,
    instance: String,
    bundles: PathBuf,
    /// Ledger directory and its key, when sealed bundles are appended to a ledger.
    ledger: Option<(PathBuf, PathBuf)>,
}

impl Sealer {
    /// One more than the highest window of a bundle already written.
    fn next_window(&self) -> Result<u64, GatewayError> {
        let entries = fs::read_dir(&self.bundles).map_err(|e| {
            GatewayError::new(
                CODE_IO,
                format!("`{}`: {}", self.bundles.display(), lower(&e)),
            )
        })?;
        let prefix = format!("{}-", self.instance);
        Ok(entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let n = name.strip_prefix(&prefix)?.strip_suffix(".zip")?;
                n.parse::<u64>().ok()
            })
            .map(|n| n + 1)
            .max()
            .unwrap_or(0))
    }

    /// Seals the WAL file of `window` into `bundles/<bundle_id>.zip`, then removes the WAL file.
    fn seal(&self, window: u64, wal: &Path) -> Result<(), GatewayError> {
        let io = |p: &Path, e: std::io::Error| {
            GatewayError::new(CODE_IO, format!("`{}`: {}", p.display(), lower(&e)))
        };
        let id = bundle_id(&self.instance, window);
        let out = self.bundles.join(format!("{id}.zip"));
        // Only whole lines: a line cut by a crash was never acknowledged.
        let t0 = Instant::now();
        let events = wal_events(wal)?;
        let n = events.len();
        let (mut built, mut written) = (t0, t0);
        if !out.exists() && !events.is_empty() {
            let bytes = self.bundle(&id, events)?;
            built = Instant::now();
            write_atomic(&out, &bytes)?;
            written = Instant::now();
        }
        if out.exists() {
            self.append_to_ledger(&out)?;
        }
        fs::remove_file(wal).map_err(|e| io(wal, e))?;
        stages::seal(
            n,
            stages::micros(built - t0),
            stages::micros(written - built),
            stages::micros(written.elapsed()),
        );
        Ok(())
    }

    /// Appends a sealed bundle to the configured ledger with `clyra ledger append` (the CLI's
    /// own command: lock, idempotent append, signed checkpoint).
    fn append_to_ledger(&self, bundle: &Path) -> Result<(), GatewayError> {
        let Some((dir, key)) = &self.ledger else {
            return Ok(());
        };
        let args: Vec<std::ffi::OsString> = vec![
            "clyra".into(),
            "ledger".into(),
            "append".into(),
            bundle.into(),
            "--ledger".into(),
            dir.into(),
            "--key".into(),
            key.into(),
        ];
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let exit = clyra_cli::run(args, &mut std::io::empty(), &mut out, &mut err);
        if exit.code() == 0 {
            Ok(())
        } else {
            Err(GatewayError::new(
                "gateway.ledger",
                format!(
                    "ledger append of `{}` failed: {}",
                    bundle.display(),
                    String::from_utf8_lossy(&err).trim()
                ),
            ))
        }
    }

    /// The PEF bundle of one window's events (spec: pef-v0.md).
    fn bundle(&self, id: &str, events: Vec<Value>) -> Result<Vec<u8>, GatewayError> {
        let last_at = events
            .iter()
            .filter_map(|e| e.get("at").and_then(Value::as_str))
            .filter_map(|t| Timestamp::parse(t).ok())
            .map(|t| t.unix_seconds())
            .max()
            .unwrap_or(0);
        let created_at = timestamp(unix_now().max(last_at));
        let spec = window_spec(id, &created_at, events, &self.facts);
        let spec = BundleSpec::from_value(&spec)
            .map_err(|e| GatewayError::new(e.code(), e.to_string()))?;
        let mut sink = Cursor::new(Vec::new());
        build_bundle_with(
            &spec,
            BuildInputs {
                artifacts: Vec::new(),
                approvals: Vec::new(),
                approver_keys: &[],
                signers: &[&self.key],
                signed_at: &created_at,
            },
            &mut sink,
            &Limits::default(),
            &self.schemas,
        )
        .map_err(|e| GatewayError::new(e.code(), e.to_string()))?;
        Ok(sink.into_inner())
    }
}

/// The bundle spec (bundle-v0.md §9) of a window: its events as the journal, one PEF operation
/// per request, the threats the scanner found, and the policy decisions that were enforced.
pub fn window_spec(id: &str, created_at: &str, events: Vec<Value>, facts: &SealFacts) -> Value {
    let mut operations = Vec::new();
    let mut threats = Vec::new();
    let mut decisions = Vec::new();
    let mut denied = 0u64;
    for (seq, event) in events.iter().enumerate() {
        // Intents, open-intent lists and unresolved marks carry no decision of their own.
        if event.get("kind").and_then(Value::as_str) != Some(EVENT_KIND) {
            continue;
        }
        let Some(data) = event.get("data") else {
            continue;
        };
        if let Some(Value::Object(op)) = data.get("operation") {
            let mut op = op.clone();
            op.insert("seq", int(seq as u64));
            if op.get("decision").and_then(Value::as_str) == Some("deny") {
                denied += 1;
            }
            operations.push(Value::from(op));
        }
        for t in data
            .get("threats")
            .and_then(Value::as_array)
            .unwrap_or_default()
        {
            if let Value::Object(t) = t {
                let mut t = t.clone();
                t.insert("seq", int(seq as u64));
                threats.push(Value::from(t));
            }
        }
        if let Some(Value::Object(p)) = data.get("policy") {
            if let (Some(rule), Some(decision), Some(reason)) = (
                p.get("rule").and_then(Value::as_str),
                p.get("decision").and_then(Value::as_str),
                p.get("reason").and_then(Value::as_str),
            ) {
                let mut d = Map::new();
                d.insert("rule", Value::from(rule));
                d.insert("decision", Value::from(decision));
                d.insert("mode", Value::from("enforce"));
                d.insert("reason", Value::from(reason));
                d.insert("seq", int(seq as u64));
                decisions.push(Value::from(d));
            }
        }
    }
    let obj = |pairs: Vec<(&str, Value)>| {
        let mut m = Map::new();
        for (k, v) in pairs {
            m.insert(k, v);
        }
        Value::from(m)
    };
    let mut policy = vec![
        ("required", Value::from(false)),
        (
            "decisions",
            Value::from(if facts.policy_hash.is_some() {
                decisions
            } else {
                Vec::new()
            }),
        ),
    ];
    if let Some(hash) = &facts.policy_hash {
        policy.push(("hash", Value::from(hash.as_str())));
    }
    obj(vec![
        ("format", Value::from("pef/v0")),
        ("bundle_id", Value::from(id)),
        ("created_at", Value::from(created_at)),
        (
            "producer",
            obj(vec![
                ("name", Value::from("clyra-gateway")),
                ("version", Value::from(env!("CARGO_PKG_VERSION"))),
            ]),
        ),
        (
            "change",
            obj(vec![
                ("subject", Value::from(facts.subject.as_str())),
                ("kind", Value::from("data_push")),
                ("actor", Value::from("clyra-gateway")),
                ("environment", Value::from(facts.environment.as_str())),
                (
                    "summary",
                    Value::from(format!("{} gateway decisions", events.len())),
                ),
            ]),
        ),
        ("anchors", Value::from(Vec::<Value>::new())),
        ("snapshots", Value::from(Vec::<Value>::new())),
        ("lineage", Value::from(Vec::<Value>::new())),
        ("policy", obj(policy)),
        (
            "risk",
            obj(vec![(
                "factors",
                obj(vec![
                    ("change_magnitude", Value::from("data")),
                    ("violations_critical", int(denied)),
                    ("violations_warning", Value::from(0u32)),
                    ("production", Value::from(facts.environment == "production")),
                    ("off_hours", Value::from(false)),
                    ("approval_bypassed", Value::from(false)),
                    ("threats", int(threats.len() as u64)),
                    ("sql_findings", Value::from(0u32)),
                    ("first_time_actor", Value::from(false)),
                ]),
            )]),
        ),
        ("approvals", obj(vec![("required", Value::from(0u32))])),
        ("extensions", obj(Vec::new())),
        (
            "pef",
            obj(vec![
                ("operations", Value::from(operations)),
                ("threats", Value::from(threats)),
            ]),
        ),
        ("journal", Value::from(events)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A window file the writer already made (its lines acknowledged) is never replaced by a
    /// late zero fill; a free name gets the fill, and no temporary file is left.
    #[test]
    fn a_late_zero_fill_never_overwrites_a_window_file() -> std::io::Result<()> {
        let dir = std::env::temp_dir().join(format!("clyra-zero-fill-{}", std::process::id()));
        fs::create_dir_all(&dir)?;
        let taken = dir.join("0000000003.ndjson");
        fs::write(&taken, b"{\"acknowledged\":1}\n")?;
        let late = open_wal_file(&taken, &dir, 65_536);
        assert!(late.is_err_and(|e| e.kind() == std::io::ErrorKind::AlreadyExists));
        assert_eq!(fs::read(&taken)?, b"{\"acknowledged\":1}\n");
        let free = dir.join("0000000004.ndjson");
        let (f, len) = open_wal_file(&free, &dir, 65_536)?;
        assert_eq!((len, f.metadata()?.len()), (0, 65_536));
        let names: Vec<String> = fs::read_dir(&dir)?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        fs::remove_dir_all(&dir)
    }
}
