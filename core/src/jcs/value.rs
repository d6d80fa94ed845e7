//! The JSON value tree produced by the parser and consumed by the canonical writer.

use std::cmp::Ordering;

use super::number::Number;

/// A JSON value. Objects are kept in canonical key order with unique keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A finite number.
    Number(Number),
    /// A string (any Unicode scalar values; no lone surrogates).
    String(String),
    /// An array, in document order.
    Array(Vec<Value>),
    /// An object, in canonical key order.
    Object(Map),
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Self::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Self::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_number(&self) -> Option<Number> {
        match self {
            Self::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The number as an unsigned integer within 2^53−1, if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_number().and_then(Number::as_u64)
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The member `key` when this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|m| m.get(key))
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Self::String(value.to_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Self::String(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<Number> for Value {
    fn from(value: Number) -> Self {
        Self::Number(value)
    }
}

impl From<u32> for Value {
    fn from(value: u32) -> Self {
        Self::Number(Number::from(value))
    }
}

impl From<Map> for Value {
    fn from(value: Map) -> Self {
        Self::Object(value)
    }
}

impl From<Vec<Value>> for Value {
    fn from(value: Vec<Value>) -> Self {
        Self::Array(value)
    }
}

/// A JSON object: unique keys kept sorted by UTF-16 code units, the order RFC 8785 prints.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Map {
    // INVARIANT: sorted by `cmp_utf16` of the keys, no two keys equal.
    entries: Vec<(String, Value)>,
}

impl Map {
    /// An empty object.
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Wraps entries already sorted by [`cmp_utf16`] with unique keys (the parser's output).
    pub(crate) fn from_sorted(entries: Vec<(String, Value)>) -> Self {
        debug_assert!(entries
            .windows(2)
            .all(|w| matches!(w, [a, b] if cmp_utf16(&a.0, &b.0) == Ordering::Less)));
        Self { entries }
    }

    /// Sets `key` to `value`, returning the previous value of `key` if there was one.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        let key = key.into();
        match self.entries.binary_search_by(|(k, _)| cmp_utf16(k, &key)) {
            Ok(i) => self
                .entries
                .get_mut(i)
                .map(|slot| std::mem::replace(&mut slot.1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let i = self
            .entries
            .binary_search_by(|(k, _)| cmp_utf16(k, key))
            .ok()?;
        self.entries.get(i).map(|(_, v)| v)
    }

    /// The value of `key`, mutable, if present.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let i = self
            .entries
            .binary_search_by(|(k, _)| cmp_utf16(k, key))
            .ok()?;
        self.entries.get_mut(i).map(|(_, v)| v)
    }

    /// Removes `key`, returning its value if it was present.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self
            .entries
            .binary_search_by(|(k, _)| cmp_utf16(k, key))
            .ok()?;
        Some(self.entries.remove(i).1)
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the object has no members.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Members in canonical order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Keys in canonical order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }
}

impl<K: Into<String>> FromIterator<(K, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Self {
        let mut map = Self::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

/// Orders two strings by their UTF-16 code units, as RFC 8785 §3.2.3 sorts object keys.
///
/// UTF-8 byte order equals code point order, which equals UTF-16 order except when one string
/// has a supplementary character (UTF-16 lead unit 0xD800..0xDBFF) where the other has a
/// character in U+E000..U+FFFF: there UTF-16 puts the supplementary character first.
pub fn cmp_utf16(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let Some((&p, &q)) = x.iter().zip(y).find(|(p, q)| p != q) else {
        return x.len().cmp(&y.len());
    };
    // The prefixes are equal, so `p` and `q` are either continuation bytes of one shared lead
    // (byte order is right) or the lead bytes of the first differing characters.
    let supplementary = |c: u8| c >= 0xF0;
    let upper_bmp = |c: u8| matches!(c, 0xEE | 0xEF);
    if supplementary(p) && upper_bmp(q) {
        Ordering::Less
    } else if upper_bmp(p) && supplementary(q) {
        Ordering::Greater
    } else {
        p.cmp(&q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16_order(a: &str, b: &str) -> Ordering {
        a.encode_utf16().cmp(b.encode_utf16())
    }

    #[test]
    fn utf16_comparison_matches_reference_on_tricky_pairs() {
        let samples = [
            "",
            "a",
            "ab",
            "b",
            "\u{7f}",
            "\u{80}",
            "\u{d7ff}",
            "\u{e000}",
            "\u{fb33}",
            "\u{ffff}",
            "\u{10000}",
            "\u{1f602}",
            "a\u{1f602}",
            "a\u{e000}",
            "a\u{ffff}x",
            "a\u{10ffff}",
            "\u{e000}\u{1f602}",
            "\u{1f602}\u{e000}",
            "\u{100}",
            "\u{800}",
            "é",
            "e\u{301}",
        ];
        for a in samples {
            for b in samples {
                assert_eq!(cmp_utf16(a, b), utf16_order(a, b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn map_keeps_canonical_order_and_replaces() {
        let mut m = Map::new();
        assert_eq!(m.insert("\u{fb33}", Value::Null), None);
        assert_eq!(m.insert("\u{1f602}", Value::Bool(true)), None);
        assert_eq!(m.insert("a", Value::Null), None);
        assert_eq!(m.insert("a", Value::Bool(false)), Some(Value::Null));
        let keys: Vec<_> = m.keys().collect();
        assert_eq!(keys, ["a", "\u{1f602}", "\u{fb33}"]);
        assert_eq!(m.get("a"), Some(&Value::Bool(false)));
        assert_eq!(m.remove("a"), Some(Value::Bool(false)));
        assert_eq!(m.len(), 2);
    }
}
