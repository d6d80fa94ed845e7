//! A JSON Schema (draft 2020-12) validator for the subset of keywords the verifier's embedded
//! schemas use, with `regex-lite` for their ASCII `pattern`s: the browser verifier's stand-in
//! for `jsonschema`, which links two full regex engines and their Unicode tables
//! (docs/decisions/0011-verifier-schemas-without-jsonschema.md).
//!
//! It must answer exactly as `jsonschema` 0.37 does on these schemas: the same accept/reject,
//! the same errors in the same order (keywords in schema-map order, as `jsonschema` compiles
//! them), with the same messages and instance pointers. `core/tests/schema_lite.rs` runs both
//! on every vector's documents and on mutations of them and requires equality. A schema with a
//! keyword outside the subset is refused when the set is built, never half-checked.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use serde_json::{Map, Number, Value};

/// Keywords that only annotate (no assertion); everything else must be in [`check`]'s match.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "$comment",
    "title",
    "description",
    "examples",
    "default",
    "then",
    "else",
];

/// Keywords [`check`] implements.
const ASSERTIONS: &[&str] = &[
    "$ref",
    "additionalProperties",
    "properties",
    "allOf",
    "oneOf",
    "if",
    "type",
    "required",
    "pattern",
    "items",
    "enum",
    "const",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "maxProperties",
    "propertyNames",
];

pub use super::schemas::Violation;

/// A set of schema documents that refer to each other by `$id`, their patterns compiled once.
#[derive(Debug)]
pub struct LiteSet {
    documents: Vec<(String, Value)>,
    patterns: HashMap<String, regex_lite::Regex>,
}

/// A validator: one document of a [`LiteSet`] as the root schema.
#[derive(Debug, Clone)]
pub struct LiteValidator {
    set: Arc<LiteSet>,
    document: usize,
}

