//! The gateway's shared state, built once from the configuration: compiled routes, the state
//! store, the policy, the scanner, the upstream client, the evidence writer.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clyra_core::crypto::SigningKey;
use clyra_core::format::Schemas;
use clyra_core::guard::enforce::{
    CircuitBreaker, Idempotency, KillSwitch, KillSwitchConfig, LoopBreaker, RateLimiter,
    TenantFence,
};
use clyra_core::guard::genai::Scanner;
use clyra_core::policy::Policy;
use clyra_core::trust::Trust;
use clyra_core::{Coded, Limits};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Semaphore;

use crate::config::{lower, Config, OnError, RouteConfig, StoreKind};
use crate::error::{GatewayError, CODE_CONFIG, CODE_CONFIG_FILE};
use crate::evidence::{Evidence, SealFacts};
use crate::siem::SiemWriter;
use crate::state::Shared;

/// A route with its primitives built.
pub struct Route {
    /// As configured.
    pub config: RouteConfig,
    /// Kill switch scope, `route:<prefix>`.
    pub scope: String,
    /// GCRA limiter.
    pub rate: Option<RateLimiter>,
    /// Idempotency records.
    pub idempotency: Option<Idempotency>,
    /// Loop breaker.
    pub loop_breaker: Option<LoopBreaker>,
    /// Kill switch (thresholds from the config, or none: engaged by hand only).
    pub kill: KillSwitch,
}

/// An upstream with its circuit breaker.
pub struct Upstream {
    /// Name.
    pub name: String,
    /// Base URL without a trailing `/`.
    pub base: String,
    /// Time allowed for the response head.
    pub timeout: Duration,
    /// The circuit.
    pub circuit: CircuitBreaker,
}

/// Everything a request needs.
pub struct Gateway {
    /// The configuration.
    pub config: Config,
    /// Routes in match order.
    pub routes: Vec<Route>,
    /// Upstreams by name.
    pub upstreams: BTreeMap<String, Upstream>,
    /// The state store.
    pub store: Shared,
    /// Store failure behaviour.
    pub on_error: OnError,
    /// The tenant fence.
    pub fence: TenantFence,
    /// WAL and sealing.
    pub evidence: Evidence,
    /// SIEM NDJSON outputs.
    pub siem: Option<SiemWriter>,
    /// The policy.
    pub policy: Option<Policy>,
    /// The GenAI scanner, when a route scans.
    pub scanner: Option<Scanner>,
    /// Idempotency and hold-token key.
    pub secret: Vec<u8>,
    /// Approver keys that release holds.
    pub trust: Option<Trust>,
    /// Hold lifetime.
    pub hold_ttl_s: u64,
    /// Compiled schemas (approval payloads).
    pub schemas: Schemas,
    /// Admin bearer token.
    pub admin_token: Option<String>,
    /// Upstream HTTP client.
    pub client: Client<HttpConnector, Full<Bytes>>,
    /// Concurrency bound.
    pub in_flight: Arc<Semaphore>,
    /// Core limits.
    pub limits: Limits,
}

fn read_file(path: &std::path::Path, what: &str) -> Result<Vec<u8>, GatewayError> {
    std::fs::read(path).map_err(|e| {
        GatewayError::new(
            CODE_CONFIG_FILE,
            format!("{what} `{}`: {}", path.display(), lower(&e)),
        )
    })
}

fn config_error(e: impl std::fmt::Display) -> GatewayError {
    GatewayError::new(CODE_CONFIG, e.to_string())
}

