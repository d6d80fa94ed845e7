//! The JSON-compatible subset of YAML (policy-v1.md §2), read with serde-saphyr's event parser.
//!
//! Every node becomes a JSON value, and its position is kept by JSON pointer so that later
//! errors (schema, CEL) can name a line and column. Tags, anchors, aliases, merge keys, keys that
//! are not strings, duplicate keys, several documents, a `%YAML` directive other than 1.2 and plain
//! scalars other parsers would read differently (`True`, `0x1F`, `.inf`, `~`) are rejected; numbers
//! are read by the canonical JSON parser (strict integers, the token bounds L45–L46).

use std::collections::BTreeMap;

use serde_saphyr::granit_parser::{Event, Marker, Parser, ScalarStyle};

use super::error::{Location, PolicyError, PolicyErrorKind};
use crate::jcs::{Map, Value};
use crate::limits::Limits;

/// Positions of every node of a document, by JSON pointer (`""` is the root).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans {
    file: String,
    at: BTreeMap<String, (usize, usize)>,
}

impl Spans {
    /// The location of the node at `pointer`, or of its nearest ancestor that has one.
    pub fn locate(&self, pointer: &str) -> Option<Location> {
        let mut p = pointer;
        loop {
            if let Some((line, column)) = self.at.get(p) {
                return Some(Location {
                    file: self.file.clone(),
                    line: *line,
                    column: *column,
                });
            }
            match p.rfind('/') {
                Some(cut) => p = p.get(..cut).unwrap_or(""),
                None => return None,
            }
        }
    }

    /// The file name errors carry.
    pub fn file(&self) -> &str {
        &self.file
    }
}

/// One open collection while events stream in.
enum Open {
    Seq(Vec<Value>, String),
    Map(Map, String, Option<String>),
}