impl LiteSet {
    /// Builds the set from parsed schema documents; refuses a keyword outside the subset, a
    /// pattern regex-lite does not compile, or a `type` that is not a single known name.
    pub fn new(documents: Vec<Value>) -> Result<Arc<Self>, String> {
        let mut patterns = HashMap::new();
        let mut named = Vec::with_capacity(documents.len());
        for document in documents {
            collect(&document, &mut patterns)?;
            let id = document
                .get("$id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            named.push((id, document));
        }
        Ok(Arc::new(Self {
            documents: named,
            patterns,
        }))
    }

    /// The validator whose root is the document with `$id` `id`.
    pub fn validator(self: &Arc<Self>, id: &str) -> Option<LiteValidator> {
        let document = self.documents.iter().position(|(i, _)| i == id)?;
        Some(LiteValidator {
            set: Arc::clone(self),
            document,
        })
    }

    fn resolve(&self, document: usize, reference: &str) -> Option<(usize, &Value)> {
        let (base, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let document = if base.is_empty() {
            document
        } else {
            self.documents.iter().position(|(id, _)| id == base)?
        };
        let (_, root) = self.documents.get(document)?;
        let target = if fragment.is_empty() {
            root
        } else {
            root.pointer(fragment)?
        };
        Some((document, target))
    }
}

fn collect(
    schema: &Value,
    patterns: &mut HashMap<String, regex_lite::Regex>,
) -> Result<(), String> {
    let Value::Object(map) = schema else {
        return match schema {
            Value::Bool(_) => Ok(()),
            _ => Err(format!("schema `{schema}` is not an object")),
        };
    };
    for (keyword, value) in map {
        match keyword.as_str() {
            "$defs" | "properties" => {
                for sub in value.as_object().into_iter().flat_map(Map::values) {
                    collect(sub, patterns)?;
                }
            }
            "allOf" | "oneOf" => {
                for sub in value.as_array().into_iter().flatten() {
                    collect(sub, patterns)?;
                }
            }
            "additionalProperties" | "items" | "if" | "then" | "else" | "propertyNames" => {
                collect(value, patterns)?
            }
            "pattern" => {
                let text = value.as_str().ok_or("`pattern` is not a string")?;
                let regex = regex_lite::Regex::new(text).map_err(|e| e.to_string())?;
                patterns.insert(text.to_owned(), regex);
            }
            "type" => {
                let name = value.as_str().ok_or("`type` is not a single name")?;
                if type_matches(name, &Value::Null).is_none() {
                    return Err(format!("`type` `{name}` is not known"));
                }
            }
            other if ANNOTATIONS.contains(&other) || ASSERTIONS.contains(&other) => {}
            other => return Err(format!("keyword `{other}` is outside the supported subset")),
        }
    }
    Ok(())
}

impl LiteValidator {
    /// Every violation of `instance`, in `jsonschema`'s order.
    pub fn errors(&self, instance: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        if let Some((_, root)) = self.set.documents.get(self.document) {
            check(&self.set, self.document, root, instance, "", &mut out);
        }
        out
    }

    /// Whether `instance` has no violation.
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.errors(instance).is_empty()
    }
}

fn valid(set: &LiteSet, document: usize, schema: &Value, instance: &Value) -> bool {
    let mut out = Vec::new();
    check(set, document, schema, instance, "", &mut out);
    out.is_empty()
}

fn child(path: &str, segment: &str) -> String {
    let mut out = String::with_capacity(path.len() + segment.len() + 1);
    out.push_str(path);
    out.push('/');
    for c in segment.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// Appends the violations of `instance` against `schema` (a node of `document`) to `out`.
fn check(
    set: &LiteSet,
    document: usize,
    schema: &Value,
    instance: &Value,
    path: &str,
    out: &mut Vec<Violation>,
) {
    let Value::Object(map) = schema else {
        if schema == &Value::Bool(false) {
            out.push(violation(
                format!("False schema does not allow {instance}"),
                path,
            ));
        }
        return;
    };
    // Keywords run in the schema map's order, as `jsonschema` compiles them; `properties` runs
    // inside `additionalProperties` when that is `false` or a schema (its combined validator).
    for (keyword, value) in map {
        match keyword.as_str() {
            "$ref" => {
                if let Some((doc, target)) = value.as_str().and_then(|r| set.resolve(document, r)) {
                    check(set, doc, target, instance, path, out);
                }
            }
            "additionalProperties" => additional(set, document, map, value, instance, path, out),
            "properties" => {
                let combined = matches!(
                    map.get("additionalProperties"),
                    Some(Value::Bool(false) | Value::Object(_))
                );
                if let (false, Some(props), Value::Object(object)) =
                    (combined, value.as_object(), instance)
                {
                    for (name, sub) in props {
                        if let Some(item) = object.get(name) {
                            check(set, document, sub, item, &child(path, name), out);
                        }
                    }
                }
            }
            "allOf" => {
                for sub in value.as_array().into_iter().flatten() {
                    check(set, document, sub, instance, path, out);
                }
            }
            "oneOf" => {
                let subs = value.as_array().map(Vec::as_slice).unwrap_or_default();
                let mut valid_ones = subs.iter().filter(|s| valid(set, document, s, instance));
                match (valid_ones.next(), valid_ones.next()) {
                    (None, _) => out.push(violation(
                        format!("{instance} is not valid under any of the schemas listed in the 'oneOf' keyword"),
                        path,
                    )),
                    (Some(_), Some(_)) => out.push(violation(
                        format!("{instance} is valid under more than one of the schemas listed in the 'oneOf' keyword"),
                        path,
                    )),
                    (Some(_), None) => {}
                }
            }
            "if" => {
                let holds = valid(set, document, value, instance);
                let branch = if holds {
                    map.get("then")
                } else {
                    map.get("else")
                };
                if let Some(branch) = branch {
                    check(set, document, branch, instance, path, out);
                }
            }
            "type" => {
                let name = value.as_str().unwrap_or_default();
                if type_matches(name, instance) == Some(false) {
                    out.push(violation(
                        format!(r#"{instance} is not of type "{name}""#),
                        path,
                    ));
                }
            }
            "required" => {
                if let Value::Object(object) = instance {
                    for name in value.as_array().into_iter().flatten() {
                        if let Some(name) = name.as_str().filter(|n| !object.contains_key(*n)) {
                            let quoted = Value::String(name.to_owned());
                            out.push(violation(format!("{quoted} is a required property"), path));
                        }
                    }
                }
            }
            "pattern" => {
                let pattern = value.as_str().unwrap_or_default();
                if let (Value::String(text), Some(regex)) = (instance, set.patterns.get(pattern)) {
                    if !regex.is_match(text) {
                        out.push(violation(
                            format!(r#"{instance} does not match "{pattern}""#),
                            path,
                        ));
                    }
                }
            }
            "items" => {
                if let Value::Array(items) = instance {
                    for (index, item) in items.iter().enumerate() {
                        let at = child(path, itoa(index).as_str());
                        check(set, document, value, item, &at, out);
                    }
                }
            }
            "enum" => {
                let options = value.as_array().map(Vec::as_slice).unwrap_or_default();
                if !options.iter().any(|o| equal(o, instance)) {
                    out.push(violation(enum_message(instance, options), path));
                }
            }
            "const" if !equal(value, instance) => {
                out.push(violation(format!("{value} was expected"), path));
            }
            "maxProperties" => {
                if let (Value::Object(object), Some(limit)) = (instance, value.as_u64()) {
                    if object.len() as u64 > limit {
                        let ies = if limit == 1 { "y" } else { "ies" };
                        out.push(violation(
                            format!("{instance} has more than {limit} propert{ies}"),
                            path,
                        ));
                    }
                }
            }
            "propertyNames" => {
                // Each name is checked as a string; its errors stand at the object's pointer.
                if let Value::Object(object) = instance {
                    for name in object.keys() {
                        let name = Value::String(name.clone());
                        check(set, document, value, &name, path, out);
                    }
                }
            }
            "minimum" | "maximum" => {
                if let (Value::Number(limit), Value::Number(number)) = (value, instance) {
                    let order = compare(number, limit);
                    if keyword == "minimum" && order == Some(std::cmp::Ordering::Less) {
                        out.push(violation(
                            format!("{instance} is less than the minimum of {value}"),
                            path,
                        ));
                    } else if keyword == "maximum" && order == Some(std::cmp::Ordering::Greater) {
                        out.push(violation(
                            format!("{instance} is greater than the maximum of {value}"),
                            path,
                        ));
                    }
                }
            }
            "minLength" | "maxLength" => {
                if let (Value::String(text), Some(limit)) = (instance, value.as_u64()) {
                    let count = text.chars().count() as u64;
                    let s = if limit == 1 { "" } else { "s" };
                    if keyword == "minLength" && count < limit {
                        out.push(violation(
                            format!("{instance} is shorter than {limit} character{s}"),
                            path,
                        ));
                    } else if keyword == "maxLength" && count > limit {
                        out.push(violation(
                            format!("{instance} is longer than {limit} character{s}"),
                            path,
                        ));
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let (Value::Array(items), Some(limit)) = (instance, value.as_u64()) {
                    let count = items.len() as u64;
                    let s = if limit == 1 { "" } else { "s" };
                    if keyword == "minItems" && count < limit {
                        out.push(violation(
                            format!("{instance} has less than {limit} item{s}"),
                            path,
                        ));
                    } else if keyword == "maxItems" && count > limit {
                        out.push(violation(
                            format!("{instance} has more than {limit} item{s}"),
                            path,
                        ));
                    }
                }
            }
            "uniqueItems" => {
                if let (Value::Array(items), Some(true)) = (instance, value.as_bool()) {
                    let unique = items
                        .iter()
                        .enumerate()
                        .all(|(i, a)| items.iter().skip(i + 1).all(|b| !equal(a, b)));
                    if !unique {
                        out.push(violation(
                            format!("{instance} has non-unique elements"),
                            path,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
}

fn violation(message: String, path: &str) -> Violation {
    Violation {
        message,
        path: path.to_owned(),
    }
}

fn itoa(n: usize) -> String {
    let mut s = String::new();
    let _ = write!(s, "{n}");
    s
}

/// `additionalProperties` as `jsonschema` 0.37 runs it (no `patternProperties` in the subset):
/// with `properties` beside it, one pass over the instance's members in their order.
fn additional(
    set: &LiteSet,
    document: usize,
    map: &Map<String, Value>,
    value: &Value,
    instance: &Value,
    path: &str,
    out: &mut Vec<Violation>,
) {
    let Value::Object(object) = instance else {
        return;
    };
    if value == &Value::Bool(true) {
        return;
    }
    let Some(Value::Object(props)) = map.get("properties") else {
        if value == &Value::Bool(false) {
            if let Some(first) = object.values().next() {
                out.push(violation(
                    format!("False schema does not allow {first}"),
                    path,
                ));
            }
        } else {
            for (name, item) in object {
                check(set, document, value, item, &child(path, name), out);
            }
        }
        return;
    };
    let mut unexpected = Vec::new();
    for (name, item) in object {
        if let Some(sub) = props.get(name) {
            check(set, document, sub, item, &child(path, name), out);
        } else if value == &Value::Bool(false) {
            unexpected.push(name.as_str());
        } else {
            check(set, document, value, item, &child(path, name), out);
        }
    }
    if !unexpected.is_empty() {
        let list: Vec<String> = unexpected.iter().map(|n| format!("'{n}'")).collect();
        let verb = if unexpected.len() == 1 { "was" } else { "were" };
        out.push(violation(
            format!(
                "Additional properties are not allowed ({} {verb} unexpected)",
                list.join(", ")
            ),
            path,
        ));
    }
}

/// Whether `instance` is of JSON Schema type `name`; `None` when the name is not a type.
fn type_matches(name: &str, instance: &Value) -> Option<bool> {
    Some(match name {
        "null" => instance.is_null(),
        "boolean" => instance.is_boolean(),
        "string" => instance.is_string(),
        "array" => instance.is_array(),
        "object" => instance.is_object(),
        "number" => instance.is_number(),
        "integer" => match instance {
            Value::Number(n) => {
                n.is_u64() || n.is_i64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        _ => return None,
    })
}

/// `jsonschema`'s enum message: every option up to three, else two and a count.
fn enum_message(instance: &Value, options: &[Value]) -> String {
    let mut out = format!("{instance} is not one of ");
    let total = options.len();
    if total <= 3 {
        for (i, option) in options.iter().enumerate() {
            let sep = match i {
                0 => "",
                i if i + 1 == total => " or ",
                _ => ", ",
            };
            let _ = write!(out, "{sep}{option}");
        }
    } else {
        for (i, option) in options.iter().take(2).enumerate() {
            let _ = write!(out, "{}{option}", if i == 0 { "" } else { ", " });
        }
        let _ = write!(out, " or {} other candidates", total - 2);
    }
    out
}

/// JSON equality with numbers compared by value (`1` equals `1.0`), as JSON Schema requires.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare(x, y) == Some(std::cmp::Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, p)| y.get(k).is_some_and(|q| equal(p, q)))
        }
        _ => a == b,
    }
}

/// Exact order of two JSON numbers (integers as integers, floats against integers exactly).
fn compare(a: &Number, b: &Number) -> Option<std::cmp::Ordering> {
    match (integer(a), integer(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        (Some(x), None) => b.as_f64().and_then(|y| cmp_int_float(x, y)),
        (None, Some(y)) => a
            .as_f64()
            .and_then(|x| cmp_int_float(y, x))
            .map(|o| o.reverse()),
        (None, None) => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn integer(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Orders the integer `x` against the float `y` without rounding `x`.
fn cmp_int_float(x: i128, y: f64) -> Option<std::cmp::Ordering> {
    if y.is_nan() {
        return None;
    }
    // |y| beyond 2^100 lies outside every i64/u64 value.
    if y >= 1.3e30 {
        return Some(std::cmp::Ordering::Less);
    }
    if y <= -1.3e30 {
        return Some(std::cmp::Ordering::Greater);
    }
    let whole = y.trunc();
    #[expect(clippy::cast_possible_truncation, reason = "|y| < 2^101 fits i128")]
    let w = whole as i128;
    match x.cmp(&w) {
        std::cmp::Ordering::Equal if y > whole => Some(std::cmp::Ordering::Less),
        std::cmp::Ordering::Equal if y < whole => Some(std::cmp::Ordering::Greater),
        order => Some(order),
    }
}
