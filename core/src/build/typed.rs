//! Typed DEF and PEF builders: the bundle spec of bundle-v0.md §9 built from Rust values instead
//! of a JSON document.
//!
//! A host written in Rust (a dbt adapter, the gateway) fills typed structs; [`SpecBuilder::build`]
//! assembles the spec as a JSON value and reads it with [`BundleSpec::from_value`], the one path
//! the JSON input takes too. So a typed spec and the equivalent JSON spec are the same
//! [`BundleSpec`] and give byte-identical bundles, and every rule (required members, timestamps,
//! derived-form ids, risk factors) is checked in one place. Blocks whose shape is open-ended
//! (`metrics`, event `data`, extensions) take a [`Map`] or [`Value`].

use super::error::BuildError;
use super::spec::BundleSpec;
use crate::jcs::{Map, Number, Value};

/// `producer` (bundle-v0.md §5.6): the software that made the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Producer {
    /// Producer name, e.g. `clyra-dbt`.
    pub name: String,
    /// Producer version.
    pub version: String,
    /// The host it ran in, e.g. `dbt-core 1.11.2`.
    pub host: Option<String>,
}

/// `change` (bundle-v0.md §5.7): what changed, by whom, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The changed thing, e.g. `model.shop.orders`.
    pub subject: String,
    /// The kind of change, e.g. `schema`, `tool_call`.
    pub kind: String,
    /// Who made the change.
    pub actor: String,
    /// Where, e.g. `production`.
    pub environment: String,
    /// Who deployed it, when someone other than the actor may have.
    pub deployer: Option<String>,
}

/// The recorded risk factors of risk-v1.md §2 (the builder computes the score).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskFactors {
    /// `none`, `data`, `schema`, … (risk-v1.md §2).
    pub change_magnitude: String,
    /// Critical policy violations.
    pub violations_critical: u32,
    /// Warning-level policy violations.
    pub violations_warning: u32,
    /// The change ran in production.
    pub production: bool,
    /// The change ran outside working hours.
    pub off_hours: bool,
    /// A required approval was bypassed.
    pub approval_bypassed: bool,
    /// Threats detected.
    pub threats: u32,
    /// SQL findings.
    pub sql_findings: u32,
    /// The actor has not changed this subject before.
    pub first_time_actor: bool,
}

/// `def.run` (def-v0.md): one run of the data tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefRun {
    /// Tool name, e.g. `dbt`.
    pub tool: String,
    /// Tool version.
    pub tool_version: String,
    /// The tool's id of this run.
    pub invocation_id: String,
    /// The command run.
    pub command: String,
    /// Start time (timestamp).
    pub started_at: String,
    /// End time (timestamp).
    pub finished_at: String,
    /// The commit the project was at, when known.
    pub git_commit: Option<String>,
    /// The tool's environment name.
    pub environment: String,
    /// The identity the tool ran as.
    pub actor: String,
    /// The run's status.
    pub status: String,
}

/// One `def.assets` item (def-v0.md): a changed relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefAsset {
    /// Asset id, e.g. `model.shop.orders`.
    pub id: String,
    /// Warehouse relation.
    pub relation: String,
    /// The kind of change.
    pub change: String,
    /// Columns added, when any.
    pub columns_added: Vec<String>,
    /// Columns removed, when any.
    pub columns_removed: Vec<String>,
}

/// One `def.tests` item (def-v0.md): a data test result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefTest {
    /// Test id.
    pub id: String,
    /// `pass`, `fail`, …
    pub status: String,
    /// The asset tested, when known.
    pub asset: Option<String>,
    /// Failing rows, when counted.
    pub failures: Option<u32>,
}

/// One `pef.operations` item (pef-v0.md): an agent's tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PefOperation {
    /// Operation number, from 0.
    pub seq: u32,
    /// The agent.
    pub actor: String,
    /// The tool called.
    pub tool: String,
    /// What it acted on.
    pub target: String,
    /// `sha256:` digest of the canonical parameters.
    pub parameters_hash: String,
    /// `sha256:` digest of the result, when recorded.
    pub result_hash: Option<String>,
    /// The gateway's decision, e.g. `allow`.
    pub decision: String,
    /// What happened, e.g. `executed`.
    pub outcome: String,
}

/// One `pef.threats` item (pef-v0.md): a detector's finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PefThreat {
    /// OWASP LLM Top 10 edition, e.g. `2025`.
    pub owasp_llm_edition: String,
    /// OWASP LLM Top 10 id, e.g. `LLM01`.
    pub owasp_llm_id: String,
    /// Confidence, 0–100.
    pub confidence: u32,
    /// The detector and its version.
    pub detector: String,
    /// The operation it concerns, when one.
    pub seq: Option<u32>,
}

/// Typed builder of a `def/v0` bundle spec.
#[derive(Debug, Clone, Copy)]
pub struct DefBundle;

impl DefBundle {
    /// An empty `def/v0` spec: set the required members, then [`SpecBuilder::build`].
    pub fn builder() -> SpecBuilder {
        SpecBuilder::new("def/v0")
    }
}

