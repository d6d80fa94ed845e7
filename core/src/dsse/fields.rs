//! Helpers for reading JSON objects that must hold exactly a known set of fields.

use super::DsseError;
use crate::jcs::{Map, Value};

/// Joins a parent path and a field name for error messages (`signatures[0].sig`).
pub(super) fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// The value as an object, or `dsse.wrong_type` naming `path`.
pub(super) fn object<'v>(value: &'v Value, path: &str) -> Result<&'v Map, DsseError> {
    value.as_object().ok_or_else(|| DsseError::WrongType {
        field: if path.is_empty() {
            "(top level)".to_owned()
        } else {
            path.to_owned()
        },
        expected: "an object",
    })
}

/// Every one of `fields` is present (`dsse.missing_field` for the first absent one, in order).
pub(super) fn require(map: &Map, fields: &[&str], path: &str) -> Result<(), DsseError> {
    match fields.iter().find(|f| map.get(f).is_none()) {
        Some(missing) => Err(DsseError::MissingField {
            field: join(path, missing),
        }),
        None => Ok(()),
    }
}

/// No member besides `fields` (`dsse.unknown_field` for the first other key, in key order).
pub(super) fn only(map: &Map, fields: &[&str], path: &str) -> Result<(), DsseError> {
    match map.keys().find(|k| !fields.contains(k)) {
        Some(unknown) => Err(DsseError::UnknownField {
            field: join(path, unknown),
        }),
        None => Ok(()),
    }
}

/// Checks that `map` has every field of `fields` and no other: missing before unknown (dsse.md §3).
pub(super) fn exact(map: &Map, fields: &[&str], path: &str) -> Result<(), DsseError> {
    require(map, fields, path)?;
    only(map, fields, path)
}

/// The field `name` of `map` (present per [`exact`]).
pub(super) fn get<'v>(map: &'v Map, name: &str, path: &str) -> Result<&'v Value, DsseError> {
    map.get(name).ok_or_else(|| DsseError::MissingField {
        field: join(path, name),
    })
}

/// The string field `name` of `map`.
pub(super) fn string<'v>(map: &'v Map, name: &str, path: &str) -> Result<&'v str, DsseError> {
    get(map, name, path)?
        .as_str()
        .ok_or_else(|| DsseError::WrongType {
            field: join(path, name),
            expected: "a string",
        })
}
