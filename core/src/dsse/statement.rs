//! in-toto Statement v1: the payload Clyra signs, binding a predicate to subject digests.

use super::fields;
use super::DsseError;
use crate::digest::Sha256Digest;
use crate::jcs::{self, Map, Value};
use crate::limits::Limits;

/// The `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// An in-toto Statement v1 as Clyra writes it.
///
/// spec: dsse.md §7 — `{"_type", "subject": [{"name", "digest": {"sha256"}}], "predicateType",
/// "predicate"}`; for bundles the single subject is `manifest.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The artifacts the statement is about (at least one).
    pub subject: Vec<Subject>,
    /// The predicate's type URI, e.g. `https://clyra.dev/def/v0`.
    pub predicate_type: String,
    /// The predicate, a JSON object whose shape `predicate_type` defines.
    pub predicate: Value,
}

/// One subject of a statement: a name and its SHA-256 digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The subject's name, e.g. `manifest.json`.
    pub name: String,
    /// SHA-256 of the subject's bytes.
    pub sha256: Sha256Digest,
}

impl Statement {
    /// The statement as canonical JSON (RFC 8785): the DSSE payload bytes.
    pub fn to_canonical_bytes(&self) -> Vec<u8> {
        let subject = self
            .subject
            .iter()
            .map(|s| {
                let mut digest = Map::new();
                digest.insert("sha256", Value::from(s.sha256.to_hex()));
                let mut map = Map::new();
                map.insert("name", Value::from(s.name.as_str()));
                map.insert("digest", Value::from(digest));
                Value::from(map)
            })
            .collect::<Vec<_>>();
        let mut map = Map::new();
        map.insert("_type", Value::from(STATEMENT_TYPE));
        map.insert("subject", Value::from(subject));
        map.insert("predicateType", Value::from(self.predicate_type.as_str()));
        map.insert("predicate", self.predicate.clone());
        jcs::to_vec(&Value::from(map))
    }

    /// Parses a statement strictly: exactly the four fields, `_type` Statement v1, a non-empty
    /// `subject` whose entries hold exactly `name` and `digest` = `{"sha256": <64 lowercase hex>}`,
    /// a string `predicateType` and an object `predicate`.
    ///
    /// This does not require canonical bytes; [`super::verify`] already checked that.
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Statement, DsseError> {
        let value = jcs::parse(bytes, limits).map_err(DsseError::Json)?;
        let top = fields::object(&value, "")?;
        fields::exact(top, &["_type", "subject", "predicateType", "predicate"], "")?;
        let kind = fields::string(top, "_type", "")?;
        if kind != STATEMENT_TYPE {
            return Err(DsseError::StatementType {
                found: kind.to_owned(),
            });
        }
        let list = fields::get(top, "subject", "")?
            .as_array()
            .ok_or(DsseError::WrongType {
                field: "subject".to_owned(),
                expected: "an array",
            })?;
        if list.is_empty() {
            return Err(DsseError::NoSubject);
        }
        let subject = list
            .iter()
            .enumerate()
            .map(|(i, entry)| parse_subject(entry, &format!("subject[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let predicate_type = fields::string(top, "predicateType", "")?.to_owned();
        let predicate = fields::get(top, "predicate", "")?;
        fields::object(predicate, "predicate")?;
        Ok(Statement {
            subject,
            predicate_type,
            predicate: predicate.clone(),
        })
    }
}

fn parse_subject(entry: &Value, path: &str) -> Result<Subject, DsseError> {
    let map = fields::object(entry, path)?;
    fields::exact(map, &["name", "digest"], path)?;
    let name = fields::string(map, "name", path)?.to_owned();
    let digest_path = fields::join(path, "digest");
    let digest = fields::object(fields::get(map, "digest", path)?, &digest_path)?;
    fields::exact(digest, &["sha256"], &digest_path)?;
    let hex = fields::string(digest, "sha256", &digest_path)?;
    // spec: dsse.md §7 — a field named `sha256` holds 64 lowercase hex digits (DESIGN §4).
    let sha256 = Sha256Digest::from_hex(hex).ok_or_else(|| DsseError::SubjectDigest {
        field: fields::join(&digest_path, "sha256"),
    })?;
    Ok(Subject { name, sha256 })
}
