//! The JSON Schemas of spec/schemas, embedded and compiled once by the caller.
//!
//! The core holds no global state: a host builds [`Schemas`] once and passes it to every check.
//! The checking engine is `jsonschema`, or with the `schema-lite` feature (the browser verifier)
//! the subset validator of [`super::schema_lite`], which answers the same on these schemas
//! (docs/decisions/0011-verifier-schemas-without-jsonschema.md).

/// Every schema file, by name, as mirrored into `core/schemas` (`just sync-schemas`).
pub const FILES: &[(&str, &str)] = &[
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

/// One schema violation: the validator's message and the JSON Pointer of the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The message, as `jsonschema` 0.37 writes it (`"x" is a required property`).
    pub message: String,
    /// RFC 6901 pointer into the instance (`""` for the root).
    pub path: String,
}

#[cfg(not(feature = "schema-lite"))]
type Engine = jsonschema::Validator;
#[cfg(feature = "schema-lite")]
type Engine = super::schema_lite::LiteValidator;

/// A compiled schema of [`Schemas`].
pub struct Validator(Engine);

impl Validator {
    /// Whether `instance` satisfies the schema.
    pub fn is_valid(&self, instance: &serde_json::Value) -> bool {
        self.0.is_valid(instance)
    }

    /// Every violation of `instance`, in the validator's (keyword, then member) order.
    pub fn errors(&self, instance: &serde_json::Value) -> Vec<Violation> {
        #[cfg(not(feature = "schema-lite"))]
        {
            self.0
                .iter_errors(instance)
                .map(|e| Violation {
                    message: e.to_string(),
                    path: e.instance_path().to_string(),
                })
                .collect()
        }
        #[cfg(feature = "schema-lite")]
        {
            self.0.errors(instance)
        }
    }
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
        let build = engine(&parsed)?;
        Ok(Self {
            manifest_def: Validator(build("manifest-def-v0")?),
            manifest_pef: Validator(build("manifest-pef-v0")?),
            statement: Validator(build("statement-v0")?),
            approval: Validator(build("approval-v0")?),
            receipt: Validator(build("receipt-v0")?),
        })
    }

    /// Compiles one self-contained embedded schema file `name` (`policy-v1`), with this
    /// build's engine.
    pub(crate) fn single(name: &'static str, text: &str) -> Result<Validator, SchemaError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| SchemaError {
            name,
            reason: e.to_string(),
        })?;
        let parsed = [(name, value)];
        let build = engine(&parsed)?;
        build(name).map(Validator)
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
    validator
        .errors(instance)
        .into_iter()
        .next()
        .map(|e| e.located())
}

impl Violation {
    /// `"<message> at <pointer>"`, the root shown as `/`.
    pub(crate) fn located(&self) -> String {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        format!("{} at `{path}`", self.message)
    }
}

/// The builder of one named validator over the parsed files: `jsonschema` with every file as a
/// resource by `$id`.
#[cfg(not(feature = "schema-lite"))]
fn engine<'a>(
    parsed: &'a [(&'static str, serde_json::Value)],
) -> Result<impl Fn(&'static str) -> Result<Engine, SchemaError> + 'a, SchemaError> {
    use jsonschema::{Draft, Resource};
    let resources: Vec<(String, Resource)> = parsed
        .iter()
        .filter_map(|(_, value)| {
            let id = value.get("$id")?.as_str()?.to_owned();
            Some((id, Resource::from_contents(value.clone())))
        })
        .collect();
    Ok(move |name: &'static str| {
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
    })
}

/// The builder of one named validator over the parsed files: the subset validator, every file
/// in one set.
#[cfg(feature = "schema-lite")]
fn engine(
    parsed: &[(&'static str, serde_json::Value)],
) -> Result<impl Fn(&'static str) -> Result<Engine, SchemaError>, SchemaError> {
    let set = super::schema_lite::LiteSet::new(parsed.iter().map(|(_, v)| v.clone()).collect())
        .map_err(|reason| SchemaError {
            name: "embedded",
            reason,
        })?;
    Ok(move |name: &'static str| {
        set.validator(&format!("https://clyra.dev/schemas/{name}.schema.json"))
            .ok_or(SchemaError {
                name,
                reason: "not embedded".to_owned(),
            })
    })
}
