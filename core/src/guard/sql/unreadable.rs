//! Judges a statement the parser cannot read from its tokens (guard-sql.md §3.3): the leading
//! keywords give its kind, a scan of every keyword finds destructive verbs anywhere in it, and
//! the name after the kind's keywords is the object concerned.
//!
//! The judgement is deliberately coarse and errs towards "destructive": a statement whose
//! tokens show a destructive verb in statement position (`DELETE`, `DROP`, `TRUNCATE`, `UPDATE`,
//! a `MERGE … DELETE`, `GRANT`, `REVOKE`, `INSERT OVERWRITE`, an `ALTER … DROP`, Snowflake's
//! `REMOVE` of staged files) is destructive, whatever it starts with. A leading keyword the
//! tables below do not know gives no judgement (`sql.parse_error`).

use sqlparser::tokenizer::{Token, TokenWithSpan};

/// What a statement's tokens show it does, from least to most harmful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Class {
    /// Reads data or metadata only (`SELECT`, `SHOW`, `DESCRIBE`, `EXPLAIN`, an unload).
    ReadOnly,
    /// Changes the session, the transaction or the control flow of a script, or defines code
    /// without running it (`USE`, `SET`, `ALTER SESSION`, `BEGIN`, `CALL`, `CREATE FUNCTION`).
    Session,
    /// Adds or changes objects or rows without removing any (`INSERT`, `CREATE`, `COPY INTO` a
    /// table, `ALTER … ADD`/`SET`/`RENAME`, `COMMENT`).
    Write,
    /// Removes rows, objects or privileges, or may change every row.
    Destructive,
}

impl Class {
    /// The words used in findings (`read-only`, `session`, `write`, `destructive`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::ReadOnly => "read-only",
            Self::Session => "session",
            Self::Write => "write",
            Self::Destructive => "destructive",
        }
    }
}

/// A judgement of an unparsed statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Judgement {
    /// What the statement does.
    pub class: Class,
    /// Its kind in lowercase keywords (`show`, `drop table`, `alter table … drop`).
    pub kind: String,
    /// The object named after the kind's keywords, when there is one.
    pub object: Option<String>,
}

/// An unquoted word's uppercase text, or `None` for any other token.
fn word(token: &Token) -> Option<String> {
    match token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
        _ => None,
    }
}

/// Leading keywords of read-only statements.
const READ_ONLY: &[&str] = &[
    "SELECT",
    "VALUES",
    "TABLE",
    "FROM",
    "SHOW",
    "DESCRIBE",
    "DESC",
    "EXPLAIN",
    "LIST",
    "LS",
    "GET",
    "SUMMARIZE",
    "PIVOT",
    "UNPIVOT",
    "PIVOT_WIDER",
    "PIVOT_LONGER",
];

/// Leading keywords of session, transaction and scripting statements.
const SESSION: &[&str] = &[
    "USE",
    "SET",
    "RESET",
    "UNSET",
    "BEGIN",
    "START",
    "COMMIT",
    "ROLLBACK",
    "ABORT",
    "SAVEPOINT",
    "RELEASE",
    "DECLARE",
    "LET",
    "RETURN",
    "END",
    "CALL",
    "PREPARE",
    "DEALLOCATE",
    "DISCARD",
    "LISTEN",
    "NOTIFY",
    "UNLISTEN",
    "LOAD",
    "INSTALL",
    "PRAGMA",
    "CHECKPOINT",
    "CACHE",
    "UNCACHE",
    "CLEAR",
    "ASSERT",
    "RAISE",
    "EXCEPTION",
    "ELSE",
    "ELSEIF",
    "LOOP",
    "BREAK",
    "CONTINUE",
    "LEAVE",
    "ITERATE",
    "CLOSE",
    "OPEN",
    "FETCH",
    "MOVE",
    "LOCK",
    "ANALYZE",
    "ANALYSE",
    "IF",
    "WHILE",
    "REPEAT",
    "FOR",
    "FORCE",
    "DISCONNECT",
];

