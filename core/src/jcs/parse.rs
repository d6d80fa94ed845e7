//! A strict, iterative I-JSON parser: no recursion, so depth is bounded by `Limits`, not the stack.
//!
//! spec: primitives.md §2.2 (accepted grammar) and §2.3 (rejections). The parser checks the
//! grammar and decodes tokens; a [`Sink`] decides what to build from them — a value tree
//! ([`super::tree`]) or canonical bytes written as the parser goes ([`super::stream`]).

use super::error::{JcsError, JcsErrorKind as Kind};
use super::number::{Number, MAX_SAFE_INTEGER};
use super::IntegerMode;
use crate::limits::Limits;

/// A number token as read: its value, and whether its literal text is already canonical.
#[derive(Clone, Copy)]
pub(super) struct NumberToken<'a> {
    pub value: Number,
    /// `Some(text)` when the literal is an integer within ±(2^53−1), other than `-0`, written
    /// without leading zeros: such a literal is its own ES6 form.
    pub canonical_text: Option<&'a [u8]>,
}

/// Receives the parser's events in document order.
pub(super) trait Sink {
    fn begin_array(&mut self);
    fn end_array(&mut self);
    fn begin_object(&mut self);
    /// A member key (decoded), before its value; `offset` locates it in the input.
    fn key(&mut self, key: &str, offset: usize);
    /// Closes the innermost object; rejects duplicate keys.
    fn end_object(&mut self) -> Result<(), JcsError>;
    fn null(&mut self);
    fn bool(&mut self, value: bool);
    fn number(&mut self, token: NumberToken<'_>);
    /// A decoded string; `raw` is true when its input text had no escapes.
    fn string(&mut self, value: &str, raw: bool);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Container {
    Array,
    Object,
}

/// Parses one document, feeding `sink`.
pub(super) fn parse_into<S: Sink>(
    bytes: &[u8],
    limits: &Limits,
    mode: IntegerMode,
    sink: &mut S,
) -> Result<(), JcsError> {
    if bytes.len() > limits.json_max_bytes {
        return Err(JcsError::new(Kind::TooLarge, limits.json_max_bytes));
    }
    // spec: limits.md L43–L44 — a value budget proportional to the document's size.
    let max_values = limits
        .json_values_base
        .saturating_add(bytes.len() / limits.json_bytes_per_value.max(1));
    Parser {
        bytes,
        pos: 0,
        limits,
        mode,
        scratch: String::new(),
        values: 0,
        max_values,
    }
    .document(sink)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    limits: &'a Limits,
    mode: IntegerMode,
    /// Reused buffer for strings that contain escapes.
    scratch: String,
    /// Values begun so far, and the most the document may hold (limits.md L43–L44).
    values: usize,
    max_values: usize,
}

impl<'a> Parser<'a> {
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
        self.unexpected_at(self.pos)
    }

    /// Error for the byte at `pos` (spec: primitives.md §2.3): end of input; invalid UTF-8 when
    /// the byte starts no well-formed sequence (also one cut off by the end); else unexpected.
    fn unexpected_at<T>(&self, pos: usize) -> Result<T, JcsError> {
        match self.bytes.get(pos..) {
            None | Some([]) => self.err(Kind::UnexpectedEnd, self.bytes.len()),
            Some(rest) => {
                let head = rest.get(..rest.len().min(4)).unwrap_or_default();
                let kind = match std::str::from_utf8(head) {
                    Err(e) if e.valid_up_to() == 0 => Kind::InvalidUtf8,
                    _ => Kind::UnexpectedCharacter,
                };
                self.err(kind, pos)
            }
        }
    }

    fn document<S: Sink>(mut self, sink: &mut S) -> Result<(), JcsError> {
        // One entry per open container: its kind and how many entries it has so far.
        let mut stack: Vec<(Container, usize)> = Vec::new();
        'value: loop {
            self.skip_whitespace();
            self.count_value()?;
            match self.peek() {
                Some(b'{') => {
                    self.enter(&stack)?;
                    self.pos += 1;
                    sink.begin_object();
                    self.skip_whitespace();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        sink.end_object()?;
                    } else {
                        self.another_entry(0)?;
                        self.member_key(sink)?;
                        stack.push((Container::Object, 0));
                        continue 'value;
                    }
                }
                Some(b'[') => {
                    self.enter(&stack)?;
                    self.pos += 1;
                    sink.begin_array();
                    self.skip_whitespace();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        sink.end_array();
                    } else {
                        self.another_entry(0)?;
                        stack.push((Container::Array, 0));
                        continue 'value;
                    }
                }
                Some(b'"') => {
                    let raw = self.string()?;
                    match raw {
                        Some(text) => sink.string(text, true),
                        None => sink.string(&self.scratch, false),
                    }
                }
                Some(b't') => {
                    self.literal(b"true")?;
                    sink.bool(true);
                }
                Some(b'f') => {
                    self.literal(b"false")?;
                    sink.bool(false);
                }
                Some(b'n') => {
                    self.literal(b"null")?;
                    sink.null();
                }
                Some(b'-' | b'0'..=b'9') => sink.number(self.number()?),
                Some(b'N' | b'I') => return self.non_finite_or_unexpected(),
                _ => return self.unexpected(),
            }
            // A value is complete: continue its container, closing containers as they end.
            loop {
                let Some((container, entries)) = stack.last_mut() else {
                    self.skip_whitespace();
                    if self.pos < self.bytes.len() {
                        return match self.unexpected::<()>() {
                            Err(e) if e.kind() == Kind::InvalidUtf8 => Err(e),
                            _ => self.err(Kind::TrailingCharacters, self.pos),
                        };
                    }
                    return Ok(());
                };
                *entries += 1;
                let done = *entries;
                self.skip_whitespace();
                match (self.peek(), *container) {
                    (Some(b','), Container::Array) => {
                        self.pos += 1;
                        self.skip_whitespace();
                        self.another_entry(done)?;
                        continue 'value;
                    }
                    (Some(b','), Container::Object) => {
                        self.pos += 1;
                        self.skip_whitespace();
                        self.another_entry(done)?;
                        self.member_key(sink)?;
                        continue 'value;
                    }
                    (Some(b']'), Container::Array) => {
                        self.pos += 1;
                        sink.end_array();
                    }
                    (Some(b'}'), Container::Object) => {
                        self.pos += 1;
                        sink.end_object()?;
                    }
                    _ => return self.unexpected(),
                }
                stack.pop();
            }
        }
    }

    /// Counts the value that starts at `self.pos`, if a value starts there.
    ///
    /// spec: primitives.md §2.3 — the offset is the first byte of the first value beyond the
    /// budget of limits.md L43–L44, checked before anything else about that value.
    fn count_value(&mut self) -> Result<(), JcsError> {
        if let Some(b'{' | b'[' | b'"' | b't' | b'f' | b'n' | b'-' | b'0'..=b'9') = self.peek() {
            self.values += 1;
            if self.values > self.max_values {
                return self.err(Kind::TooManyValues, self.pos);
            }
        }
        Ok(())
    }

    /// Checks that a container holding `done` entries may start another one here.
    ///
    /// spec: primitives.md §2.3 — the offset is the first byte of the first entry beyond L4.
    fn another_entry(&self, done: usize) -> Result<(), JcsError> {
        if done >= self.limits.json_max_entries && self.pos < self.bytes.len() {
            return self.err(Kind::TooManyEntries, self.pos);
        }
        Ok(())
    }

    /// Checks that one more level of nesting stays within the depth limit.
    fn enter(&self, stack: &[(Container, usize)]) -> Result<(), JcsError> {
        if stack.len() >= self.limits.json_max_depth {
            return self.err(Kind::TooDeep, self.pos);
        }
        Ok(())
    }

    /// Reads `"key"` and the `:` after it, handing the key to the sink.
    fn member_key<S: Sink>(&mut self, sink: &mut S) -> Result<(), JcsError> {
        let offset = self.pos;
        if self.peek() != Some(b'"') {
            return self.unexpected();
        }
        match self.string()? {
            Some(text) => sink.key(text, offset),
            None => sink.key(&self.scratch, offset),
        }
        self.skip_whitespace();
        if self.peek() == Some(b':') {
            self.pos += 1;
            Ok(())
        } else {
            self.unexpected()
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), JcsError> {
        let end = self.pos + word.len();
        if self.bytes.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else if word.starts_with(self.bytes.get(self.pos..).unwrap_or_default()) {
            self.err(Kind::UnexpectedEnd, self.bytes.len())
        } else {
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            let matched = rest.iter().zip(word).take_while(|(a, b)| a == b).count();
            self.unexpected_at(self.pos + matched)
        }
    }

    fn non_finite_or_unexpected<T>(&self) -> Result<T, JcsError> {
        // spec: primitives.md §2.3 — exactly `NaN`, `Infinity` and `-Infinity` are non-finite.
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        if rest.starts_with(b"NaN")
            || rest.starts_with(b"Infinity")
            || rest.starts_with(b"-Infinity")
        {
            return self.err(Kind::NonFinite, self.pos);
        }
        self.unexpected()
    }

    /// Reads a string token starting at its opening quote.
    ///
    /// Returns the text borrowed from the input when it has no escapes; otherwise decodes it
    /// into `self.scratch` and returns `None`.
    fn string(&mut self) -> Result<Option<&'a str>, JcsError> {
        let bytes: &'a [u8] = self.bytes;
        self.pos += 1;
        let mut decoding = false;
        loop {
            let start = self.pos;
            let rest = bytes.get(start..).unwrap_or_default();
            let before = if decoding { self.scratch.len() } else { 0 };
            let Some(run) = find_string_special(rest) else {
                // Unterminated: a crossing of L3 or invalid UTF-8 in the tail comes first.
                self.run_text(rest, start, before)?;
                return self.err(Kind::UnexpectedEnd, bytes.len());
            };
            let text = self.run_text(rest.get(..run).unwrap_or_default(), start, before)?;
            self.pos = start + run;
            if decoding {
                self.scratch.push_str(text);
            }
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok((!decoding).then_some(text));
                }
                Some(b'\\') => {
                    if !decoding {
                        decoding = true;
                        self.scratch.clear();
                        self.scratch.push_str(text);
                    }
                    let escape_at = self.pos;
                    self.escape()?;
                    if self.scratch.len() > self.limits.json_max_string_bytes {
                        return self.err(Kind::StringTooLong, escape_at);
                    }
                }
                _ => return self.err(Kind::ControlCharacter, self.pos),
            }
        }
    }

    /// Validates one plain run of a string whose decoded length so far is `before`.
    ///
    /// spec: primitives.md §2.3 — whichever comes first: the character that makes the decoded
    /// string exceed L3 (`jcs.string_too_long` at its first byte), or invalid UTF-8.
    fn run_text(&self, run: &'a [u8], start: usize, before: usize) -> Result<&'a str, JcsError> {
        let (valid, invalid_at) = match std::str::from_utf8(run) {
            Ok(text) => (text, None),
            Err(e) => {
                let prefix = run.get(..e.valid_up_to()).unwrap_or_default();
                (
                    std::str::from_utf8(prefix).unwrap_or_default(),
                    Some(e.valid_up_to()),
                )
            }
        };
        let budget = self.limits.json_max_string_bytes.saturating_sub(before);
        if valid.len() > budget {
            let crossing = valid
                .char_indices()
                .map(|(i, _)| i)
                .take_while(|&i| i <= budget)
                .last()
                .unwrap_or(0);
            return self.err(Kind::StringTooLong, start + crossing);
        }
        match invalid_at {
            Some(at) => self.err(Kind::InvalidUtf8, start + at),
            None => Ok(valid),
        }
    }

    /// Decodes one escape sequence starting at its backslash into `self.scratch`.
    fn escape(&mut self) -> Result<(), JcsError> {
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
                        let rest = self.bytes.get(next..).unwrap_or_default();
                        if rest.is_empty() || rest == b"\\" {
                            return self.err(Kind::UnexpectedEnd, self.bytes.len());
                        }
                        if !rest.starts_with(b"\\u") {
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
        self.scratch.push(c);
        Ok(())
    }

    /// Reads the four hex digits after `\u` (at `self.pos`); `escape_at` locates the error.
    fn hex4(&mut self, escape_at: usize) -> Result<u32, JcsError> {
        let mut unit = 0u32;
        for i in 0..4 {
            let v = match self.bytes.get(self.pos + i) {
                // spec: primitives.md §2.3 — input that ends inside the digits ends unexpectedly.
                None => return self.err(Kind::UnexpectedEnd, self.bytes.len()),
                Some(&d @ b'0'..=b'9') => d - b'0',
                Some(&d @ b'a'..=b'f') => d - b'a' + 10,
                Some(&d @ b'A'..=b'F') => d - b'A' + 10,
                Some(_) => return self.err(Kind::InvalidEscape, escape_at),
            };
            unit = (unit << 4) | u32::from(v);
        }
        self.pos += 4;
        Ok(unit)
    }

    /// Reads a number token: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<NumberToken<'a>, JcsError> {
        let bytes: &'a [u8] = self.bytes;
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
            if bytes
                .get(self.pos..)
                .is_some_and(|rest| rest.starts_with(b"Infinity"))
            {
                self.pos = start;
                return self.non_finite_or_unexpected();
            }
        }
        let int_start = self.pos;
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    // spec: primitives.md §2.3 — the first byte that breaks the grammar.
                    return self.err(Kind::InvalidNumber, self.pos);
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.grammar_break(),
        }
        let int_end = self.pos;
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.pos += 1;
            if !self.digits() {
                return self.grammar_break();
            }
        }
        let mut exponent_digits = 0;
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            let exponent_start = self.pos;
            if !self.digits() {
                return self.grammar_break();
            }
            exponent_digits = self.pos - exponent_start;
        }
        // spec: primitives.md §2.2.6 — the token's length (L45) and exponent (L46) are bounded,
        // after its grammar and before its value: within them `str::parse::<f64>` and every
        // other implementation's standard parser are exact.
        if self.pos - start > self.limits.json_max_number_bytes
            || exponent_digits > self.limits.json_max_exponent_digits
        {
            return self.err(Kind::NumberTooLong, start);
        }
        let token = bytes.get(start..self.pos).unwrap_or_default();
        if integer {
            // Fast path: an integer literal within ±(2^53−1) is exact and is its own ES6 form
            // (except `-0`, which prints as `0`).
            let digits = bytes.get(int_start..int_end).unwrap_or_default();
            if digits.len() <= 16 {
                let magnitude = digits
                    .iter()
                    .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
                if magnitude <= MAX_SAFE_INTEGER {
                    #[expect(clippy::cast_precision_loss, reason = "exact below 2^53")]
                    let value = if negative {
                        -(magnitude as f64)
                    } else {
                        magnitude as f64
                    };
                    let canonical = !(negative && magnitude == 0);
                    return Ok(NumberToken {
                        value: Number::from_f64(value)
                            .ok_or(JcsError::new(Kind::InvalidNumber, start))?,
                        canonical_text: canonical.then_some(token),
                    });
                }
            }
            if self.mode == IntegerMode::Strict {
                let overflows = std::str::from_utf8(token)
                    .ok()
                    .and_then(|t| t.parse::<f64>().ok())
                    .is_none_or(f64::is_infinite);
                let kind = if overflows {
                    Kind::NumberOverflow
                } else {
                    Kind::IntegerOutOfRange
                };
                return self.err(kind, start);
            }
        }
        let text =
            std::str::from_utf8(token).map_err(|_| JcsError::new(Kind::InvalidNumber, start))?;
        let value: f64 = text
            .parse()
            .map_err(|_| JcsError::new(Kind::InvalidNumber, start))?;
        let value = Number::from_f64(value).ok_or(JcsError::new(Kind::NumberOverflow, start))?;
        // spec: primitives.md §2.2.7 — a value in [2^53, 10^21) would be written as an integer
        // literal beyond ±(2^53−1), which strict parsing rejects: refuse it here too, so that
        // every canonical output parses again.
        if self.mode == IntegerMode::Strict && prints_as_unsafe_integer(value.as_f64()) {
            return self.err(Kind::IntegerOutOfRange, start);
        }
        Ok(NumberToken {
            value,
            canonical_text: None,
        })
    }

    /// A number token that stops where a digit is required: the end of input, or the byte.
    /// A byte that starts ill-formed UTF-8 is `jcs.invalid_utf8` (spec: primitives.md §2.3, "inside
    /// or outside strings"), as everywhere else.
    fn grammar_break<T>(&self) -> Result<T, JcsError> {
        match self.unexpected_at::<T>(self.pos) {
            Err(e) if e.kind() == Kind::InvalidUtf8 || e.kind() == Kind::UnexpectedEnd => Err(e),
            _ => self.err(Kind::InvalidNumber, self.pos),
        }
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

/// True when ES6 prints `value` as an integer literal outside ±(2^53−1).
fn prints_as_unsafe_integer(value: f64) -> bool {
    #[expect(clippy::cast_precision_loss, reason = "2^53 - 1 converts exactly")]
    let limit = MAX_SAFE_INTEGER as f64;
    value.abs() > limit && value.abs() < 1e21
}

/// The index of the first `"`, `\` or control byte (< 0x20) in `bytes`: where a string's plain
/// run ends. Scans eight bytes per step (SWAR), then finishes byte by byte.
fn find_string_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut start = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        // A byte of `x` is zero iff bit 7 of that byte of (x − 1) & !x can be set; this never
        // misses one, and the byte loop below finds the exact index.
        let hits = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (w.wrapping_sub(ONES * 0x20) & !w);
        if hits & HIGH != 0 {
            break;
        }
        start += 8;
    }
    let tail = bytes.get(start..)?;
    tail.iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|i| start + i)
}
