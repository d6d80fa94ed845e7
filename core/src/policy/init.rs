//! Starting policies (`clyra policy init --env prod|dev`): sound defaults that lint clean.

/// The environment a starting policy is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitEnv {
    /// Production: approvals, two-person rule on PII, blocking guards, TCPA, retention P7Y.
    Prod,
    /// Development: failing tests block; guards in shadow mode.
    Dev,
}

impl InitEnv {
    /// `prod` or `dev`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "prod" | "production" => Some(Self::Prod),
            "dev" | "development" => Some(Self::Dev),
            _ => None,
        }
    }
}

/// The starting policy text for `env` (YAML; `templates/*.yaml`, loaded and linted by tests).
pub const fn starter(env: InitEnv) -> &'static str {
    match env {
        InitEnv::Prod => include_str!("templates/prod.yaml"),
        InitEnv::Dev => include_str!("templates/dev.yaml"),
    }
}
