//! The JSON-in/JSON-out surface every binding shares (DESIGN §2, STYLE rule 2).
//!
//! Each operation takes a *call* (JSON, parsed with `deny_unknown_fields`) plus, where it needs
//! them, raw bytes or a reader that JSON cannot carry well (a bundle, an artifact); it returns an
//! *answer*: `{"type":"success","result":…}` or `{"type":"failure","errors":[{code,message,help?,path?}]}`.
//! Python, Node, wasm and `--format json` emit these same shapes, so every host reports the same
//! codes. A failed verification is a `success` whose result is a verdict; `failure` means the call
//! itself could not run (usage, unusable trust or policy file).
//!
//! One file per area: [`attest`], [`badge`], [`canon`], [`bundle`], [`dbt`], [`dsse`], [`guard`], [`genai`], [`ledger`], [`policy`], [`verifier`].

pub mod attest;
pub mod badge;
pub mod bundle;
pub mod canon;
#[cfg(feature = "guard")]
pub mod dbt;
pub mod dsse;
#[cfg(feature = "guard")]
pub mod gate;
#[cfg(feature = "guard")]
pub mod genai;
#[cfg(feature = "guard")]
pub mod guard;
pub mod ledger;
pub mod policy;
pub mod verifier;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Coded;

/// One problem that stopped a call, with the stable code of `spec/verdicts.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DetailedError {
    /// Stable code, e.g. `jcs.duplicate_key` or `ffi.call`.
    pub code: String,
    /// What went wrong, in words.
    pub message: String,
    /// How to fix it, when there is a useful hint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where: a file with line and column, a JSON pointer, or a byte offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The underlying code or rule name, where the spec defines one (e.g. `trust.file` detail
    /// `window`, trust-v0.md §3.4); conformance compares it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl DetailedError {
    /// An error with `code` and `message`, no help or path.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            help: None,
            path: None,
            detail: None,
        }
    }

    /// The error of any coded core error, message from its `Display`.
    pub fn of<E: Coded + std::fmt::Display>(error: &E) -> Self {
        Self::new(error.code(), error.to_string())
    }

    /// Adds a fix hint.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds the underlying code or rule name, when there is one.
    #[must_use]
    pub fn with_detail(mut self, detail: Option<&str>) -> Self {
        self.detail = detail.map(str::to_owned);
        self
    }

    /// Adds a location.
    #[must_use]
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }
}

/// The answer of every FFI operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Answer<T> {
    /// The call ran; `result` is its output (a verdict may still say INVALID).
    Success {
        /// The operation's output.
        result: T,
    },
    /// The call could not run.
    Failure {
        /// Every problem found, most important first.
        errors: Vec<DetailedError>,
    },
}

impl<T: Serialize> Answer<T> {
    /// The answer of a result.
    pub fn of(result: Result<T, Vec<DetailedError>>) -> Self {
        match result {
            Ok(result) => Answer::Success { result },
            Err(errors) => Answer::Failure { errors },
        }
    }

    /// The answer as JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain data structs to a Vec cannot fail; fall back to a fixed failure.
        serde_json::to_vec(self).unwrap_or_else(|_| {
            br#"{"type":"failure","errors":[{"code":"ffi.answer","message":"answer could not be serialized"}]}"#
                .to_vec()
        })
    }
}

/// The `cli.io` error of a file a host could not read, worded as `clyra` words it, with the file
/// as the user named it: hosts that read files (Node) report them as the CLI does.
pub fn io_error(error: &std::io::Error, path: &str) -> DetailedError {
    let reason = match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => error.to_string().to_lowercase(),
    };
    DetailedError::new("cli.io", format!("cannot read: {reason}")).with_path(path)
}

/// Parses a call's JSON into `C`; a malformed call is `ffi.call` with the serde message.
pub fn parse_call<C: DeserializeOwned>(call: &[u8]) -> Result<C, Vec<DetailedError>> {
    if call.len() > crate::limits::Limits::default().json_max_bytes {
        return Err(vec![DetailedError::new(
            "ffi.call",
            "call JSON is larger than its limit",
        )]);
    }
    serde_json::from_slice(call).map_err(|e| {
        vec![
            DetailedError::new("ffi.call", format!("malformed call: {e}")).with_path(format!(
                "line {} column {}",
                e.line(),
                e.column()
            )),
        ]
    })
}
