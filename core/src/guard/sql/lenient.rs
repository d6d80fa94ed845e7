//! A lenient lexer for texts sqlparser's tokenizer rejects (guard-sql.md §3.3.1): it cuts the
//! text into statements and gives each the tokens [`super::unreadable::judge`] reads, for judging
//! only, never for parsing.
//!
//! Every choice errs towards showing more words, so a destructive keyword is never hidden: a
//! string or quoted identifier ends at the first closing quote that is not doubled (a backslash
//! never escapes, so it ends no later than in any dialect); a quote never closed is not a string;
//! `/* … */` ends at the first `*/` (no nesting); an unclosed `/*` is not a comment; a dollar
//! quote needs a tag of letters, digits, `_` or non-ASCII characters not starting with a digit,
//! and its closing delimiter. Anything else is a word, a number or a one-character symbol.

use std::collections::HashMap;

use sqlparser::tokenizer::{Location, Span as TokenSpan, Token, TokenWithSpan, Whitespace};

use super::finding::Span;
use super::split::Chunk;

/// A character position while lexing: byte offset, and 1-based line and column (characters),
/// counted as sqlparser counts them.
#[derive(Clone, Copy)]
struct Pos {
    byte: usize,
    line: u64,
    column: u64,
}

impl Pos {
    fn location(self) -> Location {
        Location::new(self.line, self.column)
    }
}

struct Lexer<'a> {
    text: &'a str,
    pos: Pos,
    /// Byte offsets where each dollar-quote delimiter (`$tag$`, by its text) starts, ascending.
    delimiters: HashMap<&'a str, Vec<usize>>,
}

/// Cuts `text` into statements at semicolons outside strings, quoted identifiers, dollar quotes
/// and comments as [`Lexer`] reads them; empty statements are dropped. Linear in the text, but
/// for a binary search per dollar quote.
pub(crate) fn split(text: &str) -> Vec<Chunk> {
    let mut lexer = Lexer {
        text,
        pos: Pos {
            byte: 0,
            line: 1,
            column: 1,
        },
        delimiters: delimiters(text),
    };
    let mut chunks = Vec::new();
    let mut current: Vec<(TokenWithSpan, usize, usize)> = Vec::new();
    while let Some((token, start, end)) = lexer.next_token() {
        if token.token == Token::SemiColon {
            push_chunk(&mut chunks, std::mem::take(&mut current));
        } else {
            current.push((token, start, end));
        }
    }
    push_chunk(&mut chunks, current);
    chunks
}

fn push_chunk(chunks: &mut Vec<Chunk>, tokens: Vec<(TokenWithSpan, usize, usize)>) {
    let blank = |t: &TokenWithSpan| matches!(t.token, Token::Whitespace(_));
    let first = tokens.iter().find(|(t, ..)| !blank(t));
    let last = tokens.iter().rev().find(|(t, ..)| !blank(t));
    let (Some((first, start_byte, _)), Some((last, _, end_byte))) = (first, last) else {
        return;
    };
    let span = Span {
        start_byte: *start_byte,
        end_byte: *end_byte,
        start_line: first.span.start.line,
        start_column: first.span.start.column,
        end_line: last.span.end.line,
        end_column: last.span.end.column,
    };
    let mut tokens: Vec<TokenWithSpan> = tokens.into_iter().map(|(t, ..)| t).collect();
    tokens.push(TokenWithSpan::wrap(Token::EOF));
    chunks.push(Chunk { tokens, span });
}

/// Whether `c` may be in a dollar-quote tag.
fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || (!c.is_ascii() && !c.is_whitespace())
}

