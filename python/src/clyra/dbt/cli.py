"""``clyra dbt init | build | seal``: the command line of the dbt integration."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

from .. import ClyraError, _clyra
from .._clyra import display_escape
from .project import ClyraDir, SetupError

if TYPE_CHECKING:
    from .gate import Approvals
    from .seal import Sealed

USAGE_EXIT = 4
GATE_EXIT = 3
"""The gate refused the plan before dbt ran: an enforced deny, or approvals short of the policy."""
HOLD_EXIT = 5
"""The plan is held until approved (`--hold`); `clyra dbt resume HOLD` runs it."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="clyra dbt", description="Signed evidence for every dbt run.")
    sub = p.add_subparsers(dest="command", required=True)
    i = sub.add_parser("init", help="set this dbt project up: .clyra/ (key, trust file, config, state) and the clyra dbt package")
    i.add_argument("--project-dir", default=".", type=Path)
    i.add_argument("--env", action="append", default=[], metavar="TARGET=ENV", help="map a dbt target to production|staging|development|test (default: dev=development)")
    i.add_argument("--force", action="store_true", help="replace the key and config")
    b = sub.add_parser("build", help="run `dbt build` (or --dbt-command) and seal the run as a signed bundle in target/clyra/")
    b.add_argument("--project-dir", default=".", type=Path)
    b.add_argument("--dbt-command", default="build", choices=["build", "run", "seed", "snapshot", "test"])
    b.add_argument("--approval", action="append", default=[], metavar="FILE=NONCE", help="a signed approval (clyra approve) of the change, with the nonce you issued; checked before dbt runs")
    b.add_argument("--approver-key", action="append", default=[], type=Path, metavar="PEM", help="the public key of an approval's signer")
    b.add_argument("--change-id", default=None, help="the approved change's id (`change.subject`); the var `clyra_approved` that clyra.require_approval checks")
    b.add_argument("--change-kind", default=None, choices=["schema", "data", "config"], help="the kind of change approved (default schema when the plan writes a relation, else data)")
    b.add_argument("--hold", action="store_true", help="when the plan needs approvals, write the approval request and exit 5 (resume with `clyra dbt resume HOLD`)")
    b.add_argument("--ticket", choices=["servicenow", "jira"], default=None, help="file an attested change ticket after sealing (clyra export; a failure is retried on the next run and never changes the exit code)")
    b.add_argument("--ticket-config", type=Path, default=None, metavar="FILE", help="the ticket configuration (default .clyra/tickets.yaml; spec/ticket-config-v0.md)")
    b.add_argument("dbt_args", nargs=argparse.REMAINDER, help="-- then dbt's own arguments")
    pl = sub.add_parser("plan", help="plan `dbt build` (or --dbt-command) without running it: the plan digest, the policy's decision and the approvals it needs")
    pl.add_argument("--project-dir", default=".", type=Path)
    pl.add_argument("--dbt-command", default="build", choices=["build", "run", "seed", "snapshot", "test"])
    pl.add_argument("--change-id", default=None, help="the change's id (`change.subject`; default project:NAME)")
    pl.add_argument("--change-kind", default=None, choices=["schema", "data", "config"], help="the kind of change (default schema when the plan writes a relation)")
    pl.add_argument("--format", default="text", choices=["text", "json", "github", "markdown"])
    pl.add_argument("dbt_args", nargs=argparse.REMAINDER, help="-- then dbt's own arguments")
    r = sub.add_parser("resume", help="run a held plan once it is approved (exactly the held invocation)")
    r.add_argument("hold", type=Path, metavar="HOLD")
    r.add_argument("--project-dir", default=".", type=Path)
    r.add_argument("--approval", action="append", default=[], metavar="FILE=NONCE")
    r.add_argument("--approver-key", action="append", default=[], type=Path, metavar="PEM")
    s = sub.add_parser("seal", help="seal a run that already finished (dbt Cloud, an orchestrator) from its artifacts")
    s.add_argument("--project-dir", default=".", type=Path)
    s.add_argument("--target-path", default=None, type=Path, help="the run's artifacts (default: PROJECT/target)")
    s.add_argument("--log-path", default=None, type=Path, help="dbt's log directory, for the hook's facts (default: PROJECT/logs)")
    s.add_argument("--target", default=None, help="the dbt target the run used, when no hook facts say it")
    s.add_argument("--force", action="store_true", help="seal again a run already sealed")
    return p


def _fail(message: str) -> int:
    # Messages quote paths, dbt artifacts and policy text: escaped for the terminal (verdicts.md §3.3).
    print(f"error: {display_escape(message)}", file=sys.stderr)
    return USAGE_EXIT


