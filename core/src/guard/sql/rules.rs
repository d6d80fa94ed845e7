//! The rules: what one parsed statement can do that a guard should stop or flag
//! (guard-sql.md §2). Each hit names its rule, the object concerned and what was found.

use sqlparser::ast::{
    AlterColumnOperation, AlterSchemaOperation, AlterTableOperation, Expr, FromTable, GrantObjects,
    Ident, MergeAction, MergeClauseKind, ObjectName, ObjectNamePart, ObjectType, Query,
    RenameTableNameKind, SetExpr, Statement, TableFactor, TableObject, TableWithJoins,
};

use super::constant::{has_true_disjunct, truth, Truth};
use super::finding::{Rule, Severity};

/// One rule hit in one statement, before policy and dbt recognition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub rule: Rule,
    pub object: Option<String>,
    pub message: String,
    /// A severity other than the rule's default, for this shape (policy overrides still win).
    pub severity: Option<Severity>,
}

impl Hit {
    fn new(rule: Rule, object: Option<String>, message: impl Into<String>) -> Self {
        Self {
            rule,
            object,
            message: message.into(),
            severity: None,
        }
    }
}

/// `a.b.c` from an object name: identifier values without quotes.
pub(crate) fn name(object: &ObjectName) -> String {
    let mut out = String::new();
    for (i, part) in object.0.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match part {
            ObjectNamePart::Identifier(ident) => out.push_str(&ident.value),
            ObjectNamePart::Function(f) => out.push_str(&f.name.value),
        }
    }
    out
}

/// The relation of a table factor, when it is a plain table.
pub(crate) fn factor_name(factor: &TableFactor) -> Option<String> {
    match factor {
        TableFactor::Table { name: n, .. } => Some(name(n)),
        _ => None,
    }
}

fn first_relation(tables: &[TableWithJoins]) -> Option<String> {
    tables.first().and_then(|t| factor_name(&t.relation))
}

/// The table a `DELETE` removes rows from.
pub(crate) fn delete_target(tables: &[ObjectName], from: &FromTable) -> Option<String> {
    tables.first().map(name).or_else(|| match from {
        FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => first_relation(t),
    })
}

fn column(table: &ObjectName, column: &Ident) -> String {
    format!("{}.{}", name(table), column.value)
}

fn quoted(object: Option<&str>) -> String {
    object.map_or_else(|| "a table".to_owned(), |o| format!("`{o}`"))
}

/// Every rule hit of `statement`, in a fixed order.
pub(crate) fn hits(statement: &Statement) -> Vec<Hit> {
    let mut out = Vec::new();
    match statement {
        Statement::Update(update) => {
            let object = factor_name(&update.table.relation);
            where_clause(
                &mut out,
                update.selection.as_ref(),
                Rule::UpdateWithoutWhere,
                object,
                "update",
            );
        }
        Statement::Delete(delete) => {
            let object = delete_target(&delete.tables, &delete.from);
            where_clause(
                &mut out,
                delete.selection.as_ref(),
                Rule::DeleteWithoutWhere,
                object,
                "delete",
            );
        }
        Statement::Merge(merge) => merge_rule(&mut out, merge),
        Statement::Truncate(truncate) => {
            for target in &truncate.table_names {
                let object = name(&target.name);
                out.push(Hit::new(
                    Rule::Truncate,
                    Some(object.clone()),
                    format!("truncate removes every row of `{object}`"),
                ));
            }
        }
        Statement::Drop {
            object_type, names, ..
        } => {
            let rule = match object_type {
                ObjectType::Table | ObjectType::MaterializedView => Some(Rule::DropTable),
                ObjectType::View => Some(Rule::DropView),
                ObjectType::Schema => Some(Rule::DropSchema),
                ObjectType::Database => Some(Rule::DropDatabase),
                _ => None,
            };
            if let Some(rule) = rule {
                for n in names {
                    let object = name(n);
                    out.push(Hit::new(
                        rule,
                        Some(object.clone()),
                        format!("drop {object_type} `{object}`").to_lowercase(),
                    ));
                }
            }
        }
        Statement::AlterTable(alter) => {
            for op in &alter.operations {
                alter_operation(&mut out, &alter.name, op);
            }
        }
        Statement::AlterSchema(alter) => {
            for op in &alter.operations {
                if let AlterSchemaOperation::Rename { name: to } = op {
                    let object = name(&alter.name);
                    out.push(Hit::new(
                        Rule::Rename,
                        Some(object.clone()),
                        format!("rename schema `{object}` to `{}`", name(to)),
                    ));
                }
            }
        }
        Statement::RenameTable(renames) => {
            for r in renames {
                let object = name(&r.old_name);
                out.push(Hit::new(
                    Rule::Rename,
                    Some(object.clone()),
                    format!("rename `{object}` to `{}`", name(&r.new_name)),
                ));
            }
        }
        Statement::Grant(grant) => {
            grant_like(&mut out, Rule::Grant, grant.objects.as_ref(), "grant");
        }
        Statement::Revoke(revoke) => {
            grant_like(&mut out, Rule::Revoke, revoke.objects.as_ref(), "revoke");
        }
        Statement::Query(query) => query_rule(&mut out, query),
        Statement::Insert(insert) => {
            if insert.overwrite {
                let object = match &insert.table {
                    TableObject::TableName(n) => Some(name(n)),
                    _ => None,
                };
                let target = quoted(object.as_deref());
                out.push(Hit::new(
                    Rule::InsertOverwrite,
                    object,
                    format!("insert overwrite replaces the rows of {target}"),
                ));
            }
            if let Some(source) = &insert.source {
                query_rule(&mut out, source);
            }
        }
        _ => {}
    }
    out
}

