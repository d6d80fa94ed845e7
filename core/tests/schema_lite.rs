//! The subset validator (`format::schema_lite`, the browser verifier's engine under the
//! `schema-lite` feature) against `jsonschema` 0.37 (every other host's engine): on every JSON
//! document of every golden vector (manifests, DSSE envelopes and their payloads — statements
//! and approvals —, receipts, trust and argument files) and on systematic mutations of each,
//! both must give the same accept/reject and the same errors, in the same order, with the same
//! messages and instance pointers, for each of the five schemas the verifier checks, and for
//! `policy-v1` (the `--policy` file, compiled on its own) on the policy documents too, and for
//! `attestation-v0` (an attestation's predicate, compiled on its own) on the predicates. The
//! verifier's detail strings are built from exactly these (`format::first_error`, receipt,
//! approval and policy checks), so equal errors mean equal verdicts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use clyra_core::bundle::Container;
use clyra_core::format::schema_lite::{LiteSet, LiteValidator};
use clyra_core::format::EMBEDDED_SCHEMAS;
use clyra_core::Limits;
use jsonschema::{Draft, Resource, Validator};
use serde_json::{json, Value};

const ROOTS: &[&str] = &[
    "manifest-def-v0",
    "manifest-pef-v0",
    "statement-v0",
    "approval-v0",
    "receipt-v0",
];

fn id(stem: &str) -> String {
    format!("https://clyra.dev/schemas/{stem}.schema.json")
}

/// `(stem, jsonschema validator, subset validator)` for each root the verifier checks.
fn engines() -> Vec<(&'static str, Validator, LiteValidator)> {
    let parsed: Vec<Value> = EMBEDDED_SCHEMAS
        .iter()
        .map(|(_, text)| serde_json::from_str(text).unwrap())
        .collect();
    let resources: Vec<(String, Resource)> = parsed
        .iter()
        .map(|s| {
            (
                s["$id"].as_str().unwrap().to_owned(),
                Resource::from_contents(s.clone()),
            )
        })
        .collect();
    let set: Arc<LiteSet> = LiteSet::new(parsed.clone()).unwrap();
    // `--policy` files and an attestation's predicate (attestation-v0.md §6.1 item 3) are
    // checked against their schema compiled on its own; the browser build uses the subset
    // validator for both.
    let alone = [
        ("policy-v1", clyra_core::policy::POLICY_SCHEMA),
        (
            "attestation-v0",
            include_str!("../schemas/attestation-v0.schema.json"),
        ),
    ]
    .map(|(stem, text)| {
        let schema: Value = serde_json::from_str(text).unwrap();
        let reference = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .build(&schema)
            .unwrap();
        let lite = LiteSet::new(vec![schema]).unwrap();
        (stem, reference, lite.validator(&id(stem)).unwrap())
    });
    ROOTS
        .iter()
        .map(|stem| {
            let schema = parsed.iter().find(|s| s["$id"] == id(stem)).unwrap();
            let reference = jsonschema::options()
                .with_draft(Draft::Draft202012)
                .with_resources(resources.clone().into_iter())
                .build(schema)
                .unwrap();
            (*stem, reference, set.validator(&id(stem)).unwrap())
        })
        .chain(alone)
        .collect()
}

/// A JSON document and, when it is a DSSE envelope, its decoded payload, recursively.
fn push_document(value: Value, out: &mut Vec<Value>) {
    if let Some(payload) = value.get("payload").and_then(Value::as_str) {
        if let Some(inner) = STANDARD
            .decode(payload)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        {
            push_document(inner, out);
        }
    }
    for member in ["envelopes", "manifest", "predicate"] {
        match value.get(member) {
            Some(Value::Array(items)) => items.iter().for_each(|i| push_document(i.clone(), out)),
            Some(inner @ Value::Object(_)) => push_document(inner.clone(), out),
            _ => {}
        }
    }
    out.push(value);
}

