//! The facts vocabulary (policy-v1.md §5): what a condition may read, with types, and the facts
//! document a host passes to evaluation, checked against it.
//!
//! Facts come in namespaces (`change`, `dbt`, `sql`, `genai`, `call`, `request`). A rule that
//! reads a namespace the facts do not carry is *not applicable*; inside a namespace that is
//! present, a member not given reads as its zero value (`""`, `0`, `false`, `[]`). Members marked
//! derived are computed by the engine and cannot be given.

use std::collections::HashMap;
use std::sync::Arc;

use super::error::{PolicyError, PolicyErrorKind};
use super::model::PolicyDoc;
use super::tcpa;
use crate::jcs::{Map, Value};

/// A guard finding's severity on the policy scale (policy-v1.md §5.2), so that one policy reads
/// SQL and GenAI findings alike: `error` → `critical`, `warning`/`warn` → `high`, else `info`.
pub fn policy_severity(guard_severity: &str) -> &'static str {
    match guard_severity {
        "error" => "critical",
        "warning" | "warn" => "high",
        _ => "info",
    }
}

/// The type of one fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactType {
    /// A string.
    Str,
    /// An integer within ±(2^53−1).
    Int,
    /// `true` or `false`.
    Bool,
    /// A list of strings.
    StrList,
    /// A list of JSON objects (findings), read member by member in comprehensions.
    ObjectList,
}

impl FactType {
    /// The name used in the spec and in messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Str => "string",
            Self::Int => "int",
            Self::Bool => "bool",
            Self::StrList => "list(string)",
            Self::ObjectList => "list(object)",
        }
    }
}

/// One fact of the vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fact {
    /// The namespace, e.g. `change`.
    pub namespace: &'static str,
    /// The member, e.g. `environment`.
    pub member: &'static str,
    /// Its type.
    pub ty: FactType,
    /// Computed by the engine from other facts and the policy; a host never gives it.
    pub derived: bool,
    /// What it means (the spec table is generated from the same words).
    pub doc: &'static str,
}

const fn fact(
    namespace: &'static str,
    member: &'static str,
    ty: FactType,
    doc: &'static str,
) -> Fact {
    Fact {
        namespace,
        member,
        ty,
        derived: false,
        doc,
    }
}

const fn derived(
    namespace: &'static str,
    member: &'static str,
    ty: FactType,
    doc: &'static str,
) -> Fact {
    Fact {
        derived: true,
        ..fact(namespace, member, ty, doc)
    }
}

/// The namespaces, in the order of policy-v1.md §5.
pub const NAMESPACES: [&str; 6] = ["change", "dbt", "sql", "genai", "call", "request"];

/// Every fact a condition may read (policy-v1.md §5).
pub const VOCABULARY: &[Fact] = &[
    fact("change", "subject", FactType::Str, "what changed, e.g. `model.shop.orders`"),
    fact("change", "kind", FactType::Str, "`schema`, `data`, `config` (DEF) or `tool_call`, `agent_action`, `data_push` (PEF)"),
    fact("change", "environment", FactType::Str, "`production`, `staging`, `development` or `test`"),
    fact("change", "actor", FactType::Str, "the author of the change"),
    fact("change", "deployer", FactType::Str, "who deploys it (may be empty)"),
    fact("change", "summary", FactType::Str, "one line describing the change"),
    fact("change", "tables", FactType::StrList, "tables the change writes"),
    derived("change", "pii_tables", FactType::StrList, "the members of `change.tables` that `data_platform.tables` classifies `pii`"),
    fact("dbt", "command", FactType::Str, "the dbt command, e.g. `build`"),
    fact("dbt", "target", FactType::Str, "the dbt target name"),
    fact("dbt", "models", FactType::StrList, "models selected"),
    fact("dbt", "tests_total", FactType::Int, "dbt tests run"),
    fact("dbt", "tests_failed", FactType::Int, "dbt tests that failed or errored"),
    fact("dbt", "tests_warned", FactType::Int, "dbt tests that warned"),
    fact("dbt", "drift", FactType::ObjectList, "drift between the run and its plan, each an object such as `{\"rule\": \"plan.sql_changed\", \"asset\": \"model.shop.orders\"}` (plan-v0.md §5)"),
    fact("sql", "statements", FactType::Int, "SQL statements the change executes"),
    fact("sql", "findings", FactType::ObjectList, "SQL guard findings, each an object such as `{\"rule\": \"sql.drop_table\", \"severity\": \"critical\", \"guard_severity\": \"error\", \"table\": \"…\", \"asset\": \"…\"}` (§5.2)"),
    fact("genai", "model", FactType::Str, "the model called"),
    fact("genai", "tool", FactType::Str, "the tool an agent calls"),
    fact("genai", "findings", FactType::ObjectList, "GenAI detector findings, each an object such as `{\"detector\": \"genai.instruction_override\", \"severity\": \"critical\", \"guard_severity\": \"error\", \"confidence\": 850}` (§5.2)"),
    fact("call", "callee", FactType::Str, "the number or id called"),
    fact("call", "callee_tz", FactType::Str, "the callee's IANA time zone, e.g. `America/Chicago` (required with `call`)"),
    fact("call", "at", FactType::Str, "when the call would start, RFC 3339 UTC `Z` (required with `call`)"),
    fact("call", "consent", FactType::Bool, "a consent record exists for this callee"),
    fact("call", "opted_out", FactType::Bool, "the callee opted out"),
    fact("call", "disclaimer", FactType::Bool, "the disclaimer plays before any interaction"),
    derived("call", "local_time", FactType::Str, "`call.at` in `call.callee_tz`, as `HH:MM`"),
    derived("call", "within_window", FactType::Bool, "`call.local_time` is inside `voice_compliance.calling_window`"),
    fact("request", "tenant", FactType::Str, "the tenant a gateway request acts for"),
    fact("request", "tool", FactType::Str, "the tool or endpoint called"),
    fact("request", "method", FactType::Str, "the HTTP method or operation"),
    fact("request", "rows", FactType::Int, "rows the request reads or writes"),
];

