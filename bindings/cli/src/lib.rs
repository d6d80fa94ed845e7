//! The `clyra` command line, as a library.
//!
//! [`run`] parses arguments and runs one command against the streams it is given, so the binary
//! (`src/main.rs`), the Python package and the tests all share one entry point. Commands live in
//! [`commands`], one file each; exit codes in [`exit`]; error and result formats in [`output`].

use std::ffi::OsString;
use std::io::{self, Read, Write};

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

mod atomic;
mod clock;
pub mod commands;
pub mod exit;
mod hasher;
mod http;
use clyra_host::input;
mod ledger_dir;
mod ledger_s3;
mod ledger_store;
pub mod output;
mod progress;

pub use exit::Exit;
pub use output::Format;

use output::{Problem, CODE_IO};

const AFTER_HELP: &str = "\
Output:
  --format human (default) prints errors as one line on stderr:
      error: FILE: byte OFFSET: MESSAGE (CODE)
  --format json prints errors as one JSON line on stdout:
      {\"errors\":[{\"code\":\"jcs.duplicate_key\",\"message\":\"...\",\"offset\":12,\"path\":\"FILE\"}]}
  Codes are stable and listed in spec/verdicts.md; messages may change.

Exit codes:
  0  success (verification: VALID)
  1  INVALID
  2  VALID with warnings, or VALID_UNTRUSTED
  3  INDETERMINATE
  4  could not run: usage error, unreadable path, bad input file";

// The top-level command: global options and one subcommand.
#[derive(Debug, Parser)]
#[command(
    name = "clyra",
    version,
    about = "Clyra makes signed evidence bundles of data changes and AI-agent actions that anyone can verify offline.",
    after_help = AFTER_HELP,
    arg_required_else_help = true,
    propagate_version = true
)]
struct Cli {
    /// Output format: `human` for people, `json` for programs (errors as JSON on stdout)
    /// (`md` and `pdf`: documents of `clyra verify --auditor`, `clyra receipt extract` and
    /// `clyra report`)
    #[arg(long, global = true, value_enum, default_value_t = output::FormatArg::Human)]
    format: output::FormatArg,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a JSON document as canonical JSON (RFC 8785), the form Clyra signs and hashes
    #[command(long_about = CANON_LONG_ABOUT, after_help = CANON_EXAMPLES)]
    Canon(commands::canon::CanonArgs),
    /// Create a signing key pair (Ed25519 or ECDSA P-256) for producing evidence
    #[command(long_about = KEYGEN_LONG_ABOUT, after_help = KEYGEN_EXAMPLES)]
    Keygen(commands::keygen::KeygenArgs),
    /// Rotate keys in a trust file: add the new key, end the old key's window (`clyra keys rotate --help`)
    Keys(commands::keys::KeysArgs),
    /// Build signed evidence bundles (`clyra bundle build --help`)
    Bundle(commands::bundle::BundleArgs),
    /// Add your producer signature to an existing bundle (co-signing)
    #[command(long_about = SIGN_LONG_ABOUT, after_help = SIGN_EXAMPLES)]
    Sign(commands::sign::SignArgs),
    /// Sign a small example of evidence, verify it, and show that tampering is caught
    #[command(long_about = DEMO_LONG_ABOUT)]
    Demo(commands::demo::DemoArgs),
    /// Verify an evidence bundle offline against the keys you trust; print the verdict
    #[command(long_about = VERIFY_LONG_ABOUT, after_help = VERIFY_EXAMPLES)]
    Verify(commands::verify::VerifyArgs),
    /// Make or check a receipt: proof that one event belongs to a signed bundle (`clyra receipt --help`)
    Receipt(commands::receipt::ReceiptArgs),
    /// Sign an approval of a planned change, as the approver (before the producer seals)
    #[command(long_about = APPROVE_LONG_ABOUT, after_help = APPROVE_EXAMPLES)]
    Approve(commands::approve::ApproveArgs),
    /// Show what is inside a bundle: change, artifacts, events, signers, approvals, risk
    #[command(long_about = INSPECT_LONG_ABOUT)]
    Inspect(commands::inspect::InspectArgs),
    /// Export a producer signature as a Sigstore bundle (`--sigstore`), or file an attested ServiceNow or Jira ticket (`--servicenow`, `--jira`)
    #[command(long_about = commands::export::LONG_ABOUT, after_help = commands::export::EXAMPLES)]
    Export(commands::export::ExportArgs),
    /// Work with the policy file: canonical JSON and hash, lint with fixes, evaluate, start one (`clyra policy --help`)
    Policy(commands::policy::PolicyArgs),
    /// Check this project's Clyra setup (policy, key, trust file, host tools) with a fix for each problem
    #[command(long_about = DOCTOR_LONG_ABOUT)]
    Doctor(commands::doctor::DoctorArgs),
    /// Check SQL statements for destructive or suspicious operations (`clyra sql check --help`)
    Sql(commands::sql::SqlArgs),
    /// Scan prompts and agent steps for injection, jailbreaks, leaks and loops (`clyra genai scan --help`)
    Genai(commands::genai::GenaiArgs),
    /// The evidence ledger: an append-only, signed log of bundles with proofs (`clyra ledger --help`)
    Ledger(commands::ledger::LedgerArgs),
    /// Signed compliance badges: issue one over bundles or a ledger, verify one (`clyra badge --help`)
    Badge(commands::badge::BadgeArgs),
    /// Attest a framework's controls over verified bundles, signed, with OSCAL results (`clyra attest --help`)
    Attest(commands::attest::AttestArgs),
    /// Reports over a ledger's bundles: the daily review with showback and SIEM exports (`clyra report --help`)
    Report(commands::report::ReportArgs),
}