/// Every JSON document of the golden vectors: files beside each bundle and every `.json` entry.
fn vector_documents() -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let name = file.file_name().unwrap().to_str().unwrap().to_owned();
            let bytes = std::fs::read(&file).unwrap();
            if name.ends_with(".json") {
                if let Ok(value) = serde_json::from_slice(&bytes) {
                    push_document(value, &mut out);
                }
            } else if name.ends_with(".zip") {
                let len = bytes.len() as u64;
                let Ok(mut container) =
                    Container::open(Cursor::new(bytes), len, &Limits::default())
                else {
                    continue;
                };
                let names: Vec<String> =
                    container.entries().iter().map(|e| e.name.clone()).collect();
                for (index, entry) in names.iter().enumerate() {
                    if !entry.ends_with(".json") {
                        continue;
                    }
                    if let Ok(Ok(value)) = container
                        .read_small_entry(index, 1 << 24)
                        .map(|b| serde_json::from_slice::<Value>(&b))
                    {
                        push_document(value, &mut out);
                    }
                }
            }
        }
    }
    // The policy templates and the policy fuzz seeds (YAML).
    let core = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["src/policy/templates", "fuzz/corpus/policy_load"] {
        let mut files: Vec<_> = std::fs::read_dir(core.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if let Ok(value) = serde_saphyr::from_str::<Value>(&text) {
                out.push(value);
            }
        }
    }
    out
}

/// Values put in place of any node: every JSON type, integer/float edges, strings that pass or
/// miss the schemas' patterns and lengths.
fn replacements() -> Vec<Value> {
    let mut values = vec![
        json!(null),
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(1),
        json!(1.0),
        json!(1.5),
        json!(-0.5),
        json!(100),
        json!(101),
        json!(1000001),
        json!(1e300),
        json!(9007199254740991_u64),
        json!(9007199254740992_u64),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(9007199254740991.5),
        json!(""),
        json!("a"),
        json!("é"),
        json!("DEF"),
        json!("x".repeat(300)),
        json!("2026-01-01T00:00:00Z"),
        json!("2026-01-01T00:00:00Z\n"),
        json!(format!("sha256:{}", "0".repeat(64))),
        json!(format!("sha256:{}", "A".repeat(64))),
        json!("0".repeat(64)),
        json!("artifacts/a.csv"),
        json!("approvals/0001.dsse.json"),
        json!("ed25519"),
        json!("a/b~c"),
        json!("Upper"),
        json!("24:00"),
        json!("P1Y2M3D"),
        json!([]),
        json!([1]),
        json!(["a", "a"]),
        json!([{}]),
        json!({}),
        json!({"a/b": 1, "~": 2}),
    ];
    values.push(Value::Array(vec![json!("x"); 20]));
    values
}

/// Every node of `value` with its RFC 6901 pointer, in document order.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    let escape = |k: &str| k.replace('~', "~0").replace('/', "~1");
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pointers(v, format!("{at}/{}", escape(k)), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Mutations of `document` at `pointer` (the `nth` node): every fourth replacement value, by
/// `nth`, so that each node meets a quarter of them and each value a quarter of the nodes; for strings, one character
/// cut, added or changed; for objects, each member removed and an unknown one added; for
/// arrays, emptied, the first item doubled, the last removed.
fn mutations(document: &Value, pointer: &str, nth: usize, palette: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut copy = document.clone();
        if let Some(node) = copy.pointer_mut(pointer) {
            f(node);
        }
        copy
    };
    for value in palette.iter().skip(nth % 4).step_by(4) {
        out.push(with(&|n| *n = value.clone()));
    }
    match document.pointer(pointer) {
        Some(Value::String(s)) => {
            let mut cut = s.clone();
            cut.pop();
            out.push(with(&|n| *n = json!(cut)));
            out.push(with(&|n| *n = json!(format!("{s}Z"))));
            out.push(with(&|n| *n = json!(format!("{s}\n"))));
            out.push(with(&|n| *n = json!(s.to_uppercase())));
            out.push(with(&|n| *n = json!(format!("-{s}"))));
        }
        Some(Value::Object(map)) => {
            for key in map.keys() {
                out.push(with(&|n| {
                    n.as_object_mut().unwrap().remove(key);
                }));
            }
            out.push(with(&|n| {
                n.as_object_mut()
                    .unwrap()
                    .insert("zz_unknown".into(), json!(1));
            }));
            out.push(with(&|n| {
                let m = n.as_object_mut().unwrap();
                m.insert("0_unknown".into(), json!(1));
                m.insert("unknown/2".into(), json!(2));
            }));
            out.push(with(&|n| {
                n.as_object_mut()
                    .unwrap()
                    .insert("Bad-Name".into(), json!({}));
            }));
        }
        Some(Value::Array(items)) if !items.is_empty() => {
            out.push(with(&|n| n.as_array_mut().unwrap().clear()));
            out.push(with(&|n| {
                let a = n.as_array_mut().unwrap();
                a.insert(0, a[0].clone());
            }));
            out.push(with(&|n| {
                n.as_array_mut().unwrap().pop();
            }));
        }
        _ => {}
    }
    out
}