def _error_line(e: ClyraError) -> str:
    hint = f"; {e.help}" if getattr(e, "help", None) else ""
    return f"{e}{hint}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs ``clyra dbt ARGS`` and returns the exit code."""
    args = _parser().parse_args(argv)
    project = args.project_dir.resolve()
    if args.command == "init":
        from .init import init

        envs = {}
        for pair in args.env:
            target, sep, env = pair.partition("=")
            if not sep:
                return _fail(f"--env `{pair}` is not TARGET=ENV")
            envs[target] = env
        try:
            for line in init(project, envs, args.force):
                print(display_escape(line))
        except (SetupError, ClyraError, OSError) as e:
            return _fail(str(e))
        return 0
    from .seal import describe, facts_from_log, seal_run

    trust = ClyraDir(project).trust
    if args.command == "seal":
        target_path = (args.target_path or project / "target").resolve()
        try:
            inv = str(json.loads((target_path / "run_results.json").read_bytes())["metadata"]["invocation_id"])
        except (OSError, ValueError, KeyError, TypeError):
            inv = ""
        facts = facts_from_log((args.log_path or project / "logs") / "dbt.log", inv) if inv else None
        try:
            sealed = seal_run(project, target_path, facts=facts, target=args.target, force=args.force)
        except SetupError as e:
            return _fail(str(e))
        except ClyraError as e:
            return _fail(_error_line(e))
        print(describe(sealed, trust))
        return _ledger_exit(project, sealed, _policy_exit(sealed, 0))
    if args.command == "plan":
        return _plan(project, args)
    from .gate import Approvals, read_hold

    try:
        ClyraDir(project).require()
        ClyraDir(project).install_package()
        approvals = Approvals.read(args.approval, args.approver_key)
        if args.command == "resume":
            hold = read_hold(args.hold)
            return _gated_run(project, hold["command"], list(hold["dbt_args"]), approvals, subject=hold["change"]["subject"],
                              kind=hold["change"]["kind"], hold=hold, hold_path=args.hold)
    except SetupError as e:
        return _fail(str(e))
    except ClyraError as e:
        return _fail(_error_line(e))
    dbt_args = list(args.dbt_args)
    if dbt_args[:1] == ["--"]:
        dbt_args = dbt_args[1:]
    ticket = (args.ticket, args.ticket_config or ClyraDir(project).root / "tickets.yaml") if args.ticket else None
    return _gated_run(project, args.dbt_command, dbt_args, approvals, subject=args.change_id, kind=args.change_kind,
                      hold_request=args.hold, ticket=ticket)


