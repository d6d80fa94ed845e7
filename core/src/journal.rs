//! `journal.ndjson`: the hash-chained event log of a bundle, checked line by line.
//!
//! spec: bundle-v0.md §3 — one canonical JSON event per LF-terminated line, `seq` equal to the
//! line number, `prev` chaining each line to the digest of the one before, `at` non-decreasing and
//! never after the manifest's `created_at`; the manifest records the head and the count (§5.14).
//! The journal step records its first failure and checks no further lines (§3.5).

use crate::digest::Sha256Digest;
use crate::error::Coded;
use crate::jcs::{self, Map, Value};
use crate::limits::Limits;
use crate::time::Timestamp;
use crate::verdict::{Check, Severity, Step};

/// The subject of every journal check.
pub const SUBJECT: &str = "journal.ndjson";

/// `prev` of line 0: `sha256:` + 64 zeros (bundle-v0.md §3.2).
pub const GENESIS_PREV: &str =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// Longest `kind`, in bytes (bundle-v0.md §3.2).
pub const MAX_KIND_BYTES: usize = 255;

/// Every code the journal step records, with its severity (registered in `spec/verdicts.md`).
/// `journal.not_canonical` carries a `jcs.*` code as detail.
pub const CODES: [(&str, Severity); 12] = [
    ("ok", Severity::Ok),
    ("journal.empty", Severity::Fail),
    ("journal.no_trailing_newline", Severity::Fail),
    ("journal.too_many_events", Severity::Fail),
    ("journal.line_too_long", Severity::Fail),
    ("journal.not_canonical", Severity::Fail),
    ("journal.schema", Severity::Fail),
    ("journal.seq", Severity::Fail),
    ("journal.prev", Severity::Fail),
    ("journal.time_order", Severity::Fail),
    ("journal.count_mismatch", Severity::Fail),
    ("journal.head_mismatch", Severity::Fail),
];

/// What the manifest says about its journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalExpectation<'a> {
    /// The manifest's `created_at`: no event may be later.
    pub created_at: &'a Timestamp,
    /// The manifest's `journal.head`, a digest string.
    pub head: &'a str,
    /// The manifest's `journal.count`.
    pub count: u64,
}

/// The result of the journal step: its one recorded check, and what was computed on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalReport<'a> {
    bytes: &'a [u8],
    check: Check,
    head: Option<Sha256Digest>,
}

impl<'a> JournalReport<'a> {
    /// The check the journal step records: `ok`, or its first failure.
    pub fn check(&self) -> &Check {
        &self.check
    }

    /// The check, by value.
    pub fn into_check(self) -> Check {
        self.check
    }

    /// Whether every rule of §3 held.
    pub fn is_ok(&self) -> bool {
        self.check.severity() == Severity::Ok
    }

    /// The digest of the last line, when every line passed checks 3–9 of §3.5.
    pub fn head(&self) -> Option<Sha256Digest> {
        self.head
    }

    /// The journal's lines for the Merkle leaves (see [`lines`]), whatever the check found.
    pub fn lines(&self) -> impl Iterator<Item = &'a [u8]> {
        lines(self.bytes)
    }
}

/// The lines of `journal.ndjson` without their LF: the pieces between LFs, the empty piece after a
/// final LF excluded (bundle-v0.md §4.1). A journal without trailing LF still yields its last
/// piece; an empty journal yields nothing. These are the Merkle leaves even when the journal step
/// failed.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    body.split(|b| *b == b'\n')
        .take(if bytes.is_empty() { 0 } else { usize::MAX })
}

/// The journal step (bundle-v0.md §3.5): checks `bytes` against the manifest's expectations.
pub fn verify<'a>(
    bytes: &'a [u8],
    expected: &JournalExpectation<'_>,
    limits: &Limits,
) -> JournalReport<'a> {
    let (check, head) = match run(bytes, expected, limits) {
        Ok((head, count)) => (
            Check::ok(Step::Journal)
                .with_subject(SUBJECT)
                .with_message(format!("{count} events, head {head}")),
            Some(head),
        ),
        Err(failure) => {
            let mut check = Check::new(Step::Journal, failure.code, Severity::Fail)
                .with_subject(SUBJECT)
                .with_message(failure.message);
            if let Some(detail) = failure.detail {
                check = check.with_detail(detail);
            }
            (check, failure.head)
        }
    };
    JournalReport { bytes, check, head }
}

struct Failure {
    code: &'static str,
    detail: Option<&'static str>,
    message: String,
    head: Option<Sha256Digest>,
}

fn fail(code: &'static str, message: impl Into<String>) -> Failure {
    Failure {
        code,
        detail: None,
        message: message.into(),
        head: None,
    }
}

