//! dbt's own statements: what dbt issues while materialising a model, recognised under a
//! [`DbtContext`] so the guard does not flag them (guard-sql.md §4).
//!
//! The shapes come from dbt-core's and dbt-adapters' macros (table/view swaps through
//! `__dbt_tmp` and `__dbt_backup` relations, seed truncation, incremental `MERGE` between
//! `DBT_INTERNAL_DEST` and `DBT_INTERNAL_SOURCE`, `alter_column_type`'s `__dbt_alter` column
//! swap, grants on the model's relation). The context is a host's statement that dbt runs
//! these statements; without it every statement is judged on its own.

use serde::{Deserialize, Serialize};
use sqlparser::ast::{
    AlterTableOperation, AssignmentTarget, Expr, ObjectName, ObjectType, RenameTableNameKind,
    Statement, TableFactor,
};

use super::rules::{delete_target, factor_name, grant_objects, name};
use sqlparser::dialect::Dialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

/// The suffixes dbt gives the relations it creates and drops itself.
const OWNED_MARKERS: [&str; 2] = ["__dbt_tmp", "__dbt_backup"];

/// What dbt-adapters appends to a statement it logs abridged, and how many characters it keeps.
const ABRIDGED_MARK: &str = "...";
const ABRIDGED_CHARS: usize = 512;

/// The suffix of the temporary column of dbt's `alter_column_type`.
const ALTER_MARKER: &str = "__dbt_alter";

/// What a host knows about the dbt run whose statements it checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbtContext {
    /// The relations the run materialises (`"db"."schema"."model"` as in `relation_name`;
    /// quotes optional). Seed truncation, full-refresh drops, merges, `alter_column_type` and
    /// grants are recognised only on these; `__dbt_tmp`/`__dbt_backup` relations always are.
    #[serde(default)]
    pub relations: Vec<String>,
}

/// State carried from statement to statement within one checked text.
#[derive(Debug, Default)]
pub(crate) struct DbtBatch {
    /// `(relation, column)` for each `ADD COLUMN column__dbt_alter` seen.
    alter_columns: Vec<(String, String)>,
}

fn lower(text: &str) -> String {
    text.to_ascii_lowercase()
}

fn last_part(object: &str) -> &str {
    object.rsplit('.').next().unwrap_or(object)
}

/// The identifier without dbt's suffix (`orders__dbt_tmp20261121…` → `orders`).
fn base(identifier: &str) -> String {
    let l = lower(identifier);
    OWNED_MARKERS
        .iter()
        .filter_map(|m| l.find(m))
        .min()
        .and_then(|i| l.get(..i))
        .map_or(l.clone(), str::to_owned)
}

fn is_owned(object: &str) -> bool {
    let l = lower(last_part(object));
    OWNED_MARKERS.iter().any(|m| l.contains(m))
}

fn strip_quotes(relation: &str) -> String {
    relation
        .chars()
        .filter(|c| !matches!(c, '"' | '`'))
        .collect::<String>()
        .to_ascii_lowercase()
}

impl DbtContext {
    /// Whether `object` is one of the run's relations (equal to one, or a dotted suffix of one).
    fn is_model(&self, object: &str) -> bool {
        let object = lower(object);
        self.relations.iter().any(|r| {
            let r = strip_quotes(r);
            r == object || r.ends_with(&format!(".{object}"))
        })
    }

    fn is_dbt_relation(&self, object: &str) -> bool {
        is_owned(object) || self.is_model(object)
    }

    /// Whether the merge target may be written by dbt: a run relation, or any relation when the
    /// host named none.
    fn may_write(&self, object: Option<&str>) -> bool {
        object.is_some_and(|o| self.relations.is_empty() || self.is_dbt_relation(o))
    }

