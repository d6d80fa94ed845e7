//! How `clyra` reports results and errors: `--format human` (default) or `--format json`.
//!
//! Human errors are one line each on stderr:
//! `error: <source>: byte <offset>: <message> (<code>)`.
//! JSON errors are one line on **stdout**, the shape every Clyra host emits (STYLE rule 2):
//! `{"errors":[{"code":"jcs.duplicate_key","message":"duplicate object key","offset":7,"path":"in.json"}]}`;
//! `offset` and `path` appear only when known. Codes are stable (`spec/verdicts.md`); messages are not.
//!
//! Human output never carries a string from the input raw: every such string goes through
//! [`shown`] (verdicts.md §3.3), and each whole human report through [`shown_report`] as a last
//! line of defence. JSON output carries the exact strings (JSON escapes what it must).

use std::borrow::Cow;
use std::io::{self, Write};

use clap::ValueEnum;
use serde_json::{json, Map, Value};

/// Code of a command-line usage error (unknown flag, missing value, ...).
pub const CODE_USAGE: &str = "cli.usage";
/// Code of a path that cannot be read, or an output that cannot be written.
pub const CODE_IO: &str = "cli.io";
/// Code of an output file that exists and would be overwritten without `--force`.
pub const CODE_EXISTS: &str = "cli.exists";

/// `s` (a string from a bundle, receipt, trust or policy file, or a path) as it may be shown to a
/// person: control and bidirectional characters escaped visibly, `\\` doubled (verdicts.md §3.3).
pub fn shown(s: &str) -> Cow<'_, str> {
    clyra_core::display::escape(s)
}

/// A whole human report with any control or bidirectional character that escaped [`shown`]
/// escaped too (every one but LF), so no field can ever drive the terminal.
pub fn shown_report(text: &str) -> Cow<'_, str> {
    clyra_core::display::sanitize_report(text)
}

/// The output format chosen with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// Plain text for people; errors on stderr.
    #[default]
    Human,
    /// One JSON document per line for programs; errors as `{"errors":[...]}` on stdout.
    Json,
}

/// The value of `--format` as typed: the two output formats every command has, and the two
/// document formats of report commands (`clyra verify --auditor`, `clyra receipt extract`,
/// `clyra report`), which write a file and report in `human` form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FormatArg {
    /// Plain text for people; errors on stderr.
    #[default]
    Human,
    /// One JSON document per line for programs; errors as `{"errors":[...]}` on stdout.
    Json,
    /// A Markdown document (report commands only).
    Md,
    /// A PDF/A document (report commands only).
    Pdf,
}

/// A document format chosen with `--format md|pdf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    /// Markdown.
    Markdown,
    /// PDF/A-2u.
    Pdf,
}

impl FormatArg {
    /// The output format for results and errors, and the document format when one was chosen.
    pub fn split(self) -> (Format, Option<DocumentFormat>) {
        match self {
            Self::Human => (Format::Human, None),
            Self::Json => (Format::Json, None),
            Self::Md => (Format::Human, Some(DocumentFormat::Markdown)),
            Self::Pdf => (Format::Human, Some(DocumentFormat::Pdf)),
        }
    }
}

/// One error to report, with its stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    code: &'static str,
    message: String,
    offset: Option<usize>,
    path: Option<String>,
    from_stdin: bool,
    detail: Option<&'static str>,
}

impl Problem {
    /// A problem with a stable `code` and a lowercase `message` (no trailing period).
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            offset: None,
            path: None,
            from_stdin: false,
            detail: None,
        }
    }

    /// Adds the underlying code or rule name (e.g. `trust.file` detail `window`, trust-v0.md §3.4).
    #[must_use]
    pub fn with_detail(mut self, detail: Option<&'static str>) -> Self {
        self.detail = detail;
        self
    }

    /// Adds the byte offset into the input where the problem was found.
    #[must_use]
    pub fn at_offset(mut self, offset: usize) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Adds the input the problem is about (a file path; `None` for stdin).
    #[must_use]
    pub fn in_source(mut self, source: &Source) -> Self {
        self.path = source.path().map(str::to_owned);
        self.from_stdin = matches!(source, Source::Stdin);
        self
    }

    /// The stable code, e.g. `jcs.duplicate_key`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The one-line human form, without the leading `error: `.
    fn human(&self) -> String {
        let mut line = String::new();
        if let Some(source) = self
            .path
            .as_deref()
            .or(self.from_stdin.then_some("<stdin>"))
        {
            line.push_str(&shown(source));
            line.push_str(": ");
        }
        if let Some(offset) = self.offset {
            line.push_str(&format!("byte {offset}: "));
        }
        line.push_str(&shown(&self.message));
        match self.detail {
            Some(detail) => line.push_str(&format!(" ({}, {detail})", self.code)),
            None => line.push_str(&format!(" ({})", self.code)),
        }
        line
    }

    fn json(&self) -> Value {
        let mut error = Map::new();
        error.insert("code".into(), json!(self.code));
        error.insert("message".into(), json!(self.message));
        if let Some(detail) = self.detail {
            error.insert("detail".into(), json!(detail));
        }
        if let Some(offset) = self.offset {
            error.insert("offset".into(), json!(offset));
        }
        if let Some(path) = &self.path {
            error.insert("path".into(), json!(path));
        }
        Value::Object(error)
    }
}

