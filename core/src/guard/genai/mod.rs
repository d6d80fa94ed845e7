//! GenAI threat detectors: prompt injection, jailbreaks, system-prompt extraction, spoofed tool
//! output, exfiltration links, hidden payloads, and loops in agent steps.
//!
//! spec: guard-genai.md. A [`Scanner`] holds the compiled rules and the shipped classifier; build
//! it once and reuse it. [`Scanner::scan`] normalises the text ([`normalise`]), runs every
//! detector, decodes embedded payloads ([`decode`]) and scans them too (up to
//! `genai_max_decode_depth` layers), and returns one [`Finding`] per detector with its confidence,
//! span in the input, OWASP LLM Top 10 (2025) ids and MITRE ATLAS ids. [`Scanner::scan_steps`]
//! scans each agent step and looks for loops across them ([`steps`]). Everything is bounded by
//! [`Limits`]: input size, decode depth, payload count, step count.

mod confusables;
pub mod decode;
mod error;
pub mod external;
pub mod model;
pub mod normalise;
pub mod rules;
pub mod steps;
pub mod taxonomy;
mod typos;

pub use error::GenaiError;
pub use steps::Step;
pub use taxonomy::{Detector, OWASP_EDITION};

use serde::Serialize;

use crate::limits::Limits;
use decode::Encoding;
use model::Model;
use rules::Rules;

/// Confidence (per mille) from which a finding is an error rather than a warning.
pub const ERROR_PERMILLE: u16 = 700;
/// Score (per mille) from which a `genai.classifier` finding is an error (spec §5): calibrated on
/// the leave-one-source-out evaluation so that the classifier's blocking false-positive rate on
/// sources it never trained on stays at 2% (tests/genai/report.py). Below it, `warn`.
pub const CLASSIFIER_ERROR_PERMILLE: u16 = 800;
/// Confidence (per mille) from which a finding of a pattern rule (`rules.rs`: instruction
/// override, jailbreak persona, system-prompt extraction, role token, tool-output spoof,
/// exfiltration link) is an error (spec §4): calibrated like [`CLASSIFIER_ERROR_PERMILLE`] on
/// leave-one-source-out scores of the development split (tests/genai/report.py) — the pattern
/// rules' 600–650 findings almost never fire on benign text held out of calibration.
pub const RULE_ERROR_PERMILLE: u16 = 600;
/// Longest evidence excerpt, in bytes of normalised text.
const EVIDENCE_BYTES: usize = 120;

/// How serious a finding is: an error blocks, a warning is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Confidence below the detector's error threshold.
    Warn,
    /// Confidence at or above the detector's error threshold ([`Severity::of_finding`]).
    Error,
}

impl Severity {
    /// The severity of a finding of `detector` with `confidence`: pattern rules are errors from
    /// [`RULE_ERROR_PERMILLE`], the other detectors from [`ERROR_PERMILLE`] (the classifier's
    /// severity is set where it is scored, from [`CLASSIFIER_ERROR_PERMILLE`]).
    pub fn of_finding(detector: Detector, confidence: u16) -> Self {
        if detector.is_pattern_rule() && confidence >= RULE_ERROR_PERMILLE {
            Severity::Error
        } else {
            Self::of(confidence)
        }
    }

    /// The severity of a confidence.
    pub fn of(confidence: u16) -> Self {
        if confidence >= ERROR_PERMILLE {
            Severity::Error
        } else {
            Severity::Warn
        }
    }
}

/// A byte range `[start, end)` of the caller's input (of a step's text in step mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

/// A range of agent steps `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StepRange {
    /// First step (0-based).
    pub start: u32,
    /// One past the last step.
    pub end: u32,
}

