//! The journal step (spec/bundle-v0.md §3): the worked example of §8 and one mutation per rule of
//! §3.5, each with its exact code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::sliced_string_as_bytes
)]

use clyra_core::digest::Sha256Digest;
use clyra_core::jcs;
use clyra_core::journal::{self, JournalExpectation, GENESIS_PREV};
use clyra_core::time::Timestamp;
use clyra_core::verdict::{Severity, Step};
use clyra_core::Limits;

const HEAD: &str = "sha256:9bc808f9d5d8854adc57bf06281d924dd92b8076f25bd807ef36f6d52f6cbb0a";
const CREATED: &str = "2026-11-20T09:01:15Z";

/// The three journal lines of bundle-v0.md §8, canonicalized from the spec text.
fn spec_lines() -> Vec<Vec<u8>> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/bundle-v0.md"))
            .unwrap();
    let mut lines = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("<!-- example: journal-event-v0 -->") {
        rest = &rest[at..];
        let open = rest.find("```json\n").unwrap() + "```json\n".len();
        let close = open + rest[open..].find("```").unwrap();
        lines.push(jcs::canonicalize(rest[open..close].as_bytes(), &Limits::default()).unwrap());
        rest = &rest[close..];
    }
    assert_eq!(lines.len(), 3);
    lines
}

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in lines {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out
}

/// Verifies `bytes` against a manifest recording `count` lines with `head` (by default those of
/// the lines themselves) and the example's `created_at`.
fn code_with(
    bytes: &[u8],
    head: &str,
    count: u64,
    limits: Limits,
) -> (&'static str, Option<&'static str>) {
    let created_at = Timestamp::parse(CREATED).unwrap();
    let expected = JournalExpectation {
        created_at: &created_at,
        head,
        count,
    };
    let report = journal::verify(bytes, &expected, &limits);
    let check = report.check();
    assert_eq!(check.step(), Step::Journal);
    assert_eq!(check.subject(), Some("journal.ndjson"));
    let expected_severity = if check.code() == "ok" {
        Severity::Ok
    } else {
        Severity::Fail
    };
    assert_eq!(check.severity(), expected_severity);
    assert!(journal::CODES.contains(&(check.code(), check.severity())));
    (check.code(), check.detail())
}

/// The code for a journal whose manifest values match its own last line and count.
fn code(bytes: &[u8]) -> &'static str {
    let lines: Vec<&[u8]> = journal::lines(bytes).collect();
    let head = lines
        .last()
        .map(|l| Sha256Digest::of(l).to_prefixed())
        .unwrap_or_default();
    code_with(bytes, &head, lines.len() as u64, Limits::default()).0
}

/// Builds a canonical line with the given members.
fn line(seq: u64, prev: &str, at: &str) -> Vec<u8> {
    format!(r#"{{"at":"{at}","data":{{}},"kind":"run.step","prev":"{prev}","seq":{seq}}}"#)
        .into_bytes()
}

/// A valid chain of `n` lines, one second apart from 09:00:00.
fn chain(n: usize) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for i in 0..n {
        let prev = lines.last().map_or(GENESIS_PREV.to_owned(), |l| {
            Sha256Digest::of(l).to_prefixed()
        });
        lines.push(line(
            i as u64,
            &prev,
            &format!("2026-11-20T09:00:{:02}Z", i),
        ));
    }
    lines
}

/// Recomputes every `prev` after line edits so that only the intended rule breaks.
fn rechain(lines: &mut [Vec<u8>]) {
    for i in 1..lines.len() {
        let prev = Sha256Digest::of(&lines[i - 1]).to_prefixed();
        let mut v: serde_json::Value = serde_json::from_slice(&lines[i]).unwrap();
        v["prev"] = serde_json::Value::String(prev);
        lines[i] = serde_json_canonical(&v);
    }
}

fn serde_json_canonical(v: &serde_json::Value) -> Vec<u8> {
    jcs::canonicalize(v.to_string().as_bytes(), &Limits::default()).unwrap()
}

