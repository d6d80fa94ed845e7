"""``clyra dbt init | build | seal``: the command line of the dbt integration."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

from .. import ClyraError, _clyra
from .project import ClyraDir, SetupError

if TYPE_CHECKING:
    from .seal import Sealed

USAGE_EXIT = 4


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
    b.add_argument("--change-kind", default="schema", choices=["schema", "data", "config"], help="the kind of change approved (default schema)")
    b.add_argument("dbt_args", nargs=argparse.REMAINDER, help="-- then dbt's own arguments")
    s = sub.add_parser("seal", help="seal a run that already finished (dbt Cloud, an orchestrator) from its artifacts")
    s.add_argument("--project-dir", default=".", type=Path)
    s.add_argument("--target-path", default=None, type=Path, help="the run's artifacts (default: PROJECT/target)")
    s.add_argument("--log-path", default=None, type=Path, help="dbt's log directory, for the hook's facts (default: PROJECT/logs)")
    s.add_argument("--target", default=None, help="the dbt target the run used, when no hook facts say it")
    s.add_argument("--force", action="store_true", help="seal again a run already sealed")
    return p


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
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
                print(line)
        except (SetupError, ClyraError, OSError) as e:
            return _fail(str(e))
        return 0
    from .seal import describe, facts_from_log, seal_run

    trust = ClyraDir(project).trust
    if args.command == "seal":
        target_path = (args.target_path or project / "target").resolve()
        try:
            import json

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
    # build
    from .runner import run_dbt

    dbt_args = list(args.dbt_args)
    if dbt_args[:1] == ["--"]:
        dbt_args = dbt_args[1:]
    try:
        ClyraDir(project).require()
        ClyraDir(project).install_package()
    except SetupError as e:
        return _fail(str(e))
    approvals: list[tuple[str, str]] = []
    approver_keys: list[str] = []
    if args.approval:
        try:
            dbt_args, approvals, approver_keys = _preflight(project, args, dbt_args)
        except SetupError as e:
            return _fail(str(e))
        except ClyraError as e:
            return _fail(f"the approval does not cover this change: {_error_line(e)}")
    try:
        run = run_dbt(project, dbt_args, args.dbt_command)
    except RuntimeError as e:
        return _fail(str(e))
    command = " ".join(["dbt", args.dbt_command, *dbt_args])
    if run.invocation_id is None or not (run.target_path / "run_results.json").is_file():
        print("clyra: dbt wrote no run_results.json for this run; nothing to seal", file=sys.stderr)
        return run.exit_code
    try:
        sealed = seal_run(project, run.target_path, facts=run.facts, command=command, executed_sql=run.executed_sql,
                          subject=args.change_id, approvals=approvals, approver_keys=approver_keys)
    except SetupError as e:
        print(f"error: no evidence sealed: {e} (dbt's own result stands: exit {run.exit_code})", file=sys.stderr)
        return run.exit_code
    except ClyraError as e:
        print(f"error: no evidence sealed: {_error_line(e)} (dbt's own result stands: exit {run.exit_code})", file=sys.stderr)
        return run.exit_code
    print(describe(sealed, trust))
    return _ledger_exit(project, sealed, _policy_exit(sealed, run.exit_code))


def _ledger_exit(project: Path, sealed: "Sealed", exit_code: int) -> int:
    """Appends the sealed bundle to the project's evidence ledger (spec/ledger-v0.md), when
    there is one; returns ``exit_code``, or 1 when the append fails (the bundle stays sealed)."""
    clyra = ClyraDir(project)
    ledger = clyra.ledger
    if not (ledger / "ledger.json").exists():
        return exit_code
    sys.stdout.flush()
    args = ["clyra", "ledger", "append", str(sealed.path), "--ledger", str(ledger), "--key", str(clyra.key)]
    if _clyra.run(args) != 0:
        print(f"error: {sealed.path} was sealed but not appended to the ledger {ledger}", file=sys.stderr)
        return max(exit_code, 1)
    return exit_code


def _policy_exit(sealed: "Sealed", exit_code: int) -> int:
    """The exit code of a sealed run: 1 when an enforced policy rule denies it or requires more
    approvals than it had (the bundle is sealed all the same and records why), else ``exit_code``."""
    p = sealed.policy or {}
    if sealed.denied:
        print(f"error: policy denies this run (rule {p.get('rule')}): {p.get('reason')}", file=sys.stderr)
        return max(exit_code, 1)
    if sealed.approvals_missing:
        print(f"error: policy requires {sealed.approvals_required} approval(s) for this run and it had "
              f"{sealed.approvals_recorded} (rule {p.get('rule')}: {p.get('reason')}); the bundle records the shortfall. "
              "Get the change approved and run it with --approval FILE=NONCE --approver-key KEY --change-id ID", file=sys.stderr)
        return max(exit_code, 1)
    return exit_code


def _option(args: Sequence[str], name: str) -> Optional[str]:
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def _preflight(project: Path, args: argparse.Namespace, dbt_args: list[str]) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """Checks the approvals against the planned change before dbt runs (core preflight), then
    sets the var `clyra_approved` that `clyra.require_approval` asserts."""
    import json

    from .. import _clyra
    from .seal import now, run_context

    if not args.change_id:
        raise SetupError("--approval needs --change-id ID: the id of the approved change")
    target = _option(dbt_args, "--target")
    if target is None:
        raise SetupError("--approval needs dbt's --target NAME after `--`: the approved change names its environment")
    approvals = []
    for pair in args.approval:
        path, sep, nonce = pair.rpartition("=")
        if not sep or not path:
            raise SetupError(f"--approval `{pair}` is not FILE=NONCE (the nonce you issued for it)")
        try:
            approvals.append((Path(path).read_text(encoding="utf-8"), nonce))
        except OSError as e:
            raise SetupError(f"{path}: cannot read the approval ({e.strerror})") from e
    try:
        keys = [k.read_text(encoding="utf-8") for k in args.approver_key]
    except OSError as e:
        raise SetupError(f"{e.filename}: cannot read the approver key ({e.strerror})") from e
    clyra = ClyraDir(project)
    context = run_context(project, clyra.config(), target=target, subject=args.change_id)
    call = {"context": context, "kind": args.change_kind, "keys": [clyra.signing_key()], "at": now(),
            "approvals": [{"envelope": e, "nonce": n} for e, n in approvals], "approver_keys": keys}
    _clyra.dbt_preflight(json.dumps(call))
    dbt_vars: dict[str, object] = {}
    given = _option(dbt_args, "--vars")
    if given is not None:
        import yaml

        loaded = yaml.safe_load(given) or {}
        if not isinstance(loaded, dict):
            raise SetupError(f"--vars `{given}` is not a mapping")
        dbt_vars.update(loaded)
        i = dbt_args.index("--vars") if "--vars" in dbt_args else -1
        dbt_args = dbt_args[:i] + dbt_args[i + 2:] if i >= 0 else [a for a in dbt_args if not a.startswith("--vars=")]
    dbt_vars["clyra_approved"] = args.change_id
    return [*dbt_args, "--vars", json.dumps(dbt_vars)], approvals, keys
