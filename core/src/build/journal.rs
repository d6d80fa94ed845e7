//! The journal a builder writes: canonical lines chained by `seq` and `prev`.
//!
//! spec: bundle-v0.md §3.2 — line n is the canonical JSON of `{"at", "data", "kind", "prev",
//! "seq"}` with `seq` n and `prev` the digest of line n−1 (64 zeros for line 0).

use super::spec::EventSpec;
use crate::digest::Sha256Digest;
use crate::jcs::{self, Map, Value};
use crate::journal::GENESIS_PREV;

/// The journal's lines (without LF), its file bytes and its head.
pub(crate) struct BuiltJournal {
    pub lines: Vec<Vec<u8>>,
    pub bytes: Vec<u8>,
    pub head: Sha256Digest,
}

/// Assigns `seq` and `prev` to `events` and encodes them; `events` is non-empty.
pub(crate) fn build_journal(events: &[EventSpec]) -> BuiltJournal {
    let mut lines = Vec::with_capacity(events.len());
    let mut bytes = Vec::new();
    let mut prev = GENESIS_PREV.to_owned();
    let mut head = Sha256Digest::from_bytes([0; 32]);
    for (seq, event) in events.iter().enumerate() {
        let mut line = Map::new();
        line.insert("at", Value::from(event.at.as_str()));
        line.insert("data", Value::from(event.data.clone()));
        line.insert("kind", Value::from(event.kind.as_str()));
        line.insert("prev", Value::from(prev.as_str()));
        line.insert("seq", super::int(seq as u64));
        let encoded = jcs::to_vec(&Value::from(line));
        head = Sha256Digest::of(&encoded);
        prev = head.to_prefixed();
        bytes.extend_from_slice(&encoded);
        bytes.push(b'\n');
        lines.push(encoded);
    }
    BuiltJournal { lines, bytes, head }
}
