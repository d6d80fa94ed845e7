//! Schema fingerprints (def-v0.md §3) and the semantic delta between two column sets (§2.4.2).

use serde::{Deserialize, Serialize};

use super::error::{DefError, DefErrorKind};
use crate::digest::Sha256Digest;
use crate::jcs::{self, Map, Value};

/// One column as the warehouse reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// The name, exactly as reported (no case folding).
    pub name: String,
    /// The type text as reported; normalized when fingerprinted.
    #[serde(rename = "type")]
    pub data_type: String,
    /// Whether the column accepts NULL.
    pub nullable: bool,
}

/// The type text normalized by def-v0.md §3.1 item 3: ASCII whitespace trimmed and collapsed to
/// one space, ASCII letters uppercased.
pub fn normalize_type(text: &str) -> String {
    text.split(['\t', '\n', '\u{b}', '\u{c}', '\r', ' '])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase()
}

/// The columns sorted by name bytes, types normalized; duplicate names are `seal.columns` (§3.3).
fn normalized(relation: &str, columns: &[Column]) -> Result<Vec<Column>, DefError> {
    let mut out: Vec<Column> = columns
        .iter()
        .map(|c| Column {
            name: c.name.clone(),
            data_type: normalize_type(&c.data_type),
            nullable: c.nullable,
        })
        .collect();
    out.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    if let Some(pair) = out
        .windows(2)
        .find(|w| matches!(w, [a, b] if a.name == b.name))
    {
        let name = pair.first().map(|c| c.name.as_str()).unwrap_or_default();
        return Err(DefError::new(
            DefErrorKind::Columns,
            format!(
                "relation `{relation}` reports column `{name}` twice; no fingerprint is recorded"
            ),
            "check the warehouse catalog for the relation",
        ));
    }
    Ok(out)
}

/// The schema fingerprint of `relation` (`db.schema.table`) with `columns` (def-v0.md §3.1).
pub fn fingerprint(relation: &str, columns: &[Column]) -> Result<String, DefError> {
    let columns = normalized(relation, columns)?;
    let list: Vec<Value> = columns
        .iter()
        .map(|c| {
            let mut m = Map::new();
            m.insert("name", Value::from(c.name.as_str()));
            m.insert("nullable", Value::from(c.nullable));
            m.insert("type", Value::from(c.data_type.as_str()));
            Value::from(m)
        })
        .collect();
    let mut top = Map::new();
    top.insert("columns", Value::from(list));
    top.insert("relation", Value::from(relation.to_ascii_lowercase()));
    Ok(Sha256Digest::of(&jcs::to_vec(&Value::from(top))).to_prefixed())
}

/// The semantic delta of a relation between two runs (def-v0.md §2.4.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Delta {
    /// Names present only after.
    pub columns_added: Vec<String>,
    /// Names present only before.
    pub columns_removed: Vec<String>,
    /// Names in both with a different normalized type or nullability (retyped).
    pub columns_changed: Vec<String>,
}

impl Delta {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.columns_added.is_empty()
            && self.columns_removed.is_empty()
            && self.columns_changed.is_empty()
    }
}

/// The delta from `before` to `after`, each list sorted by name bytes.
pub fn delta(before: &[Column], after: &[Column]) -> Delta {
    let norm = |cols: &[Column]| {
        let mut v: Vec<(String, String, bool)> = cols
            .iter()
            .map(|c| (c.name.clone(), normalize_type(&c.data_type), c.nullable))
            .collect();
        v.sort();
        v
    };
    let (before, after) = (norm(before), norm(after));
    let find =
        |cols: &[(String, String, bool)], name: &str| cols.iter().find(|c| c.0 == name).cloned();
    let mut out = Delta::default();
    for col in &after {
        match find(&before, &col.0) {
            None => out.columns_added.push(col.0.clone()),
            Some(old) if old != *col => out.columns_changed.push(col.0.clone()),
            Some(_) => {}
        }
    }
    for col in &before {
        if find(&after, &col.0).is_none() {
            out.columns_removed.push(col.0.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, t: &str, nullable: bool) -> Column {
        Column {
            name: name.into(),
            data_type: t.into(),
            nullable,
        }
    }

    fn before() -> Vec<Column> {
        vec![
            col("ORDER_ID", "NUMBER(38,0)", false),
            col("CUSTOMER_ID", "NUMBER(38,0)", true),
            col("ORDER_TOTAL", "  number(12,  2) ", true),
            col("STATUS", "VARCHAR(16)", true),
            col("ORDERED_AT", "TIMESTAMP_NTZ(9)", false),
        ]
    }

    #[test]
    fn worked_example_of_def_v0_section_3_5() {
        let relation = "SHOP.ANALYTICS.ORDERS";
        assert_eq!(
            fingerprint(relation, &before()).unwrap(),
            "sha256:1bbc5984ae3a55f63bce128380a6247fbf84db874b03804ebcc9dd6d59c27631"
        );
        let mut after = before();
        after.push(col("DISCOUNT_CODE", "varchar(32)", true));
        assert_eq!(
            fingerprint(relation, &after).unwrap(),
            "sha256:8cbf4a77cb7c649f13c2d8633c29d095d5b4f80fecd9e9a7b0524899509bf8e3"
        );
        let d = delta(&before(), &after);
        assert_eq!(d.columns_added, vec!["DISCOUNT_CODE".to_owned()]);
        assert!(d.columns_removed.is_empty() && d.columns_changed.is_empty());
    }

    #[test]
    fn removed_and_retyped_columns_and_duplicates() {
        let after = vec![
            col("ORDER_ID", "number(38, 0)", false),
            col("CUSTOMER_ID", "NUMBER(38,0)", false),
            col("ORDER_TOTAL", "NUMBER(12, 2)", true),
            col("ORDERED_AT", "TIMESTAMP_NTZ(9)", false),
        ];
        let d = delta(&before(), &after);
        assert_eq!(d.columns_removed, vec!["STATUS".to_owned()]);
        assert_eq!(
            d.columns_changed,
            vec!["CUSTOMER_ID".to_owned(), "ORDER_ID".to_owned()]
        );
        assert!(d.columns_added.is_empty() && !d.is_empty());
        let dup = vec![col("A", "INT", true), col("A", "TEXT", true)];
        assert_eq!(
            crate::Coded::code(&fingerprint("a.b.c", &dup).unwrap_err()),
            "seal.columns"
        );
        assert_eq!(normalize_type(" a\t\tb \n"), "A B");
    }
}