/// Whether `fact` (`namespace.member`) is known only after execution (plan-v0.md §4).
pub fn known_after_execution(fact: &str) -> bool {
    AFTER_EXECUTION.contains(&fact)
}

/// The facts only a finished run can give (plan-v0.md §4); every other DEF fact is known from
/// the plan. `sql.findings` is known in part before (the compiled SQL), in full after (hooks
/// and dbt's own statements).
pub const AFTER_EXECUTION: [&str; 5] = [
    "dbt.tests_total",
    "dbt.tests_failed",
    "dbt.tests_warned",
    "dbt.drift",
    "sql.statements",
];

/// The fact `namespace.member`, if the vocabulary defines it.
pub fn lookup(namespace: &str, member: &str) -> Option<&'static Fact> {
    VOCABULARY
        .iter()
        .find(|f| f.namespace == namespace && f.member == member)
}

/// Whether `name` is a namespace.
pub fn is_namespace(name: &str) -> bool {
    NAMESPACES.contains(&name)
}

/// Index of a namespace in [`NAMESPACES`] (bit position in namespace masks).
pub(crate) fn namespace_bit(name: &str) -> u8 {
    NAMESPACES
        .iter()
        .position(|n| *n == name)
        .map_or(0, |i| 1u8 << i)
}

/// A facts document checked against the vocabulary and turned into CEL values, with the derived
/// facts added and the sizes the cost bound needs.
#[derive(Debug, Clone)]
pub struct Facts {
    /// One CEL map per namespace present.
    pub(crate) values: Vec<(&'static str, cel::Value)>,
    /// Bit set of the namespaces present.
    pub(crate) present: u8,
    /// Length of each list-valued fact, by `namespace.member`.
    pub(crate) lengths: HashMap<String, u64>,
    /// The longest list anywhere in the facts (bounds comprehensions over computed lists).
    pub(crate) longest: u64,
    /// The document as given (for checkpoints and records).
    pub(crate) json: Value,
}

impl Facts {
    /// Checks `json` (a JSON object of namespaces) against the vocabulary and derives the
    /// computed facts using `policy` (PII tables, calling window).
    pub fn from_value(json: &Value, policy: &PolicyDoc) -> Result<Self, PolicyError> {
        let top = json.as_object().ok_or_else(|| {
            PolicyError::new(PolicyErrorKind::Facts, "facts must be a JSON object")
        })?;
        let mut out = Facts {
            values: Vec::new(),
            present: 0,
            lengths: HashMap::new(),
            longest: 0,
            json: json.clone(),
        };
        for (ns, members) in top.iter() {
            let namespace = NAMESPACES
                .iter()
                .copied()
                .find(|n| *n == ns)
                .ok_or_else(|| {
                    PolicyError::new(
                        PolicyErrorKind::UnknownFact,
                        format!("unknown fact namespace `{ns}`"),
                    )
                    .with_pointer(format!("/{ns}"))
                })?;
            let members = members.as_object().ok_or_else(|| {
                PolicyError::new(
                    PolicyErrorKind::FactType,
                    format!("`{ns}` must be an object"),
                )
                .with_pointer(format!("/{ns}"))
            })?;
            let mut map: HashMap<cel::objects::Key, cel::Value> = HashMap::new();
            for f in VOCABULARY.iter().filter(|f| f.namespace == namespace) {
                let given = members.get(f.member);
                if f.derived {
                    if given.is_some() {
                        return Err(PolicyError::new(
                            PolicyErrorKind::FactType,
                            format!(
                                "`{ns}.{}` is computed by the engine and cannot be given",
                                f.member
                            ),
                        )
                        .with_pointer(format!("/{ns}/{}", f.member)));
                    }
                    continue;
                }
                let value = convert(f, given, &mut out)?;
                map.insert(cel::objects::Key::from(f.member), value);
            }
            for key in members.keys() {
                if lookup(namespace, key).is_none() {
                    return Err(PolicyError::new(
                        PolicyErrorKind::UnknownFact,
                        format!("unknown fact `{ns}.{key}`"),
                    )
                    .with_pointer(format!("/{ns}/{key}")));
                }
            }
            derive(namespace, members, policy, &mut map, &mut out)?;
            out.present |= namespace_bit(namespace);
            out.values.push((
                namespace,
                cel::Value::Map(cel::objects::Map { map: Arc::new(map) }),
            ));
        }
        Ok(out)
    }

