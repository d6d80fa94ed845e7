//! `clyra policy canon|lint|eval|init`: the policy file (spec/policy-v1.md) — its canonical JSON
//! and hash, its lint findings with fixes, a decision over facts, a starting policy.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use clyra_core::jcs;
use clyra_core::policy::init::{starter, InitEnv};
use clyra_core::policy::lint::{self, Report, Severity};
use clyra_core::policy::{evaluate, Decision, Evaluation, Mode, Policy, PolicyError};
use clyra_core::{Coded, Limits};
use serde_json::json;

use super::verify::{io_problem, read_bounded};
use crate::exit::Exit;
use crate::output::{shown, write_problem, Format, Problem, Source, CODE_IO};
use crate::{atomic, Context};

/// Arguments of `clyra policy`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Print the canonical JSON of a policy file: what its hash (`policy.hash`) is taken over
    #[command(long_about = CANON_LONG_ABOUT)]
    Canon(FileArgs),
    /// Check a policy: errors with line and column, rules that never match or are shadowed,
    /// coverage gaps; a fix for each finding
    #[command(long_about = LINT_LONG_ABOUT, after_help = LINT_EXAMPLES)]
    Lint(FileArgs),
    /// Evaluate a policy over a facts file: decision, deciding rule, reason, shadow outcomes
    #[command(long_about = EVAL_LONG_ABOUT, after_help = EVAL_EXAMPLES)]
    Eval(EvalArgs),
    /// Write a sound starting policy for production or development (it lints clean)
    #[command(long_about = INIT_LONG_ABOUT, after_help = INIT_EXAMPLES)]
    Init(InitArgs),
}

const CANON_LONG_ABOUT: &str = "\
Print the canonical JSON (RFC 8785) of a policy file, read as the JSON-compatible YAML subset of \
spec/policy-v1.md §2. Its SHA-256 is the policy hash a manifest records (`policy.hash`); give \
this JSON to verifiers that take JSON only. Only the subset is checked, as a verifier does: use \
`clyra policy lint` for the rest. --format json prints {\"canonical\", \"policy_hash\"}.";

const LINT_LONG_ABOUT: &str = "\
Check a policy file and print each finding with its id, severity, position and a fix you can \
paste. Errors (the policy does not load: YAML, subset, schema, CEL, unknown facts) carry their \
`policy.*` code and line:column; warnings are L001 never matches, L002 shadowed by an earlier \
rule, L003 production without an approval rule, L004 PII tables without a rule, L005 test \
failures not blocking, L006 retention shorter than the frameworks need, L007 TCPA calling window; \
L008 (info) a rule that is off. Exit 0 clean, 1 errors, 2 warnings only, 4 unreadable file.";

const LINT_EXAMPLES: &str = "\
Examples:
  $ clyra policy lint .clyra/policy.yaml
  $ clyra policy lint .clyra/policy.yaml --format json";

const EVAL_LONG_ABOUT: &str = "\
Evaluate a policy over a facts file (JSON: `change`, `dbt`, `sql`, `genai`, `call`, `request`; \
spec/policy-v1.md §5) and print the decision, the deciding rule, the mode, the reason in plain \
words, every matched rule (enforced and shadow) and the approvals the manifest must require. \
Among matching enforced rules the strongest decision wins; shadow rules never decide. Exit 0 \
allow, 1 deny, 2 approval required, 4 could not run (bad policy or facts: code and position).";

const EVAL_EXAMPLES: &str = "\
Examples:
  $ echo '{\"change\":{\"environment\":\"production\",\"kind\":\"schema\"}}' > facts.json
  $ clyra policy eval .clyra/policy.yaml --facts facts.json
  $ clyra policy eval .clyra/policy.yaml --facts facts.json --format json";

const INIT_LONG_ABOUT: &str = "\
Write a starting policy: `prod` requires an approval for production changes, two approvals for \
PII tables, blocks failed dbt tests and critical SQL and GenAI findings, enforces the TCPA \
calling window and keeps evidence 7 years; `dev` blocks failed tests and runs the guards in \
shadow mode. Both lint clean. Without --out the policy is printed; --out is never replaced \
unless you pass --force.";