    /// Whether the tokens of a statement the parser rejects are dbt's seed load: `COPY <run
    /// relation> FROM '<file>' …` (the parser does not accept DuckDB's `COPY` options), or
    /// dbt-postgres's `INSERT INTO <run relation> (cols) VALUES (%s, …), …` (psycopg2
    /// placeholders, which no SQL dialect parses).
    pub(crate) fn recognises_unparsed(&self, tokens: &[TokenWithSpan]) -> bool {
        self.seed_copy(tokens) || self.seed_insert(tokens, false)
    }

    /// Whether `text` is dbt's abridged log of a seed load: dbt-adapters logs a statement run
    /// with `abridge_sql_log=True` (only its seed `INSERT`) as its first 512 characters and
    /// `...`, so the rest of the statement is not in the text. Recognised when what is there is
    /// a prefix of [`Self::seed_insert`]'s shape on a run relation, cut anywhere after the
    /// relation's name.
    pub(crate) fn recognises_abridged(&self, text: &str, dialect: &dyn Dialect) -> bool {
        let Some(prefix) = text.strip_suffix(ABRIDGED_MARK) else {
            return false;
        };
        if prefix.chars().count() > ABRIDGED_CHARS {
            return false;
        }
        let tokenize = |p: &str| Tokenizer::new(dialect, p).tokenize_with_location();
        let tokens = match tokenize(prefix) {
            Ok(tokens) => tokens,
            // A cut inside a quoted name does not tokenize: then up to the last separator.
            Err(_) => match prefix.rfind([',', '(', ')']).and_then(|i| prefix.get(..=i)) {
                Some(p) => match tokenize(p) {
                    Ok(tokens) => tokens,
                    Err(_) => return false,
                },
                None => return false,
            },
        };
        self.seed_insert(&tokens, true)
    }

    /// `INSERT INTO <run relation> [(cols)] VALUES (%s, …)[, (%s, …)]…` and nothing else; with
    /// `abridged`, any prefix of that shape that names the whole relation.
    fn seed_insert(&self, tokens: &[TokenWithSpan], abridged: bool) -> bool {
        let mut words = tokens
            .iter()
            .map(|t| &t.token)
            .filter(|t| !matches!(t, Token::Whitespace(_) | Token::EOF))
            .peekable();
        let keyword = |t: Option<&Token>, k: &str| matches!(t, Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(k));
        if !keyword(words.next(), "insert") || !keyword(words.next(), "into") {
            return false;
        }
        let mut relation = String::new();
        let mut named_values = false;
        while let Some(token) = words.next_if(|t| matches!(t, Token::Word(_) | Token::Period)) {
            match token {
                Token::Word(w)
                    if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("values") =>
                {
                    named_values = true;
                    break;
                }
                Token::Word(w) => relation.push_str(&w.value),
                _ => relation.push('.'),
            }
        }
        if relation.is_empty() || !self.is_model(&relation) {
            return false;
        }
        // The relation ends at `(` or `VALUES`; an abridged text may end anywhere after it.
        let whole = |end_ok: bool| end_ok || abridged;
        // Optional column list: words and commas in parentheses.
        if !named_values {
            if !matches!(words.next(), Some(Token::LParen)) {
                return false;
            }
            loop {
                match words.next() {
                    Some(Token::Word(_) | Token::Comma) => {}
                    Some(Token::RParen) => break,
                    None => return whole(false),
                    _ => return false,
                }
            }
            match words.next() {
                t @ Some(_) if keyword(t, "values") => {}
                None => return whole(false),
                _ => return false,
            }
        }
        // Rows of `%s` placeholders only.
        let mut rows = 0usize;
        loop {
            match words.next() {
                Some(Token::LParen) => {}
                None => return whole(false),
                _ => return false,
            }
            loop {
                match words.next() {
                    Some(Token::Mod) => {}
                    None => return whole(false),
                    _ => return false,
                }
                match words.next() {
                    Some(Token::Word(w)) if w.quote_style.is_none() && w.value == "s" => {}
                    None => return whole(false),
                    _ => return false,
                }
                match words.next() {
                    Some(Token::Comma) => {}
                    Some(Token::RParen) => break,
                    None => return whole(false),
                    _ => return false,
                }
            }
            rows += 1;
            match words.next() {
                Some(Token::Comma) => {}
                None => return whole(rows > 0),
                Some(Token::SemiColon) if !abridged && words.next().is_none() => return rows > 0,
                _ => return false,
            }
        }
    }

