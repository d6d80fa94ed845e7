//! Showing strings from evidence to people: one escaping rule every host shares (verdicts.md §3.3).
//!
//! A manifest, journal, receipt, trust or policy file is attacker-controlled text. Printed raw, an
//! escape sequence (`ESC [ 2K`), a carriage return or a bidirectional override can erase or
//! rewrite what a terminal shows, including a forged `VALID` line. Every human output routes each
//! string it did not write itself through [`escape`]; JSON output never does (JSON has its own
//! escaping and must carry the exact strings).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal raw (verdicts.md §3.3): C0 controls (LF and TAB
/// included, so a field never breaks the line structure), DEL, C1 controls, the Unicode
/// bidirectional marks, embeddings, overrides and isolates, and the line and paragraph
/// separators.
pub fn is_unsafe(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// `s` as it may be shown to a person: each unsafe character ([`is_unsafe`]) written as a visible
/// escape, and `\` doubled so that the escapes are unambiguous.
///
/// TAB, LF and CR become `\t`, `\n`, `\r`; other characters below U+0080 become `\xHH`; the rest
/// become `\u{H…}` (lowercase hex, no leading zeros). Borrows `s` when nothing needs escaping.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c == '\\' || is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c, true);
    }
    Cow::Owned(out)
}

/// A whole human report made safe as a last line of defence: each unsafe character except LF is
/// escaped as [`escape`] does, and `\` is left alone (the report's own fields were escaped
/// already; doubling again would garble them).
///
/// Hosts escape each field with [`escape`]; this pass only guarantees that a field a host forgot
/// can never carry a control sequence to the terminal.
pub fn sanitize_report(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\n' {
            out.push(c);
        } else {
            push_escaped(&mut out, c, false);
        }
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char, double_backslash: bool) {
    match c {
        '\\' if double_backslash => out.push_str("\\\\"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if is_unsafe(c) && u32::from(c) < 0x80 => {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c if is_unsafe(c) => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::string_slice)]
mod tests {
    use super::*;

    /// The examples of verdicts.md §3.3: (string, shown as). The Go verifier reads the
    /// same table.
    fn spec_cases() -> Vec<(String, String)> {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/verdicts.md"))
                .unwrap();
        let section = &text[text.find("§3.3 **Human output").unwrap()..];
        let section = &section[..section.find("\n## ").unwrap()];
        let cases: Vec<(String, String)> = section
            .lines()
            .filter_map(|line| {
                let rest = line.strip_prefix("- `\"")?;
                let (literal, shown) = rest.split_once("` is shown as `")?;
                let shown = shown.strip_suffix('`')?;
                let value =
                    crate::jcs::parse(format!("\"{literal}").as_bytes(), &crate::Limits::default())
                        .unwrap();
                Some((value.as_str().unwrap().to_owned(), shown.to_owned()))
            })
            .collect();
        assert!(cases.len() >= 5, "{cases:?}");
        cases
    }

    #[test]
    fn escapes_the_spec_examples() {
        for (input, shown) in spec_cases() {
            assert_eq!(escape(&input), shown, "{input:?}");
        }
        for (input, shown) in [
            (
                "\u{2066}\u{2069}\u{200e}\u{200f}\u{61c}",
                "\\u{2066}\\u{2069}\\u{200e}\\u{200f}\\u{61c}",
            ),
            ("\u{2028}\u{2029}", "\\u{2028}\\u{2029}"),
            ("\u{a0}\u{200b}", "\u{a0}\u{200b}"),
            ("model.shop.orders", "model.shop.orders"),
        ] {
            assert_eq!(escape(input), shown, "{input:?}");
        }
    }

    #[test]
    fn borrows_when_nothing_is_unsafe() {
        assert!(matches!(escape("plain text"), Cow::Borrowed(_)));
        assert!(matches!(sanitize_report("a\nb\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn escaped_text_holds_no_unsafe_character() {
        for cp in (0u32..0x3000).chain([0xfeff, 0x10ffff]) {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let shown = escape(&c.to_string()).into_owned();
            assert!(!shown.chars().any(is_unsafe), "U+{cp:04X}");
            assert_eq!(shown.chars().count() > 1, is_unsafe(c) || c == '\\');
        }
    }

    #[test]
    fn sanitize_keeps_lines_and_backslashes() {
        assert_eq!(
            sanitize_report("ok \\x1b\n\u{1b}[2K\rVALID\t\n"),
            "ok \\x1b\n\\x1b[2K\\rVALID\\t\n"
        );
    }
}
