//! The gateway's one error type: a stable code (spec/verdicts.md, `gateway.*`), a message and,
//! for configuration problems, the file, line and column.

use clyra_core::policy::Location;

/// A gateway failure: bad configuration, unusable files, or a failed start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayError {
    code: &'static str,
    message: String,
    location: Option<Location>,
}

impl GatewayError {
    /// An error with `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            location: None,
        }
    }

    /// The same error placed at `location`.
    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    /// The stable code, e.g. `gateway.config`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message, without code or location.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where in the configuration file, when known.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }
}

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.location {
            Some(l) => write!(f, "{l}: {} ({})", self.message, self.code),
            None => write!(f, "{} ({})", self.message, self.code),
        }
    }
}

impl std::error::Error for GatewayError {}

/// Configuration file problems (schema, meaning).
pub const CODE_CONFIG: &str = "gateway.config";
/// The configuration file is not YAML of the accepted subset.
pub const CODE_CONFIG_YAML: &str = "gateway.config_yaml";
/// A file the configuration names cannot be read or used.
pub const CODE_CONFIG_FILE: &str = "gateway.config_file";
/// Listening, the WAL or a bundle could not be written or opened.
pub const CODE_IO: &str = "gateway.io";
