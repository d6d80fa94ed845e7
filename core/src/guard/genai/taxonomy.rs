//! The detectors of the GenAI guard, each with its stable id and its OWASP and MITRE ATLAS mapping.
//!
//! spec: guard-genai.md §4. OWASP ids are those of the OWASP Top 10 for LLM Applications, edition
//! 2025; ATLAS ids are MITRE ATLAS technique ids (checked against ATLAS data v2026.09).

use serde::Serialize;

/// The OWASP Top 10 for LLM Applications edition every finding refers to.
pub const OWASP_EDITION: &str = "2025";

/// One detector of the GenAI guard. The id (`Detector::id`) is stable and registered in
/// `spec/verdicts.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum Detector {
    /// "Ignore your previous instructions" and its variants.
    InstructionOverride,
    /// Jailbreak personas and modes: DAN, developer mode, "no restrictions".
    JailbreakPersona,
    /// Requests to reveal the system prompt or the text before the conversation.
    SystemPromptExtraction,
    /// Chat-template and role tokens (`<|im_start|>`, `[INST]`, `<<SYS>>`, `### System:`).
    RoleToken,
    /// Text posing as tool output or agent reasoning (`Observation:`, fake function results).
    ToolOutputSpoof,
    /// Markdown or HTML images whose URL carries data out (`![x](https://h/?q=…)`).
    ExfilLink,
    /// A base64, hex or URL-encoded payload that decodes to text.
    EncodedPayload,
    /// Invisible characters, bidi controls, tag characters or mixed-script look-alike words.
    Obfuscation,
    /// The hashed character n-gram linear classifier (model.rs).
    Classifier,
    /// Repeated near-identical agent steps (reflex or prompt loop).
    PromptLoop,
    /// An external HTTP detector's finding, or its fallback (external.rs, spec §10).
    External,
}

impl Detector {
    /// Every detector, in report order.
    pub const ALL: [Detector; 11] = [
        Detector::InstructionOverride,
        Detector::JailbreakPersona,
        Detector::SystemPromptExtraction,
        Detector::RoleToken,
        Detector::ToolOutputSpoof,
        Detector::ExfilLink,
        Detector::EncodedPayload,
        Detector::Obfuscation,
        Detector::Classifier,
        Detector::PromptLoop,
        Detector::External,
    ];

    /// Whether the detector's findings come from the pattern rules (`rules.rs`).
    pub const fn is_pattern_rule(self) -> bool {
        matches!(
            self,
            Detector::InstructionOverride
                | Detector::JailbreakPersona
                | Detector::SystemPromptExtraction
                | Detector::RoleToken
                | Detector::ToolOutputSpoof
                | Detector::ExfilLink
        )
    }

    /// The stable id, e.g. `genai.instruction_override`.
    pub const fn id(self) -> &'static str {
        match self {
            Detector::InstructionOverride => "genai.instruction_override",
            Detector::JailbreakPersona => "genai.jailbreak_persona",
            Detector::SystemPromptExtraction => "genai.system_prompt_extraction",
            Detector::RoleToken => "genai.role_token",
            Detector::ToolOutputSpoof => "genai.tool_output_spoof",
            Detector::ExfilLink => "genai.exfil_link",
            Detector::EncodedPayload => "genai.encoded_payload",
            Detector::Obfuscation => "genai.obfuscation",
            Detector::Classifier => "genai.classifier",
            Detector::PromptLoop => "genai.prompt_loop",
            Detector::External => "genai.external",
        }
    }

    /// OWASP Top 10 for LLM Applications ids, edition [`OWASP_EDITION`] (`LLM01:2025` form).
    pub const fn owasp(self) -> &'static [&'static str] {
        match self {
            Detector::InstructionOverride
            | Detector::JailbreakPersona
            | Detector::RoleToken
            | Detector::ToolOutputSpoof
            | Detector::EncodedPayload
            | Detector::Obfuscation
            | Detector::Classifier
            | Detector::External => &["LLM01:2025"],
            Detector::SystemPromptExtraction => &["LLM07:2025", "LLM01:2025"],
            Detector::ExfilLink => &["LLM02:2025", "LLM05:2025"],
            Detector::PromptLoop => &["LLM10:2025", "LLM06:2025"],
        }
    }

    /// MITRE ATLAS technique ids.
    pub const fn atlas(self) -> &'static [&'static str] {
        match self {
            Detector::InstructionOverride | Detector::Classifier | Detector::External => {
                &["AML.T0051"]
            }
            Detector::JailbreakPersona => &["AML.T0054"],
            Detector::SystemPromptExtraction => &["AML.T0056", "AML.T0051.000"],
            Detector::RoleToken => &["AML.T0051.000", "AML.T0054"],
            Detector::ToolOutputSpoof => &["AML.T0051.001"],
            Detector::ExfilLink => &["AML.T0077", "AML.T0057"],
            Detector::EncodedPayload | Detector::Obfuscation => &["AML.T0068", "AML.T0051"],
            Detector::PromptLoop => &["AML.T0034"],
        }
    }
}

impl From<Detector> for &'static str {
    fn from(d: Detector) -> Self {
        d.id()
    }
}