    /// Whether every namespace in `mask` is present.
    pub(crate) fn has_all(&self, mask: u8) -> bool {
        self.present & mask == mask
    }

    /// The facts document as given.
    pub fn json(&self) -> &Value {
        &self.json
    }
}

/// The CEL value of fact `f` (its zero value when not given), checking its type.
fn convert(f: &Fact, given: Option<&Value>, out: &mut Facts) -> Result<cel::Value, PolicyError> {
    let wrong = || {
        PolicyError::new(
            PolicyErrorKind::FactType,
            format!("`{}.{}` must be {}", f.namespace, f.member, f.ty.as_str()),
        )
        .with_pointer(format!("/{}/{}", f.namespace, f.member))
    };
    let Some(given) = given else {
        return Ok(match f.ty {
            FactType::Str => cel::Value::String(Arc::new(String::new())),
            FactType::Int => cel::Value::Int(0),
            FactType::Bool => cel::Value::Bool(false),
            FactType::StrList | FactType::ObjectList => cel::Value::List(Arc::new(Vec::new())),
        });
    };
    let value = match (f.ty, given) {
        (FactType::Str, Value::String(s)) => cel::Value::String(Arc::new(s.clone())),
        (FactType::Bool, Value::Bool(b)) => cel::Value::Bool(*b),
        (FactType::Int, Value::Number(n)) => cel::Value::Int(n.as_i64().ok_or_else(wrong)?),
        (FactType::StrList, Value::Array(items)) => {
            let mut list = Vec::with_capacity(items.len());
            for item in items {
                list.push(cel::Value::String(Arc::new(
                    item.as_str().ok_or_else(wrong)?.to_owned(),
                )));
            }
            cel::Value::List(Arc::new(list))
        }
        (FactType::ObjectList, Value::Array(items)) => {
            if items.iter().any(|i| i.as_object().is_none()) {
                return Err(wrong());
            }
            cel::Value::List(Arc::new(items.iter().map(|i| to_cel(i, out)).collect()))
        }
        _ => return Err(wrong()),
    };
    if let cel::Value::List(items) = &value {
        let len = items.len() as u64;
        out.lengths
            .insert(format!("{}.{}", f.namespace, f.member), len);
        out.longest = out.longest.max(len);
    }
    Ok(value)
}

/// Any JSON value as a CEL value (integers as `int`, other numbers as `double`).
fn to_cel(value: &Value, out: &mut Facts) -> cel::Value {
    match value {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => cel::Value::Int(i),
            None => cel::Value::Float(n.as_f64()),
        },
        Value::String(s) => cel::Value::String(Arc::new(s.clone())),
        Value::Array(items) => {
            out.longest = out.longest.max(items.len() as u64);
            cel::Value::List(Arc::new(items.iter().map(|i| to_cel(i, out)).collect()))
        }
        Value::Object(map) => cel::Value::Map(cel::objects::Map {
            map: Arc::new(
                map.iter()
                    .map(|(k, v)| (cel::objects::Key::from(k), to_cel(v, out)))
                    .collect(),
            ),
        }),
    }
}

/// Adds the derived facts of `namespace` (policy-v1.md §5.3).
fn derive(
    namespace: &str,
    members: &Map,
    policy: &PolicyDoc,
    map: &mut HashMap<cel::objects::Key, cel::Value>,
    out: &mut Facts,
) -> Result<(), PolicyError> {
    match namespace {
        "change" => {
            let tables: Vec<cel::Value> = members
                .get("tables")
                .and_then(Value::as_array)
                .unwrap_or_default()
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| policy.is_pii_table(t))
                .map(|t| cel::Value::String(Arc::new(t.to_owned())))
                .collect();
            out.lengths
                .insert("change.pii_tables".to_owned(), tables.len() as u64);
            map.insert(
                cel::objects::Key::from("pii_tables"),
                cel::Value::List(Arc::new(tables)),
            );
        }
        "call" => {
            let required = |member: &str| {
                members.get(member).and_then(Value::as_str).ok_or_else(|| {
                    PolicyError::new(
                        PolicyErrorKind::FactType,
                        format!("`call.{member}` is required when `call` facts are given"),
                    )
                    .with_pointer(format!("/call/{member}"))
                })
            };
            let local = tcpa::local_time(required("at")?, required("callee_tz")?)?;
            let window = policy.calling_window();
            map.insert(
                cel::objects::Key::from("local_time"),
                cel::Value::String(Arc::new(local.to_string())),
            );
            map.insert(
                cel::objects::Key::from("within_window"),
                cel::Value::Bool(window.contains(local)),
            );
        }
        _ => {}
    }
    Ok(())
}