const DOCTOR_LONG_ABOUT: &str = "\
Check this project's Clyra setup and print a fix for each problem: the policy \
(.clyra/policy.yaml loads and lints clean), the producer key (.clyra/keys/clyra.key parses and \
is private), the trust file (.clyra/trust.json parses and trusts that key as producer), and, in \
a dbt project, python3 and dbt on PATH. Exit 0 all fine, 1 an error, 2 warnings only.";

const APPROVE_LONG_ABOUT: &str = "\
Sign an approval of a planned change, as the approver (spec/approval-v0.md).

The producer sends you the bundle spec (its `change` object says what will be done) and a nonce. \
This command signs, with your key, a statement that you (--sso-sub at --idp-domain) approve \
exactly that change until --expires, for that nonce, and writes the envelope to --out. The \
producer adds it with `clyra bundle build --approval FILE=NONCE --approver-key YOUR.pub`. Any \
later edit of `change` invalidates the approval. --out is never replaced unless you pass --force.";

const APPROVE_EXAMPLES: &str = "\
Examples:
  $ clyra approve --spec run.json --key lee.key --sso-sub lee.ortiz@acme.example \\
      --idp-domain acme.okta.com --mfa --expires 2026-11-21T08:30:00Z \\
      --nonce n-7f3c9a21e4b04d5e8a1b2c3d4e5f6071 --out approvals/lee.dsse.json";

const INSPECT_LONG_ABOUT: &str = "\
Show what is inside a bundle, readable: format, bundle id, creation time, the change (subject, \
kind, actor, deployer, environment), artifacts with their sizes, the journal's events by kind, \
the signers (keyid, scheme, signing time), the approvals (who, when, until when), the risk score \
and its factors, and for dbt (DEF) bundles the schema changes of each model (columns added, \
removed, changed). Nothing is verified here: use `clyra verify` for a verdict. --format json \
prints the same summary as one JSON object.";

const VERIFY_LONG_ABOUT: &str = "\
Verify an evidence bundle offline against the keys you trust, and print the verdict.

Every check of the bundle format runs in order (container, manifest, artifacts, journal, Merkle \
root, keys and signatures, statement, trust and time, approvals, policy, risk) and each one is \
reported. The verdict is one of:
  VALID            intact, and signed by enough keys in your trust file (exit 0; 2 with warnings)
  VALID_UNTRUSTED  intact and signed, but by keys your trust file does not hold (exit 2)
  INVALID          something was changed, is missing or breaks a rule (exit 1)
  INDETERMINATE    cannot be judged here: an unknown format or scheme, a time after --at, or a
                   required policy that was not given (exit 3)

The verification time --at (UTC, e.g. 2026-12-01T00:00:00Z) defaults to now: evidence is judged \
as of that instant (key windows, revocations, times in the future). A bundle that cannot even be \
read as a zip is INVALID, never an error; only an unreadable path, a bad trust or policy file or a \
bad --at stop the command (exit 4).";

const VERIFY_EXAMPLES: &str = "\
Examples:
  $ clyra verify change.zip --trust trust.json
  $ clyra verify change.zip --trust producer.pub --at 2026-12-01T00:00:00Z --format json
  $ clyra verify change.zip --trust trust.json --policy .clyra/policy.yaml";

const KEYGEN_LONG_ABOUT: &str = "\
Create a signing key pair for producing evidence.

