//! Errors of the GenAI guard: input beyond its limits, malformed steps, an internal fault.

use crate::error::Coded;

/// Why a scan could not run. A scan that runs always yields a report, never an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GenaiError {
    /// The text is larger than `genai_max_input_bytes` (limits.md L32).
    #[error("text of {0} bytes is larger than the limit of {1} bytes")]
    TooLarge(usize, usize),
    /// More agent steps than `genai_max_steps` (limits.md L35).
    #[error("{0} steps are more than the limit of {1}")]
    TooManySteps(usize, usize),
    /// The steps document is not a JSON array of `{"text", "tool"?}` objects.
    #[error("steps are not a JSON array of {{\"text\", \"tool\"}} objects: {0}")]
    Steps(String),
    /// An external detector's answer broke the answer rules (spec §10).
    #[error("external detector answer: {0}")]
    ExternalAnswer(String),
    /// A built-in pattern or the shipped model failed to load (a bug; report it).
    #[error("internal fault: {0}")]
    Internal(String),
}

impl GenaiError {
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::Internal(message.into())
    }
}

impl Coded for GenaiError {
    fn code(&self) -> &'static str {
        match self {
            GenaiError::TooLarge(..) => "genai.too_large",
            GenaiError::TooManySteps(..) => "genai.too_many_steps",
            GenaiError::Steps(_) => "genai.steps",
            GenaiError::ExternalAnswer(_) => "genai.external_answer",
            GenaiError::Internal(_) => "genai.internal",
        }
    }
}