const INIT_EXAMPLES: &str = "\
Examples:
  $ clyra policy init --env prod --out .clyra/policy.yaml
  $ clyra policy init --env dev";

/// A policy file argument.
#[derive(Debug, Args)]
pub struct FileArgs {
    /// The policy file (YAML subset or JSON), e.g. .clyra/policy.yaml
    #[arg(value_name = "FILE")]
    pub file: String,
}

/// Arguments of `clyra policy eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The policy file
    #[arg(value_name = "FILE")]
    pub file: String,

    /// The facts (JSON object of namespaces)
    #[arg(long, value_name = "FACTS.json")]
    pub facts: String,
}

/// The environment of `clyra policy init`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EnvArg {
    /// Production
    Prod,
    /// Development
    Dev,
}

/// Arguments of `clyra policy init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Which starting policy
    #[arg(long, value_enum)]
    pub env: EnvArg,

    /// Write it here instead of printing it
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Replace --out if it exists
    #[arg(long)]
    pub force: bool,
}

/// Runs `clyra policy`.
pub fn run(args: &PolicyArgs, cx: &mut Context<'_>) -> Exit {
    match &args.command {
        PolicyCommand::Canon(a) => canon(a, cx),
        PolicyCommand::Lint(a) => lint_command(a, cx),
        PolicyCommand::Eval(a) => eval(a, cx),
        PolicyCommand::Init(a) => init(a, cx),
    }
}

/// The file's bytes, or the exit-4 problem.
pub(crate) fn read_policy(path: &str) -> Result<Vec<u8>, Problem> {
    read_bounded(path, Limits::default().policy_max_bytes)
        .map_err(|e| io_problem(&e).in_source(&Source::File(path.to_owned())))
}

/// A policy error as a problem (the message carries `file:line:column`).
pub(crate) fn policy_problem(e: &PolicyError) -> Problem {
    Problem::new(e.code(), e.to_string())
}

fn canon(args: &FileArgs, cx: &mut Context<'_>) -> Exit {
    let bytes = match read_policy(&args.file) {
        Ok(b) => b,
        Err(p) => return cx.fail(&p),
    };
    let value = match clyra_core::policy::read(&bytes, &args.file, &Limits::default()) {
        Ok((value, _)) => value,
        Err(e) => return cx.fail(&policy_problem(&e)),
    };
    let canonical = jcs::to_vec(&value);
    match cx.format {
        Format::Human => cx.emit(&canonical),
        Format::Json => {
            let digest = clyra_core::digest::Sha256Digest::of(&canonical).to_prefixed();
            let line =
                json!({"canonical": String::from_utf8_lossy(&canonical), "policy_hash": digest});
            cx.print(&format!("{line}\n"), Exit::Ok)
        }
    }
}

fn lint_command(args: &FileArgs, cx: &mut Context<'_>) -> Exit {
    let bytes = match read_policy(&args.file) {
        Ok(b) => b,
        Err(p) => return cx.fail(&p),
    };
    let report = lint::lint(&bytes, &args.file, &Limits::default());
    let exit = match report.exit_code() {
        0 => Exit::Ok,
        1 => Exit::Invalid,
        _ => Exit::Warning,
    };
    let text = match cx.format {
        Format::Json => format!(
            "{}\n",
            serde_json::to_string(&report).unwrap_or_else(|_| "{}".to_owned())
        ),
        Format::Human => human_report(&report, &args.file),
    };
    cx.print(&text, exit)
}

/// The lint report for people: one block per finding, then a summary line.
pub(crate) fn human_report(report: &Report, file: &str) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let severity = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        let at = f.location.clone().unwrap_or_else(|| file.to_owned());
        out.push_str(&format!(
            "{}: {severity} [{}] {}\n",
            shown(&at),
            f.id,
            shown(&f.message)
        ));
        out.push_str(&format!("  fix: {}\n", f.fix.description));
        for line in f.fix.yaml.lines() {
            out.push_str(&format!("    {line}\n"));
        }
    }
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    out.push_str(&format!(
        "{file}: {} errors, {} warnings, {} info{}\n",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
        report
            .policy_hash
            .as_ref()
            .map(|h| format!(" (policy hash {h})"))
            .unwrap_or_default()
    ));
    out
}