Writes DIR/clyra.key (the private key, PKCS#8 PEM, readable only by you: mode 0600) and \
DIR/clyra.pub (the public key, SPKI PEM, to give to verifiers), then prints the keyid: \
`sha256:` and the SHA-256 of the public key's DER encoding, the name verifiers know the key by. \
Existing files are never replaced unless you pass --force. A missing DIR is created readable \
only by you (0700); an existing DIR that group or others can write is used with a warning on \
stderr, since another user could replace clyra.pub, the file you give to verifiers.";

const KEYGEN_EXAMPLES: &str = "\
Examples:
  $ clyra keygen --out .clyra/keys
  $ clyra keygen --alg p256 --out keys/ci --format json";

const SIGN_LONG_ABOUT: &str = "\
Add your producer signature to an existing bundle (co-signing).

Signs the bundle's manifest with KEY (a new signatures/<keyid>.dsse.json and keys/<keyid>.pub.pem) \
and replaces BUNDLE atomically; every other entry keeps its bytes, and the file keeps its \
permissions. BUNDLE must be a regular file: a symbolic link is refused (cli.io), since replacing \
it would leave its target unsigned; sign the real path. A key that already signed the bundle, or \
signed one of its approvals, is refused (build.signer).";

const SIGN_EXAMPLES: &str = "\
Examples:
  $ clyra sign run.bundle.zip --key .clyra/keys/clyra.key
  $ clyra sign run.bundle.zip --key second.key --signed-at 2026-11-20T09:05:00Z";

const DEMO_LONG_ABOUT: &str = "\
Show what Clyra does, in one command, with nothing to set up.

Makes a fresh Ed25519 key, records a three-event journal of a dbt schema change, hashes it into \
a Merkle tree (RFC 9162), describes it in a canonical JSON manifest (RFC 8785), signs an in-toto \
Statement over the manifest as a DSSE envelope, then verifies it all back from the encoded bytes \
and prints the verdict with each check in plain words. Finally it changes one digit of the signed \
payload and shows the verification fail. Exit 0 when both behave as they should.

With --out DIR the bundles, the trust file and the policies are written there to inspect; files \
already in DIR are never replaced unless you pass --force.";

const CANON_LONG_ABOUT: &str = "\
Print the canonical form (RFC 8785, JSON Canonicalization Scheme) of a JSON document.

Canonical JSON is the one byte form Clyra signs and hashes: object keys sorted by UTF-16 code \
units, no insignificant whitespace, numbers written as JavaScript writes them, strings with \
minimal escapes. The parser is strict: duplicate keys, lone surrogates, invalid UTF-8, NaN or \
Infinity, and integers beyond ±(2^53−1) are rejected with a code and a byte offset (exit 4).

The canonical bytes are printed exactly, without a trailing newline (one is added only when \
stdout is a terminal), in both output formats.";

const CANON_EXAMPLES: &str = "\
Examples:
  $ echo '{\"b\": 1e3, \"a\": [true, 0.50]}' | clyra canon
  {\"a\":[true,0.5],\"b\":1000}
  $ clyra canon statement.json > statement.canonical.json
  $ echo '9007199254740993' | clyra canon --lossy
  9007199254740992";

/// The streams a command runs against, and what the host knows about them.
pub struct Context<'a> {
    /// Input for commands that read standard input.
    pub stdin: &'a mut dyn Read,
    /// Results, and errors in `--format json`.
    pub stdout: &'a mut dyn Write,
    /// Errors in `--format human`.
    pub stderr: &'a mut dyn Write,
    /// Whether stdout is a terminal (adds a final newline to raw output, allows colours).
    pub stdout_is_terminal: bool,
    /// Whether stderr is a terminal (long work draws a progress bar there; never in pipes).
    pub stderr_is_terminal: bool,
    /// The `--format` chosen on the command line.
    pub format: Format,
    /// The document format (`--format md|pdf`) of report commands; `format` is then `human`.
    pub document: Option<output::DocumentFormat>,
}

impl Context<'_> {
    /// Reports `problem` in the chosen format and returns exit code 4.
    pub fn fail(&mut self, problem: &Problem) -> Exit {
        // A failure to print the error leaves nothing better to do than exit 4 anyway.
        let _ = output::report(self.format, problem, self.stdout, self.stderr);
        Exit::Usage
    }

    /// Writes raw result bytes to stdout (plus a newline on a terminal) and returns exit code 0.
    pub fn emit(&mut self, bytes: &[u8]) -> Exit {
        let newline = self.stdout_is_terminal;
        self.write_out(bytes, newline, Exit::Ok)
    }

    /// Writes a text report (already ending in a newline) to stdout and returns `exit`.
    ///
    /// In `--format human` no control or bidirectional character but LF reaches the terminal
    /// (verdicts.md §3.3; fields are escaped where the report is built, this is the backstop).
    pub fn print(&mut self, text: &str, exit: Exit) -> Exit {
        match self.format {
            Format::Human => {
                let text = output::shown_report(text);
                self.write_out(text.as_bytes(), false, exit)
            }
            Format::Json => self.write_out(text.as_bytes(), false, exit),
        }
    }

    fn write_out(&mut self, bytes: &[u8], newline: bool, exit: Exit) -> Exit {
        let written = (|| {
            self.stdout.write_all(bytes)?;
            if newline {
                self.stdout.write_all(b"\n")?;
            }
            self.stdout.flush()
        })();
        match written {
            Ok(()) => exit,
            // The reader went away (`clyra canon big.json | head`): not an error of ours.
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => exit,
            Err(err) => {
                // stdout is broken, so the error goes to stderr whatever the format.
                let message = err.to_string().to_lowercase();
                let _ = writeln!(
                    self.stderr,
                    "error: <stdout>: cannot write: {message} ({CODE_IO})"
                );
                Exit::Usage
            }
        }
    }
}