/// Typed builder of a `pef/v0` bundle spec.
#[derive(Debug, Clone, Copy)]
pub struct PefBundle;

impl PefBundle {
    /// An empty `pef/v0` spec: set the required members, then [`SpecBuilder::build`].
    pub fn builder() -> SpecBuilder {
        SpecBuilder::new("pef/v0")
    }
}

/// A bundle spec under construction (bundle-v0.md §9.1); every setter returns the builder.
#[derive(Debug, Clone)]
pub struct SpecBuilder {
    top: Map,
    journal: Vec<Value>,
    artifacts: Map,
    block: Map,
    extensions: Map,
}

fn text(s: &str) -> Value {
    Value::from(s)
}

fn texts(items: &[String]) -> Value {
    Value::from(items.iter().map(|s| text(s)).collect::<Vec<_>>())
}

fn object(fields: Vec<(&str, Value)>) -> Value {
    let mut map = Map::new();
    for (k, v) in fields {
        map.insert(k, v);
    }
    Value::from(map)
}

/// Pushes `value` onto the array member `key` of `map`, creating it.
fn push(map: &mut Map, key: &str, value: Value) {
    let mut items = match map.get(key) {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    };
    items.push(value);
    map.insert(key, Value::from(items));
}

impl SpecBuilder {
    fn new(format: &str) -> Self {
        let mut top = Map::new();
        top.insert("format", text(format));
        top.insert(
            "policy",
            object(vec![
                ("required", Value::from(false)),
                ("decisions", Value::from(Vec::new())),
            ]),
        );
        top.insert("approvals", object(vec![("required", Value::from(0u32))]));
        let mut block = Map::new();
        if format == "def/v0" {
            block.insert("assets", Value::from(Vec::new()));
            block.insert("tests", Value::from(Vec::new()));
            block.insert("metrics", Value::from(Map::new()));
        } else {
            block.insert("operations", Value::from(Vec::new()));
            block.insert("threats", Value::from(Vec::new()));
        }
        Self {
            top,
            journal: Vec::new(),
            artifacts: Map::new(),
            block,
            extensions: Map::new(),
        }
    }

    fn set(mut self, key: &str, value: Value) -> Self {
        self.top.insert(key, value);
        self
    }

    /// `bundle_id`; without it the builder derives one (bundle-v0.md §5.4).
    pub fn bundle_id(self, id: &str) -> Self {
        self.set("bundle_id", text(id))
    }

    /// `created_at` (a timestamp, bundle-v0.md §1.2).
    pub fn created_at(self, at: &str) -> Self {
        self.set("created_at", text(at))
    }

    /// `producer`.
    pub fn producer(self, p: &Producer) -> Self {
        let mut fields = vec![("name", text(&p.name)), ("version", text(&p.version))];
        if let Some(host) = &p.host {
            fields.push(("host", text(host)));
        }
        self.set("producer", object(fields))
    }

    /// `change`.
    pub fn change(self, c: &Change) -> Self {
        let mut fields = vec![
            ("subject", text(&c.subject)),
            ("kind", text(&c.kind)),
            ("actor", text(&c.actor)),
            ("environment", text(&c.environment)),
        ];
        if let Some(deployer) = &c.deployer {
            fields.push(("deployer", text(deployer)));
        }
        self.set("change", object(fields))
    }

    /// `policy` (default: not required, no decisions): `hash` is `sha256:` + hex, `decisions`
    /// the policy engine's records.
    pub fn policy(self, required: bool, hash: Option<&str>, decisions: Vec<Value>) -> Self {
        let mut fields = vec![
            ("required", Value::from(required)),
            ("decisions", Value::from(decisions)),
        ];
        if let Some(hash) = hash {
            fields.push(("hash", text(hash)));
        }
        self.set("policy", object(fields))
    }

    /// `risk.factors`, with the default weights of risk-v1.md §2.1.
    pub fn risk(self, f: &RiskFactors) -> Self {
        let factors = object(vec![
            ("change_magnitude", text(&f.change_magnitude)),
            ("violations_critical", Value::from(f.violations_critical)),
            ("violations_warning", Value::from(f.violations_warning)),
            ("production", Value::from(f.production)),
            ("off_hours", Value::from(f.off_hours)),
            ("approval_bypassed", Value::from(f.approval_bypassed)),
            ("threats", Value::from(f.threats)),
            ("sql_findings", Value::from(f.sql_findings)),
            ("first_time_actor", Value::from(f.first_time_actor)),
        ]);
        self.set("risk", object(vec![("factors", factors)]))
    }

    /// `approvals.required` (0, 1 or 2).
    pub fn approvals_required(self, n: u32) -> Self {
        self.set("approvals", object(vec![("required", Value::from(n))]))
    }

    /// `retention`: an ISO 8601 period such as `P7Y` and the legal-hold flag.
    pub fn retention(self, period: &str, legal_hold: bool) -> Self {
        self.set(
            "retention",
            object(vec![
                ("period", text(period)),
                ("legal_hold", Value::from(legal_hold)),
            ]),
        )
    }