fn reference_errors(validator: &Validator, instance: &Value) -> Vec<(String, String)> {
    validator
        .iter_errors(instance)
        .map(|e| (e.to_string(), e.instance_path().to_string()))
        .collect()
}

fn lite_errors(validator: &LiteValidator, instance: &Value) -> Vec<(String, String)> {
    validator
        .errors(instance)
        .into_iter()
        .map(|v| (v.message, v.path))
        .collect()
}

/// Compares both engines on `instance` under every root; returns how many instances were valid.
fn compare(engines: &[(&str, Validator, LiteValidator)], instance: &Value, what: &str) -> usize {
    let mut valid = 0;
    for (stem, reference, lite) in engines {
        let expected = reference_errors(reference, instance);
        let got = lite_errors(lite, instance);
        assert_eq!(
            got,
            expected,
            "{stem} on {what}: {}",
            serde_json::to_string(instance).unwrap()
        );
        assert_eq!(
            lite.is_valid(instance),
            reference.is_valid(instance),
            "{stem} on {what}"
        );
        valid += usize::from(expected.is_empty());
    }
    valid
}

#[test]
fn subset_validator_agrees_with_jsonschema_on_every_vector_document() {
    let engines = engines();
    let documents = vector_documents();
    assert!(
        documents.len() > 300,
        "vector documents: {}",
        documents.len()
    );
    let mut valid = 0;
    for (i, document) in documents.iter().enumerate() {
        valid += compare(&engines, document, &format!("vector document {i}"));
    }
    // Each root schema accepts some vector document: the comparison covers passing documents.
    assert!(
        valid >= ROOTS.len(),
        "valid (document, schema) pairs: {valid}"
    );
}

#[test]
fn subset_validator_agrees_with_jsonschema_on_mutated_documents() {
    let engines = engines();
    let palette = replacements();
    // Each distinct document that some root accepts (a manifest, statement, approval or
    // receipt), mutated at every node.
    let mut seeds: Vec<Value> = Vec::new();
    for document in vector_documents() {
        let accepted = engines.iter().any(|(_, r, _)| r.is_valid(&document));
        if accepted && !seeds.contains(&document) {
            seeds.push(document);
        }
    }
    assert!(seeds.len() >= 10, "seed documents: {}", seeds.len());
    let nodes: usize = std::env::var("CLYRA_SCHEMA_LITE_NODES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let (mut cases, mut valid) = (0, 0);
    for (s, seed) in seeds.iter().enumerate() {
        let mut at = Vec::new();
        pointers(seed, String::new(), &mut at);
        // At most `nodes` nodes of a seed, evenly spread (large journals repeat one shape):
        // 10 in the test command, more for a long run (CLYRA_SCHEMA_LITE_NODES=30: 95,220 cases).
        let step = at.len().div_ceil(nodes).max(1);
        let at: Vec<String> = at.into_iter().step_by(step).collect();
        for (nth, pointer) in at.iter().enumerate() {
            for mutated in mutations(seed, pointer, nth + s, &palette) {
                valid += compare(&engines, &mutated, &format!("seed {s} at `{pointer}`"));
                cases += 1;
            }
        }
    }
    assert!(cases > 5_000, "mutated documents: {cases}");
    println!("{cases} mutated documents, {valid} valid (document, schema) pairs");
    assert!(valid > 0, "some mutations keep a document valid");
}

#[test]
fn subset_validator_refuses_keywords_outside_its_subset() {
    for schema in [
        json!({"$id": "x", "patternProperties": {"^a": {}}}),
        json!({"$id": "x", "anyOf": [{}]}),
        json!({"$id": "x", "type": ["string", "null"]}),
        json!({"$id": "x", "format": "date-time"}),
        json!({"$id": "x", "pattern": "(?=a)"}),
    ] {
        assert!(LiteSet::new(vec![schema.clone()]).is_err(), "{schema}");
    }
}