/// Every candidate `$tag$` delimiter of `text` by its text: one per `$` followed by a valid tag
/// and a `$`. Each character is looked at once per `$` before it, up to the next `$`: linear.
fn delimiters(text: &str) -> HashMap<&str, Vec<usize>> {
    let mut map: HashMap<&str, Vec<usize>> = HashMap::new();
    for (start, _) in text.match_indices('$') {
        let rest = text.get(start + 1..).unwrap_or_default();
        let Some(len) = rest.find('$') else { break };
        let tag = rest.get(..len).unwrap_or_default();
        let valid = tag.chars().all(tag_char) && !tag.starts_with(|c: char| c.is_ascii_digit());
        if valid {
            if let Some(delimiter) = text.get(start..start + len + 2) {
                map.entry(delimiter).or_default().push(start);
            }
        }
    }
    map
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        self.text.get(self.pos.byte..).unwrap_or_default()
    }

    /// Moves past `bytes` bytes (a whole number of characters), counting lines as sqlparser
    /// does: a line after each `\n`.
    fn advance(&mut self, bytes: usize) {
        let part = self
            .text
            .get(self.pos.byte..self.pos.byte + bytes)
            .unwrap_or_default();
        for c in part.chars() {
            if c == '\n' {
                self.pos.line += 1;
                self.pos.column = 1;
            } else {
                self.pos.column += 1;
            }
        }
        self.pos.byte += bytes;
    }

    /// The next token with its byte range, or `None` at the end.
    fn next_token(&mut self) -> Option<(TokenWithSpan, usize, usize)> {
        let rest = self.rest();
        let c = rest.chars().next()?;
        let start = self.pos;
        let (token, len) = self.token_at(rest, c);
        self.advance(len);
        let span = TokenSpan::new(start.location(), self.pos.location());
        Some((TokenWithSpan { token, span }, start.byte, self.pos.byte))
    }

    /// The token at the start of `rest` (whose first character is `c`) and its length in bytes.
    fn token_at(&self, rest: &'a str, c: char) -> (Token, usize) {
        let whitespace = Token::Whitespace(Whitespace::Space);
        if c.is_whitespace() {
            let len = rest
                .find(|c: char| !c.is_whitespace())
                .unwrap_or(rest.len());
            return (whitespace, len);
        }
        if rest.starts_with("--") {
            let len = rest.find(['\n', '\r']).unwrap_or(rest.len());
            return (whitespace, len);
        }
        if rest.starts_with("/*") {
            if let Some(end) = rest.get(2..).and_then(|r| r.find("*/")) {
                return (whitespace, end + 4);
            }
        }
        match c {
            '\'' | '"' | '`' => {
                if let Some(len) = quoted_len(rest, c) {
                    let token = if c == '\'' {
                        Token::SingleQuotedString(String::new())
                    } else {
                        let inner = rest.get(1..len - 1).unwrap_or_default();
                        Token::make_word(inner, Some(c))
                    };
                    return (token, len);
                }
            }
            '$' => {
                if let Some(len) = self.dollar_quoted_len(rest) {
                    let body = sqlparser::ast::DollarQuotedString {
                        value: String::new(),
                        tag: None,
                    };
                    return (Token::DollarQuotedString(body), len);
                }
            }
            '(' => return (Token::LParen, 1),
            ')' => return (Token::RParen, 1),
            ';' => return (Token::SemiColon, 1),
            '.' if !rest
                .get(1..)
                .is_some_and(|r| r.starts_with(|d: char| d.is_ascii_digit())) =>
            {
                return (Token::Period, 1)
            }
            _ => {}
        }
        if c.is_ascii_digit() || c == '.' {
            return (Token::Number(String::new(), false), number_len(rest));
        }
        if c.is_alphabetic() || c == '_' || (!c.is_ascii() && !c.is_whitespace()) {
            let len = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()))
                .unwrap_or(rest.len());
            let word = rest.get(..len).unwrap_or_default();
            let word = word
                .find(char::is_whitespace)
                .map_or(word, |n| word.get(..n).unwrap_or_default());
            return (Token::make_word(word, None), word.len());
        }
        (Token::Char(c), c.len_utf8())
    }

    /// The length of the dollar quote starting `rest` (`$tag$…$tag$`), or `None` when `rest` does
    /// not start with a valid delimiter or it is never closed.
    fn dollar_quoted_len(&self, rest: &str) -> Option<usize> {
        let len = rest.get(1..)?.find('$')? + 2;
        let delimiter = rest.get(..len)?;
        let starts = self.delimiters.get(delimiter)?;
        let body = self.pos.byte + len;
        let next = starts.partition_point(|&s| s < body);
        let close = *starts.get(next)?;
        Some(close + len - self.pos.byte)
    }
}

/// The length of the string or quoted identifier starting `rest` with quote `q`, up to its first
/// closing quote that is not doubled; `None` when it is never closed.
fn quoted_len(rest: &str, q: char) -> Option<usize> {
    let mut chars = rest.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if c == q {
            if chars.peek().is_some_and(|(_, n)| *n == q) {
                chars.next();
                continue;
            }
            return Some(i + 1);
        }
    }
    None
}

