//! The SQL guard: parses statements in a warehouse dialect and reports what they can do that a
//! guard should stop or flag, with stable rule ids (spec: guard-sql.md).
//!
//! Pure and bounded: the text, its size, its statement count and the parser's nesting are
//! limited by [`Limits`]; a statement that does not parse, or exceeds a limit, is a finding,
//! never a silent pass. dbt's own materialisation statements are recognised under a
//! [`DbtContext`]; a [`SqlPolicy`] allows findings by rule and object and overrides severities.
//!
//! ```
//! use clyra_core::guard::sql::{check, CheckOptions, SqlDialect};
//! let report = check(b"delete from orders", &CheckOptions::new(SqlDialect::Postgres));
//! assert_eq!(report.findings[0].rule.id(), "sql.delete_without_where");
//! ```

mod compat;
mod constant;
mod dbt;
mod dialect;
mod error;
mod finding;
mod lenient;
mod policy;
mod rules;
mod split;
mod unreadable;

pub use dbt::DbtContext;
pub use dialect::SqlDialect;
pub use error::SqlError;
pub use finding::{Finding, Rule, Severity, Span, SqlReport};
pub use policy::{AllowEntry, SqlPolicy, Unreadable};

use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::limits::Limits;
use dbt::DbtBatch;
use rules::Hit;
use split::Chunk;
use unreadable::Class;

/// What a check needs besides the text.
#[derive(Debug, Clone)]
pub struct CheckOptions<'a> {
    /// The dialect to parse.
    pub dialect: SqlDialect,
    /// Set when dbt issues the statements: its own materialisation steps are not flagged.
    pub dbt: Option<&'a DbtContext>,
    /// Allowlists and severity overrides; validate it first ([`SqlPolicy::validate`]).
    pub policy: Option<&'a SqlPolicy>,
    /// Bounds on the text, statements and nesting.
    pub limits: Limits,
}

impl CheckOptions<'_> {
    /// Options for `dialect`, without dbt context or policy, with default limits.
    pub fn new(dialect: SqlDialect) -> Self {
        Self {
            dialect,
            dbt: None,
            policy: None,
            limits: Limits::default(),
        }
    }
}

/// Checks every statement of `sql` (UTF-8 text, statements separated by `;`).
pub fn check(sql: &[u8], options: &CheckOptions<'_>) -> SqlReport {
    let mut run = Run {
        options,
        report: SqlReport {
            dialect: options.dialect,
            statements: 0,
            dbt_recognised: 0,
            allowed: 0,
            findings: Vec::new(),
        },
    };
    let limits = &options.limits;
    if sql.len() > limits.sql_max_bytes {
        run.unjudged(
            Rule::TooLarge,
            0,
            None,
            format!(
                "sql text of {} bytes is larger than its limit of {} bytes",
                sql.len(),
                limits.sql_max_bytes
            ),
        );
        return run.report;
    }
    let text = match std::str::from_utf8(sql) {
        Ok(text) => text,
        Err(e) => {
            run.unjudged(
                Rule::ParseError,
                0,
                None,
                format!("sql text is not utf-8 at byte {}", e.valid_up_to()),
            );
            return run.report;
        }
    };
    // dbt's abridged log of a seed load is not a whole statement (guard-sql.md §4.3).
    if options
        .dbt
        .is_some_and(|ctx| ctx.recognises_abridged(text, options.dialect.parser()))
    {
        run.report.statements = 1;
        run.report.dbt_recognised = 1;
        return run.report;
    }
    // guard-sql.md §3.3.2: where sqlparser would read past the end of a Databricks raw literal.
    if options.dialect == SqlDialect::Databricks && lenient::raw_literal_ends_after_backslash(text)
    {
        run.lenient(text);
        return run.report;
    }
    let chunks = match split::split(text, options.dialect.parser()) {
        Ok(chunks) => chunks,
        Err(_) => {
            // guard-sql.md §3.3.1: cut and read leniently, then judge statement by statement.
            run.lenient(text);
            return run.report;
        }
    };
    let mut batch = DbtBatch::default();
    let total = chunks.len();
    for (index, chunk) in chunks.into_iter().enumerate() {
        if index == limits.sql_max_statements {
            run.unjudged(
                Rule::TooManyStatements,
                index,
                Some(chunk.span),
                format!(
                    "{total} statements are more than the limit of {}; the rest are not checked",
                    limits.sql_max_statements
                ),
            );
            break;
        }
        run.report.statements += 1;
        run.statement(text, index, chunk, &mut batch);
    }
    run.report
}