/// Leading keywords of statements that write without removing anything.
const WRITE: &[&str] = &[
    "INSERT", "CREATE", "COPY", "PUT", "COMMENT", "UNDROP", "REFRESH", "MSCK", "OPTIMIZE",
    "VACUUM", "REINDEX", "CLUSTER", "EXPORT", "IMPORT", "ATTACH", "DETACH", "RESTORE", "UPSERT",
    "REPLACE", "EXECUTE", "EXEC",
];

/// Object kinds that `CREATE`/`ALTER`/`DROP` may name before the object, skipped when looking
/// for the name. Modifiers (`OR REPLACE`, `TEMPORARY`, `IF EXISTS`) are skipped too.
const SKIPPED_BEFORE_NAME: &[&str] = &[
    "OR",
    "REPLACE",
    "IF",
    "NOT",
    "EXISTS",
    "TEMP",
    "TEMPORARY",
    "TRANSIENT",
    "VOLATILE",
    "LOCAL",
    "GLOBAL",
    "SECURE",
    "RECURSIVE",
    "EXTERNAL",
    "DYNAMIC",
    "ICEBERG",
    "HYBRID",
    "EVENT",
    "MATERIALIZED",
    "STREAMING",
    "LIVE",
    "UNLOGGED",
    "ONLY",
    "TABLE",
    "VIEW",
    "SCHEMA",
    "DATABASE",
    "CATALOG",
    "FROM",
    "INTO",
    "OVERWRITE",
];

/// Session-like `ALTER` targets: `ALTER SESSION SET …`, `ALTER USER … SET …` change settings.
const ALTER_SESSION: &[&str] = &["SESSION", "ACCOUNT", "USER", "WAREHOUSE", "ROLE"];

/// `CREATE` of code or settings: defining does not run it (guard-sql.md §3.3).
const CREATE_CODE: &[&str] = &["FUNCTION", "PROCEDURE", "MACRO", "AGGREGATE"];

/// Judges `tokens` (one statement; whitespace and comments included), or `None` when the
/// leading keyword is unknown.
pub(crate) fn judge(tokens: &[TokenWithSpan]) -> Option<Judgement> {
    let significant: Vec<&Token> = tokens
        .iter()
        .map(|t| &t.token)
        .filter(|t| !matches!(t, Token::Whitespace(_) | Token::EOF))
        .collect();
    let words: Vec<Option<String>> = significant.iter().map(|t| word(t)).collect();
    let at = |n: usize| words.get(n).and_then(Option::as_deref);
    let first = leading(&significant, &words)?;
    let lead = at(first)?;
    let mut judgement = match lead {
        "WITH" => with_statement(&significant, &words, first),
        "DELETE" | "TRUNCATE" | "UPDATE" | "DROP" | "GRANT" | "REVOKE" | "REMOVE" | "RM" => {
            let kind = match lead {
                "DROP" | "TRUNCATE" => format!(
                    "{} {}",
                    lead.to_ascii_lowercase(),
                    object_kind(&words, first + 1)
                ),
                _ => lead.to_ascii_lowercase(),
            };
            Judgement {
                class: Class::Destructive,
                kind: kind.trim_end().to_owned(),
                object: object_after(&significant, &words, first + 1),
            }
        }
        "MERGE" => Judgement {
            class: if words.iter().flatten().any(|w| w == "DELETE") {
                Class::Destructive
            } else {
                Class::Write
            },
            kind: "merge".to_owned(),
            object: object_after(&significant, &words, first + 1),
        },
        "ALTER" => alter(&significant, &words, first),
        "CREATE" => create(&significant, &words, first),
        "INSERT" if at(first + 1) == Some("OVERWRITE") => Judgement {
            class: Class::Destructive,
            kind: "insert overwrite".to_owned(),
            object: object_after(&significant, &words, first + 1),
        },
        "COPY" => copy(&significant, &words, first),
        "EXPLAIN" if at(first + 1) == Some("ANALYZE") => {
            // EXPLAIN ANALYZE runs the statement: judge what follows.
            let rest = judge_words(&significant, &words, first + 2)?;
            Judgement {
                kind: format!("explain analyze {}", rest.kind),
                ..rest
            }
        }
        _ => simple(lead, &significant, &words, first)?,
    };
    // A destructive verb anywhere (a scripting block, a CTE) makes the statement destructive,
    // except in a definition of code, which does not run it.
    let defines = judgement.kind.starts_with("create function") || lead == "MERGE";
    if judgement.class < Class::Destructive && !defines {
        if let Some(verb) = destructive_verb(&words) {
            judgement.class = Class::Destructive;
            judgement.kind = format!("{} with {}", judgement.kind, verb.to_ascii_lowercase());
        }
    }
    Some(judgement)
}