    /// `COPY <run relation> FROM '<file>' …`.
    fn seed_copy(&self, tokens: &[TokenWithSpan]) -> bool {
        let mut words = tokens
            .iter()
            .map(|t| &t.token)
            .filter(|t| !matches!(t, Token::Whitespace(_)));
        let keyword = |t: Option<&Token>, k: &str| matches!(t, Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(k));
        if !keyword(words.next(), "copy") {
            return false;
        }
        let mut relation = String::new();
        loop {
            match words.next() {
                Some(Token::Word(w))
                    if w.quote_style.is_some() || !w.value.eq_ignore_ascii_case("from") =>
                {
                    relation.push_str(&w.value);
                }
                Some(Token::Period) => relation.push('.'),
                Some(Token::Word(_)) => break,
                _ => return false,
            }
        }
        matches!(words.next(), Some(Token::SingleQuotedString(_)))
            && !relation.is_empty()
            && self.is_model(&relation)
    }

    /// Whether `statement` is one of dbt's own materialisation statements.
    pub(crate) fn recognises(&self, statement: &Statement, batch: &mut DbtBatch) -> bool {
        match statement {
            Statement::Drop {
                object_type: ObjectType::Table | ObjectType::View | ObjectType::MaterializedView,
                names,
                ..
            } => all(names, |n| self.is_dbt_relation(&name(n))),
            Statement::Truncate(t) => {
                !t.table_names.is_empty()
                    && t.table_names
                        .iter()
                        .all(|target| self.is_dbt_relation(&name(&target.name)))
            }
            Statement::AlterTable(alter) => self.alter(&alter.name, &alter.operations, batch),
            Statement::Merge(merge) => {
                alias_is(&merge.table, "dbt_internal_dest")
                    && alias_is(&merge.source, "dbt_internal_source")
                    && self.may_write(factor_name(&merge.table).as_deref())
            }
            Statement::Delete(delete) => {
                delete_target(&delete.tables, &delete.from).is_some_and(|t| is_owned(&t))
            }
            Statement::Update(update) => {
                let Some(target) = factor_name(&update.table.relation) else {
                    return false;
                };
                is_owned(&target) || self.alter_copy(&target, &update.assignments, batch)
            }
            Statement::Grant(grant) => {
                let objects = grant_objects(grant.objects.as_ref());
                !objects.is_empty() && objects.iter().all(|o| self.is_model(o))
            }
            Statement::Revoke(revoke) => {
                let objects = grant_objects(revoke.objects.as_ref());
                !objects.is_empty() && objects.iter().all(|o| self.is_model(o))
            }
            _ => false,
        }
    }

    /// `ALTER TABLE`: renames into and out of dbt's own relations, and the steps of
    /// `alter_column_type` (add `c__dbt_alter`, drop `c`, rename `c__dbt_alter` to `c`).
    fn alter(
        &self,
        table: &ObjectName,
        operations: &[AlterTableOperation],
        batch: &mut DbtBatch,
    ) -> bool {
        let relation = lower(&name(table));
        let mut all_ours = !operations.is_empty();
        for op in operations {
            let ours = match op {
                AlterTableOperation::RenameTable { table_name } => {
                    let (RenameTableNameKind::As(to) | RenameTableNameKind::To(to)) = table_name;
                    let (from, to) = (name(table), name(to));
                    (is_owned(&from) || is_owned(&to))
                        && base(last_part(&from)) == base(last_part(&to))
                }
                AlterTableOperation::AddColumn { column_def, .. } => {
                    let col = lower(&column_def.name.value);
                    if let Some(original) = col.strip_suffix(ALTER_MARKER) {
                        batch
                            .alter_columns
                            .push((relation.clone(), original.to_owned()));
                    }
                    true
                }
                AlterTableOperation::DropColumn { column_names, .. } => {
                    !column_names.is_empty()
                        && column_names.iter().all(|c| {
                            batch
                                .alter_columns
                                .contains(&(relation.clone(), lower(&c.value)))
                        })
                }
                AlterTableOperation::RenameColumn {
                    old_column_name,
                    new_column_name,
                } => {
                    lower(&old_column_name.value)
                        == format!("{}{ALTER_MARKER}", lower(&new_column_name.value))
                }
                AlterTableOperation::AlterColumn {
                    op: sqlparser::ast::AlterColumnOperation::SetDataType { .. },
                    ..
                } => self.is_model(&relation),
                _ => false,
            };
            all_ours &= ours;
        }
        all_ours
    }

