//! The configuration file (spec: gateway-config-v0.md): read as the YAML subset of policy files,
//! checked against `gateway-config-v0.schema.json` and then for meaning, every error with its
//! line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clyra_core::jcs;
use clyra_core::policy::yaml::{self, Spans};
use clyra_core::Limits;
use jsonschema::{Draft, Validator};
use serde::Deserialize;

use crate::error::{GatewayError, CODE_CONFIG, CODE_CONFIG_FILE, CODE_CONFIG_YAML};

/// The schema text (mirror of `spec/schemas/gateway-config-v0.schema.json`).
pub const CONFIG_SCHEMA: &str = include_str!("../../../core/schemas/gateway-config-v0.schema.json");

/// Largest configuration file read, in bytes.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// The whole configuration, with every path made absolute.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Always 0.
    pub version: u32,
    /// `host:port`.
    pub listen: String,
    /// Key file of idempotency fingerprints and hold tokens.
    pub secret_file: PathBuf,
    /// Policy file.
    #[serde(default)]
    pub policy: Option<PathBuf>,
    /// Approvals that release holds.
    #[serde(default)]
    pub approvals: Option<ApprovalsConfig>,
    /// Bearer token file of the admin endpoints.
    #[serde(default)]
    pub admin_token_file: Option<PathBuf>,
    /// Concurrency and timeouts.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Where shared state lives.
    #[serde(default)]
    pub state: StateConfig,
    /// WAL, sealing and signing.
    pub evidence: EvidenceConfig,
    /// SIEM outputs.
    #[serde(default)]
    pub siem: SiemConfig,
    /// Upstreams by name.
    pub upstreams: BTreeMap<String, UpstreamConfig>,
    /// Routes, matched in order.
    pub routes: Vec<RouteConfig>,
}

/// `approvals`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalsConfig {
    /// Trust file with `approver` keys.
    pub trust: PathBuf,
    /// Hold lifetime, seconds.
    #[serde(default = "default_hold_ttl")]
    pub ttl_s: u64,
    /// Interval of the hold-expiry sweep (gateway-config-v0.md §8.1), milliseconds.
    #[serde(default = "default_sweep_ms")]
    pub sweep_ms: u64,
}

fn default_hold_ttl() -> u64 {
    3_600
}
/// Interval of the hold-expiry sweep when the config names none (also without `approvals`).
pub const DEFAULT_SWEEP_MS: u64 = 10_000;

fn default_sweep_ms() -> u64 {
    DEFAULT_SWEEP_MS
}

/// `limits`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Requests handled at once; more are 503.
    pub max_in_flight: usize,
    /// Time allowed for request headers.
    pub header_timeout_ms: u64,
    /// Time allowed for a request body.
    pub body_timeout_ms: u64,
    /// Largest request head.
    pub max_header_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_in_flight: 1_024,
            header_timeout_ms: 10_000,
            body_timeout_ms: 30_000,
            max_header_bytes: 65_536,
        }
    }
}

/// Which state store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// In process (one replica).
    #[default]
    Memory,
    /// Redis (replicas share state).
    Redis,
}

/// What a store failure does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Answer 503.
    #[default]
    Closed,
    /// Skip the check.
    Open,
}

/// `state`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct StateConfig {
    /// Memory or Redis.
    pub store: StoreKind,
    /// `redis://…`.
    pub redis_url: Option<String>,
    /// Fail closed or open.
    pub on_error: OnError,
}

/// `evidence`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceConfig {
    /// WAL and bundles directory.
    pub dir: PathBuf,
    /// Producer key (PKCS#8 PEM).
    pub signing_key: PathBuf,
    /// Seal after this many events.
    #[serde(default = "default_seal_events")]
    pub seal_every_events: u64,
    /// Seal after this long.
    #[serde(default = "default_seal_ms")]
    pub seal_every_ms: u64,
    /// Longest wait before a WAL sync.
    #[serde(default = "default_fsync_ms")]
    pub fsync_batch_ms: u64,
    /// `change.environment` of the bundles.
    #[serde(default = "default_environment")]
    pub environment: String,
    /// `change.subject` of the bundles.
    #[serde(default)]
    pub subject: Option<String>,
    /// Ledger to append sealed bundles to.
    #[serde(default)]
    pub ledger_dir: Option<PathBuf>,
    /// The ledger's signing key (Ed25519 PKCS#8 PEM), with `ledger_dir`.
    #[serde(default)]
    pub ledger_key: Option<PathBuf>,
}