def _gated_run(project: Path, command: str, dbt_args: list[str], approvals: "Approvals", *, subject: Optional[str],
               kind: Optional[str], hold: Optional[dict[str, object]] = None, hold_request: bool = False,
               hold_path: Path = Path(), ticket: Optional[tuple[str, Path]] = None) -> int:
    """Plans, gates, runs dbt only when the gate passes, then seals the run with its plan (and,
    with ``ticket``, files its change ticket; a ticket failure never changes the exit code)."""
    from .gate import approve_lines, gate, make_plan, nonces, with_vars, write_hold, write_request
    from .runner import run_dbt
    from .seal import describe, seal_run

    trust = ClyraDir(project).trust
    try:
        planned = make_plan(project, command, dbt_args, subject=subject, kind=kind)
        if hold is not None and planned["digest"] != hold["digest"]:
            return _refuse(f"the project no longer plans the held run (held plan {hold['digest']}, now {planned['digest']}): "
                           "a model, the selection or the commit changed since; plan and hold it again")
        gated = gate(project, planned["plan"], approvals)
    except SetupError as e:
        return _fail(str(e))
    except ClyraError as e:
        return _fail(_error_line(e))
    p = gated.get("policy") or {}
    if gated["gate"] == "deny":
        return _refuse(f"policy denies this run before it starts (rule {p.get('rule')}: {p.get('reason')}); plan {gated['digest']}")
    if hold is not None and approvals.given:
        used = {n for _, n in approvals.given}
        if not used <= set(hold["nonces"]):  # type: ignore[arg-type]
            return _refuse("an approval answers a nonce this hold did not issue; approve with the nonces the hold printed")
    if gated["gate"] == "approval_required":
        why = "; ".join(f"{e['code']}: {e['message']}" for e in gated["approval_errors"])
        request = write_request(project, gated)
        if hold_request:
            issued = nonces(gated["approvals_required"])
            path = write_hold(project, gated, command, dbt_args, issued)
            print(f"clyra: held plan {gated['digest']}: {gated['approvals_required']} approval(s) required "
                  f"(rule {p.get('rule')}: {p.get('reason')}); nothing ran", file=sys.stderr)
            for line in approve_lines(request, issued, hold=path):
                print(f"  {line}", file=sys.stderr)
            return HOLD_EXIT
        print(f"error: policy requires {gated['approvals_required']} approval(s) of plan {gated['digest']} "
              f"(rule {p.get('rule')}: {p.get('reason')}) and {gated['approvals_counted']} cover it"
              f"{' (' + why + ')' if why else ''}; nothing ran. Approve this plan:", file=sys.stderr)
        for line in approve_lines(request, nonces(gated["approvals_required"]), dbt_args=dbt_args):
            print(f"  {line}", file=sys.stderr)
        return GATE_EXIT
    if approvals.given and gated["approval_errors"]:
        why = "; ".join(f"{e['code']}: {e['message']}" for e in gated["approval_errors"])
        return _refuse(f"the approval does not cover plan {gated['digest']}: {why}")
    replayed = sorted({n for _, n in approvals.given} & ClyraDir(project).used_nonces())
    if replayed:
        return _refuse(f"approval.nonce: nonce {replayed[0]} was used by an earlier run; an approval covers one run "
                       "(plan again and ask for a new approval)")
    try:
        if approvals.given:
            ClyraDir(project).consume_nonces([n for _, n in approvals.given])
        run_args = with_vars(dbt_args, {"clyra_gate": gated["digest"], **({"clyra_approved": subject} if subject and approvals.given else {})})
        if hold is not None:
            hold_path.unlink(missing_ok=True)  # a hold runs once
        run = run_dbt(project, run_args, command)
    except (RuntimeError, SetupError, OSError) as e:
        return _fail(str(e))
    line = " ".join(["dbt", command, *dbt_args])
    if run.invocation_id is None or not (run.target_path / "run_results.json").is_file():
        print("clyra: dbt wrote no run_results.json for this run; nothing to seal", file=sys.stderr)
        return run.exit_code
    try:
        sealed = seal_run(project, run.target_path, facts=run.facts, command=line, executed_sql=run.executed_sql,
                          subject=gated["change"]["subject"], approvals=approvals.given if gated["approvals_counted"] else (),
                          approver_keys=approvals.keys, plan=gated["plan"])
    except SetupError as e:
        print(f"error: no evidence sealed: {display_escape(str(e))} (dbt's own result stands: exit {run.exit_code})", file=sys.stderr)
        return run.exit_code
    except ClyraError as e:
        print(f"error: no evidence sealed: {display_escape(_error_line(e))} (dbt's own result stands: exit {run.exit_code})", file=sys.stderr)
        return run.exit_code
    print(describe(sealed, trust))
    exit_code = _ledger_exit(project, sealed, _policy_exit(sealed, run.exit_code))
    if ticket is not None:
        from .tickets import file_tickets

        sys.stdout.flush()
        for message in file_tickets(project, ticket[0], sealed.path, ticket[1]):
            print(display_escape(message), file=sys.stderr)
    return exit_code