/// The length of a number: digits, `_`, `.`, letters (exponents, suffixes), and a sign right
/// after an exponent's `e`.
fn number_len(rest: &str) -> usize {
    let mut previous = ' ';
    for (i, c) in rest.char_indices() {
        let sign = (c == '+' || c == '-') && (previous == 'e' || previous == 'E');
        if !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || sign) {
            return i;
        }
        previous = c;
    }
    rest.len()
}

/// Whether `text` holds a raw literal `r'…'` / `r"…"` whose first closing quote follows a
/// backslash (guard-sql.md §3.3.2): Spark ends it there, sqlparser reads on. Literals and
/// comments before it are skipped as the lenient lexer skips them.
pub(super) fn raw_literal_ends_after_backslash(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = find_from(bytes, i, b"\n").unwrap_or(bytes.len());
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => match find_from(bytes, i + 2, b"*/") {
                Some(end) => i = end + 2,
                None => i += 1,
            },
            b'r' | b'R'
                if matches!(bytes.get(i + 1), Some(b'\'' | b'"'))
                    && !i
                        .checked_sub(1)
                        .and_then(|p| bytes.get(p))
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c >= 0x80) =>
            {
                let quote = bytes.get(i + 1).copied().unwrap_or(b'"');
                match find_from(bytes, i + 2, &[quote]) {
                    Some(end) if end > 0 && bytes.get(end - 1) == Some(&b'\\') => return true,
                    Some(end) => i = end + 1,
                    None => return false,
                }
            }
            b'\'' | b'"' | b'`' => match find_from(bytes, i + 1, &[b]) {
                Some(end) => i = end + 1,
                None => i += 1,
            },
            _ => i += 1,
        }
    }
    false
}

/// The first position at or after `from` where `needle` starts.
fn find_from(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

#[cfg(test)]
#[allow(clippy::string_slice, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn statements(sql: &str) -> Vec<&str> {
        split(sql)
            .iter()
            .map(|c| &sql[c.span.start_byte..c.span.end_byte])
            .collect()
    }

    fn words(sql: &str) -> Vec<String> {
        split(sql)
            .iter()
            .flat_map(|c| c.tokens.clone())
            .filter_map(|t| match t.token {
                Token::Word(w) if w.quote_style.is_none() => Some(w.value),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn cuts_outside_strings_comments_and_dollar_quotes() {
        let sql =
            "select ';' ; -- a; b\n select $🦆$ ; $🦆$, \"x;y\" from t;; /* ; */ select 1_000";
        assert_eq!(
            statements(sql),
            [
                "select ';'",
                "select $🦆$ ; $🦆$, \"x;y\" from t",
                "select 1_000"
            ]
        );
    }

    #[test]
    fn a_backslash_never_escapes() {
        // r'\' is a whole raw string; the DROP after it is a word of its own statement.
        assert_eq!(
            statements(r"select r'\'; drop table t"),
            [r"select r'\'", "drop table t"]
        );
        // Where a backslash does escape, more is seen, never less.
        assert!(words(r"select 'it\'s a drop'").contains(&"drop".to_owned()));
    }

    #[test]
    fn unclosed_quotes_and_comments_hide_nothing() {
        assert!(words("select 'x; drop table t").contains(&"drop".to_owned()));
        assert!(words("select 1 /* drop table t").contains(&"drop".to_owned()));
        assert!(words("select $a$ drop table t").contains(&"drop".to_owned()));
        // Not a dollar-quote tag: a placeholder, or symbols a database would run through.
        assert!(words("select $1; drop table t; select $1").contains(&"drop".to_owned()));
        assert!(words("select $;drop/**/table/**/t;$").contains(&"drop".to_owned()));
        // No nesting: the comment ends at the first `*/`.
        assert!(words("/* /* */ drop table t */").contains(&"drop".to_owned()));
    }

    #[test]
    fn numbers_with_underscores_are_one_token() {
        assert_eq!(
            words("select 1_000, 1e_5, 1._5, 1e-5 as x"),
            ["select", "as", "x"]
        );
    }

    #[test]
    fn spans_count_lines_and_characters() {
        let sql = "select 'é';\n  drop table t";
        let chunks = split(sql);
        assert_eq!(chunks[1].span.start_line, 2);
        assert_eq!(chunks[1].span.start_column, 3);
        assert_eq!(
            &sql[chunks[1].span.start_byte..chunks[1].span.end_byte],
            "drop table t"
        );
    }
}