/// Runs checks 1–11 in order; the first failure ends the step.
fn run(
    bytes: &[u8],
    expected: &JournalExpectation<'_>,
    limits: &Limits,
) -> Result<(Sha256Digest, usize), Failure> {
    // spec: bundle-v0.md §3.5 items 1–2.
    if bytes.is_empty() {
        return Err(fail("journal.empty", "the journal holds no line"));
    }
    if bytes.last() != Some(&b'\n') {
        return Err(fail(
            "journal.no_trailing_newline",
            "the last line does not end in LF",
        ));
    }
    let mut prev_digest: Option<Sha256Digest> = None;
    let mut prev_at: Option<Timestamp> = None;
    let mut count = 0usize;
    for (n, line) in lines(bytes).enumerate() {
        check_line(
            line,
            n,
            prev_digest.as_ref(),
            prev_at.as_ref(),
            expected,
            limits,
        )
        .map(|at| prev_at = Some(at))?;
        prev_digest = Some(Sha256Digest::of(line));
        count = n.saturating_add(1);
    }
    let Some(head) = prev_digest else {
        // Unreachable: a non-empty file ending in LF has at least one line.
        return Err(fail("journal.empty", "the journal holds no line"));
    };
    // Items 10–11.
    if u64::try_from(count) != Ok(expected.count) {
        return Err(Failure {
            head: Some(head),
            ..fail(
                "journal.count_mismatch",
                format!(
                    "the journal has {count} lines, the manifest records {}",
                    expected.count
                ),
            )
        });
    }
    if head.to_prefixed() != expected.head {
        return Err(Failure {
            head: Some(head),
            ..fail(
                "journal.head_mismatch",
                format!(
                    "the journal head is {head}, the manifest records `{}`",
                    expected.head
                ),
            )
        });
    }
    Ok((head, count))
}

/// Checks 3–9 for line `n`; returns its `at`.
fn check_line(
    line: &[u8],
    n: usize,
    prev_digest: Option<&Sha256Digest>,
    prev_at: Option<&Timestamp>,
    expected: &JournalExpectation<'_>,
    limits: &Limits,
) -> Result<Timestamp, Failure> {
    if n >= limits.journal_max_events {
        return Err(fail(
            "journal.too_many_events",
            format!("line {n}: more than {} events", limits.journal_max_events),
        ));
    }
    // spec: bundle-v0.md §3.1 — no empty line (reported with the separator code).
    if line.is_empty() {
        return Err(fail(
            "journal.no_trailing_newline",
            format!("line {n} is empty"),
        ));
    }
    if line.len() > limits.journal_max_line_bytes {
        return Err(fail(
            "journal.line_too_long",
            format!(
                "line {n} has {} bytes, more than {}",
                line.len(),
                limits.journal_max_line_bytes
            ),
        ));
    }
    let value = jcs::parse_canonical(line, limits).map_err(|err| Failure {
        detail: Some(err.code()),
        ..fail(
            "journal.not_canonical",
            format!("line {n} is not canonical JSON ({}): {err}", err.code()),
        )
    })?;
    let event = Event::read(&value)
        .map_err(|reason| fail("journal.schema", format!("line {n}: {reason}")))?;
    if u64::try_from(n) != Ok(event.seq) {
        return Err(fail(
            "journal.seq",
            format!("line {n} has `seq` {}", event.seq),
        ));
    }
    let prev_ok = match prev_digest {
        None => event.prev == GENESIS_PREV,
        Some(digest) => event.prev == digest.to_prefixed(),
    };
    if !prev_ok {
        return Err(fail(
            "journal.prev",
            format!("line {n}: `prev` is not the digest of the previous line"),
        ));
    }
    if prev_at.is_some_and(|p| &event.at < p) {
        return Err(fail(
            "journal.time_order",
            format!("line {n}: `at` {} is before the previous line's", event.at),
        ));
    }
    if &event.at > expected.created_at {
        return Err(fail(
            "journal.time_order",
            format!(
                "line {n}: `at` {} is after `created_at` {}",
                event.at, expected.created_at
            ),
        ));
    }
    Ok(event.at)
}

/// The members of one event the checks after the schema need.
struct Event<'a> {
    at: Timestamp,
    prev: &'a str,
    seq: u64,
}

impl<'a> Event<'a> {
    // spec: bundle-v0.md §3.2, journal-event-v0.schema.json — checked by hand.
    fn read(value: &'a Value) -> Result<Self, String> {
        let map: &Map = value.as_object().ok_or("the event must be an object")?;
        const MEMBERS: [&str; 5] = ["at", "data", "kind", "prev", "seq"];
        if let Some(extra) = map.keys().find(|k| !MEMBERS.contains(k)) {
            return Err(format!("unknown member `{extra}`"));
        }
        if let Some(missing) = MEMBERS.iter().find(|m| map.get(m).is_none()) {
            return Err(format!("missing member `{missing}`"));
        }
        let string = |name: &str| {
            map.get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("`{name}` must be a string"))
        };
        let at =
            Timestamp::parse(string("at")?).map_err(|e| format!("`at` is not a timestamp: {e}"))?;
        if map.get("data").and_then(Value::as_object).is_none() {
            return Err("`data` must be an object".to_owned());
        }
        let kind = string("kind")?;
        if kind.len() > MAX_KIND_BYTES || !is_kind(kind) {
            return Err(format!("`kind` `{kind}` is not a dotted event kind"));
        }
        let prev = string("prev")?;
        if Sha256Digest::from_prefixed(prev).is_none() {
            return Err("`prev` must be `sha256:` + 64 lowercase hex".to_owned());
        }
        let seq = map
            .get("seq")
            .and_then(Value::as_u64)
            .ok_or("`seq` must be a non-negative integer")?;
        Ok(Self { at, prev, seq })
    }
}

/// `^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`
fn is_kind(kind: &str) -> bool {
    let mut segments = kind.split('.');
    let segment_ok = |s: &str| {
        let mut bytes = s.bytes();
        bytes.next().is_some_and(|b| b.is_ascii_lowercase())
            && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    let first = segments.next().is_some_and(segment_ok);
    let rest: Vec<&str> = segments.collect();
    first && !rest.is_empty() && rest.into_iter().all(segment_ok)
}