/// The index of the first significant token that is a word, skipping opening parentheses
/// (`(SELECT …)`); `None` when the statement does not start with a word.
fn leading(significant: &[&Token], words: &[Option<String>]) -> Option<usize> {
    let mut n = 0;
    while significant.get(n).is_some_and(|t| **t == Token::LParen) {
        n += 1;
    }
    words.get(n)?.as_ref().map(|_| n)
}

/// Judges the statement that starts at significant token `from`.
fn judge_words(significant: &[&Token], words: &[Option<String>], from: usize) -> Option<Judgement> {
    let lead = words.get(from)?.as_deref()?;
    match lead {
        "DELETE" | "UPDATE" | "MERGE" | "TRUNCATE" | "DROP" => Some(Judgement {
            class: Class::Destructive,
            kind: lead.to_ascii_lowercase(),
            object: object_after(significant, words, from + 1),
        }),
        _ => simple(lead, significant, words, from),
    }
}

fn simple(
    lead: &str,
    significant: &[&Token],
    words: &[Option<String>],
    first: usize,
) -> Option<Judgement> {
    let class = if READ_ONLY.contains(&lead) {
        Class::ReadOnly
    } else if SESSION.contains(&lead) {
        Class::Session
    } else if WRITE.contains(&lead) {
        Class::Write
    } else {
        return None;
    };
    let object = (class == Class::Write)
        .then(|| object_after(significant, words, first + 1))
        .flatten();
    Some(Judgement {
        class,
        kind: lead.to_ascii_lowercase(),
        object,
    })
}

/// `WITH … AS (…) <verb>`: the verb at parenthesis depth 0 after the common table expressions.
fn with_statement(significant: &[&Token], words: &[Option<String>], first: usize) -> Judgement {
    let mut depth = 0usize;
    for (n, token) in significant.iter().enumerate().skip(first + 1) {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ if depth == 0 => {
                let verb = words.get(n).and_then(Option::as_deref);
                if let Some(
                    "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "VALUES" | "TABLE"
                    | "FROM",
                ) = verb
                {
                    if let Some(j) = judge_words(significant, words, n) {
                        return Judgement {
                            kind: format!("with … {}", j.kind),
                            ..j
                        };
                    }
                }
            }
            _ => {}
        }
    }
    Judgement {
        class: Class::ReadOnly,
        kind: "with".to_owned(),
        object: None,
    }
}

fn alter(significant: &[&Token], words: &[Option<String>], first: usize) -> Judgement {
    let target = words
        .get(first + 1)
        .and_then(Option::as_deref)
        .unwrap_or("");
    let object = object_after(significant, words, first + 1);
    let rest = words.iter().skip(first + 2).flatten();
    let mut class = Class::Write;
    for w in rest {
        if w == "DROP" || w == "TRUNCATE" || w == "DELETE" {
            class = Class::Destructive;
            break;
        }
    }
    let mut object = object;
    if class == Class::Write && ALTER_SESSION.contains(&target) {
        class = Class::Session;
        object = None;
    }
    let suffix = if class == Class::Destructive {
        " … drop"
    } else {
        ""
    };
    Judgement {
        class,
        kind: format!("alter {}{suffix}", target.to_ascii_lowercase())
            .trim_end()
            .to_owned(),
        object,
    }
}