/// `UPDATE`/`DELETE`: no `WHERE`, or one that is always true.
fn where_clause(
    out: &mut Vec<Hit>,
    selection: Option<&Expr>,
    without: Rule,
    object: Option<String>,
    verb: &str,
) {
    let target = quoted(object.as_deref());
    match selection {
        None => out.push(Hit::new(
            without,
            object,
            format!("{verb} without where changes every row of {target}"),
        )),
        Some(predicate) if truth(predicate) == Truth::True => out.push(Hit::new(
            Rule::TautologicalWhere,
            object,
            format!("{verb} where clause is always true: every row of {target}"),
        )),
        Some(_) => {}
    }
}

fn merge_rule(out: &mut Vec<Hit>, merge: &sqlparser::ast::Merge) {
    let on = truth(&merge.on);
    if on == Truth::Unknown {
        return;
    }
    // A constant ON: TRUE matches every pair, FALSE/NULL matches none, so a delete clause of
    // the matching side can remove every target row.
    let deletes = merge.clauses.iter().any(|clause| {
        matches!(clause.action, MergeAction::Delete { .. })
            && match clause.clause_kind {
                MergeClauseKind::Matched => on == Truth::True,
                MergeClauseKind::NotMatchedBySource => on != Truth::True,
                _ => false,
            }
    });
    if deletes {
        let object = factor_name(&merge.table);
        let target = quoted(object.as_deref());
        out.push(Hit::new(
            Rule::MergeConstantOnDelete,
            object,
            format!("merge with a constant on condition deletes from {target}: every row can go"),
        ));
    }
}

fn alter_operation(out: &mut Vec<Hit>, table: &ObjectName, op: &AlterTableOperation) {
    let object = name(table);
    match op {
        AlterTableOperation::DropColumn { column_names, .. } => {
            for c in column_names {
                let col = column(table, c);
                out.push(Hit::new(
                    Rule::DropColumn,
                    Some(col.clone()),
                    format!("drop column `{col}`"),
                ));
            }
        }
        AlterTableOperation::AlterColumn {
            column_name,
            op: AlterColumnOperation::SetDataType { data_type, .. },
        } => {
            let col = column(table, column_name);
            out.push(Hit::new(
                Rule::AlterColumnType,
                Some(col.clone()),
                format!("change the type of `{col}` to `{data_type}`"),
            ));
        }
        AlterTableOperation::ChangeColumn {
            old_name,
            data_type,
            ..
        }
        | AlterTableOperation::ModifyColumn {
            col_name: old_name,
            data_type,
            ..
        } => {
            let col = column(table, old_name);
            out.push(Hit::new(
                Rule::AlterColumnType,
                Some(col.clone()),
                format!("change the type of `{col}` to `{data_type}`"),
            ));
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
            let col = column(table, old_column_name);
            out.push(Hit::new(
                Rule::Rename,
                Some(col.clone()),
                format!("rename column `{col}` to `{}`", new_column_name.value),
            ));
        }
        AlterTableOperation::RenameTable { table_name } => {
            let (RenameTableNameKind::As(to) | RenameTableNameKind::To(to)) = table_name;
            out.push(Hit::new(
                Rule::Rename,
                Some(object.clone()),
                format!("rename `{object}` to `{}`", name(to)),
            ));
        }
        AlterTableOperation::SwapWith { table_name } => {
            out.push(Hit::new(
                Rule::Rename,
                Some(object.clone()),
                format!("swap `{object}` with `{}`", name(table_name)),
            ));
        }
        _ => {}
    }
}

/// The objects a grant or revoke names, when it names them one by one.
pub(crate) fn grant_objects(objects: Option<&GrantObjects>) -> Vec<String> {
    match objects {
        Some(
            GrantObjects::Tables(names)
            | GrantObjects::Views(names)
            | GrantObjects::Schemas(names)
            | GrantObjects::Databases(names)
            | GrantObjects::Sequences(names),
        ) => names.iter().map(name).collect(),
        _ => Vec::new(),
    }
}

fn grant_like(out: &mut Vec<Hit>, rule: Rule, objects: Option<&GrantObjects>, verb: &str) {
    let names = grant_objects(objects);
    if names.is_empty() {
        out.push(Hit::new(rule, None, format!("{verb} of privileges")));
    }
    for object in names {
        out.push(Hit::new(
            rule,
            Some(object.clone()),
            format!("{verb} of privileges on `{object}`"),
        ));
    }
}

/// A query's `WHERE` with an always-true disjunct (`… OR 1=1`): the injection signature. A
/// whole `WHERE 1=1` in a query is a builder idiom and is not flagged. Warning.
fn query_rule(out: &mut Vec<Hit>, query: &Query) {
    // Iterative over set operations and nested query bodies; CTE queries are checked too.
    let mut bodies: Vec<&SetExpr> = vec![&query.body];
    let mut queries: Vec<&Query> = vec![query];
    while let Some(q) = queries.pop() {
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                bodies.push(&cte.query.body);
                queries.push(&cte.query);
            }
        }
    }
    let mut seen = 0usize;
    while let Some(body) = bodies.pop() {
        seen += 1;
        if seen > 4096 {
            break;
        }
        match body {
            SetExpr::Select(select) if select.selection.as_ref().is_some_and(has_true_disjunct) => {
                let object = first_relation(&select.from);
                out.push(Hit {
                    severity: Some(Severity::Warning),
                    ..Hit::new(
                        Rule::TautologicalWhere,
                        object,
                        "query where clause has an always-true disjunct (`… or 1=1`)",
                    )
                });
            }
            SetExpr::Query(q) => bodies.push(&q.body),
            SetExpr::SetOperation { left, right, .. } => {
                bodies.push(left);
                bodies.push(right);
            }
            _ => {}
        }
    }
}
