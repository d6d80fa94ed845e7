//! Warehouse anchors of a dbt run (def-v0.md §4) from what dbt and the `on-run-end` hook saw.
//!
//! PostgreSQL: `pg_current_wal_lsn()` and `transaction_isolation` logged by the hook on the run's
//! connection after the models committed (dbt-postgres's `adapter_response` carries no LSN).
//! Snowflake: `adapter_response.query_id` of each changed asset. Databricks: the Delta commit
//! version from `DESCRIBE HISTORY` rows the hook logged, the one row whose commit time falls in the
//! node's execute window (none recorded when zero or several match: never a guess), with the
//! adapter's `query_id` kept in the journal event. No anchor is ever synthesized (§4.1).

use serde_json::{json, Map, Value};

/// An anchor for the manifest and the data of its `anchor.recorded` journal event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Anchor {
    pub(crate) manifest: Value,
    pub(crate) event: Value,
}

const ISOLATION: [&str; 4] = [
    "read uncommitted",
    "read committed",
    "repeatable read",
    "serializable",
];

/// `X/Y` with 1–8 hex digits each side, uppercased (def-v0.md §4.4); `None` when malformed.
fn wal_lsn(text: &str) -> Option<String> {
    let (hi, lo) = text.trim().split_once('/')?;
    let ok = |s: &str| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit());
    (ok(hi) && ok(lo)).then(|| format!("{}/{}", hi.to_ascii_uppercase(), lo.to_ascii_uppercase()))
}

/// The PostgreSQL anchor of the run, from the hook's facts (`wal_lsn`, `isolation_level`).
pub(crate) fn postgres(facts: &Map<String, Value>) -> Option<Anchor> {
    let lsn = wal_lsn(facts.get("wal_lsn")?.as_str()?)?;
    let isolation = facts
        .get("isolation_level")?
        .as_str()?
        .trim()
        .to_ascii_lowercase();
    if !ISOLATION.contains(&isolation.as_str()) {
        return None;
    }
    Some(Anchor {
        manifest: json!({"kind": "postgres", "wal_lsn": lsn, "isolation_level": isolation}),
        event: json!({"kind": "postgres", "wal_lsn": lsn, "isolation_level": isolation}),
    })
}

/// The Snowflake anchor of one changed asset, from its result's `adapter_response.query_id`.
pub(crate) fn snowflake(asset: &str, result: &Value, tags: &Map<String, Value>) -> Option<Anchor> {
    let query_id = result.pointer("/adapter_response/query_id")?.as_str()?;
    if query_id.is_empty() {
        return None;
    }
    let tags: Map<String, Value> = tags
        .iter()
        .filter(|(_, v)| v.is_string())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Some(Anchor {
        manifest: json!({"kind": "snowflake", "query_id": query_id, "session_tags": tags, "asset": asset}),
        event: json!({"kind": "snowflake", "query_id": query_id, "asset": asset}),
    })
}

/// The Databricks anchor of one changed asset: the `DESCRIBE HISTORY` row committed inside the
/// node's execute window `[start, end]` (RFC 3339 texts, whole seconds compared).
pub(crate) fn databricks(
    asset: &str,
    table: &str,
    result: &Value,
    history: &[Value],
    window: (&str, &str),
) -> Option<Anchor> {
    let second = |t: &str| t.get(..19).map(str::to_owned);
    let (start, end) = (second(window.0)?, second(window.1)?);
    let inside: Vec<&Value> = history
        .iter()
        .filter(|row| {
            row.get("timestamp")
                .and_then(Value::as_str)
                .and_then(|t| second(&t.replace(' ', "T")))
                .is_some_and(|t| t >= start && t <= end)
        })
        .collect();
    let [row] = inside.as_slice() else {
        return None;
    };
    let version = row.get("version")?.as_u64()?;
    let mut event =
        json!({"kind": "databricks", "table": table, "delta_version": version, "asset": asset});
    if let (Some(id), Some(map)) = (
        result
            .pointer("/adapter_response/query_id")
            .and_then(Value::as_str),
        event.as_object_mut(),
    ) {
        map.insert("query_id".into(), Value::from(id));
    }
    Some(Anchor {
        manifest: json!({"kind": "databricks", "table": table, "delta_version": version, "asset": asset}),
        event,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_lsn_is_validated_and_uppercased() {
        let facts = json!({"wal_lsn": "16/b374d848", "isolation_level": "read committed"});
        let a = postgres(facts.as_object().unwrap()).unwrap();
        assert_eq!(a.manifest["wal_lsn"], "16/B374D848");
        for bad in [
            json!({"wal_lsn": "16-B3", "isolation_level": "read committed"}),
            json!({"wal_lsn": "1/2", "isolation_level": "snapshot"}),
            json!({"isolation_level": "read committed"}),
        ] {
            assert!(postgres(bad.as_object().unwrap()).is_none());
        }
    }

    // Recorded dbt-snowflake adapter_response (run_results.json v6) of a successful model and of a
    // failed one, which carries no query_id.
    #[test]
    fn snowflake_query_id_from_recorded_adapter_response() {
        let ok = json!({"adapter_response": {"_message": "SUCCESS 1", "code": "SUCCESS", "rows_affected": 1, "query_id": "01b8e4a2-0305-6c1d-0000-00a1b2c3d4e5"}});
        let tags = json!({"dbt_model": "model.shop.orders", "n": 1});
        let a = snowflake("model.shop.orders", &ok, tags.as_object().unwrap()).unwrap();
        assert_eq!(
            a.manifest["query_id"],
            "01b8e4a2-0305-6c1d-0000-00a1b2c3d4e5"
        );
        assert_eq!(
            a.manifest["session_tags"],
            json!({"dbt_model": "model.shop.orders"})
        );
        let failed = json!({"adapter_response": {}});
        assert!(snowflake("model.shop.orders", &failed, &Map::new()).is_none());
    }

    // Recorded dbt-databricks adapter_response and `DESCRIBE HISTORY` rows: the row committed in
    // the node's window is picked; a concurrent second commit in the window means no anchor.
    #[test]
    fn databricks_version_from_recorded_history() {
        let result = json!({"adapter_response": {"_message": "OK", "query_id": "01ef-5b2c-d7a1"}});
        let history = vec![
            json!({"version": 12, "timestamp": "2026-11-20 09:00:31.123", "operation": "CREATE OR REPLACE TABLE AS SELECT"}),
            json!({"version": 11, "timestamp": "2026-11-19 22:10:02.000", "operation": "WRITE"}),
        ];
        let window = ("2026-11-20T09:00:06.000Z", "2026-11-20T09:00:31.900Z");
        let a = databricks(
            "model.shop.orders",
            "main.shop.orders",
            &result,
            &history,
            window,
        )
        .unwrap();
        assert_eq!(
            a.manifest,
            json!({"kind": "databricks", "table": "main.shop.orders", "delta_version": 12, "asset": "model.shop.orders"})
        );
        assert_eq!(a.event["query_id"], "01ef-5b2c-d7a1");
        let mut racing = history.clone();
        racing.push(
            json!({"version": 13, "timestamp": "2026-11-20 09:00:20.000", "operation": "MERGE"}),
        );
        assert!(databricks(
            "model.shop.orders",
            "main.shop.orders",
            &result,
            &racing,
            window
        )
        .is_none());
    }
}
