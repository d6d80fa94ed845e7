//! `policy-v1.schema.json`, embedded from the generated mirror `core/schemas`, and the check of
//! a document against it with the YAML position of the first error.

use crate::format::{Schemas, Validator};

use super::error::{PolicyError, PolicyErrorKind};
use super::yaml::Spans;

/// The schema text (mirror of `spec/schemas/policy-v1.schema.json`).
pub const POLICY_SCHEMA: &str = include_str!("../../schemas/policy-v1.schema.json");

/// The compiled policy schema.
pub struct PolicySchema {
    validator: Validator,
}

impl std::fmt::Debug for PolicySchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PolicySchema { .. }")
    }
}

impl PolicySchema {
    /// Compiles the embedded schema (a failure is a build defect, reported as `policy.schema`).
    pub fn new() -> Result<Self, PolicyError> {
        let validator = Schemas::single("policy-v1", POLICY_SCHEMA).map_err(|e| {
            PolicyError::new(PolicyErrorKind::Schema, format!("embedded schema: {e}"))
        })?;
        Ok(Self { validator })
    }

    /// Every schema error of `instance`, each located through `spans`, in document order.
    pub fn errors(&self, instance: &serde_json::Value, spans: &Spans) -> Vec<PolicyError> {
        let mut errors: Vec<PolicyError> = self
            .validator
            .errors(instance)
            .into_iter()
            .map(|e| {
                let pointer = e.path;
                let shown = if pointer.is_empty() { "/" } else { &pointer };
                PolicyError::new(
                    PolicyErrorKind::Schema,
                    format!("{} at `{shown}`", lowercase_first(&e.message)),
                )
                .at(spans.locate(&pointer))
                .with_pointer(pointer)
            })
            .collect();
        errors.sort_by_key(|e| e.location().map(|l| (l.line, l.column)));
        errors
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
