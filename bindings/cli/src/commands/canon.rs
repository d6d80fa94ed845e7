//! `clyra canon`: print the RFC 8785 canonical form (JCS) of one JSON document.
//!
//! The input is read whole, bounded by `Limits::json_max_bytes` (at most limit + 1 bytes are
//! read), and parsed by the core's strict parser. The canonical bytes are written exactly as the
//! core produces them, in both output formats; a newline is added only when stdout is a terminal.

use std::fs::File;
use std::io::{self, Read};

use clap::Args;
use clyra_core::jcs::{canonicalize_with, IntegerMode, JcsError};
use clyra_core::{Coded, Limits};

use crate::exit::Exit;
use crate::output::{Problem, Source, CODE_IO};
use crate::Context;

/// Arguments of `clyra canon`.
#[derive(Debug, Args)]
pub struct CanonArgs {
    /// JSON file to canonicalize; `-` or nothing reads standard input
    #[arg(value_name = "FILE")]
    pub file: Option<String>,

    /// Round integers beyond ±(2^53−1) as other JCS tools do, instead of rejecting them
    #[arg(long)]
    pub lossy: bool,
}

/// Runs `clyra canon`.
pub fn run(args: &CanonArgs, cx: &mut Context<'_>) -> Exit {
    let source = match args.file.as_deref() {
        None | Some("-") => Source::Stdin,
        Some(path) => Source::File(path.to_owned()),
    };
    let limits = Limits::default();
    let input = match read_bounded(&source, cx.stdin, limits.json_max_bytes) {
        Ok(input) => input,
        Err(err) => return cx.fail(&Problem::new(CODE_IO, io_message(&err)).in_source(&source)),
    };
    let mode = if args.lossy {
        IntegerMode::Lossy
    } else {
        IntegerMode::Strict
    };
    match canonicalize_with(&input, &limits, mode) {
        Ok(canonical) => cx.emit(&canonical),
        Err(err) => cx.fail(&jcs_problem(&err).in_source(&source)),
    }
}

/// Reads at most `limit + 1` bytes: enough for the parser to report `jcs.too_large`
/// without reading an unbounded input into memory.
pub(crate) fn read_bounded(
    source: &Source,
    stdin: &mut dyn Read,
    limit: usize,
) -> io::Result<Vec<u8>> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut input = Vec::new();
    match source {
        Source::Stdin => stdin.take(cap).read_to_end(&mut input)?,
        Source::File(path) => File::open(path)?.take(cap).read_to_end(&mut input)?,
    };
    Ok(input)
}

fn jcs_problem(err: &JcsError) -> Problem {
    Problem::new(err.code(), err.kind().to_string()).at_offset(err.offset())
}

/// A lowercase message for a read failure, without Rust or OS decorations.
pub(crate) fn io_message(err: &io::Error) -> String {
    let reason = match err.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => err.to_string().to_lowercase(),
    };
    format!("cannot read: {reason}")
}
