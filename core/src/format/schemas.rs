//! The JSON Schemas of spec/schemas, embedded and compiled once by the caller.
//!
//! The core holds no global state: a host builds [`Schemas`] once and passes it to every check.

use jsonschema::{Draft, Resource, Validator};

/// Every schema file, by name, as mirrored into `core/schemas` (`just sync-schemas`).
const FILES: &[(&str, &str)] = &[
    (
        "common-v0",
        include_str!("../../schemas/common-v0.schema.json"),
    ),
    (
        "manifest-def-v0",
        include_str!("../../schemas/manifest-def-v0.schema.json"),
    ),
    (
        "manifest-pef-v0",
        include_str!("../../schemas/manifest-pef-v0.schema.json"),
    ),
    ("risk-v1", include_str!("../../schemas/risk-v1.schema.json")),
    (
        "journal-event-v0",
        include_str!("../../schemas/journal-event-v0.schema.json"),
    ),
    (
        "statement-v0",
        include_str!("../../schemas/statement-v0.schema.json"),
    ),
    (
        "trust-v0",
        include_str!("../../schemas/trust-v0.schema.json"),
    ),
    (
        "approval-v0",
        include_str!("../../schemas/approval-v0.schema.json"),
    ),
    (
        "receipt-v0",
        include_str!("../../schemas/receipt-v0.schema.json"),
    ),
];

/// A schema that failed to compile: a build defect, reported rather than panicking.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schema `{name}` does not compile: {reason}")]
pub struct SchemaError {
    name: &'static str,
    reason: String,
}

/// Compiled validators for the documents the core checks against a schema.
pub struct Schemas {
    manifest_def: Validator,
    manifest_pef: Validator,
    statement: Validator,
    approval: Validator,
    receipt: Validator,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Schemas { .. }")
    }
}

impl Schemas {
    /// Compiles the embedded schemas (each `$ref` resolves to another embedded file by `$id`).
    pub fn new() -> Result<Self, SchemaError> {
        let mut parsed = Vec::with_capacity(FILES.len());
        for (name, text) in FILES {
            let value: serde_json::Value = serde_json::from_str(text).map_err(|e| SchemaError {
                name,
                reason: e.to_string(),
            })?;
            parsed.push((*name, value));
        }
        let resources: Vec<(String, Resource)> = parsed
            .iter()
            .filter_map(|(_, value)| {
                let id = value.get("$id")?.as_str()?.to_owned();
                Some((id, Resource::from_contents(value.clone())))
            })
            .collect();
        let build = |name: &'static str| -> Result<Validator, SchemaError> {
            let schema = parsed
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v)
                .ok_or(SchemaError {
                    name,
                    reason: "not embedded".to_owned(),
                })?;
            jsonschema::options()
                .with_draft(Draft::Draft202012)
                .with_resources(resources.clone().into_iter())
                .build(schema)
                .map_err(|e| SchemaError {
                    name,
                    reason: e.to_string(),
                })
        };
        Ok(Self {
            manifest_def: build("manifest-def-v0")?,
            manifest_pef: build("manifest-pef-v0")?,
            statement: build("statement-v0")?,
            approval: build("approval-v0")?,
            receipt: build("receipt-v0")?,
        })
    }

    /// The manifest schema of `format`.
    pub(crate) fn manifest(&self, format: super::Format) -> &Validator {
        match format {
            super::Format::DefV0 => &self.manifest_def,
            super::Format::PefV0 => &self.manifest_pef,
        }
    }

    /// The schema of a producer Statement (statement-v0).
    pub fn statement(&self) -> &Validator {
        &self.statement
    }

    /// The schema of an approval payload (approval-v0).
    pub fn approval(&self) -> &Validator {
        &self.approval
    }

    /// The schema of a receipt (receipt-v0).
    pub fn receipt(&self) -> &Validator {
        &self.receipt
    }
}

/// The first schema error of `instance`, as `"<message> at <pointer>"`, or `None` when valid.
pub(crate) fn first_error(validator: &Validator, instance: &serde_json::Value) -> Option<String> {
    validator.iter_errors(instance).next().map(|e| {
        let path = e.instance_path().to_string();
        format!("{e} at `{}`", if path.is_empty() { "/" } else { &path })
    })
}