/// One detector's finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The detector (serialised as its stable id).
    pub detector: Detector,
    /// Confidence, per mille (0–1000); integers keep results identical on every platform.
    pub confidence: u16,
    /// `error` from [`ERROR_PERMILLE`] ([`CLASSIFIER_ERROR_PERMILLE`] for the classifier), else `warn`.
    pub severity: Severity,
    /// Where in the input; for a decoded payload, the span of the encoded text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// The agent step the span is in (step mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<u32>,
    /// The steps a loop covers (`genai.prompt_loop`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<StepRange>,
    /// What matched, as normalised text (at most 120 bytes).
    pub evidence: String,
    /// How many rules or places of this detector matched.
    pub hits: u32,
    /// Encodings decoded to reach the match, outermost first (`base64`, `hex`, `url`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<&'static str>,
    /// Edition of the OWASP Top 10 for LLM Applications: always [`OWASP_EDITION`].
    pub owasp_edition: &'static str,
    /// OWASP ids, e.g. `LLM01:2025`.
    pub owasp: &'static [&'static str],
    /// MITRE ATLAS technique ids, e.g. `AML.T0051`.
    pub atlas: &'static [&'static str],
    /// For `genai.external`: the external detector's name for what it found, or `fallback`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<String>,
}

/// The result of a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Findings, most confident first (then by detector order).
    pub findings: Vec<Finding>,
    /// The highest severity present, or none when the text is clean.
    pub worst: Option<Severity>,
    /// Payloads decoded and scanned.
    pub decoded: u32,
    /// How the external detector answered, when one was asked (spec §10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<external::ExternalStatus>,
}

impl Report {
    fn new(mut findings: Vec<Finding>, decoded: u32) -> Self {
        findings.sort_by(|a, b| {
            b.confidence
                .cmp(&a.confidence)
                .then(a.detector.cmp(&b.detector))
                .then(a.step.cmp(&b.step))
        });
        let worst = findings.iter().map(|f| f.severity).max();
        Self {
            findings,
            worst,
            decoded,
            external: None,
        }
    }

    /// This report with the external detector's findings added and its status recorded.
    fn with_external(self, extra: Vec<Finding>, status: external::ExternalStatus) -> Self {
        let mut findings = self.findings;
        findings.extend(extra);
        let mut report = Self::new(findings, self.decoded);
        report.external = Some(status);
        report
    }
}

/// The compiled detectors and the shipped classifier.
#[derive(Debug, Clone)]
pub struct Scanner {
    rules: Rules,
    model: Model,
}

/// Where a layer of text sits: its encodings so far and, below the top, the encoded span.
struct Layer<'a> {
    depth: usize,
    encodings: Vec<Encoding>,
    outer: Option<(usize, usize)>,
    bytes: &'a [u8],
}

impl Scanner {
    /// Compiles the rules and loads the shipped model (a few milliseconds: build once).
    pub fn new() -> Result<Self, GenaiError> {
        Ok(Self {
            rules: Rules::new()?,
            model: Model::shipped()?,
        })
    }

    /// Compiles the rules and takes `model` instead of the shipped one: for evaluating a model
    /// trained on other data (tests/genai/report.py's leave-one-source-out runs).
    pub fn with_model(model: Model) -> Result<Self, GenaiError> {
        Ok(Self {
            rules: Rules::new()?,
            model,
        })
    }

    /// Scans one text (any bytes; invalid UTF-8 is scanned as U+FFFD).
    pub fn scan(&self, input: &[u8], limits: &Limits) -> Result<Report, GenaiError> {
        if input.len() > limits.genai_max_input_bytes {
            return Err(GenaiError::TooLarge(
                input.len(),
                limits.genai_max_input_bytes,
            ));
        }
        let mut found = Vec::new();
        let mut budget = limits.genai_max_payloads;
        let layer = Layer {
            depth: 0,
            encodings: Vec::new(),
            outer: None,
            bytes: input,
        };
        self.scan_layer(&layer, limits, &mut budget, &mut found);
        let decoded = u32::try_from(limits.genai_max_payloads - budget).unwrap_or(u32::MAX);
        Ok(Report::new(merge(found), decoded))
    }