fn create(significant: &[&Token], words: &[Option<String>], first: usize) -> Judgement {
    // The object kind is the first word that is not a modifier.
    let kind = words
        .iter()
        .skip(first + 1)
        .flatten()
        .find(|w| {
            !matches!(
                w.as_str(),
                "OR" | "REPLACE"
                    | "TEMP"
                    | "TEMPORARY"
                    | "SECURE"
                    | "TRANSIENT"
                    | "VOLATILE"
                    | "GLOBAL"
                    | "LOCAL"
                    | "EXTERNAL"
                    | "DEFINER"
                    | "PUBLIC"
            )
        })
        .map(String::as_str)
        .unwrap_or("");
    if CREATE_CODE.contains(&kind) {
        return Judgement {
            class: Class::Session,
            kind: format!("create function ({})", kind.to_ascii_lowercase()),
            object: None,
        };
    }
    Judgement {
        class: Class::Write,
        kind: format!("create {}", kind.to_ascii_lowercase())
            .trim_end()
            .to_owned(),
        object: object_after(significant, words, first + 1),
    }
}

/// `COPY INTO @stage` or `COPY INTO 'location'` unloads (reads); `COPY INTO table`, `COPY t
/// FROM …` loads (writes); `COPY (query) TO …` and `COPY t TO …` read.
fn copy(significant: &[&Token], words: &[Option<String>], first: usize) -> Judgement {
    let mut n = first + 1;
    if words.get(n).and_then(Option::as_deref) == Some("INTO") {
        n += 1;
    }
    let target = significant.get(n);
    let unloads = match target {
        Some(Token::SingleQuotedString(_) | Token::AtSign | Token::LParen) => true,
        Some(Token::Word(w)) => w.value.starts_with('@'),
        Some(Token::Char('@')) => true,
        _ => false,
    } || words.iter().skip(n).flatten().any(|w| w == "TO");
    if unloads {
        Judgement {
            class: Class::ReadOnly,
            kind: "copy … to a stage or file".to_owned(),
            object: None,
        }
    } else {
        Judgement {
            class: Class::Write,
            kind: "copy into a table".to_owned(),
            object: object_after(significant, words, first + 1),
        }
    }
}

/// The object kind after `DROP`/`TRUNCATE` (`table`, `view`, `schema`), lowercase, or empty.
fn object_kind(words: &[Option<String>], from: usize) -> String {
    let mut parts = Vec::new();
    for w in words.iter().skip(from) {
        match w.as_deref() {
            Some(
                k @ ("TABLE" | "VIEW" | "SCHEMA" | "DATABASE" | "CATALOG" | "MATERIALIZED"
                | "DYNAMIC" | "EXTERNAL" | "FUNCTION" | "PROCEDURE" | "STAGE" | "STREAM"
                | "TASK" | "ROLE" | "USER" | "WAREHOUSE" | "INDEX" | "SEQUENCE" | "COLUMN"
                | "PARTITION" | "MACRO" | "TYPE" | "SHARE" | "PIPE" | "TAG" | "POLICY"),
            ) => parts.push(k.to_ascii_lowercase()),
            _ => break,
        }
    }
    parts.join(" ")
}

/// The dotted name after the keywords from `from` (skipping object kinds and modifiers).
fn object_after(significant: &[&Token], words: &[Option<String>], from: usize) -> Option<String> {
    let mut n = from;
    while words
        .get(n)
        .and_then(Option::as_deref)
        .is_some_and(|w| SKIPPED_BEFORE_NAME.contains(&w) || object_kind_word(w))
    {
        n += 1;
    }
    let mut name = String::new();
    while let Some(Token::Word(w)) = significant.get(n) {
        name.push_str(&w.value);
        if significant.get(n + 1) != Some(&&Token::Period) {
            break;
        }
        name.push('.');
        n += 2;
    }
    (!name.is_empty()).then_some(name)
}

fn object_kind_word(w: &str) -> bool {
    !object_kind(&[Some(w.to_owned())], 0).is_empty()
}