/// A `sql.rows_affected_limit` finding when `rows` exceeds the policy's `max_rows_affected`.
pub fn rows_affected(statement: usize, rows: u64, policy: &SqlPolicy) -> Option<Finding> {
    let limit = policy.max_rows_affected?;
    (rows > limit).then(|| Finding {
        rule: Rule::RowsAffectedLimit,
        severity: policy.severity_of(Rule::RowsAffectedLimit),
        message: format!("statement affected {rows} rows, more than the limit of {limit}"),
        statement,
        object: None,
        span: None,
    })
}

struct Run<'o, 'a> {
    options: &'o CheckOptions<'a>,
    report: SqlReport,
}

impl Run<'_, '_> {
    /// A finding that says the statement was not judged: always an error, never allowed.
    fn unjudged(&mut self, rule: Rule, statement: usize, span: Option<Span>, message: String) {
        self.report.findings.push(Finding {
            rule,
            severity: Severity::Error,
            message,
            statement,
            object: None,
            span,
        });
    }

    /// A text sqlparser's tokenizer rejects (guard-sql.md §3.3.1): cut by the lenient lexer;
    /// each statement sqlparser tokenizes alone is checked as usual (spans moved into the whole
    /// text), any other is judged by its lenient tokens.
    fn lenient(&mut self, text: &str) {
        let limits = &self.options.limits;
        let chunks = lenient::split(text);
        let total = chunks.len();
        let mut batch = DbtBatch::default();
        let mut index = 0;
        for chunk in chunks {
            let source = text
                .get(chunk.span.start_byte..chunk.span.end_byte)
                .unwrap_or_default();
            let base = chunk.span;
            let read = split::split(source, self.options.dialect.parser());
            let parts = match read {
                Ok(parts) => parts.into_iter().map(|p| (p, None)).collect(),
                Err(failure) => vec![(chunk, Some(failure.message.to_lowercase()))],
            };
            for (part, unreadable) in parts {
                if index == limits.sql_max_statements {
                    let message = format!(
                        "{total} statements or more are more than the limit of {}; the rest are not checked",
                        limits.sql_max_statements
                    );
                    return self.unjudged(Rule::TooManyStatements, index, Some(part.span), message);
                }
                self.report.statements += 1;
                match unreadable {
                    None => {
                        let before = self.report.findings.len();
                        self.statement(source, index, part, &mut batch);
                        for finding in self.report.findings.iter_mut().skip(before) {
                            if let Some(span) = &mut finding.span {
                                *span = span.moved(&base);
                            }
                        }
                    }
                    Some(message) => self.unreadable_text(index, part, &message),
                }
                index += 1;
            }
        }
    }

    /// A statement even sqlparser's tokenizer rejects, judged by its lenient tokens.
    fn unreadable_text(&mut self, index: usize, chunk: Chunk, message: &str) {
        let span = chunk.span;
        let size = span.end_byte.saturating_sub(span.start_byte);
        let limit = self.options.limits.sql_max_statement_bytes;
        if size > limit {
            let message =
                format!("statement of {size} bytes is larger than its limit of {limit} bytes");
            return self.unjudged(Rule::StatementTooLarge, index, Some(span), message);
        }
        let error = format!("it does not tokenize: {message}");
        self.unreadable(index, span, &chunk.tokens, &error);
    }