#[test]
fn the_worked_example_verifies_with_the_stated_head() {
    let lines = spec_lines();
    let sizes: Vec<usize> = lines.iter().map(Vec::len).collect();
    assert_eq!(sizes, [258, 266, 208]);
    let bytes = join(&lines);
    assert_eq!(bytes.len(), 735);
    assert_eq!(
        Sha256Digest::of(&bytes).to_hex(),
        "c56f6178b336ca85ad171420a8e5541ca1b52a9bcd26609ec4f70b2a94af85ab"
    );
    let created_at = Timestamp::parse(CREATED).unwrap();
    let expected = JournalExpectation {
        created_at: &created_at,
        head: HEAD,
        count: 3,
    };
    let report = journal::verify(&bytes, &expected, &Limits::default());
    assert!(report.is_ok(), "{}", report.check().message());
    assert_eq!(report.check().code(), "ok");
    assert_eq!(report.head().unwrap().to_prefixed(), HEAD);
    let leaves: Vec<&[u8]> = report.lines().collect();
    assert_eq!(leaves, lines.iter().map(Vec::as_slice).collect::<Vec<_>>());
    // The Merkle leaves of §8.5.
    let leaf0 = clyra_core::merkle::leaf_hash(leaves[0]);
    assert_eq!(
        clyra_core::digest::to_hex(&leaf0),
        "ca4af9dee382d3684e50d985a3f68a23a02cf4f02f46f866dfc49f2ef55ece70"
    );
}

#[test]
fn head_and_count_are_compared_with_the_manifest() {
    let bytes = join(&spec_lines());
    let b = Limits::default;
    assert_eq!(code_with(&bytes, HEAD, 3, b()).0, "ok");
    assert_eq!(code_with(&bytes, HEAD, 2, b()).0, "journal.count_mismatch");
    assert_eq!(code_with(&bytes, HEAD, 4, b()).0, "journal.count_mismatch");
    let other = "sha256:129ecb451f5b253c9c38ec57d36af200d27934520bd9006ba827e5da16b674a1";
    assert_eq!(code_with(&bytes, other, 3, b()).0, "journal.head_mismatch");
    assert_eq!(
        code_with(&bytes, &HEAD.to_uppercase(), 3, b()).0,
        "journal.head_mismatch"
    );
    // Count is checked before head.
    assert_eq!(code_with(&bytes, other, 4, b()).0, "journal.count_mismatch");
    // A prefix of a valid journal is itself valid; only the manifest values tell.
    let two = join(&spec_lines()[..2]);
    assert_eq!(code_with(&two, HEAD, 3, b()).0, "journal.count_mismatch");
    assert_eq!(code_with(&two, HEAD, 2, b()).0, "journal.head_mismatch");
}