/// A destructive verb in statement position anywhere in the statement, if any: `DELETE`,
/// `TRUNCATE`, `DROP`, `UPDATE`, `GRANT`, `REVOKE`, except `ON DELETE`/`ON UPDATE`
/// (referential actions) and `FOR UPDATE` (a lock).
fn destructive_verb(words: &[Option<String>]) -> Option<String> {
    let mut previous: Option<&str> = None;
    for w in words {
        let current = w.as_deref();
        if let Some(verb @ ("DELETE" | "TRUNCATE" | "DROP" | "UPDATE" | "GRANT" | "REVOKE")) =
            current
        {
            let benign =
                matches!(verb, "DELETE" | "UPDATE") && matches!(previous, Some("ON" | "FOR"));
            if !benign {
                return Some(verb.to_owned());
            }
        }
        previous = current;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::SnowflakeDialect;
    use sqlparser::tokenizer::Tokenizer;

    fn judged(sql: &str) -> Option<(Class, String, Option<String>)> {
        let tokens = Tokenizer::new(&SnowflakeDialect, sql)
            .tokenize_with_location()
            .unwrap();
        judge(&tokens).map(|j| (j.class, j.kind, j.object))
    }

    #[test]
    fn leading_keywords_give_the_class() {
        assert_eq!(judged("show terse tables").unwrap().0, Class::ReadOnly);
        assert_eq!(judged("(select 1) x y z").unwrap().0, Class::ReadOnly);
        assert_eq!(judged("alter session set a = 1").unwrap().0, Class::Session);
        assert_eq!(judged("use warehouse w").unwrap().0, Class::Session);
        assert_eq!(judged("call p(1)").unwrap().0, Class::Session);
        assert_eq!(
            judged("create or replace function f() returns int as $$ delete from t $$")
                .unwrap()
                .0,
            Class::Session
        );
        assert_eq!(
            judged("copy into @stage from t").unwrap().0,
            Class::ReadOnly
        );
        assert_eq!(
            judged("copy into db.s.t from @stage"),
            Some((
                Class::Write,
                "copy into a table".to_owned(),
                Some("db.s.t".to_owned())
            ))
        );
        assert_eq!(judged("frobnicate the table"), None);
        assert_eq!(judged("42"), None);
    }

    #[test]
    fn destructive_verbs_are_found_with_their_object() {
        assert_eq!(
            judged("drop table if exists a.b cascade restrict"),
            Some((
                Class::Destructive,
                "drop table".to_owned(),
                Some("a.b".to_owned())
            ))
        );
        let (class, kind, object) = judged("alter table s.t drop column c, weird stuff").unwrap();
        assert_eq!(
            (class, kind.as_str(), object.as_deref()),
            (Class::Destructive, "alter table … drop", Some("s.t"))
        );
        assert_eq!(
            judged("merge into t using s on a then delete weird")
                .unwrap()
                .0,
            Class::Destructive
        );
        assert_eq!(
            judged("merge into t using s on a when matched then update set x = 1 weird")
                .unwrap()
                .0,
            Class::Write
        );
        assert_eq!(
            judged("begin delete from t weird").unwrap().0,
            Class::Destructive
        );
        assert_eq!(
            judged("with x as (select 1) delete from t using x weird"),
            Some((
                Class::Destructive,
                "with … delete".to_owned(),
                Some("t".to_owned())
            ))
        );
        assert_eq!(
            judged("explain analyze delete from t weird").unwrap().0,
            Class::Destructive
        );
        assert_eq!(
            judged("grant select on table t to role r weird").unwrap().0,
            Class::Destructive
        );
        assert_eq!(
            judged("insert overwrite table t select 1").unwrap().0,
            Class::Destructive
        );
        assert_eq!(judged("remove @stage/x").unwrap().0, Class::Destructive);
        // Referential actions and locks are not verbs.
        assert_eq!(
            judged("create table t (a int references u on delete cascade) weird")
                .unwrap()
                .0,
            Class::Write
        );
        assert_eq!(
            judged("select * from t for update weird").unwrap().0,
            Class::ReadOnly
        );
    }
}