    fn statement(&mut self, text: &str, index: usize, chunk: Chunk, batch: &mut DbtBatch) {
        let span = chunk.span;
        let limits = &self.options.limits;
        let size = span.end_byte.saturating_sub(span.start_byte);
        if size > limits.sql_max_statement_bytes {
            let message = format!(
                "statement of {size} bytes is larger than its limit of {} bytes",
                limits.sql_max_statement_bytes
            );
            return self.unjudged(Rule::StatementTooLarge, index, Some(span), message);
        }
        let depth = split::operator_chain(&chunk.tokens);
        if depth > limits.sql_max_operator_chain {
            let message = format!(
                "statement chains {depth} operators, more than the limit of {}",
                limits.sql_max_operator_chain
            );
            return self.unjudged(Rule::TooDeep, index, Some(span), message);
        }
        let mut tokens = chunk.tokens;
        compat::rewrite(&mut tokens);
        // Kept for recognising dbt's seed load when the parser rejects it.
        let tokens_copy = if self.options.dbt.is_some() {
            tokens.clone()
        } else {
            Vec::new()
        };
        let mut parser = Parser::new(self.options.dialect.parser())
            .with_recursion_limit(limits.sql_max_depth)
            .with_tokens_with_locations(tokens);
        let parsed = parser.parse_statement().and_then(|statement| {
            let next = parser.peek_token();
            if next.token == Token::EOF {
                Ok(statement)
            } else {
                Err(ParserError::ParserError(format!(
                    "expected end of statement, found: {}{}",
                    next.token, next.span.start
                )))
            }
        });
        let statement = match parsed {
            Ok(statement) => statement,
            Err(ParserError::RecursionLimitExceeded) => {
                let message = format!(
                    "statement nests deeper than the limit of {}",
                    limits.sql_max_depth
                );
                return self.unjudged(Rule::TooDeep, index, Some(span), message);
            }
            Err(ParserError::ParserError(m) | ParserError::TokenizerError(m)) => {
                if let Some(ctx) = self.options.dbt {
                    if ctx.recognises_unparsed(&tokens_copy) {
                        self.report.dbt_recognised += 1;
                        return;
                    }
                }
                // Judged by its tokens (read again from the text: the parser took them).
                let source = text.get(span.start_byte..span.end_byte).unwrap_or_default();
                let tokens = Tokenizer::new(self.options.dialect.parser(), source)
                    .tokenize_with_location()
                    .unwrap_or_default();
                return self.unreadable(index, span, &tokens, &m);
            }
        };
        let hits = rules::hits(&statement);
        let recognised = self
            .options
            .dbt
            .is_some_and(|ctx| ctx.recognises(&statement, batch));
        if recognised {
            if !hits.is_empty() {
                self.report.dbt_recognised += 1;
            }
            return;
        }
        for hit in hits {
            self.hit(index, span, hit);
        }
    }

    /// A statement the parser rejects, judged by its tokens (guard-sql.md §3.3).
    fn unreadable(&mut self, index: usize, span: Span, tokens: &[TokenWithSpan], error: &str) {
        let error = error.to_lowercase();
        let Some(judgement) = unreadable::judge(tokens) else {
            let message = format!("statement does not parse: {error}");
            return self.unjudged(Rule::ParseError, index, Some(span), message);
        };
        let class = judgement.class;
        let knob = self
            .options
            .policy
            .map(|p| p.unreadable)
            .unwrap_or_default();
        let (rule, severity) = match (class, knob) {
            (Class::Destructive, _) => (Rule::UnreadableDestructive, Severity::Error),
            (_, Unreadable::All) | (Class::Write, Unreadable::Writes) => {
                (Rule::UnreadableJudged, Severity::Error)
            }
            _ => (Rule::UnreadableJudged, Severity::Info),
        };
        let on = judgement
            .object
            .as_deref()
            .map(|o| format!(" on `{o}`"))
            .unwrap_or_default();
        let message = format!(
            "statement does not parse ({error}); judged by its tokens, not parsed: {} `{}`{on}",
            class.as_str(),
            judgement.kind
        );
        self.report.findings.push(Finding {
            rule,
            severity,
            message,
            statement: index,
            object: judgement.object,
            span: Some(span),
        });
    }

    fn hit(&mut self, statement: usize, span: Span, hit: Hit) {
        let policy = self.options.policy;
        let overridden = policy.and_then(|p| p.severity.get(hit.rule.id()).copied());
        let severity = overridden
            .or(hit.severity)
            .unwrap_or_else(|| hit.rule.default_severity());
        let finding = Finding {
            rule: hit.rule,
            severity,
            message: hit.message,
            statement,
            object: hit.object,
            span: Some(span),
        };
        if policy.is_some_and(|p| p.allows(&finding)) {
            self.report.allowed += 1;
        } else {
            self.report.findings.push(finding);
        }
    }
}
