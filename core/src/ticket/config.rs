//! The ticket configuration (spec: ticket-config-v0.md §1, §4, §5): read with the policy file's
//! YAML subset reader, checked against `ticket-config-v0.schema.json`, errors with line and column.

use jsonschema::{Draft, Validator};
use serde::Deserialize;

use super::template;
use super::{TicketError, TicketErrorKind};
use crate::jcs;
use crate::limits::Limits;
use crate::policy::yaml::Spans;

/// The schema text (mirror of `spec/schemas/ticket-config-v0.schema.json`).
pub const SCHEMA: &str = include_str!("../../schemas/ticket-config-v0.schema.json");

/// Where a secret comes from (§1.3): never the file itself, never the command line.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Secret {
    /// An environment variable's name.
    Env(String),
    /// A file readable by its owner only.
    File(String),
}

/// Optional templates (§2.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Templates {
    /// The summary template.
    pub summary: Option<String>,
    /// Text placed before the generated description.
    pub description: Option<String>,
}

/// Retry timing (§6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retry {
    /// Backoff base in milliseconds (default 1000).
    pub base_delay_ms: u64,
    /// Largest `Retry-After` honoured, in seconds (default 60).
    pub max_retry_after_s: u64,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            base_delay_ms: 1000,
            max_retry_after_s: 60,
        }
    }
}

/// Clyra field → service field name (§4.3, §5.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fields {
    /// `attestation_hash`
    pub attestation_hash: Option<String>,
    /// `attestation_type`
    pub attestation_type: Option<String>,
    /// `verification_link`
    pub verification_link: Option<String>,
    /// `sox_compliant`
    pub sox_compliant: Option<String>,
    /// `framework_status`
    pub framework_status: Option<String>,
    /// `badge_id`
    pub badge_id: Option<String>,
}

impl Fields {
    /// The mapped name of Clyra field `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        match name {
            "attestation_hash" => self.attestation_hash.as_deref(),
            "attestation_type" => self.attestation_type.as_deref(),
            "verification_link" => self.verification_link.as_deref(),
            "sox_compliant" => self.sox_compliant.as_deref(),
            "framework_status" => self.framework_status.as_deref(),
            "badge_id" => self.badge_id.as_deref(),
            _ => None,
        }
    }
}

/// ServiceNow authentication (§4.1).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase", deny_unknown_fields)]
pub enum ServiceNowAuth {
    /// OAuth 2.0 client credentials.
    Oauth {
        /// The OAuth client id.
        client_id: Secret,
        /// The OAuth client secret.
        client_secret: Secret,
    },
    /// HTTP basic.
    Basic {
        /// The user name.
        username: Secret,
        /// The password.
        password: Secret,
    },
}

/// The `servicenow` block (§4).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceNow {
    /// `https://<instance>.service-now.com`.
    pub instance: String,
    /// The table (default `change_request`).
    #[serde(default)]
    pub table: Option<String>,
    /// Authentication.
    pub auth: ServiceNowAuth,
    /// Field names.
    #[serde(default)]
    pub fields: Fields,
    /// Fixed column values (templates).
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, String>,
}

impl ServiceNow {
    /// The table, `change_request` by default.
    pub fn table(&self) -> &str {
        self.table.as_deref().unwrap_or("change_request")
    }

    /// The column of Clyra field `name`: the mapping, else the default `u_<name>`.
    pub fn column(&self, name: &str) -> String {
        self.fields
            .get(name)
            .map_or_else(|| format!("u_{name}"), str::to_owned)
    }
}

/// Jira authentication (§5.1).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase", deny_unknown_fields)]
pub enum JiraAuth {
    /// Account e-mail and API token.
    Basic {
        /// The account e-mail.
        email: Secret,
        /// The API token.
        token: Secret,
    },
    /// An OAuth 2.0 access token.
    Bearer {
        /// The token.
        token: Secret,
    },
}

