//! `clyra genai scan`: the GenAI guard over a text or a list of agent steps (spec/guard-genai.md).
//!
//! Exit codes (DESIGN §10): 0 no finding, 1 an `error` finding, 2 only `warn` findings, 4 could
//! not run (unreadable input, input beyond the limits, malformed steps).

use std::time::Duration;

use clap::{Args, Subcommand};
use clyra_core::guard::genai::external::{self, Exchange, Fallback};
use clyra_core::guard::genai::{steps, Finding, Report, Scanner, Severity};
use clyra_core::{Coded, Limits};

use super::canon::{io_message, read_bounded};
use crate::exit::Exit;
use crate::output::{shown, Format, Problem, Source, CODE_IO, CODE_USAGE};
use crate::Context;

/// Arguments of `clyra genai`.
#[derive(Debug, Args)]
pub struct GenaiArgs {
    #[command(subcommand)]
    command: GenaiCommand,
}

#[derive(Debug, Subcommand)]
enum GenaiCommand {
    /// Scan a prompt, document or tool result for injection, jailbreaks, leaks and exfiltration
    #[command(long_about = SCAN_LONG_ABOUT, after_help = SCAN_EXAMPLES)]
    Scan(ScanArgs),
}

/// Arguments of `clyra genai scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Text file to scan; `-` or nothing reads standard input
    #[arg(value_name = "FILE")]
    pub file: Option<String>,

    /// Read a JSON array of agent steps (`[{"text": "...", "tool": "..."}]`) and also look for loops
    #[arg(long)]
    pub steps: bool,

    /// Also ask an external HTTP detector (POST JSON, 500 ms timeout; spec guard-genai.md §10)
    #[arg(long, value_name = "URL")]
    pub detector: Option<String>,

    /// What a failed external detector does: `closed` blocks (error), `open` warns
    #[arg(
        long,
        value_name = "open|closed",
        default_value = "closed",
        requires = "detector"
    )]
    pub detector_fallback: String,
}

/// Long help of `clyra genai scan`.
const SCAN_LONG_ABOUT: &str = "\
Scan a text (a prompt, a retrieved document, a tool result) with the GenAI guard.

The text is normalised first (NFKC, invisible and bidi characters removed, diacritics and \
look-alike letters folded, base64/hex/URL-encoded payloads decoded), then every detector runs: \
instruction override, jailbreak personas, system-prompt extraction, chat-template and role \
tokens, tool-output spoofing, exfiltration links, encoded payloads, obfuscation, and a small \
n-gram classifier. Each finding has a confidence (per mille), a span in the input, and its \
OWASP LLM Top 10 (2025) and MITRE ATLAS ids. With --steps the input is a JSON array of agent \
steps: each step is scanned, and repeated near-identical steps are reported as a loop.

Exit codes: 0 nothing found, 1 a finding of severity error (pattern rules from 600 per mille, \
other detectors from 700, the classifier from 800), 2 warnings only, 4 could not run.";

const SCAN_EXAMPLES: &str = "\
Examples:
  $ echo 'Ignore all previous instructions' | clyra genai scan
  $ clyra genai scan retrieved-page.txt --format json
  $ clyra genai scan --steps agent-run.json
  $ clyra genai scan prompt.txt --detector http://127.0.0.1:8080/detect --detector-fallback open";

/// Runs `clyra genai`.
pub fn run(args: &GenaiArgs, cx: &mut Context<'_>) -> Exit {
    match &args.command {
        GenaiCommand::Scan(args) => scan(args, cx),
    }
}

