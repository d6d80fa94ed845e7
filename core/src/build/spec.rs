//! The bundle spec: the host's facts about one change, the input `clyra bundle build` reads.
//!
//! spec: bundle-v0.md §9 — a JSON object holding the manifest members the host knows (`format`,
//! `created_at`, `producer`, `change`, …), the risk factors, the number of approvals required,
//! optional media types of artifacts and the journal's events. The builder computes everything
//! else: `seq`, `prev`, the journal head, artifact digests, the Merkle root, the risk score, the
//! approval entries and, when absent, `bundle_id`. Parsed strictly; the shapes of the members
//! passed through to the manifest are checked when the manifest is (`build.manifest`).

use std::collections::BTreeMap;

use super::error::{BuildError, BuildErrorKind as Kind};
use crate::error::Coded;
use crate::format::{is_derived_form, Format};
use crate::jcs::{self, Map, Value};
use crate::time::Timestamp;
use crate::Limits;

/// Members a spec must have.
const REQUIRED: [&str; 8] = [
    "approvals",
    "change",
    "created_at",
    "format",
    "journal",
    "policy",
    "producer",
    "risk",
];

/// Members a spec may have besides [`REQUIRED`].
const OPTIONAL: [&str; 10] = [
    "anchors",
    "artifacts",
    "bundle_id",
    "def",
    "extensions",
    "lineage",
    "payout",
    "pef",
    "retention",
    "snapshots",
];

/// Manifest members copied from the spec as they are, when present (`anchors`, `snapshots`,
/// `lineage` and `extensions` too, defaulting to empty).
const PASSED_THROUGH: [&str; 7] = [
    "change",
    "def",
    "payout",
    "pef",
    "policy",
    "producer",
    "retention",
];

/// One journal event as the host gives it; the builder adds `seq` and `prev`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSpec {
    /// When the event happened.
    pub at: Timestamp,
    /// The event kind, e.g. `run.started`.
    pub kind: String,
    /// Free-form event data (an object).
    pub data: Map,
}

/// A parsed bundle spec (bundle-v0.md §9).
#[derive(Debug, Clone, PartialEq)]
pub struct BundleSpec {
    format: Format,
    bundle_id: Option<String>,
    created_at: Timestamp,
    members: Map,
    weights: Option<Value>,
    factors: Value,
    approvals_required: Value,
    journal: Vec<EventSpec>,
    media_types: BTreeMap<String, String>,
}

impl BundleSpec {
    /// Parses a spec document: strict JSON (`build.spec_json`), then its members
    /// (`build.spec_schema`, `build.time`).
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Self, BuildError> {
        let value = jcs::parse(bytes, limits).map_err(|e| {
            BuildError::new(
                Kind::SpecJson,
                format!("the bundle spec is not strict JSON: {e}"),
            )
            .with_detail(e.code())
        })?;
        Self::from_value(&value)
    }

    /// Reads a spec from a parsed JSON value.
    pub fn from_value(value: &Value) -> Result<Self, BuildError> {
        let top = value
            .as_object()
            .ok_or_else(|| schema("", "the bundle spec must be a JSON object"))?;
        if let Some(unknown) = top
            .keys()
            .find(|k| !REQUIRED.contains(k) && !OPTIONAL.contains(k))
        {
            return Err(schema(unknown, "is not a member of a bundle spec"));
        }
        if let Some(missing) = REQUIRED.iter().find(|k| top.get(k).is_none()) {
            return Err(schema(missing, "is missing"));
        }
        let format_name = string(top, "format")?;
        let format = Format::from_name(format_name)
            .ok_or_else(|| schema("format", "must be `def/v0` or `pef/v0`"))?;
        let bundle_id = match top.get("bundle_id") {
            None => None,
            Some(v) => {
                let id = v
                    .as_str()
                    .ok_or_else(|| schema("bundle_id", "must be a string"))?;
                // spec: bundle-v0 §5.4 — host-given identifiers never look derived.
                if is_derived_form(id) {
                    return Err(schema(
                        "bundle_id",
                        "must not match `^b-[0-9a-f]{32}$` (the derived form); omit it to derive it",
                    ));
                }
                Some(id.to_owned())
            }
        };
        let created_at = timestamp(string(top, "created_at")?, "created_at")?;
        let (weights, factors) = risk(top)?;
        let approvals = object(top, "approvals")?;
        exact(approvals, "approvals", &["required"], &[])?;
        let approvals_required = approvals
            .get("required")
            .cloned()
            .ok_or_else(|| schema("approvals.required", "is missing"))?;
        let journal = journal(top)?;
        let media_types = media_types(top)?;
        let mut members = Map::new();
        for name in PASSED_THROUGH {
            if let Some(v) = top.get(name) {
                members.insert(name, v.clone());
            }
        }
        for (name, empty) in [
            ("anchors", Value::from(Vec::new())),
            ("snapshots", Value::from(Vec::new())),
            ("lineage", Value::from(Vec::new())),
            ("extensions", Value::from(Map::new())),
        ] {
            let given = top.get(name).cloned().unwrap_or(empty);
            members.insert(name, given);
        }
        Ok(Self {
            format,
            bundle_id,
            created_at,
            members,
            weights,
            factors,
            approvals_required,
            journal,
            media_types,
        })
    }

    /// The format, `def/v0` or `pef/v0`.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The host-given `bundle_id`, when there is one (else the builder derives it).
    pub fn bundle_id(&self) -> Option<&str> {
        self.bundle_id.as_deref()
    }