/// The `jira` block (§5).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jira {
    /// `https://<site>.atlassian.net`.
    pub site: String,
    /// The project key.
    pub project: String,
    /// The issue type name (default `Task`).
    #[serde(default)]
    pub issue_type: Option<String>,
    /// Authentication.
    pub auth: JiraAuth,
    /// Field ids (only mapped fields are sent).
    #[serde(default)]
    pub fields: Fields,
    /// Extra labels.
    #[serde(default)]
    pub labels: Vec<String>,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketConfig {
    /// Always 0.
    pub version: u8,
    /// The trust file path (relative to the configuration's folder).
    #[serde(default)]
    pub trust: Option<String>,
    /// The verification link template.
    pub verification_url: String,
    /// Summary and description templates.
    #[serde(default)]
    pub templates: Templates,
    /// Retry timing.
    #[serde(default)]
    pub retry: Retry,
    /// ServiceNow, when configured.
    #[serde(default)]
    pub servicenow: Option<ServiceNow>,
    /// Jira, when configured.
    #[serde(default)]
    pub jira: Option<Jira>,
}

fn config_error(message: impl Into<String>) -> TicketError {
    TicketError::new(TicketErrorKind::Config, message)
}

impl TicketConfig {
    /// Reads `text` (YAML subset or JSON) named `file` in errors: the reader, the schema, the
    /// templates and the URL rule of §1.4, each error with its line and column.
    pub fn load(text: &[u8], file: &str, limits: &Limits) -> Result<Self, TicketError> {
        let (value, spans) = crate::policy::read(text, file, limits)
            .map_err(|e| config_error(e.message().to_owned()).at(e.location().cloned()))?;
        let instance: serde_json::Value = serde_json::from_slice(&jcs::to_vec(&value))
            .map_err(|e| config_error(format!("internal: {e}")))?;
        let validator = validator()?;
        let mut errors: Vec<TicketError> = validator
            .iter_errors(&instance)
            .map(|e| {
                let mut pointer = e.instance_path().to_string();
                // An unexpected member is located at the member itself, not at its object.
                if let jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } =
                    e.kind()
                {
                    if let Some(first) = unexpected.first() {
                        pointer =
                            format!("{pointer}/{}", first.replace('~', "~0").replace('/', "~1"));
                    }
                }
                let shown = if pointer.is_empty() { "/" } else { &pointer };
                config_error(format!("{} at `{shown}`", lowercase_first(&e.to_string())))
                    .at(spans.locate(&pointer))
            })
            .collect();
        errors.sort_by_key(|e| e.location().map(|l| (l.line, l.column)));
        if let Some(first) = errors.into_iter().next() {
            return Err(first);
        }
        let config: Self =
            serde_json::from_value(instance).map_err(|e| config_error(e.to_string()))?;
        config.check(&spans)?;
        Ok(config)
    }

    /// Templates (§3) and instance URLs (§1.4).
    fn check(&self, spans: &Spans) -> Result<(), TicketError> {
        let located = |pointer: &str, e: TicketError| e.at(spans.locate(pointer));
        let mut templates = vec![("/verification_url".to_owned(), &self.verification_url)];
        if let Some(t) = &self.templates.summary {
            templates.push(("/templates/summary".into(), t));
        }
        if let Some(t) = &self.templates.description {
            templates.push(("/templates/description".into(), t));
        }
        if let Some(sn) = &self.servicenow {
            for (k, v) in &sn.values {
                templates.push((format!("/servicenow/values/{k}"), v));
            }
        }
        for (pointer, t) in templates {
            template::check(t).map_err(|e| located(&pointer, e))?;
        }
        let urls = [
            (
                "/servicenow/instance",
                self.servicenow.as_ref().map(|s| &s.instance),
            ),
            ("/jira/site", self.jira.as_ref().map(|j| &j.site)),
        ];
        for (pointer, url) in urls {
            if let Some(url) = url {
                if !url_allowed(url) {
                    return Err(located(
                        pointer,
                        config_error(format!(
                            "`{url}` must be https (http only for 127.0.0.1 or localhost)"
                        )),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// §1.4: https, or http to a loopback host.
fn url_allowed(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split([':', '/']).next().unwrap_or_default();
    host == "127.0.0.1" || host == "localhost"
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn validator() -> Result<Validator, TicketError> {
    let schema: serde_json::Value =
        serde_json::from_str(SCHEMA).map_err(|e| config_error(format!("embedded schema: {e}")))?;
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .build(&schema)
        .map_err(|e| config_error(format!("embedded schema: {e}")))
}