fn default_seal_events() -> u64 {
    1_000
}
fn default_seal_ms() -> u64 {
    60_000
}
fn default_fsync_ms() -> u64 {
    0
}
fn default_environment() -> String {
    "production".into()
}

/// `siem`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SiemConfig {
    /// OCSF NDJSON output (`-` = stdout).
    pub ocsf: Option<PathBuf>,
    /// ECS NDJSON output (`-` = stdout).
    pub ecs: Option<PathBuf>,
}

/// One upstream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamConfig {
    /// `http://host:port[/base]`.
    pub url: String,
    /// Time allowed for the upstream's response head.
    #[serde(default = "default_upstream_timeout")]
    pub timeout_ms: u64,
    /// Circuit breaker settings.
    #[serde(default)]
    pub circuit: CircuitConfig,
}

fn default_upstream_timeout() -> u64 {
    30_000
}

/// `circuit` of an upstream.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CircuitConfig {
    /// Consecutive failures that open it.
    pub failures: u64,
    /// How long it stays open.
    pub open_ms: u64,
    /// Calls let through half-open.
    pub probes: u64,
    /// Successes that close it.
    pub successes: u64,
}

impl Default for CircuitConfig {
    fn default() -> Self {
        Self {
            failures: 5,
            open_ms: 30_000,
            probes: 1,
            successes: 1,
        }
    }
}

/// Route mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RouteMode {
    /// Blocking answers block.
    #[default]
    Enforce,
    /// Everything is recorded, nothing blocks.
    Shadow,
}

/// One route.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Path prefix.
    pub prefix: String,
    /// Upstream name.
    pub upstream: String,
    /// Enforce or shadow.
    #[serde(default)]
    pub mode: RouteMode,
    /// Tenant header.
    #[serde(default = "default_tenant_header")]
    pub tenant_header: String,
    /// Actor header.
    #[serde(default = "default_actor_header")]
    pub actor_header: String,
    /// `request.tool` fact (default: the path).
    #[serde(default)]
    pub tool: Option<String>,
    /// `change.kind` fact.
    #[serde(default = "default_change_kind")]
    pub change_kind: String,
    /// The policy sections the route evaluates (policy-v1.md §8.6); `None`: every section.
    #[serde(default)]
    pub policy_sections: Option<Vec<String>>,
    /// Largest body.
    #[serde(default = "default_body")]
    pub max_body_bytes: usize,
    /// GCRA settings.
    #[serde(default)]
    pub rate: Option<RateConfig>,
    /// Idempotency settings.
    #[serde(default)]
    pub idempotency: Option<IdempotencyConfig>,
    /// GenAI scan settings.
    #[serde(default)]
    pub scan: Option<ScanConfig>,
    /// External GenAI detector asked by the scan.
    #[serde(default)]
    pub detector: Option<DetectorConfig>,
    /// Loop breaker settings.
    #[serde(default, rename = "loop")]
    pub loop_breaker: Option<LoopConfig>,
    /// Kill switch thresholds.
    #[serde(default)]
    pub kill: Option<KillConfig>,
    /// MCP mode.
    #[serde(default)]
    pub mcp: Option<McpConfig>,
}

fn default_tenant_header() -> String {
    "x-tenant".into()
}
fn default_actor_header() -> String {
    "x-actor".into()
}
fn default_change_kind() -> String {
    "data_push".into()
}
fn default_body() -> usize {
    1 << 20
}

/// `rate`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateConfig {
    /// Requests per period.
    pub limit: u64,
    /// Period.
    pub period_ms: u64,
    /// Burst (default 1).
    #[serde(default = "one")]
    pub burst: u64,
}

fn one() -> u64 {
    1
}

/// `idempotency`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdempotencyConfig {
    /// How long a completed response is replayed.
    pub ttl_ms: u64,
    /// How long an in-flight claim lives.
    pub lock_ttl_ms: u64,
    /// Requests without `Idempotency-Key` are 400.
    pub required: bool,
}

