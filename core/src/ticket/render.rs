//! What a ticket says (spec: ticket-config-v0.md §2–§5): its fields, summary, description (text
//! for ServiceNow, Atlassian Document Format for Jira) and the JSON bodies of the requests.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value as Json};

use super::config::{Jira, ServiceNow, TicketConfig};
use super::template::{percent_encode, render};
use super::TicketError;
use crate::badge::criteria::{evaluate, status, BundleItem, EvidenceSet, Framework, Item, Outcome};
use crate::jcs::Value;

/// The default summary template (§2.3).
pub const DEFAULT_SUMMARY: &str =
    "Clyra evidence: {change.kind} change to {change.subject} ({change.environment})";

/// Longest summary, in characters (§2.3).
pub const MAX_SUMMARY_CHARS: usize = 160;

/// The Clyra fields of §2.2, in order.
pub const FIELD_NAMES: [&str; 6] = [
    "attestation_hash",
    "attestation_type",
    "verification_link",
    "sox_compliant",
    "framework_status",
    "badge_id",
];

/// Everything a ticket is rendered from: the verified bundle and the attestation.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFacts {
    /// The manifest's `bundle_id`.
    pub bundle_id: String,
    /// The bundle's file name (the attachment's name).
    pub file_name: String,
    /// The manifest, when it read.
    pub manifest: Option<Value>,
    /// The verdict's outcome, e.g. `VALID`.
    pub outcome: String,
    /// The verdict's primary code.
    pub primary: String,
    /// `sha256:<hex>` of the attestation (or of the bundle).
    pub attestation_hash: String,
    /// The attestation's predicate type (§2.2).
    pub attestation_type: String,
    /// The badge id, when a badge was given.
    pub badge_id: Option<String>,
    /// `badge-v0.md` SOX criteria over this bundle have no `fail`.
    pub sox_compliant: bool,
    /// `sox=<status>; pci=<status>; hipaa=<status>`.
    pub framework_status: String,
}

