//! A strict, iterative I-JSON parser: no recursion, so depth is bounded by `Limits`, not the stack.
//!
//! spec: primitives.md §2.2 (accepted grammar) and §2.3 (rejections).

use super::error::{JcsError, JcsErrorKind as Kind};
use super::number::{Number, MAX_SAFE_INTEGER};
use super::value::{cmp_utf16, Map, Value};
use super::IntegerMode;
use crate::limits::Limits;

/// A container being filled while the parser walks down into its children.
enum Frame {
    Array(Vec<Value>),
    Object {
        // Members with the byte offset of their key, so a duplicate can be located.
        members: Vec<(String, Value, usize)>,
        key: String,
        key_offset: usize,
    },
}

pub(super) fn parse(bytes: &[u8], limits: &Limits, mode: IntegerMode) -> Result<Value, JcsError> {
    if bytes.len() > limits.json_max_bytes {
        return Err(JcsError::new(Kind::TooLarge, limits.json_max_bytes));
    }
    Parser { bytes, pos: 0, limits, mode }.document()
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    limits: &'a Limits,
    mode: IntegerMode,
}

impl Parser<'_> {
    fn err<T>(&self, kind: Kind, offset: usize) -> Result<T, JcsError> {
        Err(JcsError::new(kind, offset))
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Error for the byte at `self.pos`: end of input, invalid UTF-8, or just unexpected.
    fn unexpected<T>(&self) -> Result<T, JcsError> {
        match self.bytes.get(self.pos..) {
            None | Some([]) => self.err(Kind::UnexpectedEnd, self.pos),
            Some(rest) => {
                let head = rest.get(..rest.len().min(4)).unwrap_or_default();
                let kind = match std::str::from_utf8(head) {
                    Err(e) if e.valid_up_to() == 0 && e.error_len().is_some() => Kind::InvalidUtf8,
                    _ => Kind::UnexpectedCharacter,
                };
                self.err(kind, self.pos)
            }
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), JcsError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            self.unexpected()
        }
    }

    fn document(mut self) -> Result<Value, JcsError> {
        let mut stack: Vec<Frame> = Vec::new();
        'value: loop {
            self.skip_whitespace();
            let mut value = match self.peek() {
                Some(b'{') => {
                    self.enter(&stack)?;
                    self.pos += 1;
                    self.skip_whitespace();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        Value::Object(Map::new())
                    } else {
                        let (key, key_offset) = self.member_key()?;
                        stack.push(Frame::Object { members: Vec::new(), key, key_offset });
                        continue 'value;
                    }
                }
                Some(b'[') => {
                    self.enter(&stack)?;
                    self.pos += 1;
                    self.skip_whitespace();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        Value::Array(Vec::new())
                    } else {
                        stack.push(Frame::Array(Vec::new()));
                        continue 'value;
                    }
                }
                Some(b'"') => Value::String(self.string()?),
                Some(b't') => self.literal(b"true", Value::Bool(true))?,
                Some(b'f') => self.literal(b"false", Value::Bool(false))?,
                Some(b'n') => self.literal(b"null", Value::Null)?,
                Some(b'-' | b'0'..=b'9') => Value::Number(self.number()?),
                Some(b'N' | b'I') => return self.non_finite_or_unexpected(),
                _ => return self.unexpected(),
            };
            // `value` is complete: hand it to its container, closing containers as they end.
            loop {
                let Some(frame) = stack.last_mut() else {
                    self.skip_whitespace();
                    if self.pos < self.bytes.len() {
                        return self.err(Kind::TrailingCharacters, self.pos);
                    }
                    return Ok(value);
                };
                match frame {
                    Frame::Array(items) => {
                        if items.len() >= self.limits.json_max_entries {
                            return self.err(Kind::TooManyEntries, self.pos);
                        }
                        items.push(value);
                        self.skip_whitespace();
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                continue 'value;
                            }
                            Some(b']') => self.pos += 1,
                            _ => return self.unexpected(),
                        }
                    }
                    Frame::Object { members, key, key_offset } => {
                        if members.len() >= self.limits.json_max_entries {
                            return self.err(Kind::TooManyEntries, *key_offset);
                        }
                        members.push((std::mem::take(key), value, *key_offset));
                        self.skip_whitespace();
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_whitespace();
                                let (next_key, next_offset) = self.member_key()?;
                                *key = next_key;
                                *key_offset = next_offset;
                                continue 'value;
                            }
                            Some(b'}') => self.pos += 1,
                            _ => return self.unexpected(),
                        }
                    }
                }
                // The container just closed.
                value = match stack.pop() {
                    Some(Frame::Array(items)) => Value::Array(items),
                    Some(Frame::Object { members, .. }) => Value::Object(close_object(members)?),
                    None => return self.unexpected(),
                };
            }
        }
    }

    /// Checks that one more level of nesting stays within the depth limit.
    fn enter(&self, stack: &[Frame]) -> Result<(), JcsError> {
        if stack.len() >= self.limits.json_max_depth {
            return self.err(Kind::TooDeep, self.pos);
        }
        Ok(())
    }

    /// Reads `"key"` and the `:` after it; returns the key and its offset.
    fn member_key(&mut self) -> Result<(String, usize), JcsError> {
        let offset = self.pos;
        if self.peek() != Some(b'"') {
            return self.unexpected();
        }
        let key = self.string()?;
        self.skip_whitespace();
        self.expect(b':')?;
        Ok((key, offset))
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Value, JcsError> {
        let end = self.pos + word.len();
        if self.bytes.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(value)
        } else if word.starts_with(self.bytes.get(self.pos..).unwrap_or_default()) {
            self.err(Kind::UnexpectedEnd, self.bytes.len())
        } else {
            self.unexpected()
        }
    }

    fn non_finite_or_unexpected<T>(&self) -> Result<T, JcsError> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let rest = rest.strip_prefix(b"-").unwrap_or(rest);
        if rest.starts_with(b"NaN") || rest.starts_with(b"Infinity") {
            return self.err(Kind::NonFinite, self.pos);
        }
        self.unexpected()
    }

    /// Reads a string token starting at its opening quote.
    fn string(&mut self) -> Result<String, JcsError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.pos;
            // Copy a run of plain bytes.
            let rest = self.bytes.get(start..).unwrap_or_default();
            let run = rest.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
            let Some(run) = run else {
                // Unterminated: report invalid UTF-8 in the tail first, if any.
                self.push_utf8(&mut out, rest, start)?;
                return self.err(Kind::UnexpectedEnd, self.bytes.len());
            };
            self.push_utf8(&mut out, rest.get(..run).unwrap_or_default(), start)?;
            self.pos = start + run;
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => self.escape(&mut out)?,
                _ => return self.err(Kind::ControlCharacter, self.pos),
            }
            if out.len() > self.limits.json_max_string_bytes {
                return self.err(Kind::StringTooLong, self.pos);
            }
        }
    }

    fn push_utf8(&self, out: &mut String, run: &[u8], offset: usize) -> Result<(), JcsError> {
        match std::str::from_utf8(run) {
            Ok(text) => {
                if out.len() + text.len() > self.limits.json_max_string_bytes {
                    return self.err(Kind::StringTooLong, offset);
                }
                out.push_str(text);
                Ok(())
            }
            Err(e) => self.err(Kind::InvalidUtf8, offset + e.valid_up_to()),
        }
    }

    /// Decodes one escape sequence starting at its backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), JcsError> {
        let at = self.pos;
        let Some(&kind) = self.bytes.get(at + 1) else {
            return self.err(Kind::UnexpectedEnd, self.bytes.len());
        };
        self.pos = at + 2;
        let c = match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4(at)?;
                match unit {
                    0xD800..=0xDBFF => {
                        // A high surrogate must be followed by an escaped low surrogate.
                        let next = self.pos;
                        if self.bytes.get(next..next + 2) != Some(b"\\u") {
                            return self.err(Kind::LoneSurrogate, at);
                        }
                        self.pos = next + 2;
                        let low = self.hex4(next)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return self.err(Kind::LoneSurrogate, at);
                        }
                        let scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        char::from_u32(scalar).ok_or(JcsError::new(Kind::LoneSurrogate, at))?
                    }
                    0xDC00..=0xDFFF => return self.err(Kind::LoneSurrogate, at),
                    _ => char::from_u32(unit).ok_or(JcsError::new(Kind::InvalidEscape, at))?,
                }
            }
            _ => return self.err(Kind::InvalidEscape, at),
        };
        out.push(c);
        Ok(())
    }

    /// Reads the four hex digits after `\u` (at `self.pos`); `escape_at` locates the error.
    fn hex4(&mut self, escape_at: usize) -> Result<u32, JcsError> {
        let Some(digits) = self.bytes.get(self.pos..self.pos + 4) else {
            return self.err(Kind::InvalidEscape, escape_at);
        };
        let mut unit = 0u32;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return self.err(Kind::InvalidEscape, escape_at),
            };
            unit = (unit << 4) | u32::from(v);
        }
        self.pos += 4;
        Ok(unit)
    }

    /// Reads a number token: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<Number, JcsError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
            if matches!(self.peek(), Some(b'N' | b'I')) {
                self.pos = start;
                return self.non_finite_or_unexpected();
            }
        }
        let int_start = self.pos;
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return self.err(Kind::InvalidNumber, start);
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.err(Kind::InvalidNumber, start),
        }
        let int_digits = self.pos - int_start;
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.pos += 1;
            if !self.digits() {
                return self.err(Kind::InvalidNumber, start);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !self.digits() {
                return self.err(Kind::InvalidNumber, start);
            }
        }
        let token = self.bytes.get(start..self.pos).unwrap_or_default();
        let text = std::str::from_utf8(token).map_err(|_| JcsError::new(Kind::InvalidNumber, start))?;
        let value: f64 = text.parse().map_err(|_| JcsError::new(Kind::InvalidNumber, start))?;
        if value.is_infinite() {
            return self.err(Kind::NumberOverflow, start);
        }
        if integer && self.mode == IntegerMode::Strict {
            // An integer literal must be exactly representable: |n| ≤ 2^53 − 1.
            let digits = self.bytes.get(int_start..int_start + int_digits).unwrap_or_default();
            let magnitude = (digits.len() <= 16)
                .then(|| digits.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0')));
            if magnitude.is_none_or(|m| m > MAX_SAFE_INTEGER) {
                return self.err(Kind::IntegerOutOfRange, start);
            }
        }
        Number::from_f64(value).ok_or(JcsError::new(Kind::NumberOverflow, start))
    }

    /// Skips ASCII digits; true if there was at least one.
    fn digits(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos > start
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
        if let Some(dup) = members.windows(2).find_map(|w| match w {
            [a, b] if a.0 == b.0 => Some(b.2),
            _ => None,
        }) {
            return Err(JcsError::new(Kind::DuplicateKey, dup));
        }
    }
    Ok(Map::from_sorted(members.into_iter().map(|(k, v, _)| (k, v)).collect()))
}