def _refuse(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return GATE_EXIT


def _plan(project: Path, args: argparse.Namespace) -> int:
    """`clyra dbt plan`: 0 the plan may run as is, 1 an enforced deny, 2 approvals needed."""
    from .gate import Approvals, approve_lines, gate, make_plan, nonces, write_request

    dbt_args = list(args.dbt_args)
    if dbt_args[:1] == ["--"]:
        dbt_args = dbt_args[1:]
    try:
        ClyraDir(project).install_package()
        planned = make_plan(project, args.dbt_command, dbt_args, subject=args.change_id, kind=args.change_kind)
        gated = gate(project, planned["plan"], Approvals([], []))
    except SetupError as e:
        return _fail(str(e))
    except ClyraError as e:
        return _fail(_error_line(e))
    request = write_request(project, gated)
    lines = approve_lines(request, nonces(gated["approvals_required"]), dbt_args=dbt_args) if gated["gate"] == "approval_required" else []
    print(_render(gated, lines, args.format))
    return {"pass": 0, "deny": 1}.get(gated["gate"], 2)


def _render(gated: dict[str, object], lines: list[str], fmt: str) -> str:
    """The plan for people (text), machines (json) or a pull request (markdown, github)."""
    plan: dict[str, object] = gated["plan"]  # type: ignore[assignment]
    p: dict[str, object] = gated.get("policy") or {}  # type: ignore[assignment]
    if fmt == "json":
        return json.dumps({k: gated[k] for k in ("digest", "plan", "change", "payload_hash", "gate", "approvals_required", "policy")}
                          | {"commands": lines}, indent=1, sort_keys=True)
    git: dict[str, object] = plan["git"]  # type: ignore[assignment]
    commit = str(git.get("commit", "no commit"))[:12] + (" (dirty)" if git.get("dirty") else "")
    nodes: list[dict[str, object]] = plan["nodes"]  # type: ignore[assignment]
    decision = f"{p.get('decision', 'allow')}" + (f" (rule {p['rule']}: {p.get('reason')})" if p.get("rule") else "")
    head = [f"plan {gated['digest']}", f"dbt {plan['command']} on target {plan['target']} ({plan['environment']}), "
            f"{len(nodes)} nodes, commit {commit}, actor {plan['actor']}",
            f"policy before execution: {decision}; gate: {gated['gate']}"]
    findings: list[dict[str, object]] = plan["sql_findings"]  # type: ignore[assignment]
    pii: list[str] = plan["pii_tables"]  # type: ignore[assignment]
    if fmt == "text":
        out = ["clyra: " + head[0], *("  " + h for h in head[1:])]
        out += [f"  SQL guard {f['guard_severity']}: {f['asset']}: {f['rule']}" for f in findings]
        out += [f"  PII table: {t}" for t in pii]
        out += [f"  {line}" for line in lines]
        return "\n".join(out)
    md = [f"### clyra dbt plan `{gated['digest']}`", "", *(f"- {h}" for h in head[1:]), "",
          "| node | type | materialization | SQL digest |", "|---|---|---|---|"]
    md += [f"| `{n['id']}` | {n['resource_type']} | {n.get('materialization', '')} | `{str(n.get('sql', ''))[:19]}` |" for n in nodes]
    md += ["", *(f"- SQL guard {f['guard_severity']}: `{f['asset']}` {f['rule']}" for f in findings), *(f"- PII table `{t}`" for t in pii)]
    if lines:
        md += ["", f"**{gated['approvals_required']} approval(s) required.** Approvers run:", "", "```", *lines, "```"]
    text = "\n".join(md)
    if fmt == "github":
        level = {"pass": "notice", "deny": "error"}.get(str(gated["gate"]), "warning")
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as f:
                f.write(text + "\n")
        return f"::{level} title=clyra dbt plan::{head[2]} (plan {gated['digest']})\n{text}"
    return text


def _ledger_exit(project: Path, sealed: "Sealed", exit_code: int) -> int:
    """Appends the sealed bundle to the project's evidence ledger (spec/ledger-v0.md), when
    there is one; returns ``exit_code``, or 1 when the append fails (the bundle stays sealed).
    The append runs the ``clyra ledger append`` of the Rust CLI in this process, so an
    ``s3://`` ledger takes its endpoint and credentials from the ``AWS_*`` variables and its
    Object Lock retention from the project's policy, then ``retain_days`` of the config (§8.3)."""
    sys.stdout.flush()
    args = ledger_append_args(ClyraDir(project), sealed.path)
    if args is None:
        return exit_code
    if _clyra.run(args) != 0:
        print(f"error: {sealed.path} was sealed but not appended to the ledger {ClyraDir(project).ledger}", file=sys.stderr)
        return max(exit_code, 1)
    return exit_code


def ledger_append_args(clyra: ClyraDir, bundle: Path) -> Optional[list[str]]:
    """The ``clyra ledger append`` arguments that append ``bundle`` to the project's ledger, or
    None when a local ledger was never created. An ``s3://`` ledger is always appended to (its
    absence is the append's error) and gets the retention sources: ``--policy`` (when the project
    has one) and ``--config``."""
    ledger = clyra.ledger
    if isinstance(ledger, Path) and not (ledger / "ledger.json").exists():
        return None
    args = ["clyra", "ledger", "append", str(bundle), "--ledger", str(ledger), "--key", clyra.ledger_key()]
    if isinstance(ledger, str):
        args += ["--config", str(clyra.config_path)]
        if clyra.policy.is_file():
            args += ["--policy", str(clyra.policy)]
    return args


def _policy_exit(sealed: "Sealed", exit_code: int) -> int:
    """The exit code of a sealed run: 1 when an enforced policy rule denies it or requires more
    approvals than it had (the bundle is sealed all the same and records why), else ``exit_code``."""
    p = sealed.policy or {}
    rule, reason = display_escape(str(p.get("rule"))), display_escape(str(p.get("reason")))
    if sealed.denied:
        print(f"error: policy denies this run (rule {rule}): {reason}", file=sys.stderr)
        return max(exit_code, 1)
    if sealed.approvals_missing:
        print(f"error: policy requires {sealed.approvals_required} approval(s) for this run and it had "
              f"{sealed.approvals_recorded} (rule {rule}: {reason}); the bundle records the shortfall. "
              "Plan it with `clyra dbt plan`, get that plan approved and run it with `clyra dbt build --approval FILE=NONCE --approver-key KEY`", file=sys.stderr)
        return max(exit_code, 1)
    return exit_code
