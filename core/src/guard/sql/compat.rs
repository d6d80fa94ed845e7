//! Token rewrites for statements warehouses (and dbt) issue that sqlparser 0.63 does not parse,
//! into forms it parses with the same meaning for every rule (guard-sql.md §3.2):
//!
//! - `ALTER VIEW v RENAME TO w` (DuckDB, Postgres, Snowflake) → `ALTER TABLE v RENAME TO w`;
//! - DuckDB's `MERGE … UPDATE BY NAME` → `UPDATE SET *`, and `INSERT BY NAME` → `INSERT *`;
//! - DuckDB's `(DESCRIBE rel)` as a table (dbt's `get_columns_in_relation`) →
//!   `(SELECT * FROM rel)`: both only read.
//!
//! Only keyword tokens are replaced; spans stay those of the original text.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Word};

fn is_keyword(token: &Token, keyword: Keyword) -> bool {
    matches!(token, Token::Word(w) if w.keyword == keyword && w.quote_style.is_none())
}

fn keyword_token(keyword: Keyword, text: &str) -> Token {
    Token::Word(Word {
        value: text.to_owned(),
        quote_style: None,
        keyword,
    })
}

/// Rewrites `tokens` in place where a known gap applies.
pub(crate) fn rewrite(tokens: &mut Vec<TokenWithSpan>) {
    describe_subqueries(tokens);
    keywords(tokens);
}

/// `( DESCRIBE name )` → `( SELECT * FROM name )`.
fn describe_subqueries(tokens: &mut Vec<TokenWithSpan>) {
    let mut i = 0;
    while i < tokens.len() {
        let opens = tokens.get(i).is_some_and(|t| t.token == Token::LParen);
        let next = (i + 1..tokens.len()).find(|&j| {
            tokens
                .get(j)
                .is_some_and(|t| !matches!(t.token, Token::Whitespace(_)))
        });
        if let (true, Some(j)) = (opens, next) {
            if tokens
                .get(j)
                .is_some_and(|t| is_keyword(&t.token, Keyword::DESCRIBE))
                && names_then_close(tokens, j + 1)
            {
                let span = tokens
                    .get(j)
                    .map_or_else(sqlparser::tokenizer::Span::empty, |t| t.span);
                if let Some(t) = tokens.get_mut(j) {
                    t.token = keyword_token(Keyword::SELECT, "SELECT");
                }
                let from = keyword_token(Keyword::FROM, "FROM");
                let space = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
                let added = [space.clone(), Token::Mul, space, from];
                for (k, token) in added.into_iter().enumerate() {
                    tokens.insert(j + 1 + k, TokenWithSpan { token, span });
                }
            }
        }
        i += 1;
    }
}

/// Whether the tokens from `start` are a dotted name and then `)`.
fn names_then_close(tokens: &[TokenWithSpan], start: usize) -> bool {
    for t in tokens.iter().skip(start) {
        match &t.token {
            Token::Whitespace(_) | Token::Period | Token::Word(_) => {}
            Token::RParen => return true,
            _ => return false,
        }
    }
    false
}

fn keywords(tokens: &mut [TokenWithSpan]) {
    // Indices of significant tokens (no whitespace or comments).
    let significant: Vec<usize> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
        .map(|(i, _)| i)
        .collect();
    let token = |n: usize| {
        significant
            .get(n)
            .and_then(|&i| tokens.get(i))
            .map(|t| &t.token)
    };
    let starts = |k: Keyword| token(0).is_some_and(|t| is_keyword(t, k));
    let mut replace: Vec<(usize, Token)> = Vec::new();
    if starts(Keyword::ALTER) && token(1).is_some_and(|t| is_keyword(t, Keyword::VIEW)) {
        let renames = significant.windows(2).any(|w| {
            let (Some(a), Some(b)) = (
                w.first().and_then(|&i| tokens.get(i)),
                w.get(1).and_then(|&i| tokens.get(i)),
            ) else {
                return false;
            };
            is_keyword(&a.token, Keyword::RENAME) && is_keyword(&b.token, Keyword::TO)
        });
        if renames {
            if let Some(&i) = significant.get(1) {
                replace.push((i, keyword_token(Keyword::TABLE, "TABLE")));
            }
        }
    }
    if starts(Keyword::MERGE) {
        for n in 0..significant.len() {
            let (Some(verb), Some(by), Some(name)) = (token(n), token(n + 1), token(n + 2)) else {
                continue;
            };
            if !is_keyword(by, Keyword::BY) || !is_keyword(name, Keyword::NAME) {
                continue;
            }
            let (Some(&by_i), Some(&name_i)) = (significant.get(n + 1), significant.get(n + 2))
            else {
                continue;
            };
            if is_keyword(verb, Keyword::UPDATE) {
                replace.push((by_i, keyword_token(Keyword::SET, "SET")));
                replace.push((name_i, Token::Mul));
            } else if is_keyword(verb, Keyword::INSERT) {
                replace.push((
                    by_i,
                    Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
                ));
                replace.push((name_i, Token::Mul));
            }
        }
    }
    for (i, new) in replace {
        if let Some(t) = tokens.get_mut(i) {
            t.token = new;
        }
    }
}