fn eval(args: &EvalArgs, cx: &mut Context<'_>) -> Exit {
    let limits = Limits::default();
    let bytes = match read_policy(&args.file) {
        Ok(b) => b,
        Err(p) => return cx.fail(&p),
    };
    let policy = match Policy::load(&bytes, &args.file, &limits) {
        Ok(p) => p,
        Err(e) => return cx.fail(&policy_problem(&e)),
    };
    let facts_source = Source::File(args.facts.clone());
    let facts_bytes = match read_bounded(&args.facts, limits.json_max_bytes) {
        Ok(b) => b,
        Err(e) => return cx.fail(&io_problem(&e).in_source(&facts_source)),
    };
    let facts = match jcs::parse(&facts_bytes, &limits) {
        Ok(v) => v,
        Err(e) => {
            return cx.fail(
                &Problem::new("policy.facts", format!("facts are not strict JSON: {e}"))
                    .in_source(&facts_source),
            )
        }
    };
    let evaluation = match evaluate(&policy, &facts) {
        Ok(e) => e,
        Err(e) => return cx.fail(&policy_problem(&e).in_source(&facts_source)),
    };
    let exit = match evaluation.decision {
        Decision::Allow => Exit::Ok,
        Decision::Deny => Exit::Invalid,
        Decision::RequireApproval | Decision::RequireTwoPerson => Exit::Warning,
    };
    let text = match cx.format {
        Format::Json => {
            let mut value = serde_json::to_value(&evaluation).unwrap_or_default();
            let decisions: serde_json::Value =
                serde_json::from_slice(&jcs::to_vec(&jcs::Value::from(evaluation.decisions())))
                    .unwrap_or_default();
            if let Some(map) = value.as_object_mut() {
                map.insert("decisions".into(), decisions);
            }
            format!("{value}\n")
        }
        Format::Human => human_evaluation(&evaluation),
    };
    cx.print(&text, exit)
}

fn human_evaluation(e: &Evaluation) -> String {
    let mut out = format!(
        "decision: {} ({}{})\nreason: {}\napprovals required: {}\n",
        e.decision.as_str(),
        e.mode,
        e.rule
            .as_ref()
            .map(|r| format!(", rule {}", shown(r)))
            .unwrap_or_default(),
        shown(&e.reason),
        e.approvals_required
    );
    if !e.matched.is_empty() {
        out.push_str("matched:\n");
        for m in &e.matched {
            let mode = match m.mode {
                Mode::Enforce => "enforce",
                Mode::Shadow => "shadow",
                Mode::Off => "off",
            };
            let code = m.code.map(|c| format!(" [{c}]")).unwrap_or_default();
            out.push_str(&format!(
                "  {mode:<8} {:<20} {:<19} {}{code}\n",
                shown(&m.rule),
                m.decision.as_str(),
                shown(&m.reason)
            ));
        }
    }
    if !e.not_applicable.is_empty() {
        out.push_str(&format!(
            "not applicable: {}\n",
            e.not_applicable.join(", ")
        ));
    }
    out.push_str(&format!("policy: {}\n", e.policy_hash));
    out
}

fn init(args: &InitArgs, cx: &mut Context<'_>) -> Exit {
    let env = match args.env {
        EnvArg::Prod => InitEnv::Prod,
        EnvArg::Dev => InitEnv::Dev,
    };
    let text = starter(env);
    let Some(out) = &args.out else {
        return cx.print(text, Exit::Ok);
    };
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return cx.fail(&Problem::new(
                CODE_IO,
                format!("cannot create `{}`: {e}", dir.display()),
            ));
        }
    }
    if let Err(e) = atomic::write(out, text.as_bytes(), 0o644, args.force) {
        return cx.fail(&write_problem(out, &e));
    }
    let hash = Policy::load(text.as_bytes(), "init", &Limits::default())
        .map(|p| p.hash().to_prefixed())
        .unwrap_or_default();
    let report = match cx.format {
        Format::Human => format!("wrote {} (policy hash {hash})\n", out.display()),
        Format::Json => format!(
            "{}\n",
            json!({"path": out.display().to_string(), "policy_hash": hash})
        ),
    };
    cx.print(&report, Exit::Ok)
}