    /// Appends a journal event (the builder adds `seq` and `prev`).
    pub fn event(mut self, at: &str, kind: &str, data: Map) -> Self {
        self.journal.push(object(vec![
            ("at", text(at)),
            ("kind", text(kind)),
            ("data", Value::from(data)),
        ]));
        self
    }

    /// Declares the media type of the artifact `artifacts/<name>` given to the builder.
    pub fn artifact(mut self, name: &str, media_type: &str) -> Self {
        self.artifacts
            .insert(name, object(vec![("media_type", text(media_type))]));
        self
    }

    /// Adds an `extensions` member (e.g. `mcp`).
    pub fn extension(mut self, name: &str, value: Value) -> Self {
        self.extensions.insert(name, value);
        self
    }

    /// `def.run` (DEF).
    pub fn run(mut self, r: &DefRun) -> Self {
        let mut fields = vec![
            ("tool", text(&r.tool)),
            ("tool_version", text(&r.tool_version)),
            ("invocation_id", text(&r.invocation_id)),
            ("command", text(&r.command)),
            ("started_at", text(&r.started_at)),
            ("finished_at", text(&r.finished_at)),
            ("environment", text(&r.environment)),
            ("actor", text(&r.actor)),
            ("status", text(&r.status)),
        ];
        if let Some(commit) = &r.git_commit {
            fields.push(("git_commit", text(commit)));
        }
        self.block.insert("run", object(fields));
        self
    }

    /// Appends a `def.assets` item (DEF).
    pub fn asset(mut self, a: &DefAsset) -> Self {
        let mut fields = vec![
            ("id", text(&a.id)),
            ("relation", text(&a.relation)),
            ("change", text(&a.change)),
        ];
        if !a.columns_added.is_empty() {
            fields.push(("columns_added", texts(&a.columns_added)));
        }
        if !a.columns_removed.is_empty() {
            fields.push(("columns_removed", texts(&a.columns_removed)));
        }
        push(&mut self.block, "assets", object(fields));
        self
    }

    /// Appends a `def.tests` item (DEF).
    pub fn test(mut self, t: &DefTest) -> Self {
        let mut fields = vec![("id", text(&t.id)), ("status", text(&t.status))];
        if let Some(asset) = &t.asset {
            fields.push(("asset", text(asset)));
        }
        if let Some(failures) = t.failures {
            fields.push(("failures", Value::from(failures)));
        }
        push(&mut self.block, "tests", object(fields));
        self
    }

    /// `def.metrics` (DEF), e.g. `rows_affected`.
    pub fn metrics(mut self, metrics: Map) -> Self {
        self.block.insert("metrics", Value::from(metrics));
        self
    }

    /// Appends a `pef.operations` item (PEF).
    pub fn operation(mut self, o: &PefOperation) -> Self {
        let mut fields = vec![
            ("seq", Value::from(o.seq)),
            ("actor", text(&o.actor)),
            ("tool", text(&o.tool)),
            ("target", text(&o.target)),
            ("parameters_hash", text(&o.parameters_hash)),
            ("decision", text(&o.decision)),
            ("outcome", text(&o.outcome)),
        ];
        if let Some(hash) = &o.result_hash {
            fields.push(("result_hash", text(hash)));
        }
        push(&mut self.block, "operations", object(fields));
        self
    }

    /// Appends a `pef.threats` item (PEF).
    pub fn threat(mut self, t: &PefThreat) -> Self {
        let owasp = object(vec![
            ("edition", text(&t.owasp_llm_edition)),
            ("id", text(&t.owasp_llm_id)),
        ]);
        let mut fields = vec![
            ("owasp_llm", owasp),
            ("confidence", Value::from(t.confidence)),
            ("detector", text(&t.detector)),
        ];
        if let Some(seq) = t.seq {
            fields.push(("seq", Value::Number(Number::from(seq))));
        }
        push(&mut self.block, "threats", object(fields));
        self
    }

    /// The spec as the JSON document `clyra bundle build --spec` reads (bundle-v0.md §9.1).
    pub fn to_value(&self) -> Value {
        let mut top = self.top.clone();
        top.insert("journal", Value::from(self.journal.clone()));
        if !self.artifacts.is_empty() {
            top.insert("artifacts", Value::from(self.artifacts.clone()));
        }
        if !self.extensions.is_empty() {
            top.insert("extensions", Value::from(self.extensions.clone()));
        }
        let block = if matches!(top.get("format"), Some(Value::String(f)) if f == "def/v0") {
            "def"
        } else {
            "pef"
        };
        top.insert(block, Value::from(self.block.clone()));
        Value::from(top)
    }

    /// The checked [`BundleSpec`]: the same reading the JSON input gets (`build.spec_schema` for a
    /// missing member such as `created_at`, `build.time` for a bad timestamp, …).
    pub fn build(&self) -> Result<BundleSpec, BuildError> {
        BundleSpec::from_value(&self.to_value())
    }
}
