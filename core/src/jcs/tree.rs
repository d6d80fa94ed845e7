//! The sink that builds a [`Value`] tree.

use super::error::{JcsError, JcsErrorKind};
use super::parse::{NumberToken, Sink};
use super::value::{cmp_utf16, Map, Value};

enum Frame {
    Array(Vec<Value>),
    Object {
        // Members with the byte offset of their key, so a duplicate can be located.
        members: Vec<(String, Value, usize)>,
        key: (String, usize),
    },
}

/// Builds the value tree; objects come out sorted in canonical order.
#[derive(Default)]
pub(super) struct TreeSink {
    stack: Vec<Frame>,
    root: Option<Value>,
}

impl TreeSink {
    /// The parsed document (`Null` only if the parser reported no value, which it never does).
    pub(super) fn finish(self) -> Value {
        self.root.unwrap_or(Value::Null)
    }

    fn push(&mut self, value: Value) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Array(items)) => items.push(value),
            Some(Frame::Object { members, key }) => {
                let (key, offset) = std::mem::take(key);
                members.push((key, value, offset));
            }
        }
    }
}

impl Sink for TreeSink {
    fn begin_array(&mut self) {
        self.stack.push(Frame::Array(Vec::new()));
    }

    fn end_array(&mut self) {
        if let Some(Frame::Array(mut items)) = self.stack.pop() {
            // Exact size: a parsed document's memory stays a small multiple of its bytes
            // (limits.md L43–L44), not twice that from the growth of the vector.
            items.shrink_to_fit();
            self.push(Value::Array(items));
        }
    }

    fn begin_object(&mut self) {
        self.stack.push(Frame::Object {
            members: Vec::new(),
            key: (String::new(), 0),
        });
    }

    fn key(&mut self, key: &str, offset: usize) {
        if let Some(Frame::Object { key: slot, .. }) = self.stack.last_mut() {
            *slot = (key.to_owned(), offset);
        }
    }

    fn end_object(&mut self) -> Result<(), JcsError> {
        if let Some(Frame::Object { members, .. }) = self.stack.pop() {
            self.push(Value::Object(close_object(members)?));
        }
        Ok(())
    }

    fn null(&mut self) {
        self.push(Value::Null);
    }

    fn bool(&mut self, value: bool) {
        self.push(Value::Bool(value));
    }

    fn number(&mut self, token: NumberToken<'_>) {
        self.push(Value::Number(token.value));
    }

    fn string(&mut self, value: &str, _raw: bool) {
        self.push(Value::String(value.to_owned()));
    }
}

/// Sorts an object's members into canonical order and rejects duplicate keys.
fn close_object(mut members: Vec<(String, Value, usize)>) -> Result<Map, JcsError> {
    let sorted = members
        .windows(2)
        .all(|w| matches!(w, [a, b] if cmp_utf16(&a.0, &b.0).is_lt()));
    if !sorted {
        // Stable: of two equal keys, the later one (the duplicate) stays second.
        members.sort_by(|a, b| cmp_utf16(&a.0, &b.0));
        // Of several duplicates, the first one met left to right (primitives.md §2.3).
        if let Some(dup) = members
            .windows(2)
            .filter_map(|w| match w {
                [a, b] if a.0 == b.0 => Some(b.2),
                _ => None,
            })
            .min()
        {
            return Err(JcsError::new(JcsErrorKind::DuplicateKey, dup));
        }
    }
    // Exact size (see `end_array`): a one-member object takes one entry, not the four a
    // growing vector reserves.
    let mut entries: Vec<(String, Value)> = Vec::with_capacity(members.len());
    entries.extend(members.into_iter().map(|(k, v, _)| (k, v)));
    Ok(Map::from_sorted(entries))
}
