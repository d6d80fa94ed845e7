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

/// The typed value of one fact of a namespace that is present (its zero value when not given).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Slot {
    /// `string`.
    Str(String),
    /// `int`.
    Int(i64),
    /// `bool`.
    Bool(bool),
    /// `list(string)`.
    StrList(Vec<String>),
    /// `list(object)`: the JSON objects as given.
    Objects(Vec<Value>),
}

/// A facts document checked against the vocabulary, with the derived facts added and the sizes
/// the cost bound needs. Each fact sits in a typed slot (indexed like [`VOCABULARY`]) that the
/// compiled conditions read directly; the CEL values the `cel` interpreter needs are built only
/// when a condition falls back to it.
#[derive(Debug, Clone)]
pub struct Facts {
    /// One slot per fact of [`VOCABULARY`]; `None` when its namespace is absent.
    pub(crate) slots: Vec<Option<Slot>>,
    /// Bit set of the namespaces present.
    pub(crate) present: u8,
    /// The longest list anywhere in the facts (bounds comprehensions over computed lists).
    pub(crate) longest: u64,
    /// The namespaces present, in document order (the order of the interpreter's variables).
    order: Vec<&'static str>,
    /// One CEL map per namespace present, built on first use.
    values: std::sync::OnceLock<Vec<(&'static str, cel::Value)>>,
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
            slots: vec![None; VOCABULARY.len()],
            present: 0,
            longest: 0,
            order: Vec::new(),
            values: std::sync::OnceLock::new(),
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
            for (index, f) in VOCABULARY.iter().enumerate() {
                if f.namespace != namespace {
                    continue;
                }
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
                let slot = convert(f, given, &mut out.longest)?;
                if let Some(s) = out.slots.get_mut(index) {
                    *s = Some(slot);
                }
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
            derive(namespace, members, policy, &mut out)?;
            out.present |= namespace_bit(namespace);
            out.order.push(namespace);
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

    /// The slot of fact `index` of [`VOCABULARY`], when its namespace is present.
    pub(crate) fn slot(&self, index: usize) -> Option<&Slot> {
        self.slots.get(index).and_then(Option::as_ref)
    }

    /// The length of list fact `index` (0 when absent or not a list): its cost-bound size.
    pub(crate) fn length(&self, index: usize) -> u64 {
        match self.slot(index) {
            Some(Slot::StrList(l)) => l.len() as u64,
            Some(Slot::Objects(l)) => l.len() as u64,
            _ => 0,
        }
    }

    /// One CEL map per namespace present, in document order: the variables of the `cel`
    /// interpreter's context (built once, on first use).
    pub(crate) fn cel_values(&self) -> &[(&'static str, cel::Value)] {
        self.values.get_or_init(|| {
            self.order
                .iter()
                .map(|namespace| {
                    let map: HashMap<cel::objects::Key, cel::Value> = VOCABULARY
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| f.namespace == *namespace)
                        .filter_map(|(i, f)| {
                            let slot = self.slot(i)?;
                            Some((cel::objects::Key::from(f.member), to_cel_slot(slot)))
                        })
                        .collect();
                    (
                        *namespace,
                        cel::Value::Map(cel::objects::Map { map: Arc::new(map) }),
                    )
                })
                .collect()
        })
    }
}

/// The index of fact `namespace.member` in [`VOCABULARY`].
pub(crate) fn index_of(namespace: &str, member: &str) -> Option<usize> {
    VOCABULARY
        .iter()
        .position(|f| f.namespace == namespace && f.member == member)
}

/// The slot of fact `f` (its zero value when not given), checking its type; raises `longest`
/// to the longest list given.
fn convert(f: &Fact, given: Option<&Value>, longest: &mut u64) -> Result<Slot, PolicyError> {
    let wrong = || {
        PolicyError::new(
            PolicyErrorKind::FactType,
            format!("`{}.{}` must be {}", f.namespace, f.member, f.ty.as_str()),
        )
        .with_pointer(format!("/{}/{}", f.namespace, f.member))
    };
    let Some(given) = given else {
        return Ok(match f.ty {
            FactType::Str => Slot::Str(String::new()),
            FactType::Int => Slot::Int(0),
            FactType::Bool => Slot::Bool(false),
            FactType::StrList => Slot::StrList(Vec::new()),
            FactType::ObjectList => Slot::Objects(Vec::new()),
        });
    };
    let slot = match (f.ty, given) {
        (FactType::Str, Value::String(s)) => Slot::Str(s.clone()),
        (FactType::Bool, Value::Bool(b)) => Slot::Bool(*b),
        (FactType::Int, Value::Number(n)) => Slot::Int(n.as_i64().ok_or_else(wrong)?),
        (FactType::StrList, Value::Array(items)) => {
            let mut list = Vec::with_capacity(items.len());
            for item in items {
                list.push(item.as_str().ok_or_else(wrong)?.to_owned());
            }
            *longest = (*longest).max(list.len() as u64);
            Slot::StrList(list)
        }
        (FactType::ObjectList, Value::Array(items)) => {
            if items.iter().any(|i| i.as_object().is_none()) {
                return Err(wrong());
            }
            *longest = (*longest).max(items.len() as u64);
            for item in items {
                *longest = (*longest).max(longest_in(item));
            }
            Slot::Objects(items.clone())
        }
        _ => return Err(wrong()),
    };
    Ok(slot)
}

/// The longest array inside `value` (itself included).
fn longest_in(value: &Value) -> u64 {
    match value {
        Value::Array(items) => items
            .iter()
            .map(longest_in)
            .fold(items.len() as u64, u64::max),
        Value::Object(map) => map.iter().map(|(_, v)| longest_in(v)).fold(0, u64::max),
        _ => 0,
    }
}

/// The CEL value of a slot.
fn to_cel_slot(slot: &Slot) -> cel::Value {
    match slot {
        Slot::Str(s) => cel::Value::String(Arc::new(s.clone())),
        Slot::Int(i) => cel::Value::Int(*i),
        Slot::Bool(b) => cel::Value::Bool(*b),
        Slot::StrList(items) => cel::Value::List(Arc::new(
            items
                .iter()
                .map(|s| cel::Value::String(Arc::new(s.clone())))
                .collect(),
        )),
        Slot::Objects(items) => cel::Value::List(Arc::new(items.iter().map(to_cel).collect())),
    }
}

/// Any JSON value as a CEL value (integers as `int`, other numbers as `double`).
fn to_cel(value: &Value) -> cel::Value {
    match value {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => cel::Value::Int(i),
            None => cel::Value::Float(n.as_f64()),
        },
        Value::String(s) => cel::Value::String(Arc::new(s.clone())),
        Value::Array(items) => cel::Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(map) => cel::Value::Map(cel::objects::Map {
            map: Arc::new(
                map.iter()
                    .map(|(k, v)| (cel::objects::Key::from(k), to_cel(v)))
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
    out: &mut Facts,
) -> Result<(), PolicyError> {
    let mut set = |member: &str, slot: Slot| {
        if let Some(s) = index_of(namespace, member).and_then(|i| out.slots.get_mut(i)) {
            *s = Some(slot);
        }
    };
    match namespace {
        "change" => {
            let tables: Vec<String> = members
                .get("tables")
                .and_then(Value::as_array)
                .unwrap_or_default()
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| policy.is_pii_table(t))
                .map(str::to_owned)
                .collect();
            set("pii_tables", Slot::StrList(tables));
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
            set("local_time", Slot::Str(local.to_string()));
            set("within_window", Slot::Bool(window.contains(local)));
        }
        _ => {}
    }
    Ok(())
}
