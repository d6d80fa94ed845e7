//! The spec's JSON Schemas and worked examples, checked together.
//!
//! - `core/schemas` is a byte-for-byte mirror of `spec/schemas` (`just sync-schemas` writes it).
//! - Every schema uses only the portable subset of DESIGN §9 (the Go verifier validates with a
//!   different library and must agree).
//! - Every worked example in `spec/*.md` (`<!-- example: STEM -->` + a json block + a
//!   `Canonical form: N bytes, \`sha256:…\`.` line) validates against its schema, and its stated
//!   canonical size and digest are right; every `<!-- counterexample: STEM -->` block fails.
//! - Each schema rejects wrong documents: every example with an unknown top-level field, and with
//!   each required top-level field removed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clyra_core::digest::Sha256Digest;
use clyra_core::{jcs, Limits};
use jsonschema::{Draft, Resource, Validator};
use serde_json::Value;

fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec")
}

fn mirror_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

/// `*.schema.json` files of a folder, by file name.
fn schema_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_str().unwrap().ends_with(".schema.json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_str().unwrap().to_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

/// Validators for every mirrored schema, keyed by file stem (`trust-v0`), each able to resolve
/// `$ref`s to the others by `$id`.
fn validators() -> BTreeMap<String, (Value, Validator)> {
    let schemas: Vec<(String, Value)> = schema_files(&mirror_dir())
        .into_iter()
        .map(|(name, bytes)| {
            (
                name.trim_end_matches(".schema.json").to_owned(),
                serde_json::from_slice(&bytes).unwrap(),
            )
        })
        .collect();
    let resources: Vec<(String, Resource)> = schemas
        .iter()
        .map(|(_, s)| {
            (
                s["$id"].as_str().unwrap().to_owned(),
                Resource::from_contents(s.clone()),
            )
        })
        .collect();
    schemas
        .into_iter()
        .map(|(stem, schema)| {
            let validator = jsonschema::options()
                .with_draft(Draft::Draft202012)
                .with_resources(resources.clone().into_iter())
                .build(&schema)
                .unwrap_or_else(|e| panic!("{stem}: {e}"));
            (stem, (schema, validator))
        })
        .collect()
}

#[test]
fn mirror_matches_spec_schemas() {
    let spec = schema_files(&spec_dir().join("schemas"));
    let mirror = schema_files(&mirror_dir());
    assert!(!spec.is_empty(), "no schemas in spec/schemas");
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&mirror),
        names(&spec),
        "core/schemas drifted from spec/schemas: run `just sync-schemas`"
    );
    for (name, bytes) in &spec {
        assert!(
            &mirror[name] == bytes,
            "core/schemas/{name} drifted from spec/schemas: run `just sync-schemas`"
        );
    }
}

const ALLOWED_KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$ref",
    "$defs",
    "title",
    "description",
    "examples",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "prefixItems",
    "enum",
    "const",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "uniqueItems",
    "oneOf",
    "anyOf",
    "allOf",
    "not",
    "if",
    "then",
    "else",
    "minProperties",
    "maxProperties",
    "propertyNames",
];