    /// `UPDATE r SET c__dbt_alter = c` after `ADD COLUMN c__dbt_alter` on `r`.
    fn alter_copy(
        &self,
        target: &str,
        assignments: &[sqlparser::ast::Assignment],
        batch: &DbtBatch,
    ) -> bool {
        let relation = lower(target);
        !assignments.is_empty()
            && assignments.iter().all(|a| {
                let AssignmentTarget::ColumnName(column) = &a.target else {
                    return false;
                };
                let column = lower(&name(column));
                let Some(original) = column.strip_suffix(ALTER_MARKER) else {
                    return false;
                };
                let copies = matches!(&a.value, Expr::Identifier(i) if lower(&i.value) == original);
                copies
                    && batch
                        .alter_columns
                        .contains(&(relation.clone(), original.to_owned()))
            })
    }
}

fn all(names: &[ObjectName], f: impl Fn(&ObjectName) -> bool) -> bool {
    !names.is_empty() && names.iter().all(f)
}

fn alias_is(factor: &TableFactor, alias: &str) -> bool {
    match factor {
        TableFactor::Table { alias: Some(a), .. } | TableFactor::Derived { alias: Some(a), .. } => {
            a.name.value.eq_ignore_ascii_case(alias)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_copy_is_recognised_only_on_run_relations() {
        use sqlparser::dialect::GenericDialect;
        use sqlparser::tokenizer::Tokenizer;
        let ctx = DbtContext {
            relations: vec!["\"shop\".\"main\".\"raw_orders\"".into()],
        };
        let tokens = |sql: &str| {
            Tokenizer::new(&GenericDialect {}, sql)
                .tokenize_with_location()
                .unwrap()
        };
        let copy = "\n COPY \"shop\".\"main\".\"raw_orders\" FROM '/p/raw_orders.csv' (FORMAT CSV, HEADER TRUE)";
        assert!(ctx.recognises_unparsed(&tokens(copy)));
        assert!(!ctx.recognises_unparsed(&tokens(
            "COPY \"shop\".\"main\".\"other\" FROM '/p/x.csv' (FORMAT CSV)"
        )));
        assert!(!ctx.recognises_unparsed(&tokens("COPY x TO '/p/x.csv'")));
        assert!(!ctx.recognises_unparsed(&tokens("select from")));
    }

    #[test]
    fn seed_insert_with_psycopg_placeholders_is_recognised_only_on_run_relations() {
        use sqlparser::dialect::PostgreSqlDialect;
        use sqlparser::tokenizer::Tokenizer;
        let ctx = DbtContext {
            relations: vec!["\"shop\".\"analytics\".\"raw_customers\"".into()],
        };
        let tokens = |sql: &str| {
            Tokenizer::new(&PostgreSqlDialect {}, sql)
                .tokenize_with_location()
                .unwrap()
        };
        let mut eof =
            tokens("\n insert into \"shop\".\"analytics\".\"raw_customers\" (id) values (%s)");
        eof.push(sqlparser::tokenizer::TokenWithSpan::wrap(Token::EOF));
        assert!(ctx.recognises_unparsed(&eof));
        let insert = "\n insert into \"shop\".\"analytics\".\"raw_customers\" (id, name, email) values\n (%s,%s,%s),(%s,%s,%s)\n ";
        assert!(ctx.recognises_unparsed(&tokens(insert)));
        assert!(!ctx.recognises_unparsed(&tokens(
            "insert into \"shop\".\"analytics\".\"other\" (id) values (%s)"
        )));
        // Anything but placeholders in the rows is not dbt's seed load.
        assert!(!ctx.recognises_unparsed(&tokens(
            "insert into \"shop\".\"analytics\".\"raw_customers\" (id) values (%s), (1)"
        )));
        assert!(!ctx.recognises_unparsed(&tokens(
            "insert into \"shop\".\"analytics\".\"raw_customers\" (id) values (%s); drop table x"
        )));
    }

    #[test]
    fn abridged_seed_insert_logs_are_recognised_only_as_prefixes_of_the_seed_shape() {
        use sqlparser::dialect::PostgreSqlDialect;
        let ctx = DbtContext {
            relations: vec!["\"shop\".\"analytics\".\"raw_orders\"".into()],
        };
        let pg = &PostgreSqlDialect {};
        // Exactly as dbt-postgres 1.11 logged it (tests/e2e, logs/dbt.log).
        let logged = "\n          insert into \"shop\".\"analytics\".\"raw_orders\" (\"order_id\", \"customer_id\", \"amount_cents\", \"status\", \"ordered_at\") values\n          (%s,%s,%s,%s,%s),(%s,%s,%s,%s,%s),(%s,%s,%s,%s,%s),(%s,%s,%s,%s,%s)\n      ...";
        assert!(ctx.recognises_abridged(logged, pg));
        // Cut inside a row, a placeholder, the column list, a quoted column name.
        let full = "insert into \"shop\".\"analytics\".\"raw_orders\" (\"order_id\", \"customer_id\") values (%s,%s),(%s,%s)";
        for cut in [
            "(%s,%s),(%s,",
            "(%s,%",
            "(\"order_id\", \"cus",
            "(\"order_id\", ",
            "values",
        ] {
            let at = full.find(cut).unwrap() + cut.len();
            assert!(
                ctx.recognises_abridged(&format!("{}...", full.get(..at).unwrap()), pg),
                "{cut}"
            );
        }
        // Not abridged, not a prefix of the shape, not a run relation, longer than dbt keeps.
        assert!(!ctx.recognises_abridged(full, pg));
        assert!(!ctx.recognises_abridged(&format!("{full}; drop table x..."), pg));
        assert!(!ctx.recognises_abridged(&format!("{full}, (1, 2)..."), pg));
        assert!(!ctx.recognises_abridged("insert into \"shop\".\"analytics\"...", pg));
        assert!(!ctx.recognises_abridged("insert into other (a) values (%s)...", pg));
        assert!(!ctx.recognises_abridged(
            "update \"shop\".\"analytics\".\"raw_orders\" set a = 1...",
            pg
        ));
        let long = format!("{full}{}...", ",(%s,%s)".repeat(60));
        assert!(!ctx.recognises_abridged(&long, pg));
        let kept: String = long.chars().take(512).collect();
        assert!(ctx.recognises_abridged(&format!("{kept}..."), pg));
    }

    #[test]
    fn base_names_strip_dbt_suffixes() {
        assert_eq!(base("orders__dbt_tmp20261121074629827365"), "orders");
        assert_eq!(base("Orders__DBT_BACKUP"), "orders");
        assert_eq!(base("orders"), "orders");
        assert!(is_owned("a.b.x__dbt_tmp"));
        assert!(!is_owned("a.x__dbt_tmp.b"));
    }

    #[test]
    fn model_relations_match_with_or_without_quotes_and_prefixes() {
        let ctx = DbtContext {
            relations: vec![r#""shop"."main"."raw_customers""#.into()],
        };
        assert!(ctx.is_model("shop.main.raw_customers"));
        assert!(ctx.is_model("main.RAW_CUSTOMERS"));
        assert!(!ctx.is_model("other.raw_customers"));
        assert!(!ctx.is_model("customers"));
    }
}