/// Parses `text` (named `file` in errors) into a JSON value and the position of each node.
pub fn parse(text: &str, file: &str, limits: &Limits) -> Result<(Value, Spans), PolicyError> {
    let mut spans = Spans {
        file: file.to_owned(),
        at: BTreeMap::new(),
    };
    let loc = |m: &Marker| Location {
        file: file.to_owned(),
        line: m.line(),
        column: m.col() + 1,
    };
    let subset = |m: &Marker, message: String| {
        PolicyError::new(PolicyErrorKind::Subset, message).at(Some(loc(m)))
    };
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Value> = None;
    let mut documents = 0usize;
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| {
            PolicyError::new(
                PolicyErrorKind::Yaml,
                format!("malformed YAML: {}", e.info()),
            )
            .at(Some(loc(e.marker())))
        })?;
        let m = span.start;
        // The pointer of the node this event starts (a value position), if it is one.
        let node_pointer = |stack: &[Open]| -> Option<String> {
            match stack.last() {
                None => Some(String::new()),
                Some(Open::Seq(items, p)) => Some(format!("{p}/{}", items.len())),
                Some(Open::Map(_, p, Some(key))) => Some(format!("{p}/{}", escape(key))),
                Some(Open::Map(_, _, None)) => None,
            }
        };
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
            Event::DocumentStart(_, version) => {
                documents += 1;
                if documents > 1 {
                    return Err(subset(&m, "a policy file holds one YAML document".into()));
                }
                // spec: policy-v1.md §2.1 — `%YAML 1.1` reads `off` as false: refused.
                if let Some(v) = version.filter(|v| (v.major, v.minor) != (1, 2)) {
                    return Err(subset(
                        &m,
                        format!(
                            "a `%YAML {}.{}` directive: a policy file is read as YAML 1.2 only",
                            v.major, v.minor
                        ),
                    ));
                }
            }
            Event::Alias(_) | Event::UnresolvedAlias(_) => {
                return Err(subset(&m, "aliases (`*name`) are not allowed".into()));
            }
            Event::Anchor(..) => {
                return Err(subset(&m, "anchors (`&name`) are not allowed".into()));
            }
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 {
                    return Err(subset(&m, "anchors (`&name`) are not allowed".into()));
                }
                if tag.is_some() {
                    return Err(subset(&m, format!("tags are not allowed (on `{text}`)")));
                }
                match node_pointer(&stack) {
                    None => {
                        // A mapping key: a string, never a merge key.
                        let plain = style == ScalarStyle::Plain;
                        if plain && text == "<<" {
                            return Err(subset(&m, "merge keys (`<<`) are not allowed".into()));
                        }
                        if plain && !matches!(resolve_plain(&text, limits), Ok(Value::String(_))) {
                            return Err(subset(
                                &m,
                                format!("key `{text}` is not a string: quote it"),
                            ));
                        }
                        if let Some(Open::Map(map, p, slot)) = stack.last_mut() {
                            if map.get(&text).is_some() {
                                return Err(subset(&m, format!("duplicate key `{text}`")));
                            }
                            spans
                                .at
                                .insert(format!("{p}/{}", escape(&text)), (m.line(), m.col() + 1));
                            *slot = Some(text.into_owned());
                        }
                    }
                    Some(pointer) => {
                        let value = if style == ScalarStyle::Plain {
                            resolve_plain(&text, limits).map_err(|why| subset(&m, why))?
                        } else {
                            Value::String(text.into_owned())
                        };
                        if let Value::String(s) = &value {
                            if s.len() > limits.json_max_string_bytes {
                                return Err(subset(&m, "string longer than its limit".into()));
                            }
                        }
                        // A scalar error points at the value, not at its key.
                        spans.at.insert(pointer, (m.line(), m.col() + 1));
                        attach(&mut stack, &mut root, value);
                    }
                }
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                let is_map = matches!(event, Event::MappingStart(..));
                if anchor != 0 {
                    return Err(subset(&m, "anchors (`&name`) are not allowed".into()));
                }
                if tag.is_some() {
                    return Err(subset(&m, "tags are not allowed".into()));
                }
                let Some(pointer) = node_pointer(&stack) else {
                    return Err(subset(&m, "keys must be strings, not collections".into()));
                };
                if stack.len() + 1 > limits.json_max_depth {
                    return Err(subset(&m, "nesting deeper than its limit".into()));
                }
                spans
                    .at
                    .entry(pointer.clone())
                    .or_insert((m.line(), m.col() + 1));
                stack.push(if is_map {
                    Open::Map(Map::new(), pointer, None)
                } else {
                    Open::Seq(Vec::new(), pointer)
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let value = match stack.pop() {
                    Some(Open::Seq(items, _)) => Value::Array(items),
                    Some(Open::Map(map, _, _)) => Value::Object(map),
                    None => return Err(subset(&m, "unbalanced collection".into())),
                };
                attach(&mut stack, &mut root, value);
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
    let Some(root) = root else {
        return Err(
            PolicyError::new(PolicyErrorKind::Yaml, "the policy file is empty").at(Some(
                Location {
                    file: file.to_owned(),
                    line: 1,
                    column: 1,
                },
            )),
        );
    };
    Ok((root, spans))
}

/// Places a finished value in its parent (or as the document root).
fn attach(stack: &mut [Open], root: &mut Option<Value>, value: Value) {
    match stack.last_mut() {
        None => *root = Some(value),
        Some(Open::Seq(items, _)) => items.push(value),
        Some(Open::Map(map, _, slot)) => {
            if let Some(key) = slot.take() {
                map.insert(key, value);
            }
        }
    }
}

/// RFC 6901 escaping of one pointer segment.
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The value of a plain (unquoted) scalar under the subset: JSON's `null`, `true`, `false` and
/// numbers; any other plain scalar is a string (YAML 1.2: `off`, `yes` are strings) unless the
/// YAML 1.2 core schema would read it as something else (`~`, `True`, `0x1F`, `.inf`): then it
/// must be quoted.
fn resolve_plain(text: &str, limits: &Limits) -> Result<Value, String> {
    match text {
        "null" => return Ok(Value::Null),
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        _ => {}
    }
    const AMBIGUOUS: &[&str] = &["", "~", "Null", "NULL", "True", "TRUE", "False", "FALSE"];
    let lower = text.to_ascii_lowercase();
    if AMBIGUOUS.contains(&text) || [".inf", "-.inf", "+.inf", ".nan"].contains(&lower.as_str()) {
        return Err(format!(
            "plain scalar `{text}` means different things to different YAML readers: quote it or write null/true/false"
        ));
    }
    if is_json_number(text) {
        // spec: primitives.md §2.2.5–8 — a plain scalar that is a JSON number is read by the
        // canonical JSON parser itself, so a YAML policy and its JSON form follow one number rule:
        // token length (L43–L44), nearest double, strict integers, overflow.
        return match crate::jcs::parse(text.as_bytes(), limits) {
            Ok(value @ Value::Number(_)) => Ok(value),
            Ok(_) => Err(format!("number `{}` does not parse", shown(text))),
            Err(e) => Err(format!(
                "number `{}` is not accepted: {} ({})",
                shown(text),
                e.kind(),
                e.kind().code()
            )),
        };
    }
    let first = text.as_bytes().first().copied().unwrap_or(b' ');
    if (first.is_ascii_digit() || first == b'+' || first == b'-' || first == b'.')
        && looks_numeric(text)
    {
        return Err(format!(
            "plain scalar `{text}` looks like a number that is not JSON (hex, octal, `+`, `_`): quote it"
        ));
    }
    Ok(Value::String(text.to_owned()))
}

/// At most the first 40 characters of `text`, for messages (a number token may be long).
fn shown(text: &str) -> String {
    let mut cut: String = text.chars().take(40).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    cut
}

/// JSON's number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(text: &str) -> bool {
    let b = text.as_bytes();
    // The end of the run of digits starting at `i`.
    let digits = |i: usize| i + b.iter().skip(i).take_while(|c| c.is_ascii_digit()).count();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let int_end = if b.get(i) == Some(&b'0') {
        i + 1
    } else {
        digits(i)
    };
    if int_end == i {
        return false;
    }
    i = int_end;
    if b.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        if end == i + 1 {
            return false;
        }
        i = end;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits(i);
        if end == i {
            return false;
        }
        i = end;
    }
    i == b.len()
}

