//! SIEM events of bundles (`clyra_core::siem::bundle`) validated against the OCSF 1.8.0 JSON
//! Schema and the ECS 9.4.0 field definitions, read in place from `../shared/conformance` (never
//! copied), with the cross-field rules of their READMEs and negative cases that must be rejected.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::HashMap;

use clyra_core::report::daily::{BundleFacts, DecisionRow, ThreatRow};
use clyra_core::siem::bundle::{ecs, ocsf, to_ndjson};
use serde_json::{json, Value};

fn facts(status: &str, format: &str, score: Option<u64>) -> BundleFacts {
    let mut f: BundleFacts = serde_json::from_value(json!({
        "index": 3, "bundle_id": "b-1", "bundle_sha256": "ab".repeat(32),
        "logged_at": "2026-11-20T10:00:00Z", "created_at": "2026-11-20T09:00:47Z",
        "format": format, "subject": "model.shop.orders", "environment": "production",
        "status": status, "primary": "ok", "kind": "schema", "actor": "maria@acme.example",
        "run_id": "5f0d", "approvals_required": 2, "approvals_counted": 2, "approval_codes": [],
        "sod_violations": [], "schema_migrations": [], "row_count_deltas": [], "tests_passed": 1,
        "tests_skipped": 0, "test_failures": [], "policy_exceptions": [], "tcpa_events": [],
        "threats": []
    }))
    .unwrap();
    f.risk_score = score;
    f.threats.push(ThreatRow {
        owasp_llm: "LLM01".into(),
        atlas: None,
        confidence: 90,
        detector: "d@1".into(),
    });
    f.policy_exceptions.push(DecisionRow {
        rule: "r".into(),
        decision: "deny".into(),
        mode: "shadow".into(),
        reason: "why".into(),
    });
    f
}

fn samples() -> Vec<BundleFacts> {
    vec![
        facts("VALID", "def/v0", Some(40)),
        facts("VALID", "pef/v0", Some(85)),
        facts("INVALID", "def/v0", None),
        facts("MISSING", "def/v0", None),
    ]
}

fn ocsf_validator() -> jsonschema::Validator {
    let path =
        common::shared_dir().join("conformance/ocsf/json-schema/api_activity_6003.schema.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    jsonschema::draft202012::new(&schema).unwrap()
}

/// The OCSF cross-field rules of the conformance README (§3).
fn ocsf_rules(e: &Value) -> Result<(), String> {
    let n = |k: &str| e[k].as_u64().ok_or(format!("{k} missing"));
    if n("type_uid")? != n("class_uid")? * 100 + n("activity_id")? {
        return Err("type_uid".into());
    }
    if n("category_uid")? != n("class_uid")? / 1000 {
        return Err("category_uid".into());
    }
    type Captions<'a> = [(&'a str, &'a str, &'a [(u64, &'a str)]); 3];
    let captions: Captions<'_> = [
        (
            "activity_id",
            "activity_name",
            &[(3, "Update"), (99, "Other")],
        ),
        (
            "severity_id",
            "severity",
            &[(1, "Informational"), (2, "Low"), (3, "Medium"), (4, "High")],
        ),
        ("status_id", "status", &[(1, "Success"), (2, "Failure")]),
    ];
    for (id, name, table) in captions {
        let want = table
            .iter()
            .find(|(v, _)| *v == n(id).unwrap_or(0))
            .map(|(_, c)| *c);
        if e[name].as_str() != want {
            return Err(format!("{name} caption"));
        }
    }
    if e["class_name"] != "API Activity" || e["category_name"] != "Application Activity" {
        return Err("class or category name".into());
    }
    if e["metadata"]["version"] != "1.8.0" || !e["time"].is_i64() {
        return Err("metadata.version or time".into());
    }
    Ok(())
}

#[test]
fn every_ocsf_event_validates_against_the_ocsf_schema_and_its_rules() {
    let v = ocsf_validator();
    let ndjson = to_ndjson(&samples(), ocsf);
    let text = String::from_utf8(ndjson).unwrap();
    assert_eq!(text.lines().count(), 4);
    for line in text.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let errors: Vec<String> = v.iter_errors(&e).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}\n{line}");
        ocsf_rules(&e).unwrap();
    }
}

#[test]
fn ocsf_rejects_broken_events() {
    let v = ocsf_validator();
    let good = ocsf(&samples()[0]);
    let mut unknown = good.clone();
    unknown["clyra"] = json!(1);
    assert!(!v.is_valid(&unknown));
    let mut wrong_enum = good.clone();
    wrong_enum["activity_id"] = json!(7);
    assert!(!v.is_valid(&wrong_enum));
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("api");
    assert!(!v.is_valid(&missing));
    let mut caption = good;
    caption["severity"] = json!("Critical");
    assert!(ocsf_rules(&caption).is_err());
}

/// ECS field definitions: `fields.csv` types, `ecs_flat.yml` allowed values.
struct Ecs {
    types: HashMap<String, String>,
    allowed: HashMap<String, Vec<String>>,
    expected: HashMap<String, Vec<String>>,
}