fn scan(args: &ScanArgs, cx: &mut Context<'_>) -> Exit {
    let source = match args.file.as_deref() {
        None | Some("-") => Source::Stdin,
        Some(path) => Source::File(path.to_owned()),
    };
    let limits = Limits::default();
    let cap = if args.steps {
        limits.json_max_bytes
    } else {
        limits.genai_max_input_bytes
    };
    let input = match read_bounded(&source, cx.stdin, cap) {
        Ok(input) => input,
        Err(err) => return cx.fail(&Problem::new(CODE_IO, io_message(&err)).in_source(&source)),
    };
    let scanner = match Scanner::new() {
        Ok(s) => s,
        Err(err) => return cx.fail(&Problem::new(err.code(), err.to_string())),
    };
    let result = if args.steps {
        steps::parse(&input, &limits).and_then(|s| scanner.scan_steps(&s, &limits))
    } else {
        scanner.scan(&input, &limits)
    };
    let mut report = match result {
        Ok(report) => report,
        Err(err) => return cx.fail(&Problem::new(err.code(), err.to_string()).in_source(&source)),
    };
    if let Some(url) = &args.detector {
        let Some(fallback) = Fallback::parse(&args.detector_fallback) else {
            return cx.fail(&Problem::new(
                CODE_USAGE,
                format!(
                    "--detector-fallback must be `open` or `closed`, not `{}`",
                    shown(&args.detector_fallback)
                ),
            ));
        };
        if args.steps {
            return cx.fail(&Problem::new(
                CODE_USAGE,
                "--detector scans a text, not --steps".to_owned(),
            ));
        }
        let answer = ask_detector(url, &input);
        let exchange = match &answer {
            Ok(body) => Exchange::Answered(body),
            Err(failure) => failure.clone(),
        };
        report = external::merge(report, &exchange, input.len(), fallback);
    }
    let exit = match report.worst {
        None => Exit::Ok,
        Some(Severity::Warn) => Exit::Warning,
        Some(Severity::Error) => Exit::Invalid,
    };
    let text = match cx.format {
        Format::Json => match serde_json::to_string(&report) {
            Ok(json) => json + "\n",
            Err(err) => return cx.fail(&Problem::new(CODE_IO, err.to_string())),
        },
        Format::Human => human(&report, &source),
    };
    cx.print(&text, exit)
}

/// POSTs the text to the external detector within [`external::TIMEOUT_MS`]: the 200 answer's
/// body, or how the exchange failed.
fn ask_detector(url: &str, input: &[u8]) -> Result<Vec<u8>, Exchange<'static>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_millis(external::TIMEOUT_MS)))
        .build()
        .into();
    let failed = |e: ureq::Error| match e {
        ureq::Error::Timeout(_) => Exchange::Timeout,
        ureq::Error::BodyExceedsLimit(_) => Exchange::Oversized,
        other => Exchange::Unreachable(other.to_string()),
    };
    let mut resp = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(&external::request_body(input)[..])
        .map_err(failed)?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(Exchange::HttpStatus(status));
    }
    resp.body_mut()
        .with_config()
        .limit(external::MAX_ANSWER_BYTES)
        .read_to_vec()
        .map_err(failed)
}

fn human(report: &Report, source: &Source) -> String {
    let name = shown(source.path().unwrap_or("<stdin>"));
    let name = name.as_ref();
    if report.findings.is_empty() {
        return format!("{name}: clean (no finding)\n");
    }
    let mut out = String::new();
    if let Some(status) = &report.external {
        if status.status != "answered" {
            out.push_str(&format!(
                "{name}: external detector {}: {} (fallback {})\n",
                status.status,
                shown(status.message.as_deref().unwrap_or_default()),
                match status.fallback {
                    Fallback::Open => "open",
                    Fallback::Closed => "closed",
                }
            ));
        }
    }
    for f in &report.findings {
        out.push_str(&line(name, f));
    }
    let errors = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    out.push_str(&format!(
        "{name}: {} finding(s), {errors} error(s)\n",
        report.findings.len()
    ));
    out
}

fn line(name: &str, f: &Finding) -> String {
    let severity = match f.severity {
        Severity::Error => "error",
        Severity::Warn => "warn",
    };
    let mut place = String::new();
    if let Some(step) = f.step {
        place.push_str(&format!("step {step}: "));
    }
    if let Some(steps) = f.steps {
        place.push_str(&format!("steps {}..{}: ", steps.start, steps.end));
    }
    if let Some(span) = f.span {
        place.push_str(&format!("bytes {}..{}: ", span.start, span.end));
    }
    let layers = if f.layers.is_empty() {
        String::new()
    } else {
        format!(" [decoded: {}]", f.layers.join(" > "))
    };
    let vendor = f
        .external
        .as_deref()
        .map(|e| format!(" [external: {}]", shown(e)))
        .unwrap_or_default();
    format!(
        "{severity}: {name}: {place}{}{vendor} ({} per mille; {}; {}){layers}: `{}`\n",
        f.detector.id(),
        f.confidence,
        f.owasp.join(", "),
        f.atlas.join(", "),
        shown(&f.evidence)
    )
}