/// Whether a YAML 1.1 or 1.2 reader could resolve `text` as a number (digits with `_`, `:`,
/// hex, octal, binary, a leading `+` or `.`).
fn looks_numeric(text: &str) -> bool {
    let body = text.trim_start_matches(['+', '-']);
    let lower = body.to_ascii_lowercase();
    if lower.starts_with("0x") || lower.starts_with("0o") || lower.starts_with("0b") {
        return true;
    }
    !body.is_empty()
        && body.bytes().all(|c| {
            c.is_ascii_digit() || matches!(c, b'_' | b'.' | b':' | b'e' | b'E' | b'+' | b'-')
        })
        && body.bytes().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Value, PolicyError> {
        parse(text, "p.yaml", &Limits::default()).map(|(v, _)| v)
    }

    #[test]
    fn json_scalars_resolve() {
        for n in ["0", "-0", "12", "1.5", "-1e5", "2E+3", "0.25e-2"] {
            assert!(is_json_number(n), "{n}");
        }
        for n in ["", "-", "01", "1.", ".5", "1e", "1e+", "--1", "1x"] {
            assert!(!is_json_number(n), "{n}");
        }
        let v = load("a: 1\nb: -2.5\nc: true\nd: null\ne: hello\nf: '1'\n").unwrap();
        assert_eq!(
            crate::jcs::to_vec(&v),
            br#"{"a":1,"b":-2.5,"c":true,"d":null,"e":"hello","f":"1"}"#
        );
    }

    #[test]
    fn ambiguous_plain_scalars_are_rejected() {
        for bad in ["True", "~", "0x1F", "+1", "1_000", ".inf", "TRUE", "012:30"] {
            let e = load(&format!("a: {bad}\n")).unwrap_err();
            assert_eq!(e.kind(), PolicyErrorKind::Subset, "{bad}");
            assert_eq!(e.location().unwrap().line, 1);
            assert_eq!(e.location().unwrap().column, 4, "{bad}");
        }
    }

    #[test]
    fn integers_beyond_2_pow_53_are_rejected() {
        assert!(load("a: 9007199254740991\n").is_ok());
        let e = load("a: 9007199254740992\n").unwrap_err();
        assert_eq!(e.kind(), PolicyErrorKind::Subset);
        assert!(load("a: -9007199254740992\n").is_err());
    }

    #[test]
    fn numbers_follow_the_canonical_json_rule() {
        // The number bound of primitives.md §2.2.6 (L43, L44), as in a JSON policy.
        let longest = format!("1.{}1", "0".repeat(797));
        let v = load(&format!("max_rows: {longest}\n")).unwrap();
        assert_eq!(crate::jcs::to_vec(&v), br#"{"max_rows":1}"#);
        for bad in [
            format!("1.{}1", "0".repeat(798)),
            "1e00005".to_owned(),
            format!("1{}", "0".repeat(900)),
        ] {
            let e = load(&format!("max_rows: {bad}\n")).unwrap_err();
            assert_eq!(e.kind(), PolicyErrorKind::Subset);
            assert!(e.to_string().contains("jcs.number_too_long"), "{e}");
        }
        // Values that would print as unsafe integers are refused as in JSON.
        let e = load("a: 9e18\n").unwrap_err();
        assert!(e.to_string().contains("jcs.integer_out_of_range"), "{e}");
        assert!(load("a: 1e309\n")
            .unwrap_err()
            .to_string()
            .contains("jcs.number_overflow"));
    }

    #[test]
    fn anchors_aliases_tags_merge_keys_are_rejected_with_location() {
        let cases = [
            ("a: &x 1\nb: *x\n", 1),
            ("a: !!str 1\n", 1),
            ("a: !custom x\n", 1),
            ("base: {k: 1}\nx:\n  <<: {k: 2}\n", 3),
            ("a: 1\n? [k]\n: 2\n", 2),
            ("1: x\n", 1),
            ("a: 1\na: 2\n", 2),
            ("a: 1\n---\nb: 2\n", 2),
        ];
        for (text, line) in cases {
            let e = load(text).unwrap_err();
            assert_eq!(e.kind(), PolicyErrorKind::Subset, "{text}");
            assert_eq!(e.location().unwrap().line, line, "{text}: {e}");
        }
    }

    #[test]
    fn malformed_yaml_has_line_and_column() {
        let e = load("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert_eq!(e.kind(), PolicyErrorKind::Yaml);
        assert!(e.location().unwrap().line >= 2, "{e}");
        let e = load("").unwrap_err();
        assert_eq!(e.kind(), PolicyErrorKind::Yaml);
    }

    #[test]
    fn spans_locate_nodes_and_fall_back_to_ancestors() {
        let (_, spans) =
            parse("a:\n  b:\n    - x\n    - y\n", "f.yaml", &Limits::default()).unwrap();
        let l = spans.locate("/a/b/1").unwrap();
        assert_eq!((l.line, l.column), (4, 7));
        let l = spans.locate("/a/b/9/zz").unwrap();
        assert_eq!(l.line, 2);
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let e = load(&deep).unwrap_err();
        assert_eq!(e.kind(), PolicyErrorKind::Subset);
    }
}