/// Runs `clyra` with `args` (the first item is the program name) against the given streams.
///
/// Neither stream is treated as a terminal: output bytes are written exactly and no progress
/// bar is drawn. Use [`run_on`] from a host that knows better.
pub fn run<I, T>(
    args: I,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_on(args, stdin, stdout, stderr, Terminal::default())
}

/// Which standard streams are terminals (`std::io::IsTerminal`), as `main` finds them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Terminal {
    /// stdout: raw output gets a final newline.
    pub stdout: bool,
    /// stderr: long work draws a progress bar on the process's stderr. The caller must not hold
    /// the stderr lock for the whole run (pass `&mut io::stderr()`, not a lock), since the bar is
    /// drawn from another thread.
    pub stderr: bool,
}

/// Like [`run`], saying which standard streams are terminals.
pub fn run_on<I, T>(
    args: I,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    terminal: Terminal,
) -> Exit
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let stdout_is_terminal = terminal.stdout;
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err, requested_format(&args), stdout, stderr),
    };
    let mut cx = Context {
        stdin,
        stdout,
        stderr,
        stdout_is_terminal,
        stderr_is_terminal: terminal.stderr,
        format: cli.format.split().0,
        document: cli.format.split().1,
    };
    let documents = matches!(
        cli.command,
        Command::Verify(_) | Command::Receipt(_) | Command::Report(_)
    );
    if cx.document.is_some() && !documents {
        return cx.fail(&Problem::new(
            output::CODE_USAGE,
            "--format md|pdf is for `clyra verify --auditor`, `clyra receipt extract` and `clyra report`",
        ));
    }
    match &cli.command {
        Command::Canon(args) => commands::canon::run(args, &mut cx),
        Command::Keygen(args) => commands::keygen::run(args, &mut cx),
        Command::Keys(args) => commands::keys::run(args, &mut cx),
        Command::Bundle(args) => commands::bundle::run(args, &mut cx),
        Command::Sign(args) => commands::sign::run(args, &mut cx),
        Command::Demo(args) => commands::demo::run(args, &mut cx),
        Command::Verify(args) => commands::verify::run(args, &mut cx),
        Command::Receipt(args) => commands::receipt::run(args, &mut cx),
        Command::Approve(args) => commands::approve::run(args, &mut cx),
        Command::Inspect(args) => commands::inspect::run(args, &mut cx),
        Command::Export(args) => commands::export::run(args, &mut cx),
        Command::Policy(args) => commands::policy::run(args, &mut cx),
        Command::Doctor(args) => commands::doctor::run(args, &mut cx),
        Command::Sql(args) => commands::sql::run(args, &mut cx),
        Command::Genai(args) => commands::genai::run(args, &mut cx),
        Command::Ledger(args) => commands::ledger::run(args, &mut cx),
        Command::Badge(args) => commands::badge::run(args, &mut cx),
        Command::Attest(args) => commands::attest::run(args, &mut cx),
        Command::Report(args) => commands::report::run(args, &mut cx),
    }
}

/// Help and version go to stdout with exit 0; every other clap error is a usage error (exit 4,
/// not clap's own 2, which `clyra` reserves for warnings).
fn usage_error(
    err: &clap::Error,
    format: Format,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    let rendered = err.render().to_string();
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = stdout
                .write_all(rendered.as_bytes())
                .and_then(|()| stdout.flush());
            Exit::Ok
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = stderr
                .write_all(rendered.as_bytes())
                .and_then(|()| stderr.flush());
            Exit::Usage
        }
        _ => {
            let _ = output::report_usage(format, &rendered, stdout, stderr);
            Exit::Usage
        }
    }
}

/// The `--format` asked for, found without clap (used when clap itself rejected the arguments).
fn requested_format(args: &[OsString]) -> Format {
    let mut args = args.iter().filter_map(|arg| arg.to_str());
    while let Some(arg) = args.next() {
        let value = match arg {
            "--format" => args.next(),
            _ => arg.strip_prefix("--format="),
        };
        if value == Some("json") {
            return Format::Json;
        }
    }
    Format::Human
}