/// Walks a schema, checking every keyword, pattern and reference against DESIGN §9.
fn check_portable(file: &str, node: &Value, at: &str, ids: &[String]) {
    let Value::Object(map) = node else { return };
    for (key, value) in map {
        let here = format!("{at}/{key}");
        assert!(
            ALLOWED_KEYWORDS.contains(&key.as_str()),
            "{file}{here}: keyword `{key}` is outside the portable subset"
        );
        match key.as_str() {
            "properties" | "$defs" => {
                for (name, sub) in value.as_object().unwrap() {
                    check_portable(file, sub, &format!("{here}/{name}"), ids);
                }
            }
            "pattern" => {
                let p = value.as_str().unwrap();
                assert!(p.is_ascii(), "{file}{here}: non-ASCII pattern");
                for class in ["\\d", "\\w", "\\s", "\\D", "\\W", "\\S", "\\p"] {
                    assert!(!p.contains(class), "{file}{here}: `{class}` differs between regex engines; use an explicit class");
                }
            }
            "$ref" => {
                let r = value.as_str().unwrap();
                let (doc, _) = r.split_once('#').unwrap_or((r, ""));
                assert!(
                    doc.is_empty() || ids.iter().any(|id| id == doc),
                    "{file}{here}: `$ref` {r} leaves the schema set"
                );
            }
            "items" | "not" | "if" | "then" | "else" | "additionalProperties" | "propertyNames" => {
                check_portable(file, value, &here, ids)
            }
            "oneOf" | "anyOf" | "allOf" | "prefixItems" => {
                for (i, sub) in value.as_array().unwrap().iter().enumerate() {
                    check_portable(file, sub, &format!("{here}/{i}"), ids);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn schemas_use_only_the_portable_subset() {
    let files = schema_files(&spec_dir().join("schemas"));
    let parsed: BTreeMap<&String, Value> = files
        .iter()
        .map(|(n, b)| (n, serde_json::from_slice(b).unwrap()))
        .collect();
    let ids: Vec<String> = parsed
        .values()
        .map(|s| s["$id"].as_str().unwrap().to_owned())
        .collect();
    for (name, schema) in &parsed {
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert_eq!(
            schema["$id"],
            format!("https://clyra.dev/schemas/{name}"),
            "{name}: $id must match the file name"
        );
        check_portable(name, schema, "", &ids);
    }
}

/// One JSON block of the spec text.
struct Example {
    file: String,
    line: usize,
    stem: String,
    counter: bool,
    json: String,
    stated: Option<(usize, String)>,
}

fn examples() -> Vec<Example> {
    let mut found = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(spec_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
    {
        let text = std::fs::read_to_string(path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i].trim();
            let marker = line
                .strip_prefix("<!-- example: ")
                .map(|rest| (rest, false))
                .or_else(|| {
                    line.strip_prefix("<!-- counterexample: ")
                        .map(|rest| (rest, true))
                });
            let Some((rest, counter)) = marker else {
                i += 1;
                continue;
            };
            let stem = rest.trim_end_matches("-->").trim().to_owned();
            let open = (i + 1..lines.len())
                .find(|&j| lines[j].trim_start().starts_with("```"))
                .unwrap();
            assert!(
                lines[open].trim() == "```json",
                "{file}:{}: example block must be ```json",
                open + 1
            );
            let close = (open + 1..lines.len())
                .find(|&j| lines[j].trim() == "```")
                .unwrap();
            let json = lines[open + 1..close].join("\n");
            let stated = (close + 1..lines.len())
                .find(|&j| !lines[j].trim().is_empty())
                .and_then(|j| {
                    let l = lines[j].trim();
                    let rest = l.strip_prefix("Canonical form: ")?;
                    let (size, rest) = rest.split_once(" bytes, `")?;
                    Some((
                        size.replace(',', "").parse().unwrap(),
                        rest.trim_end_matches("`.").to_owned(),
                    ))
                });
            found.push(Example {
                file: file.clone(),
                line: i + 1,
                stem,
                counter,
                json,
                stated,
            });
            i = close + 1;
        }
    }
    found
}

#[test]
fn worked_examples_validate_and_state_their_canonical_digest() {
    let validators = validators();
    let limits = Limits::default();
    let all = examples();
    for ex in &all {
        let at = format!("{}:{} ({})", ex.file, ex.line, ex.stem);
        let (_, validator) = validators
            .get(&ex.stem)
            .unwrap_or_else(|| panic!("{at}: no schema {}.schema.json", ex.stem));
        // Strict parse first: every example must be acceptable evidence JSON.
        let canonical =
            jcs::canonicalize(ex.json.as_bytes(), &limits).unwrap_or_else(|e| panic!("{at}: {e}"));
        let instance: Value = serde_json::from_slice(&canonical).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if ex.counter {
            assert!(!errors.is_empty(), "{at}: counterexample is valid");
            continue;
        }
        assert!(errors.is_empty(), "{at}: {errors:#?}");
        let (size, digest) = ex
            .stated
            .clone()
            .unwrap_or_else(|| panic!("{at}: missing `Canonical form: N bytes, `sha256:…`.` line"));
        assert_eq!(
            (canonical.len(), Sha256Digest::of(&canonical).to_prefixed()),
            (size, digest),
            "{at}: stated canonical size/digest is wrong"
        );
    }
    // The worked examples the spec must carry (issue 3 §8).
    for stem in [
        "manifest-def-v0",
        "manifest-pef-v0",
        "receipt-v0",
        "trust-v0",
        "approval-v0",
        "journal-event-v0",
    ] {
        if validators.contains_key(stem) {
            assert!(
                all.iter().any(|e| e.stem == stem && !e.counter),
                "no worked example for {stem}"
            );
        }
    }
    assert!(all.len() >= 6, "only {} worked examples", all.len());
}

/// The schema (or the one `$defs` entry a top-level `$ref` points to) that lists required fields.
fn top_level(schema: &Value) -> &Value {
    match schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        Some(name) => &schema["$defs"][name],
        None => schema,
    }
}

#[test]
fn schemas_reject_unknown_and_missing_fields() {
    let validators = validators();
    let mut rejected = 0;
    for ex in examples().iter().filter(|e| !e.counter) {
        let (schema, validator) = &validators[&ex.stem];
        let at = format!("{}:{} ({})", ex.file, ex.line, ex.stem);
        let canonical = jcs::canonicalize(ex.json.as_bytes(), &Limits::default()).unwrap();
        let instance: Value = serde_json::from_slice(&canonical).unwrap();
        let Value::Object(map) = &instance else {
            continue;
        };
        let mut extra = map.clone();
        extra.insert("x_unknown_field".into(), Value::Bool(true));
        assert!(
            !validator.is_valid(&Value::Object(extra)),
            "{at}: accepts an unknown top-level field"
        );
        rejected += 1;
        let required = top_level(schema)["required"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!required.is_empty(), "{at}: the schema requires no field");
        for field in required {
            let mut missing = map.clone();
            missing.remove(field.as_str().unwrap());
            assert!(
                !validator.is_valid(&Value::Object(missing)),
                "{at}: accepts a document without `{field}`"
            );
            rejected += 1;
        }
    }
    assert!(rejected > 20, "only {rejected} wrong documents tried");
}