impl Default for IdempotencyConfig {
    fn default() -> Self {
        Self {
            ttl_ms: 86_400_000,
            lock_ttl_ms: 60_000,
            required: false,
        }
    }
}

/// Which severity blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BlockAt {
    /// Error findings block.
    #[default]
    Error,
    /// Warnings block too.
    Warn,
}

/// `scan`.
#[derive(Debug, Clone, Copy, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ScanConfig {
    /// Scan request bodies.
    pub request: bool,
    /// Scan response bodies.
    pub response: bool,
    /// Blocking severity.
    pub block_at: BlockAt,
}

/// `detector` of a route (gateway-config-v0.md §7.1): an external GenAI detector.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorConfig {
    /// `http://host:port/path`.
    pub url: String,
    /// Time allowed for the whole exchange (at most 500 ms).
    #[serde(default = "default_detector_timeout")]
    pub timeout_ms: u64,
    /// What a failed exchange does.
    #[serde(default)]
    pub fallback: DetectorFallback,
}

fn default_detector_timeout() -> u64 {
    clyra_core::guard::genai::external::TIMEOUT_MS
}

/// `fallback` of a detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DetectorFallback {
    /// An `error` finding: the text is blocked.
    #[default]
    Closed,
    /// A `warn` finding: visible, not blocking.
    Open,
}

impl DetectorFallback {
    /// The core's fallback.
    pub fn core(self) -> clyra_core::guard::genai::external::Fallback {
        use clyra_core::guard::genai::external::Fallback;
        match self {
            Self::Closed => Fallback::Closed,
            Self::Open => Fallback::Open,
        }
    }
}

/// `loop`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoopConfig {
    /// Window.
    pub window_ms: u64,
    /// Occurrences that break.
    pub max_repeats: u64,
    /// Steps remembered.
    pub history: usize,
    /// Cool-off.
    pub cool_off_ms: u64,
    /// Header naming the agent session (default: the actor).
    pub session_header: String,
}

impl Default for LoopConfig {
    fn default() -> Self {
        Self {
            window_ms: 60_000,
            max_repeats: 3,
            history: 16,
            cool_off_ms: 30_000,
            session_header: "x-session".into(),
        }
    }
}

/// `kill`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KillConfig {
    /// Window.
    pub window_ms: u64,
    /// Trip length.
    pub trip_ms: u64,
    /// Bytes per window.
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// Threat findings per window.
    #[serde(default)]
    pub max_threats: Option<u64>,
    /// Failed share, percent.
    #[serde(default)]
    pub max_error_percent: Option<u64>,
    /// Requests before the error rate counts.
    #[serde(default)]
    pub min_requests: u64,
}

/// `mcp`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpConfig {
    /// The MCP server's id, recorded per call.
    pub server_id: String,
}

/// The compiled configuration schema.
fn validator() -> Result<Validator, GatewayError> {
    let schema: serde_json::Value = serde_json::from_str(CONFIG_SCHEMA)
        .map_err(|e| GatewayError::new(CODE_CONFIG, format!("embedded schema: {e}")))?;
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .build(&schema)
        .map_err(|e| GatewayError::new(CODE_CONFIG, format!("embedded schema: {e}")))
}