impl TicketFacts {
    /// The facts of a bundle whose file is `file_name`, with SHA-256 `bundle_sha256` (64 hex),
    /// verdict `outcome`/`primary`, manifest `manifest`, and optional attestation bytes and badge id.
    pub fn new(
        file_name: &str,
        bundle_sha256: &str,
        outcome: &str,
        primary: &str,
        manifest: Option<Value>,
        attestation: Option<&[u8]>,
        badge_id: Option<String>,
    ) -> Self {
        let text = |m: &Value, k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
        let bundle_id = manifest
            .as_ref()
            .and_then(|m| text(m, "bundle_id"))
            .unwrap_or_default();
        let (attestation_hash, attestation_type) = match attestation {
            Some(bytes) => (
                crate::digest::Sha256Digest::of(bytes).to_prefixed(),
                predicate_type(bytes).unwrap_or_else(|| "unknown".into()),
            ),
            None => (
                format!("sha256:{bundle_sha256}"),
                match manifest.as_ref().and_then(|m| text(m, "format")).as_deref() {
                    Some("pef/v0") => "https://clyra.dev/pef/v0".into(),
                    _ => "https://clyra.dev/def/v0".into(),
                },
            ),
        };
        let set = EvidenceSet {
            items: vec![Item::Bundle(BundleItem {
                bundle_id: bundle_id.clone(),
                sha256: bundle_sha256.to_owned(),
                valid: outcome == "VALID",
                manifest: manifest.clone(),
            })],
            ..EvidenceSet::default()
        };
        let judged = |f: Framework| evaluate(f, &set).unwrap_or_default();
        let sox = judged(Framework::Sox);
        let sox_compliant = !sox.is_empty() && sox.iter().all(|c| c.result != Outcome::Fail);
        let framework_status = [Framework::Sox, Framework::Pci, Framework::Hipaa]
            .iter()
            .map(|f| format!("{}={}", f.as_str(), status(&judged(*f))))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            bundle_id,
            file_name: file_name.to_owned(),
            manifest,
            outcome: outcome.to_owned(),
            primary: primary.to_owned(),
            attestation_hash,
            attestation_type,
            badge_id,
            sox_compliant,
            framework_status,
        }
    }

    /// The value of template name `name` (§3).
    pub fn value(&self, name: &str) -> String {
        let m = self.manifest.as_ref();
        let path = |a: &str, b: &str| {
            m.and_then(|m| m.get(a))
                .and_then(|v| v.get(b))
                .map(scalar)
                .unwrap_or_default()
        };
        match name {
            "bundle_id" => self.bundle_id.clone(),
            "outcome" => self.outcome.clone(),
            "attestation_hash" => self.attestation_hash.clone(),
            "risk.score" => path("risk", "score"),
            other => other
                .strip_prefix("change.")
                .map(|k| path("change", k))
                .unwrap_or_default(),
        }
    }

    /// The verification link: `verification_url` rendered with percent-encoded values.
    pub fn verification_link(&self, config: &TicketConfig) -> Result<String, TicketError> {
        render(&config.verification_url, &|n| self.value(n), &|v| {
            percent_encode(v)
        })
    }

    /// The summary (§2.3), at most 160 characters.
    pub fn summary(&self, config: &TicketConfig) -> Result<String, TicketError> {
        let template = config
            .templates
            .summary
            .as_deref()
            .unwrap_or(DEFAULT_SUMMARY);
        let text = render(template, &|n| self.value(n), &|v| v.to_owned())?;
        Ok(text.chars().take(MAX_SUMMARY_CHARS).collect())
    }

    /// The Clyra fields of §2.2 with their values (`badge_id` only with a badge).
    pub fn fields(&self, link: &str) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("attestation_hash", self.attestation_hash.clone()),
            ("attestation_type", self.attestation_type.clone()),
            ("verification_link", link.to_owned()),
            ("sox_compliant", self.sox_compliant.to_string()),
            ("framework_status", self.framework_status.clone()),
        ];
        if let Some(id) = &self.badge_id {
            out.push(("badge_id", id.clone()));
        }
        out
    }

    /// The description's sections (§2.3): a title and its lines each.
    pub fn sections(&self, link: &str) -> Vec<(&'static str, Vec<String>)> {
        let m = self.manifest.as_ref();
        let get = |a: &str, b: &str| {
            m.and_then(|m| m.get(a))
                .and_then(|v| v.get(b))
                .map(scalar)
                .unwrap_or_else(|| "-".into())
        };
        let run = |k: &str| {
            m.and_then(|m| m.get("def"))
                .and_then(|d| d.get("run"))
                .and_then(|r| r.get(k))
                .map(scalar)
                .unwrap_or_else(|| "-".into())
        };
        let tests: Vec<&Value> = m
            .and_then(|m| m.get("def"))
            .and_then(|d| d.get("tests"))
            .and_then(Value::as_array)
            .map(|t| t.iter().collect())
            .unwrap_or_default();
        let failing: Vec<String> = tests
            .iter()
            .filter(|t| {
                matches!(
                    t.get("status").and_then(Value::as_str),
                    Some("fail" | "error")
                )
            })
            .map(|t| format!("failing: {}", t.get("id").map(scalar).unwrap_or_default()))
            .collect();
        let approvals = m
            .and_then(|m| m.get("approvals"))
            .and_then(|a| a.get("approvals"))
            .and_then(Value::as_array)
            .map_or(0, <[Value]>::len);
        let decisions: Vec<String> = m
            .and_then(|m| m.get("policy"))
            .and_then(|p| p.get("decisions"))
            .and_then(Value::as_array)
            .map(|d| {
                d.iter()
                    .map(|x| {
                        let f = |k: &str| x.get(k).map(scalar).unwrap_or_default();
                        format!(
                            "{}: {} ({}) {}",
                            f("rule"),
                            f("decision"),
                            f("mode"),
                            f("reason")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut test_lines = vec![format!("{} tests, {} failing", tests.len(), failing.len())];
        test_lines.extend(failing);
        let mut controls = vec![format!("policy hash: {}", get("policy", "hash"))];
        controls.extend(decisions);
        vec![
            (
                "Change",
                vec![
                    format!("subject: {}", get("change", "subject")),
                    format!("kind: {}", get("change", "kind")),
                    format!("environment: {}", get("change", "environment")),
                    format!("actor: {}", get("change", "actor")),
                    format!("deployer: {}", get("change", "deployer")),
                ],
            ),
            (
                "Run",
                vec![
                    format!("tool: {} {}", run("tool"), run("tool_version")),
                    format!("command: {}", run("command")),
                    format!("status: {}", run("status")),
                    format!(
                        "started: {}  finished: {}",
                        run("started_at"),
                        run("finished_at")
                    ),
                ],
            ),
            ("Tests", test_lines),
            (
                "Approvals",
                vec![format!(
                    "required: {}, given: {approvals}",
                    get("approvals", "required")
                )],
            ),
            (
                "Risk",
                vec![format!(
                    "score: {} ({})",
                    get("risk", "score"),
                    get("risk", "algorithm")
                )],
            ),
            ("Controls", controls),
            (
                "Evidence",
                vec![
                    format!("bundle: {} ({})", self.bundle_id, self.file_name),
                    format!("verdict: {} ({})", self.outcome, self.primary),
                    format!(
                        "attestation: {} ({})",
                        self.attestation_hash, self.attestation_type
                    ),
                    format!(
                        "SOX compliant: {}; {}",
                        self.sox_compliant, self.framework_status
                    ),
                    format!("verify: {link}"),
                ],
            ),
        ]
    }

    fn intro(&self, config: &TicketConfig) -> Result<Option<String>, TicketError> {
        config
            .templates
            .description
            .as_deref()
            .map(|t| render(t, &|n| self.value(n), &|v| v.to_owned()))
            .transpose()
    }

    /// The plain-text description (ServiceNow).
    pub fn description_text(
        &self,
        config: &TicketConfig,
        link: &str,
    ) -> Result<String, TicketError> {
        let mut text = self
            .intro(config)?
            .map(|t| format!("{t}\n\n"))
            .unwrap_or_default();
        for (title, lines) in self.sections(link) {
            text.push_str(&format!("{title}\n"));
            for line in lines {
                text.push_str(&format!("- {line}\n"));
            }
            text.push('\n');
        }
        Ok(text.trim_end().to_owned())
    }

    /// The description as an Atlassian Document Format document (Jira, §5.3).
    pub fn description_adf(&self, config: &TicketConfig, link: &str) -> Result<Json, TicketError> {
        let paragraph =
            |t: &str| json!({"type": "paragraph", "content": [{"type": "text", "text": t}]});
        let mut content = Vec::new();
        if let Some(intro) = self.intro(config)? {
            content.push(paragraph(&intro));
        }
        for (title, lines) in self.sections(link) {
            content.push(json!({"type": "heading", "attrs": {"level": 3},
                "content": [{"type": "text", "text": title}]}));
            let items: Vec<Json> = lines
                .iter()
                .map(|l| json!({"type": "listItem", "content": [paragraph(l)]}))
                .collect();
            content.push(json!({"type": "bulletList", "content": items}));
        }
        Ok(json!({"type": "doc", "version": 1, "content": content}))
    }

    /// The ServiceNow create body (§4.2 step 2).
    pub fn servicenow_body(
        &self,
        config: &TicketConfig,
        sn: &ServiceNow,
    ) -> Result<Json, TicketError> {
        let link = self.verification_link(config)?;
        let mut body = serde_json::Map::new();
        body.insert("short_description".into(), json!(self.summary(config)?));
        body.insert(
            "description".into(),
            json!(self.description_text(config, &link)?),
        );
        for (name, value) in self.fields(&link) {
            body.insert(sn.column(name), json!(value));
        }
        for (column, template) in &sn.values {
            let value = render(template, &|n| self.value(n), &|v| v.to_owned())?;
            body.insert(column.clone(), json!(value));
        }
        Ok(Json::Object(body))
    }

    /// The label that finds this ticket again (§5.2): `clyra-` + 32 hex digits of the hash.
    pub fn jira_label(&self) -> String {
        let hex = self.attestation_hash.trim_start_matches("sha256:");
        format!("clyra-{}", hex.get(..32).unwrap_or(hex))
    }

    /// The Jira duplicate search body (§5.2 step 1).
    pub fn jira_search_body(&self, jira: &Jira) -> Json {
        json!({
            "jql": format!("project = \"{}\" AND labels = \"{}\"", jira.project, self.jira_label()),
            "fields": ["key"],
            "maxResults": 1,
        })
    }

    /// The Jira create body (§5.2 step 2).
    pub fn jira_body(&self, config: &TicketConfig, jira: &Jira) -> Result<Json, TicketError> {
        let link = self.verification_link(config)?;
        let mut labels = vec!["clyra".to_owned(), self.jira_label()];
        labels.extend(jira.labels.iter().cloned());
        let mut fields = serde_json::Map::new();
        fields.insert("project".into(), json!({"key": jira.project}));
        fields.insert(
            "issuetype".into(),
            json!({"name": jira.issue_type.as_deref().unwrap_or("Task")}),
        );
        fields.insert("summary".into(), json!(self.summary(config)?));
        fields.insert("description".into(), self.description_adf(config, &link)?);
        fields.insert("labels".into(), json!(labels));
        for (name, value) in self.fields(&link) {
            if let Some(id) = jira.fields.get(name) {
                fields.insert(id.to_owned(), json!(value));
            }
        }
        Ok(json!({"fields": fields}))
    }

    /// The Jira remote link body (§5.2 step 4).
    pub fn jira_remote_link_body(&self, link: &str) -> Json {
        json!({"object": {"url": link, "title": "Verify the Clyra evidence"}})
    }
}

/// A scalar as text (strings unquoted, numbers and booleans as JSON).
fn scalar(v: &Value) -> String {
    match v.as_str() {
        Some(s) => s.to_owned(),
        None => String::from_utf8_lossy(&crate::jcs::to_vec(v)).into_owned(),
    }
}

/// The predicate type of a DSSE envelope over an in-toto Statement, when it is one.
fn predicate_type(bytes: &[u8]) -> Option<String> {
    let envelope: Json = serde_json::from_slice(bytes).ok()?;
    let payload = STANDARD.decode(envelope.get("payload")?.as_str()?).ok()?;
    let statement: Json = serde_json::from_slice(&payload).ok()?;
    let kind = statement.get("_type")?.as_str()?;
    if !kind.starts_with("https://in-toto.io/Statement/") {
        return None;
    }
    Some(statement.get("predicateType")?.as_str()?.to_owned())
}