    /// Scans each step and looks for loops across them.
    pub fn scan_steps(&self, steps: &[Step], limits: &Limits) -> Result<Report, GenaiError> {
        if steps.len() > limits.genai_max_steps {
            return Err(GenaiError::TooManySteps(
                steps.len(),
                limits.genai_max_steps,
            ));
        }
        let mut findings = Vec::new();
        let mut decoded = 0u32;
        for (index, step) in steps.iter().enumerate() {
            let report = self.scan(step.text.as_bytes(), limits)?;
            decoded = decoded.saturating_add(report.decoded);
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            findings.extend(report.findings.into_iter().map(|mut f| {
                f.step = Some(index);
                f
            }));
        }
        for l in steps::loops(steps) {
            let confidence = steps::confidence(&l);
            let first = steps.get(l.start).map_or("", |s| s.text.as_str());
            findings.push(Finding {
                steps: Some(StepRange {
                    start: u32::try_from(l.start).unwrap_or(u32::MAX),
                    end: u32::try_from(l.end).unwrap_or(u32::MAX),
                }),
                evidence: format!(
                    "{} repetitions of {} step(s): {}",
                    l.repetitions,
                    l.period,
                    excerpt(&normalise::normalise(first.as_bytes()).text, 0, first.len())
                ),
                ..finding(Detector::PromptLoop, confidence, None, String::new())
            });
        }
        Ok(Report::new(findings, decoded))
    }

    fn scan_layer(
        &self,
        layer: &Layer<'_>,
        limits: &Limits,
        budget: &mut usize,
        out: &mut Vec<Finding>,
    ) {
        let n = normalise::normalise(layer.bytes);
        let span_of = |start: usize, end: usize| -> Span {
            let (s, e) = match layer.outer {
                Some(outer) => outer,
                None => {
                    let (s, e) = n.input_span(start, end);
                    (s as usize, e as usize)
                }
            };
            Span {
                start: u32::try_from(s).unwrap_or(u32::MAX),
                end: u32::try_from(e).unwrap_or(u32::MAX),
            }
        };
        let layers: Vec<&'static str> = layer.encodings.iter().map(|e| e.name()).collect();
        let text = n.text.as_bytes();
        for hit in self.rules.hits(text) {
            out.push(Finding {
                layers: layers.clone(),
                ..finding(
                    hit.rule.detector,
                    hit.rule.confidence,
                    Some(span_of(hit.start, hit.end)),
                    excerpt(&n.text, hit.start, hit.end),
                )
            });
        }
        if let Some((confidence, what)) = obfuscation(&n.hidden) {
            let span = n.hidden.first.map(|(s, e)| match layer.outer {
                Some(_) => span_of(0, 0),
                None => Span { start: s, end: e },
            });
            out.push(Finding {
                layers: layers.clone(),
                ..finding(Detector::Obfuscation, confidence, span, what)
            });
        }
        let score = self.model.score(text);
        if score >= self.model.threshold() {
            out.push(Finding {
                layers: layers.clone(),
                severity: if score >= CLASSIFIER_ERROR_PERMILLE {
                    Severity::Error
                } else {
                    Severity::Warn
                },
                ..finding(
                    Detector::Classifier,
                    score,
                    Some(span_of(0, text.len())),
                    excerpt(&n.text, 0, text.len()),
                )
            });
        }
        if layer.depth >= limits.genai_max_decode_depth || *budget == 0 {
            return;
        }
        for payload in decode::payloads(layer.bytes, *budget) {
            *budget = budget.saturating_sub(1);
            let mut encodings = layer.encodings.clone();
            encodings.push(payload.encoding);
            let inner = Layer {
                depth: layer.depth + 1,
                encodings,
                outer: Some(layer.outer.unwrap_or(payload.span)),
                bytes: payload.text.as_bytes(),
            };
            let mark = out.len();
            self.scan_layer(&inner, limits, budget, out);
            let worst = out
                .get(mark..)
                .unwrap_or_default()
                .iter()
                .map(|f| f.confidence)
                .max();
            let Some(confidence) = worst.map(|c| c.max(600)) else {
                continue;
            };
            let (s, e) = inner.outer.unwrap_or(payload.span);
            out.push(Finding {
                layers: inner.encodings.iter().map(|e| e.name()).collect(),
                ..finding(
                    Detector::EncodedPayload,
                    confidence,
                    Some(Span {
                        start: u32::try_from(s).unwrap_or(u32::MAX),
                        end: u32::try_from(e).unwrap_or(u32::MAX),
                    }),
                    excerpt(&payload.text, 0, payload.text.len()),
                )
            });
            if *budget == 0 {
                break;
            }
        }
    }
}