#[test]
fn mutations_give_their_exact_code() {
    let spec = spec_lines();
    let mut reordered = spec.clone();
    reordered.swap(1, 2);
    assert_eq!(code(&join(&reordered)), "journal.seq");
    let removed = vec![spec[0].clone(), spec[2].clone()];
    assert_eq!(code(&join(&removed)), "journal.seq");
    let removed_first = spec[1..].to_vec();
    assert_eq!(code(&join(&removed_first)), "journal.seq");
    let inserted = vec![
        spec[0].clone(),
        spec[1].clone(),
        spec[1].clone(),
        spec[2].clone(),
    ];
    assert_eq!(code(&join(&inserted)), "journal.seq");
    let duplicated_last = vec![
        spec[0].clone(),
        spec[1].clone(),
        spec[2].clone(),
        spec[2].clone(),
    ];
    assert_eq!(code(&join(&duplicated_last)), "journal.seq");

    // A broken prev with the right seq; on line 0 and later.
    let mut lines = chain(3);
    lines[2] = line(2, GENESIS_PREV, "2026-11-20T09:00:02Z");
    assert_eq!(code(&join(&lines)), "journal.prev");
    let mut lines = chain(3);
    lines[0] = line(
        0,
        &Sha256Digest::of(b"x").to_prefixed(),
        "2026-11-20T09:00:00Z",
    );
    rechain(&mut lines);
    assert_eq!(code(&join(&lines)), "journal.prev");
    // An inserted line renumbered but not rechained: prev.
    let mut lines = chain(3);
    lines.insert(
        1,
        line(
            1,
            &Sha256Digest::of(&lines[0]).to_prefixed(),
            "2026-11-20T09:00:00Z",
        ),
    );
    let mut renumbered: Vec<Vec<u8>> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let mut v: serde_json::Value = serde_json::from_slice(l).unwrap();
        v["seq"] = serde_json::json!(i);
        renumbered.push(serde_json_canonical(&v));
    }
    assert_eq!(code(&join(&renumbered)), "journal.prev");

    // A wrong seq with a right prev.
    let mut lines = chain(3);
    lines[1] = line(
        5,
        &Sha256Digest::of(&lines[0]).to_prefixed(),
        "2026-11-20T09:00:01Z",
    );
    rechain(&mut lines);
    assert_eq!(code(&join(&lines)), "journal.seq");

    // Time going backwards, equal times, and events after created_at.
    let mut lines = chain(3);
    lines[2] = line(2, "x", "2026-11-20T09:00:00Z");
    rechain(&mut lines);
    assert_eq!(code(&join(&lines)), "journal.time_order");
    let mut lines = chain(3);
    lines[2] = line(2, "x", "2026-11-20T09:00:01Z");
    rechain(&mut lines);
    assert_eq!(code(&join(&lines)), "ok");
    let mut lines = chain(2);
    lines[1] = line(1, "x", CREATED);
    rechain(&mut lines);
    assert_eq!(code(&join(&lines)), "ok");
    lines[1] = line(1, "x", "2026-11-20T09:01:16Z");
    rechain(&mut lines);
    assert_eq!(code(&join(&lines)), "journal.time_order");
    let lines = vec![line(0, GENESIS_PREV, "2027-01-01T00:00:00Z")];
    assert_eq!(code(&join(&lines)), "journal.time_order");
}

#[test]
fn separators() {
    let spec = spec_lines();
    let bytes = join(&spec);
    assert_eq!(code(b""), "journal.empty");
    assert_eq!(
        code(&bytes[..bytes.len() - 1]),
        "journal.no_trailing_newline"
    );
    // An empty line anywhere.
    assert_eq!(code(b"\n"), "journal.no_trailing_newline");
    let mut doubled = bytes.clone();
    doubled.push(b'\n');
    assert_eq!(code(&doubled), "journal.no_trailing_newline");
    let mut leading = vec![b'\n'];
    leading.extend_from_slice(&bytes);
    assert_eq!(code(&leading), "journal.no_trailing_newline");
    // CRLF, a byte order mark: not canonical.
    let crlf: Vec<u8> = spec
        .iter()
        .flat_map(|l| [l.as_slice(), b"\r\n"].concat())
        .collect();
    assert_eq!(
        code_with(&crlf, HEAD, 3, Limits::default()),
        ("journal.not_canonical", Some("jcs.not_canonical"))
    );
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(&bytes);
    assert_eq!(
        code_with(&bom, HEAD, 3, Limits::default()),
        ("journal.not_canonical", Some("jcs.unexpected_character"))
    );
}

