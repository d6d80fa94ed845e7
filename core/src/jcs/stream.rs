//! The sink that writes canonical bytes while parsing, without building a tree.
//!
//! Scalars and arrays are written as they arrive. Each object member is written in document
//! order and remembered as a byte range; when the object closes out of order, its ranges are
//! rearranged into canonical key order. This is what makes `canonicalize` fast.

use super::error::{JcsError, JcsErrorKind};
use super::number::format_number;
use super::parse::{NumberToken, Sink};
use super::value::cmp_utf16;
use super::write::write_string;

struct Frame {
    object: bool,
    first: bool,
    /// Output position just after the opening `{`.
    start: usize,
    members_base: usize,
    keys_base: usize,
}

struct Member {
    /// The decoded key, as a range of `CanonicalSink::keys`.
    key: (usize, usize),
    /// Output position where this member's key starts (after any comma).
    start: usize,
    /// Input offset of the key, to locate a duplicate.
    offset: usize,
}

/// Writes the canonical form of the document being parsed.
pub(super) struct CanonicalSink {
    out: Vec<u8>,
    frames: Vec<Frame>,
    /// Arena of decoded keys of all open objects.
    keys: String,
    /// Members of all open objects, innermost last.
    members: Vec<Member>,
}

impl CanonicalSink {
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Self {
            out: Vec::with_capacity(capacity),
            frames: Vec::new(),
            keys: String::new(),
            members: Vec::new(),
        }
    }

    pub(super) fn finish(self) -> Vec<u8> {
        self.out
    }

    /// Writes the comma that separates array elements.
    fn before_value(&mut self) {
        if let Some(frame) = self.frames.last_mut() {
            if !frame.object {
                if !frame.first {
                    self.out.push(b',');
                }
                frame.first = false;
            }
        }
    }

    fn key_text(&self, member: &Member) -> &str {
        self.keys
            .get(member.key.0..member.key.1)
            .unwrap_or_default()
    }

    /// Puts the members of the object starting at `frame.start` into canonical order.
    fn reorder(&mut self, frame: &Frame) -> Result<(), JcsError> {
        let members = self.members.get(frame.members_base..).unwrap_or_default();
        let mut order: Vec<usize> = (0..members.len()).collect();
        // Stable: of two equal keys, the later one (the duplicate) stays second.
        order.sort_by(|&a, &b| match (members.get(a), members.get(b)) {
            (Some(x), Some(y)) => cmp_utf16(self.key_text(x), self.key_text(y)),
            _ => std::cmp::Ordering::Equal,
        });
        // Of several duplicates, the first one met left to right (primitives.md §2.3): the
        // smallest offset of a later key, not the first in sorted order.
        let dup = order
            .windows(2)
            .filter_map(|pair| match pair {
                [a, b] => match (members.get(*a), members.get(*b)) {
                    (Some(x), Some(y)) if self.key_text(x) == self.key_text(y) => Some(y.offset),
                    _ => None,
                },
                _ => None,
            })
            .min();
        if let Some(offset) = dup {
            return Err(JcsError::new(JcsErrorKind::DuplicateKey, offset));
        }
        let body = self.out.split_off(frame.start);
        for (n, &i) in order.iter().enumerate() {
            let Some(member) = members.get(i) else {
                continue;
            };
            let begin = member.start - frame.start;
            // A member ends where the next one's comma is, or at the end of the body.
            let end = members
                .get(i + 1)
                .map_or(body.len(), |next| next.start - frame.start - 1);
            if n > 0 {
                self.out.push(b',');
            }
            self.out
                .extend_from_slice(body.get(begin..end).unwrap_or_default());
        }
        Ok(())
    }
}

impl Sink for CanonicalSink {
    fn begin_array(&mut self) {
        self.before_value();
        self.out.push(b'[');
        self.frames.push(Frame {
            object: false,
            first: true,
            start: 0,
            members_base: 0,
            keys_base: 0,
        });
    }

    fn end_array(&mut self) {
        self.frames.pop();
        self.out.push(b']');
    }

    fn begin_object(&mut self) {
        self.before_value();
        self.out.push(b'{');
        self.frames.push(Frame {
            object: true,
            first: true,
            start: self.out.len(),
            members_base: self.members.len(),
            keys_base: self.keys.len(),
        });
    }

    fn key(&mut self, key: &str, offset: usize) {
        if let Some(frame) = self.frames.last_mut() {
            if !frame.first {
                self.out.push(b',');
            }
            frame.first = false;
        }
        let begin = self.keys.len();
        self.keys.push_str(key);
        self.members.push(Member {
            key: (begin, self.keys.len()),
            start: self.out.len(),
            offset,
        });
        write_string(key, &mut self.out);
        self.out.push(b':');
    }

    fn end_object(&mut self) -> Result<(), JcsError> {
        let Some(frame) = self.frames.pop() else {
            return Ok(());
        };
        let members = self.members.get(frame.members_base..).unwrap_or_default();
        let sorted = members
            .windows(2)
            .all(|w| matches!(w, [a, b] if cmp_utf16(self.key_text(a), self.key_text(b)).is_lt()));
        if !sorted {
            self.reorder(&frame)?;
        }
        self.members.truncate(frame.members_base);
        self.keys.truncate(frame.keys_base);
        self.out.push(b'}');
        Ok(())
    }

    fn null(&mut self) {
        self.before_value();
        self.out.extend_from_slice(b"null");
    }

    fn bool(&mut self, value: bool) {
        self.before_value();
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn number(&mut self, token: NumberToken<'_>) {
        self.before_value();
        match token.canonical_text {
            Some(text) => self.out.extend_from_slice(text),
            None => format_number(token.value, &mut self.out),
        }
    }

    fn string(&mut self, value: &str, raw: bool) {
        self.before_value();
        if raw {
            // Unescaped input text holds no `"`, `\` or control character: it is canonical.
            self.out.reserve(value.len() + 2);
            self.out.push(b'"');
            self.out.extend_from_slice(value.as_bytes());
            self.out.push(b'"');
        } else {
            write_string(value, &mut self.out);
        }
    }
}