    /// When the bundle is sealed.
    pub fn created_at(&self) -> &Timestamp {
        &self.created_at
    }

    /// The `change` object, exactly as the manifest will record it: approvals bind the digest
    /// of its canonical bytes (`payload_hash`).
    pub fn change(&self) -> Option<&Value> {
        self.members.get("change")
    }

    /// The journal's events, in order.
    pub fn journal(&self) -> &[EventSpec] {
        &self.journal
    }

    /// Media types by artifact name (the part after `artifacts/`).
    pub fn media_types(&self) -> &BTreeMap<String, String> {
        &self.media_types
    }

    pub(crate) fn members(&self) -> &Map {
        &self.members
    }

    pub(crate) fn weights(&self) -> Option<&Value> {
        self.weights.as_ref()
    }

    pub(crate) fn factors(&self) -> &Value {
        &self.factors
    }

    pub(crate) fn approvals_required(&self) -> &Value {
        &self.approvals_required
    }
}

fn schema(member: &str, reason: &str) -> BuildError {
    let error = BuildError::new(Kind::SpecSchema, reason.to_owned());
    if member.is_empty() {
        error
    } else {
        error.with_subject(member)
    }
}

fn string<'a>(map: &'a Map, name: &str) -> Result<&'a str, BuildError> {
    map.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| schema(name, "must be a string"))
}

fn object<'a>(map: &'a Map, name: &str) -> Result<&'a Map, BuildError> {
    map.get(name)
        .and_then(Value::as_object)
        .ok_or_else(|| schema(name, "must be an object"))
}

fn timestamp(text: &str, member: &str) -> Result<Timestamp, BuildError> {
    Timestamp::parse(text).map_err(|e| {
        BuildError::new(
            Kind::Time,
            format!("`{text}` is not a valid timestamp: {e}"),
        )
        .with_subject(member)
    })
}

/// Requires `map` (at `path`) to hold every `required` member and nothing beyond `optional`.
fn exact(map: &Map, path: &str, required: &[&str], optional: &[&str]) -> Result<(), BuildError> {
    if let Some(extra) = map
        .keys()
        .find(|k| !required.contains(k) && !optional.contains(k))
    {
        return Err(schema(
            &format!("{path}.{extra}"),
            "is not an allowed member",
        ));
    }
    if let Some(missing) = required.iter().find(|k| map.get(k).is_none()) {
        return Err(schema(&format!("{path}.{missing}"), "is missing"));
    }
    Ok(())
}

/// `risk`: `{"factors": {…}, "weights": {…}?}`.
fn risk(top: &Map) -> Result<(Option<Value>, Value), BuildError> {
    let risk = object(top, "risk")?;
    exact(risk, "risk", &["factors"], &["weights"])?;
    let factors = risk
        .get("factors")
        .filter(|v| v.as_object().is_some())
        .cloned()
        .ok_or_else(|| schema("risk.factors", "must be an object"))?;
    let weights = match risk.get("weights") {
        None => None,
        Some(v) if v.as_object().is_some() => Some(v.clone()),
        Some(_) => return Err(schema("risk.weights", "must be an object")),
    };
    Ok((weights, factors))
}

/// `journal`: a non-empty array of `{"at", "kind", "data"}`.
fn journal(top: &Map) -> Result<Vec<EventSpec>, BuildError> {
    let list = top
        .get("journal")
        .and_then(Value::as_array)
        .ok_or_else(|| schema("journal", "must be an array of events"))?;
    if list.is_empty() {
        return Err(schema("journal", "must hold at least one event"));
    }
    let mut events = Vec::with_capacity(list.len());
    for (i, event) in list.iter().enumerate() {
        let path = format!("journal[{i}]");
        let map = event
            .as_object()
            .ok_or_else(|| schema(&path, "must be an object"))?;
        exact(map, &path, &["at", "data", "kind"], &[])?;
        let at_text = map
            .get("at")
            .and_then(Value::as_str)
            .ok_or_else(|| schema(&format!("{path}.at"), "must be a string"))?;
        let kind = map
            .get("kind")
            .and_then(Value::as_str)
            .ok_or_else(|| schema(&format!("{path}.kind"), "must be a string"))?;
        let data = map
            .get("data")
            .and_then(Value::as_object)
            .ok_or_else(|| schema(&format!("{path}.data"), "must be an object"))?;
        events.push(EventSpec {
            at: timestamp(at_text, &format!("{path}.at"))?,
            kind: kind.to_owned(),
            data: data.clone(),
        });
    }
    Ok(events)
}

/// `artifacts` (optional): `{"<name>": {"media_type": string}}`.
fn media_types(top: &Map) -> Result<BTreeMap<String, String>, BuildError> {
    let mut types = BTreeMap::new();
    if top.get("artifacts").is_none() {
        return Ok(types);
    }
    for (name, entry) in object(top, "artifacts")?.iter() {
        let path = format!("artifacts.{name}");
        let map = entry
            .as_object()
            .ok_or_else(|| schema(&path, "must be an object"))?;
        exact(map, &path, &["media_type"], &[])?;
        let media_type = map
            .get("media_type")
            .and_then(Value::as_str)
            .ok_or_else(|| schema(&format!("{path}.media_type"), "must be a string"))?;
        types.insert(name.to_owned(), media_type.to_owned());
    }
    Ok(types)
}
