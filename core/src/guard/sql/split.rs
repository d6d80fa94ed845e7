//! Tokenizes a SQL text once and cuts it into statements at top-level semicolons, with spans.
//!
//! Cutting before parsing lets one bad statement become a `sql.parse_error` finding while the
//! statements after it are still checked (guard-sql.md §3). The tokenizer knows strings, quoted
//! identifiers, dollar quotes and comments, so a `;` inside them never cuts.

use sqlparser::dialect::Dialect;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use super::finding::Span;

/// One statement's tokens (whitespace and comments included) and where it sits.
pub(crate) struct Chunk {
    pub tokens: Vec<TokenWithSpan>,
    pub span: Span,
}

/// Why the text could not be cut.
pub(crate) struct TokenizeFailure {
    pub message: String,
}

/// Byte offsets of line starts, to turn (line, column in characters) into a byte offset.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        // The tokenizer counts a line after each `\n` (a `\r\n` pair is one break).
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { text, starts }
    }

    /// The byte offset of 1-based `line` and `column` (characters), clamped to the text.
    pub fn byte(&self, location: Location) -> usize {
        let line = usize::try_from(location.line.saturating_sub(1)).unwrap_or(usize::MAX);
        let Some(&start) = self.starts.get(line) else {
            return self.text.len();
        };
        let rest = self.text.get(start..).unwrap_or_default();
        let column = usize::try_from(location.column.saturating_sub(1)).unwrap_or(usize::MAX);
        rest.char_indices()
            .nth(column)
            .map_or(self.text.len(), |(i, _)| start + i)
    }
}

/// Cuts `sql` into statements; empty statements (`;;`, a trailing `;`, only comments) are
/// dropped. Each chunk ends with an EOF token, as the parser expects.
pub(crate) fn split(sql: &str, dialect: &dyn Dialect) -> Result<Vec<Chunk>, TokenizeFailure> {
    let tokens = Tokenizer::new(dialect, sql)
        .tokenize_with_location()
        .map_err(|e| TokenizeFailure { message: e.message })?;
    let index = LineIndex::new(sql);
    let mut chunks = Vec::new();
    let mut current: Vec<TokenWithSpan> = Vec::new();
    for token in tokens {
        if token.token == Token::SemiColon {
            push_chunk(&mut chunks, std::mem::take(&mut current), &index);
        } else {
            current.push(token);
        }
    }
    push_chunk(&mut chunks, current, &index);
    Ok(chunks)
}

fn is_blank(token: &Token) -> bool {
    matches!(token, Token::Whitespace(_) | Token::EOF)
}

fn push_chunk(chunks: &mut Vec<Chunk>, mut tokens: Vec<TokenWithSpan>, index: &LineIndex<'_>) {
    let first = tokens.iter().find(|t| !is_blank(&t.token));
    let last = tokens.iter().rev().find(|t| !is_blank(&t.token));
    let (Some(first), Some(last)) = (first, last) else {
        return;
    };
    let (start, end) = (first.span.start, last.span.end);
    let span = Span {
        start_byte: index.byte(start),
        end_byte: index.byte(end),
        start_line: start.line,
        start_column: start.column,
        end_line: end.line,
        end_column: end.column,
    };
    tokens.push(TokenWithSpan::wrap(Token::EOF));
    chunks.push(Chunk { tokens, span });
}

/// The longest run of operators at one parenthesis level between commas: a bound on the depth
/// of the left-deep trees the parser builds without recursing (`a OR b OR …`, `x::t::t…`,
/// `x IS NULL IS NULL …`). Dropping or walking such a tree recurses, so it is bounded before
/// parsing. Operators are symbol tokens and the keywords that join or follow an operand.
pub(crate) fn operator_chain(tokens: &[TokenWithSpan]) -> usize {
    use sqlparser::keywords::Keyword;
    const OPERATOR_WORDS: [Keyword; 17] = [
        Keyword::AND,
        Keyword::OR,
        Keyword::XOR,
        Keyword::IS,
        Keyword::IN,
        Keyword::LIKE,
        Keyword::ILIKE,
        Keyword::SIMILAR,
        Keyword::BETWEEN,
        Keyword::COLLATE,
        Keyword::AT,
        Keyword::REGEXP,
        Keyword::RLIKE,
        Keyword::OVERLAPS,
        Keyword::DIV,
        Keyword::MOD,
        Keyword::ESCAPE,
    ];
    let mut runs: Vec<usize> = vec![0];
    let mut longest = 0;
    for t in tokens {
        let counts = match &t.token {
            Token::LParen | Token::LBracket | Token::LBrace => {
                runs.push(0);
                false
            }
            Token::RParen | Token::RBracket | Token::RBrace if runs.len() > 1 => {
                runs.pop();
                false
            }
            Token::Comma => {
                if let Some(run) = runs.last_mut() {
                    *run = 0;
                }
                false
            }
            Token::Word(w) => OPERATOR_WORDS.contains(&w.keyword),
            Token::Whitespace(_)
            | Token::EOF
            | Token::Number(..)
            | Token::Char(_)
            | Token::Placeholder(_)
            | Token::Period
            | Token::SemiColon
            | Token::RParen
            | Token::RBracket
            | Token::RBrace => false,
            Token::SingleQuotedString(_)
            | Token::DoubleQuotedString(_)
            | Token::DollarQuotedString(_)
            | Token::NationalStringLiteral(_)
            | Token::EscapedStringLiteral(_)
            | Token::HexStringLiteral(_) => false,
            _ => true,
        };
        if counts {
            if let Some(run) = runs.last_mut() {
                *run += 1;
                longest = longest.max(*run);
            }
        }
    }
    longest
}

#[cfg(test)]
#[allow(clippy::string_slice)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;

    fn spans(sql: &str) -> Vec<(usize, usize)> {
        split(sql, &PostgreSqlDialect {})
            .ok()
            .unwrap()
            .iter()
            .map(|c| (c.span.start_byte, c.span.end_byte))
            .collect()
    }

    #[test]
    fn cuts_at_top_level_semicolons_only() {
        let sql = "select ';' ; -- a; comment\n  select \"x;y\" from t;;\n/* ; */ ;";
        let got = spans(sql);
        assert_eq!(got.len(), 2);
        assert_eq!(&sql[got[0].0..got[0].1], "select ';'");
        assert_eq!(&sql[got[1].0..got[1].1], "select \"x;y\" from t");
    }

    #[test]
    fn byte_offsets_count_multibyte_characters() {
        let sql = "select 'é';\nselect 'ü' from t";
        let got = spans(sql);
        assert_eq!(&sql[got[0].0..got[0].1], "select 'é'");
        assert_eq!(&sql[got[1].0..got[1].1], "select 'ü' from t");
    }

    #[test]
    fn empty_input_has_no_statement() {
        assert!(spans("").is_empty());
        assert!(spans(" ;; -- nothing\n").is_empty());
    }
}