fn ecs_defs() -> Ecs {
    let dir = common::shared_dir().join("conformance/ecs");
    let csv = std::fs::read_to_string(dir.join("fields.csv")).unwrap();
    let mut types = HashMap::new();
    for line in csv.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        types.insert(cols[3].to_owned(), cols[4].to_owned());
    }
    let yml = std::fs::read_to_string(dir.join("ecs_flat.yml")).unwrap();
    let flat: Value = serde_saphyr::from_str(&yml).unwrap();
    let mut allowed = HashMap::new();
    let mut expected = HashMap::new();
    for field in [
        "event.kind",
        "event.category",
        "event.type",
        "event.outcome",
    ] {
        let values = flat[field]["allowed_values"].as_array().unwrap();
        allowed.insert(
            field.to_owned(),
            values
                .iter()
                .map(|v| v["name"].as_str().unwrap().to_owned())
                .collect(),
        );
        if field == "event.category" {
            for v in values {
                let types: Vec<String> = v["expected_event_types"]
                    .as_array()
                    .map(|a| a.iter().map(|t| t.as_str().unwrap().to_owned()).collect())
                    .unwrap_or_default();
                expected.insert(v["name"].as_str().unwrap().to_owned(), types);
            }
        }
    }
    Ecs {
        types,
        allowed,
        expected,
    }
}

fn flatten(prefix: &str, v: &Value, defs: &Ecs, out: &mut Vec<(String, Value)>) {
    for (k, child) in v.as_object().unwrap() {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let leaf_object = matches!(
            defs.types.get(&key).map(String::as_str),
            Some("object" | "flattened")
        );
        if child.is_object() && !leaf_object && key != "clyra" {
            flatten(&key, child, defs, out);
        } else {
            out.push((key, child.clone()));
        }
    }
}

/// The ECS checks of the conformance README (§1–§6).
fn ecs_check(e: &Value, defs: &Ecs) -> Result<(), String> {
    if e["ecs"]["version"] != "9.4.0" || !e["@timestamp"].is_string() {
        return Err("ecs.version or @timestamp".into());
    }
    let mut fields = Vec::new();
    flatten("", e, defs, &mut fields);
    for (key, value) in &fields {
        if key == "clyra" {
            continue; // the project's documented custom namespace (docs/siem.md)
        }
        let ty = defs.types.get(key).ok_or(format!("unknown field {key}"))?;
        let ok = match ty.as_str() {
            "keyword" | "constant_keyword" | "wildcard" | "match_only_text" | "text" | "date"
            | "ip" => {
                value.is_string()
                    || (value.is_array() && value.as_array().unwrap().iter().all(Value::is_string))
            }
            "long" | "integer" => value.is_i64() || value.is_u64(),
            "float" | "double" | "scaled_float" => value.is_number(),
            "boolean" => value.is_boolean(),
            "object" | "flattened" => value.is_object(),
            _ => false,
        };
        if !ok {
            return Err(format!("{key}: not a {ty}"));
        }
        if let Some(allowed) = defs.allowed.get(key) {
            let values: Vec<&Value> = match value {
                Value::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            if ["event.category", "event.type"].contains(&key.as_str()) && !value.is_array() {
                return Err(format!("{key} must be an array"));
            }
            for v in values {
                if !allowed.iter().any(|a| Some(a.as_str()) == v.as_str()) {
                    return Err(format!("{key}: `{v}` not allowed"));
                }
            }
        }
    }
    for cat in e["event"]["category"].as_array().ok_or("event.category")? {
        let want = &defs.expected[cat.as_str().unwrap()];
        for t in e["event"]["type"].as_array().ok_or("event.type")? {
            if !want.iter().any(|w| Some(w.as_str()) == t.as_str()) {
                return Err(format!("type {t} not expected for {cat}"));
            }
        }
    }
    Ok(())
}

#[test]
fn every_ecs_event_conforms_to_ecs_fields() {
    let defs = ecs_defs();
    let text = String::from_utf8(to_ndjson(&samples(), ecs)).unwrap();
    assert_eq!(text.lines().count(), 4);
    for line in text.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        ecs_check(&e, &defs).unwrap_or_else(|err| panic!("{err}\n{line}"));
    }
}

#[test]
fn ecs_rejects_broken_events() {
    let defs = ecs_defs();
    let good = ecs(&samples()[0]);
    let mut unknown = good.clone();
    unknown["verdict"] = json!("x");
    assert!(ecs_check(&unknown, &defs).is_err());
    let mut string_category = good.clone();
    string_category["event"]["category"] = json!("api");
    assert!(ecs_check(&string_category, &defs).is_err());
    let mut blocked = good.clone();
    blocked["event"]["type"] = json!(["blocked"]);
    assert!(ecs_check(&blocked, &defs).is_err());
    let mut pair = good;
    pair["event"]["category"] = json!(["api"]);
    pair["event"]["type"] = json!(["connection"]);
    assert!(ecs_check(&pair, &defs).is_err());
}