fn finding(detector: Detector, confidence: u16, span: Option<Span>, evidence: String) -> Finding {
    finding_of(detector, confidence, span, evidence)
}

/// A finding of one detector with its severity and taxonomy filled in.
pub(crate) fn finding_of(
    detector: Detector,
    confidence: u16,
    span: Option<Span>,
    evidence: String,
) -> Finding {
    Finding {
        detector,
        confidence,
        severity: Severity::of_finding(detector, confidence),
        span,
        step: None,
        steps: None,
        evidence,
        hits: 1,
        layers: Vec::new(),
        owasp_edition: OWASP_EDITION,
        owasp: detector.owasp(),
        atlas: detector.atlas(),
        external: None,
    }
}

/// The obfuscation finding of what normalisation removed, if any (spec §4.8).
fn obfuscation(h: &normalise::Hidden) -> Option<(u16, String)> {
    let mut parts = Vec::new();
    let mut confidence = 0;
    if h.tags > 0 {
        confidence = confidence.max(900);
        parts.push(format!("{} tag characters", h.tags));
    }
    if h.bidi > 0 {
        confidence = confidence.max(750);
        parts.push(format!("{} bidi controls", h.bidi));
    }
    if h.mixed_words > 0 {
        confidence = confidence.max(700);
        parts.push(format!("{} mixed-script words", h.mixed_words));
    }
    if h.invisible > 0 {
        confidence = confidence.max(if h.invisible >= 3 { 700 } else { 550 });
        parts.push(format!("{} invisible characters inside words", h.invisible));
    }
    (confidence > 0).then(|| (confidence, parts.join(", ")))
}

/// One finding per detector: the most confident (then the earliest), with the total hit count;
/// a confidence raised by 50 per further distinct rule that matched, up to 990.
fn merge(found: Vec<Finding>) -> Vec<Finding> {
    let mut best: Vec<Finding> = Vec::new();
    for f in found {
        match best.iter_mut().find(|b| b.detector == f.detector) {
            Some(b) => {
                let hits = b.hits + f.hits;
                let boosted = b.confidence.max(f.confidence);
                if f.confidence > b.confidence {
                    *b = f;
                }
                b.hits = hits;
                b.confidence = boosted;
            }
            None => best.push(f),
        }
    }
    for b in &mut best {
        if b.detector != Detector::Classifier && b.detector != Detector::PromptLoop {
            let extra = u16::try_from(b.hits.saturating_sub(1)).unwrap_or(u16::MAX);
            b.confidence = b
                .confidence
                .saturating_add(extra.saturating_mul(50))
                .min(990)
                .max(b.confidence);
            b.severity = Severity::of_finding(b.detector, b.confidence);
        }
    }
    best
}

/// At most [`EVIDENCE_BYTES`] of `text[start..end]`, cut at character boundaries.
fn excerpt(text: &str, start: usize, end: usize) -> String {
    let end = end
        .min(text.len())
        .min(start.saturating_add(EVIDENCE_BYTES));
    let mut s = start.min(end);
    while !text.is_char_boundary(s) {
        s -= 1;
    }
    let mut e = end;
    while !text.is_char_boundary(e) {
        e -= 1;
    }
    text.get(s..e.max(s)).unwrap_or_default().to_owned()
}