#[test]
fn lines_must_be_canonical_json() {
    let first = &spec_lines()[0];
    let text = String::from_utf8(first.clone()).unwrap();
    let cases: Vec<(String, &str)> = vec![
        (text.replace("\"at\":", "\"at\": "), "jcs.not_canonical"),
        (
            text.replacen("{\"at\"", "{\"seq\":0,\"at\"", 1),
            "jcs.duplicate_key",
        ),
        (
            text.replace("\"seq\":0", "\"seq\":0.0"),
            "jcs.not_canonical",
        ),
        (
            text.replace("\"seq\":0}", "\"seq\":0,\"a\":1}"),
            "jcs.not_canonical",
        ),
        (
            text.replace("\"build\"", "\"\\u0062uild\""),
            "jcs.not_canonical",
        ),
        (
            text.replace("\"build\"", "\"\\ud800\""),
            "jcs.lone_surrogate",
        ),
        (format!("{text} "), "jcs.not_canonical"),
        (text[..text.len() - 1].to_owned(), "jcs.unexpected_end"),
        ("[1,2".to_owned(), "jcs.unexpected_end"),
    ];
    for (bad, detail) in cases {
        let bytes = join(&[bad.clone().into_bytes()]);
        let head = Sha256Digest::of(bad.as_bytes()).to_prefixed();
        assert_eq!(
            code_with(&bytes, &head, 1, Limits::default()),
            ("journal.not_canonical", Some(detail)),
            "{bad}"
        );
    }
    let mut invalid_utf8 = first.clone();
    invalid_utf8[20] = 0xff;
    assert_eq!(
        code_with(&join(&[invalid_utf8]), HEAD, 1, Limits::default()).1,
        Some("jcs.invalid_utf8")
    );
}