impl Config {
    /// Reads and checks the configuration at `path` (spec: gateway-config-v0.md §1); relative
    /// paths inside are resolved against its folder.
    pub fn load(path: &Path) -> Result<Self, GatewayError> {
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| {
            GatewayError::new(CODE_CONFIG_FILE, format!("`{shown}`: {}", lower(&e)))
        })?;
        if meta.len() > MAX_CONFIG_BYTES {
            return Err(GatewayError::new(
                CODE_CONFIG,
                format!("`{shown}` is larger than {MAX_CONFIG_BYTES} bytes"),
            ));
        }
        let text = std::fs::read(path).map_err(|e| {
            GatewayError::new(CODE_CONFIG_FILE, format!("`{shown}`: {}", lower(&e)))
        })?;
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let mut config = Self::parse(&text, &shown)?;
        config.resolve(&base);
        Ok(config)
    }

    /// Parses configuration text named `file` in errors; paths stay as written.
    pub fn parse(text: &[u8], file: &str) -> Result<Self, GatewayError> {
        let text = std::str::from_utf8(text)
            .map_err(|_| GatewayError::new(CODE_CONFIG_YAML, format!("`{file}` is not UTF-8")))?;
        let limits = Limits::default();
        let (value, spans) = yaml::parse(text, file, &limits).map_err(|e| {
            GatewayError::new(CODE_CONFIG_YAML, e.message()).at(e.location().cloned())
        })?;
        let instance: serde_json::Value = serde_json::from_slice(&jcs::to_vec(&value))
            .map_err(|e| GatewayError::new(CODE_CONFIG_YAML, e.to_string()))?;
        let validator = validator()?;
        let mut errors: Vec<GatewayError> = validator
            .iter_errors(&instance)
            .map(|e| {
                let pointer = e.instance_path().to_string();
                let shown = if pointer.is_empty() { "/" } else { &pointer };
                GatewayError::new(CODE_CONFIG, format!("{e} at `{shown}`"))
                    .at(spans.locate(&pointer))
            })
            .collect();
        errors.sort_by_key(|e| e.location().map(|l| (l.line, l.column)));
        if let Some(first) = errors.into_iter().next() {
            return Err(first);
        }
        let config: Config = serde_json::from_value(instance)
            .map_err(|e| GatewayError::new(CODE_CONFIG, e.to_string()))?;
        config.check_meaning(&spans)?;
        Ok(config)
    }

    /// Rules the schema cannot say: routes name known upstreams, the listen address parses.
    fn check_meaning(&self, spans: &Spans) -> Result<(), GatewayError> {
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(GatewayError::new(
                CODE_CONFIG,
                format!("listen address `{}` is not an ip:port", self.listen),
            )
            .at(spans.locate("/listen")));
        }
        for (i, route) in self.routes.iter().enumerate() {
            if let Some(d) = &route.detector {
                if route.scan.is_none() {
                    return Err(GatewayError::new(
                        CODE_CONFIG,
                        "the route names a `detector` but has no `scan`",
                    )
                    .at(spans.locate(&format!("/routes/{i}/detector"))));
                }
                if d.url.parse::<hyper::Uri>().is_err() {
                    return Err(GatewayError::new(
                        CODE_CONFIG,
                        format!("detector url `{}` does not parse", d.url),
                    )
                    .at(spans.locate(&format!("/routes/{i}/detector/url"))));
                }
            }
            if route.policy_sections.is_some() && self.policy.is_none() {
                return Err(GatewayError::new(
                    CODE_CONFIG,
                    "the route names policy sections but the config has no `policy`",
                )
                .at(spans.locate(&format!("/routes/{i}/policy_sections"))));
            }
            if !self.upstreams.contains_key(&route.upstream) {
                return Err(GatewayError::new(
                    CODE_CONFIG,
                    format!("route upstream `{}` is not defined", route.upstream),
                )
                .at(spans.locate(&format!("/routes/{i}/upstream"))));
            }
            if let Some(r) = route.rate {
                clyra_core::guard::enforce::RateLimiter::new(r.limit, r.period_ms, r.burst)
                    .map_err(|e| {
                        GatewayError::new(CODE_CONFIG, e.to_string())
                            .at(spans.locate(&format!("/routes/{i}/rate")))
                    })?;
            }
        }
        Ok(())
    }

    /// Makes every path absolute against `base`.
    fn resolve(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.as_os_str() != "-" && p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.secret_file);
        if let Some(p) = &mut self.policy {
            fix(p);
        }
        if let Some(a) = &mut self.approvals {
            fix(&mut a.trust);
        }
        if let Some(p) = &mut self.admin_token_file {
            fix(p);
        }
        fix(&mut self.evidence.dir);
        fix(&mut self.evidence.signing_key);
        if let Some(p) = &mut self.evidence.ledger_dir {
            fix(p);
        }
        if let Some(p) = &mut self.evidence.ledger_key {
            fix(p);
        }
        if let Some(p) = &mut self.siem.ocsf {
            fix(p);
        }
        if let Some(p) = &mut self.siem.ecs {
            fix(p);
        }
    }
}

/// An I/O error's text, lowercase (messages style).
pub(crate) fn lower(e: &std::io::Error) -> String {
    e.to_string().to_lowercase()
}