impl Gateway {
    /// Loads every file the configuration names and builds the primitives; opens the evidence
    /// directory (sealing what a previous run left).
    pub fn build(config: Config) -> Result<Self, GatewayError> {
        let limits = Limits::default();
        let (secret, key, policy, trust, admin_token) = Self::files(&config, &limits)?;
        let mut routes = Vec::new();
        for r in &config.routes {
            let rate = r
                .rate
                .map(|c| RateLimiter::new(c.limit, c.period_ms, c.burst))
                .transpose()
                .map_err(config_error)?;
            let idempotency = r
                .idempotency
                .map(|c| Idempotency::new(&secret, c.ttl_ms, c.lock_ttl_ms, &limits))
                .transpose()
                .map_err(config_error)?;
            let loop_breaker = r
                .loop_breaker
                .as_ref()
                .map(|c| LoopBreaker::new(c.window_ms, c.max_repeats, c.history, c.cool_off_ms))
                .transpose()
                .map_err(config_error)?;
            let kill_config = match r.kill {
                Some(k) => KillSwitchConfig {
                    window_ms: k.window_ms,
                    max_bytes: k.max_bytes,
                    max_rows: None,
                    max_threats: k.max_threats,
                    max_error_percent: k.max_error_percent,
                    min_requests: k.min_requests,
                    trip_ms: k.trip_ms,
                },
                None => KillSwitchConfig {
                    window_ms: 60_000,
                    max_bytes: None,
                    max_rows: None,
                    max_threats: None,
                    max_error_percent: None,
                    min_requests: 0,
                    trip_ms: 60_000,
                },
            };
            routes.push(Route {
                config: r.clone(),
                scope: format!("route:{}", r.prefix),
                rate,
                idempotency,
                loop_breaker,
                kill: KillSwitch::new(kill_config).map_err(config_error)?,
            });
        }
        let mut upstreams = BTreeMap::new();
        for (name, u) in &config.upstreams {
            let c = u.circuit;
            upstreams.insert(
                name.clone(),
                Upstream {
                    name: name.clone(),
                    base: u.url.trim_end_matches('/').to_owned(),
                    timeout: Duration::from_millis(u.timeout_ms),
                    circuit: CircuitBreaker::new(c.failures, c.open_ms, c.probes, c.successes)
                        .map_err(config_error)?,
                },
            );
        }
        let store = match config.state.store {
            StoreKind::Memory => Shared::memory(),
            StoreKind::Redis => {
                let url = config.state.redis_url.as_deref().unwrap_or_default();
                Shared::Redis(crate::redis_store::RedisStore::new(url).map_err(config_error)?)
            }
        };
        let scanner = if config
            .routes
            .iter()
            .any(|r| r.scan.is_some_and(|s| s.request || s.response))
        {
            Some(Scanner::new().map_err(|e| GatewayError::new(e.code(), e.to_string()))?)
        } else {
            None
        };
        let facts = SealFacts {
            subject: config
                .evidence
                .subject
                .clone()
                .unwrap_or_else(|| format!("gateway:{}", config.listen)),
            environment: config.evidence.environment.clone(),
            policy_hash: policy.as_ref().map(|p| p.hash().to_prefixed()),
        };
        let evidence = Evidence::open(&config.evidence, key, facts)?;
        let siem = SiemWriter::open(&config.siem)?;
        let schemas = Schemas::new().map_err(config_error)?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Self {
            in_flight: Arc::new(Semaphore::new(config.limits.max_in_flight)),
            hold_ttl_s: config.approvals.as_ref().map_or(3_600, |a| a.ttl_s),
            on_error: config.state.on_error,
            config,
            routes,
            upstreams,
            store,
            fence: TenantFence,
            evidence,
            siem,
            policy,
            scanner,
            secret,
            trust,
            schemas,
            admin_token,
            client,
            limits,
        })
    }

    /// Reads the secret, signing key, policy, trust file and admin token the config names.
    #[allow(clippy::type_complexity)]
    fn files(
        config: &Config,
        limits: &Limits,
    ) -> Result<
        (
            Vec<u8>,
            SigningKey,
            Option<Policy>,
            Option<Trust>,
            Option<String>,
        ),
        GatewayError,
    > {
        let secret = read_file(&config.secret_file, "secret_file")?;
        if secret.len() < 32 {
            return Err(GatewayError::new(
                CODE_CONFIG_FILE,
                format!(
                    "secret_file `{}` holds fewer than 32 bytes",
                    config.secret_file.display()
                ),
            ));
        }
        let pem = read_file(&config.evidence.signing_key, "signing_key")?;
        let key = SigningKey::from_pkcs8_pem(&String::from_utf8_lossy(&pem)).map_err(|e| {
            GatewayError::new(
                CODE_CONFIG_FILE,
                format!(
                    "signing_key `{}`: {e} ({})",
                    config.evidence.signing_key.display(),
                    e.code()
                ),
            )
        })?;
        let policy = match &config.policy {
            Some(p) => {
                let text = read_file(p, "policy")?;
                Some(
                    Policy::load(&text, &p.display().to_string(), limits).map_err(|e| {
                        GatewayError::new(e.code(), e.message()).at(e.location().cloned())
                    })?,
                )
            }
            None => None,
        };
        let trust = match &config.approvals {
            Some(a) => {
                let bytes = read_file(&a.trust, "approvals.trust")?;
                Some(Trust::parse(&bytes, limits).map_err(|e| {
                    GatewayError::new(
                        CODE_CONFIG_FILE,
                        format!(
                            "approvals.trust `{}`: {e} ({})",
                            a.trust.display(),
                            e.code()
                        ),
                    )
                })?)
            }
            None => None,
        };
        let admin_token = match &config.admin_token_file {
            Some(p) => {
                let token = String::from_utf8_lossy(&read_file(p, "admin_token_file")?)
                    .trim()
                    .to_owned();
                if token.len() < 16 {
                    return Err(GatewayError::new(
                        CODE_CONFIG_FILE,
                        format!(
                            "admin_token_file `{}` holds fewer than 16 characters",
                            p.display()
                        ),
                    ));
                }
                Some(token)
            }
            None => None,
        };
        Ok((secret, key, policy, trust, admin_token))
    }

    /// The first route whose prefix starts `path`.
    pub fn route(&self, path: &str) -> Option<(usize, &Route)> {
        self.routes
            .iter()
            .enumerate()
            .find(|(_, r)| path.starts_with(&r.config.prefix))
    }
}
