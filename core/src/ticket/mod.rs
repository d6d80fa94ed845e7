//! Attested change tickets (spec: ticket-config-v0.md): the configuration file, read and validated
//! with line and column, and the ticket contents rendered from a verified bundle.
//!
//! Pure: the host verifies the bundle, resolves secrets and sends the requests.
//! - [`config`]: the configuration and its schema check (§1, §4, §5);
//! - [`template`]: `{name}` templates (§3);
//! - [`render`]: the ticket's fields, summary, description and the request bodies (§2, §4, §5).

pub mod config;
pub mod render;
pub mod template;

pub use config::TicketConfig;
pub use render::TicketFacts;

use crate::error::Coded;
use crate::policy::Location;

/// What went wrong, as one stable code of `verdicts.md` (section `ticket`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TicketErrorKind {
    /// `ticket.config`
    Config,
    /// `ticket.secret`
    Secret,
    /// `ticket.auth`
    Auth,
    /// `ticket.http`
    Http,
    /// `ticket.attachment`
    Attachment,
    /// `ticket.bundle`
    Bundle,
}

impl TicketErrorKind {
    /// The registered code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Config => "ticket.config",
            Self::Secret => "ticket.secret",
            Self::Auth => "ticket.auth",
            Self::Http => "ticket.http",
            Self::Attachment => "ticket.attachment",
            Self::Bundle => "ticket.bundle",
        }
    }
}

/// A ticket error: a kind, a lowercase message and, for configuration errors, where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location.as_ref().map(|l| format!("{l}: ")).unwrap_or_default())]
pub struct TicketError {
    kind: TicketErrorKind,
    message: String,
    location: Option<Location>,
}

impl TicketError {
    /// An error of `kind` with `message` (lowercase, no trailing period).
    pub fn new(kind: TicketErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            location: None,
        }
    }

    /// The same error at `location` (file, line, column).
    #[must_use]
    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    /// The kind, for callers that branch on it.
    pub fn kind(&self) -> TicketErrorKind {
        self.kind
    }

    /// Where in the configuration file, when known.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }
}

impl Coded for TicketError {
    fn code(&self) -> &'static str {
        self.kind.code()
    }
}