#[test]
fn lines_must_match_the_event_schema() {
    let schema = |l: &str| code(&join(&[l.as_bytes().to_vec()]));
    let z = GENESIS_PREV;
    let ok = format!(
        r#"{{"at":"2026-11-20T09:00:00Z","data":{{}},"kind":"run.started","prev":"{z}","seq":0}}"#
    );
    assert_eq!(schema(&ok), "ok");
    for bad in [
        "[]".to_owned(),
        "{}".to_owned(),
        "1".to_owned(),
        // A sixth member, a missing one.
        format!(r#"{{"at":"2026-11-20T09:00:00Z","data":{{}},"kind":"run.started","prev":"{z}","run":"x","seq":0}}"#),
        format!(r#"{{"at":"2026-11-20T09:00:00Z","data":{{}},"kind":"run.started","prev":"{z}"}}"#),
        // at: pattern, calendar, leap second, type.
        format!(r#"{{"at":"2026-11-20 09:00:00Z","data":{{}},"kind":"run.started","prev":"{z}","seq":0}}"#),
        format!(r#"{{"at":"2026-02-29T09:00:00Z","data":{{}},"kind":"run.started","prev":"{z}","seq":0}}"#),
        format!(r#"{{"at":"2016-12-31T23:59:60Z","data":{{}},"kind":"run.started","prev":"{z}","seq":0}}"#),
        format!(r#"{{"at":1,"data":{{}},"kind":"run.started","prev":"{z}","seq":0}}"#),
        // data not an object.
        format!(r#"{{"at":"2026-11-20T09:00:00Z","data":[],"kind":"run.started","prev":"{z}","seq":0}}"#),
        format!(r#"{{"at":"2026-11-20T09:00:00Z","data":null,"kind":"run.started","prev":"{z}","seq":0}}"#),
        // kind: one segment, uppercase, empty segment, digit first, too long.
        format!(r#"{{"at":"2026-11-20T09:00:00Z","data":{{}},"kind":"started","prev":"{z}","seq":0}}"#),
        format!(r#"{{"at":"2026-11-20T09:00:00Z","data":{{}},"kind":"Run.started","prev":"{z}","seq":0}}"#),
        format!(r#"{{"at":"2026-11-20T09:00:00Z","data":{{}},"kind":"run..started","prev":"{z}","seq":0}}"#),
        format!(r#"{{"at":"2026-11-20T09:00:00Z","data":{{}},"kind":"run.2nd","prev":"{z}","seq":0}}"#),
        format!(r#"{{"at":"2026-11-20T09:00:00Z","data":{{}},"kind":"run.","prev":"{z}","seq":0}}"#),
        format!(r#"{{"at":"2026-11-20T09:00:00Z","data":{{}},"kind":"a.{}","prev":"{z}","seq":0}}"#, "b".repeat(254)),
        // prev: pattern.
        r#"{"at":"2026-11-20T09:00:00Z","data":{},"kind":"run.started","prev":"sha256:00","seq":0}"#.to_owned(),
        format!(r#"{{"at":"2026-11-20T09:00:00Z","data":{{}},"kind":"run.started","prev":"{}","seq":0}}"#, z.to_uppercase()),
        // seq: negative, fraction, string.
        format!(r#"{{"at":"2026-11-20T09:00:00Z","data":{{}},"kind":"run.started","prev":"{z}","seq":-1}}"#),
        format!(r#"{{"at":"2026-11-20T09:00:00Z","data":{{}},"kind":"run.started","prev":"{z}","seq":0.5}}"#),
        format!(r#"{{"at":"2026-11-20T09:00:00Z","data":{{}},"kind":"run.started","prev":"{z}","seq":"0"}}"#),
    ] {
        assert_eq!(schema(&bad), "journal.schema", "{bad}");
    }
    // kind of exactly 255 bytes is accepted.
    let kind = format!("a.{}", "b".repeat(253));
    assert_eq!(kind.len(), 255);
    assert_eq!(
        schema(&format!(
            r#"{{"at":"2026-11-20T09:00:00Z","data":{{}},"kind":"{kind}","prev":"{z}","seq":0}}"#
        )),
        "ok"
    );
    // The counterexample of bundle-v0.md §8.3.
    let counter = format!(
        r#"{{"at":"2026-11-20T09:00:00Z","data":{{}},"kind":"started","prev":"{z}","run":"x","seq":-1}}"#
    );
    assert_eq!(schema(&counter), "journal.schema");
}

#[test]
fn event_and_line_limits() {
    let lines = chain(5);
    let bytes = join(&lines);
    let head = Sha256Digest::of(&lines[4]).to_prefixed();
    let bounds = |max_events, max_line_bytes| {
        let mut limits = Limits::default();
        limits.journal_max_events = max_events;
        limits.journal_max_line_bytes = max_line_bytes;
        limits
    };
    assert_eq!(code_with(&bytes, &head, 5, bounds(5, 1 << 20)).0, "ok");
    assert_eq!(
        code_with(&bytes, &head, 5, bounds(4, 1 << 20)).0,
        "journal.too_many_events"
    );
    let longest = lines.iter().map(Vec::len).max().unwrap();
    assert_eq!(code_with(&bytes, &head, 5, bounds(5, longest)).0, "ok");
    assert_eq!(
        code_with(&bytes, &head, 5, bounds(5, longest - 1)).0,
        "journal.line_too_long"
    );
    // The event limit is checked before the line's own rules.
    let mut broken = lines.clone();
    broken[4] = b"not json".to_vec();
    assert_eq!(
        code_with(&join(&broken), &head, 5, bounds(4, 1 << 20)).0,
        "journal.too_many_events"
    );
    assert_eq!(
        code_with(&join(&broken), &head, 5, bounds(5, 3)).0,
        "journal.line_too_long"
    );
    // The first failure is reported and no further line is checked.
    let mut two_errors = chain(3);
    two_errors[1] = b"{}".to_vec();
    two_errors[2] = b"x".to_vec();
    assert_eq!(code(&join(&two_errors)), "journal.schema");
}

#[test]
fn leaves_are_the_lf_separated_pieces_whatever_the_verdict() {
    assert_eq!(journal::lines(b"").count(), 0);
    assert_eq!(journal::lines(b"\n").collect::<Vec<_>>(), [b"" as &[u8]]);
    assert_eq!(
        journal::lines(b"a\nb\n").collect::<Vec<_>>(),
        [b"a" as &[u8], b"b"]
    );
    assert_eq!(
        journal::lines(b"a\nb").collect::<Vec<_>>(),
        [b"a" as &[u8], b"b"]
    );
    assert_eq!(
        journal::lines(b"a\n\nb\n").collect::<Vec<_>>(),
        [b"a" as &[u8], b"", b"b"]
    );
}