/// Where a command reads its input from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input (`-` or no argument).
    Stdin,
    /// A file, named as the user wrote it.
    File(String),
}

impl Source {
    /// The path as given, or `None` for stdin.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::Stdin => None,
            Self::File(path) => Some(path),
        }
    }
}

/// The problem of an output `path` that could not be written (see `atomic`): `cli.exists` when
/// it exists and `--force` was not given, else `cli.io` with the reason (a symbolic link, a
/// permission, a full disk).
pub fn write_problem(path: &std::path::Path, err: &io::Error) -> Problem {
    if err.kind() == io::ErrorKind::AlreadyExists {
        let message = format!("`{}` exists; pass --force to replace it", path.display());
        Problem::new(CODE_EXISTS, message)
    } else {
        let reason = err.to_string().to_lowercase();
        Problem::new(
            CODE_IO,
            format!("cannot write `{}`: {reason}", path.display()),
        )
    }
}

/// Writes `problem` in the chosen format: human to `stderr`, JSON to `stdout`.
pub fn report(
    format: Format,
    problem: &Problem,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => {
            let line = problem.human();
            writeln!(stderr, "error: {}", shown_report(&line))?;
            stderr.flush()
        }
        Format::Json => {
            let line = json!({ "errors": [problem.json()] });
            writeln!(stdout, "{line}")?;
            stdout.flush()
        }
    }
}

/// Writes a usage error that has no source (clap's message), in the chosen format.
///
/// Human: clap's full text (message, usage line, hint) to `stderr`. JSON: its first line only.
pub fn report_usage(
    format: Format,
    rendered: &str,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => {
            stderr.write_all(shown_report(rendered).as_bytes())?;
            stderr.flush()
        }
        Format::Json => {
            let first = rendered.lines().next().unwrap_or_default();
            let message = first.strip_prefix("error: ").unwrap_or(first);
            let error = json!({ "code": CODE_USAGE, "message": message });
            writeln!(stdout, "{}", json!({ "errors": [error] }))?;
            stdout.flush()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_line_names_source_offset_and_code() {
        let problem = Problem::new("jcs.duplicate_key", "duplicate object key")
            .at_offset(12)
            .in_source(&Source::File("in.json".into()));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        report(Format::Human, &problem, &mut out, &mut err).unwrap();
        assert!(out.is_empty());
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "error: in.json: byte 12: duplicate object key (jcs.duplicate_key)\n"
        );
    }

    #[test]
    fn human_line_escapes_what_the_input_controls() {
        let problem = Problem::new("trust.file", "unknown role `\u{1b}[2K\rVALID`")
            .in_source(&Source::File("t\u{202e}.json".into()));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        report(Format::Human, &problem, &mut out, &mut err).unwrap();
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "error: t\\u{202e}.json: unknown role `\\x1b[2K\\rVALID` (trust.file)\n"
        );
        let mut out = Vec::new();
        report(Format::Json, &problem, &mut out, &mut Vec::new()).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            json["errors"][0]["message"],
            "unknown role `\u{1b}[2K\rVALID`"
        );
    }

    #[test]
    fn json_line_goes_to_stdout_and_omits_unknown_fields() {
        let problem = Problem::new(CODE_IO, "no such file").in_source(&Source::Stdin);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        report(Format::Json, &problem, &mut out, &mut err).unwrap();
        assert!(err.is_empty());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"errors\":[{\"code\":\"cli.io\",\"message\":\"no such file\"}]}\n"
        );
    }
}
