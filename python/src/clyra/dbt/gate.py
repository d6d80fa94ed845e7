"""The dbt gate (spec/plan-v0.md): plan an invocation with dbt's own compiler (no model is
materialised), decide on the plan with the core (policy over the facts known before execution,
approvals bound to the plan digest), and hold a plan until it is approved."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from .. import __version__, _clyra
from .project import ClyraDir, SetupError, write_atomic
from .seal import now, run_context

# dbt options that take values (`--select a b` takes several), and the path options a plan
# leaves out: the same invocation planned on a laptop and run in CI has the same plan.
MULTI = {"--select", "-s", "--models", "-m", "--exclude", "--resource-type", "--resource-types", "--exclude-resource-type"}
SINGLE = {"--selector", "--target", "-t", "--vars", "--profile", "--profiles-dir", "--threads", "--state",
          "--indirect-selection", "--project-dir", "--target-path", "--log-path", "--defer-state", "--empty"}
PATHS = {"--project-dir", "--profiles-dir", "--target-path", "--log-path"}
# What `dbt compile` accepts of them (the others change no SQL and no selection).
COMPILE = {"--select", "-s", "--models", "-m", "--exclude", "--selector", "--target", "-t", "--vars", "--profile",
           "--profiles-dir", "--threads", "--full-refresh", "--state", "--defer", "--favor-state", "--indirect-selection"}
KINDS = {"build": ("model", "seed", "snapshot", "test"), "run": ("model",), "seed": ("seed",),
         "snapshot": ("snapshot",), "test": ("test",)}
HOLD_TTL = 24 * 3600


def split_args(args: Sequence[str]) -> list[list[str]]:
    """dbt's arguments as groups: an option with its values, or a lone word."""
    groups: list[list[str]] = []
    i = 0
    while i < len(args):
        a = args[i]
        name = a.split("=", 1)[0]
        group = [a]
        i += 1
        if "=" not in a and name in SINGLE and i < len(args):
            group.append(args[i])
            i += 1
        elif "=" not in a and name in MULTI:
            while i < len(args) and not args[i].startswith("-"):
                group.append(args[i])
                i += 1
        groups.append(group)
    return groups


def option(args: Sequence[str], *names: str) -> Optional[str]:
    """The value of the last of ``names`` in ``args``."""
    value = None
    for g in split_args(args):
        name, sep, inline = g[0].partition("=")
        if name in names:
            value = inline if sep else (g[1] if len(g) > 1 else None)
    return value


def with_vars(dbt_args: Sequence[str], extra: dict[str, object]) -> list[str]:
    """``dbt_args`` with ``extra`` merged into its ``--vars`` (YAML or JSON) as one JSON object."""
    given = option(dbt_args, "--vars")
    merged: dict[str, object] = {}
    if given is not None:
        import yaml

        loaded = yaml.safe_load(given) or {}
        if not isinstance(loaded, dict):
            raise SetupError(f"--vars `{given}` is not a mapping")
        merged.update(loaded)
    merged.update(extra)
    rest = [a for g in split_args(dbt_args) if g[0].split("=", 1)[0] != "--vars" for a in g]
    return [*rest, "--vars", json.dumps(merged)]


def plan_args(args: Sequence[str]) -> list[str]:
    """The arguments a plan records: all but the path options."""
    return [a for g in split_args(args) if g[0].split("=", 1)[0] not in PATHS for a in g]


def default_target(project: Path, args: Sequence[str]) -> Optional[str]:
    """The target dbt will use: ``--target``, ``DBT_TARGET``, else the profile's default."""
    given = option(args, "--target", "-t") or os.environ.get("DBT_TARGET")
    if given:
        return given
    try:
        import yaml

        config = yaml.safe_load((project / "dbt_project.yml").read_text(encoding="utf-8")) or {}
        profile = option(args, "--profile") or config.get("profile")
        dirs = [option(args, "--profiles-dir"), os.environ.get("DBT_PROFILES_DIR"), str(project), str(Path.home() / ".dbt")]
        for d in dirs:
            if d and (Path(d) / "profiles.yml").is_file():
                profiles = yaml.safe_load((Path(d) / "profiles.yml").read_text(encoding="utf-8")) or {}
                target = (profiles.get(profile) or {}).get("target")
                return str(target) if target else None
    except (OSError, ValueError, ImportError):
        return None
    return None


def git_dirty(project: Path) -> bool:
    """Whether the checkout has changes not committed (false outside git)."""
    try:
        out = subprocess.run(["git", "-C", str(project), "status", "--porcelain", "--untracked-files=no"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and bool(out.stdout.strip())


def compile_nodes(project: Path, args: Sequence[str], command: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The selected nodes with their compiled SQL, from ``dbt compile`` in-process (into
    ``target/clyra/plan``, so the run's own artifacts are untouched), and dbt's metadata."""
    try:
        from dbt.cli.main import dbtRunner
        from dbt.version import __version__ as dbt_version
    except ImportError as e:
        raise SetupError("dbt is not installed; run `pip install 'clyra[dbt]'`") from e
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    # `clyra_plan` lets `clyra.require_approval` compile: the gate, not the macro, decides now.
    given = with_vars([a for g in split_args(args) if g[0].split("=", 1)[0] in COMPILE for a in g], {"clyra_plan": True})
    plan_dir = project / "target" / "clyra" / "plan"
    full = ["compile", *given, "--project-dir", str(project), "--target-path", str(plan_dir), "--quiet"]
    # dbt prints a one-node selection's compiled SQL to stdout: keep stdout for the plan.
    with open(os.devnull, "w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink):
        result = dbtRunner().invoke(full)
    if not result.success or result.result is None:
        raise SetupError(f"dbt could not compile this selection ({result.exception or 'see dbt.log'}); nothing ran")
    wanted = KINDS[command]
    nodes = []
    for r in result.result.results:
        n = r.node
        if n.resource_type not in wanted:
            continue
        node: dict[str, Any] = {"id": n.unique_id, "resource_type": str(n.resource_type)}
        materialized = getattr(n.config, "materialized", None)
        if materialized:
            node["materialization"] = str(materialized)
        if n.resource_type != "test" and materialized != "ephemeral":
            node["relation"] = f"{n.database}.{n.schema}.{n.alias or n.name}"
        if getattr(n, "compiled_code", None):
            node["sql"] = n.compiled_code
        nodes.append(node)
    try:
        meta = json.loads((plan_dir / "manifest.json").read_bytes())["metadata"]
        info = {"adapter": str(meta["adapter_type"]), "project": str(meta["project_name"]), "tool_version": dbt_version}
    except (OSError, ValueError, KeyError) as e:
        raise SetupError(f"{plan_dir / 'manifest.json'}: dbt wrote no usable manifest ({e})") from e
    return nodes, info


def policy_text(clyra: ClyraDir) -> dict[str, str]:
    """The policy members of a core call (none when the project has no policy)."""
    if not clyra.policy.is_file():
        return {}
    try:
        return {"policy": clyra.policy.read_text(encoding="utf-8"), "policy_file": str(clyra.policy)}
    except (OSError, ValueError) as e:
        raise SetupError(f"{clyra.policy}: unreadable ({e})") from e


def make_plan(project: Path, command: str, args: Sequence[str], subject: Optional[str] = None,
              kind: Optional[str] = None) -> dict[str, Any]:
    """Plans ``dbt COMMAND ARGS`` (core ``ffi::gate::plan``): plan, digest, change, decision."""
    clyra = ClyraDir(project)
    clyra.require()
    target = default_target(project, args)
    if target is None:
        raise SetupError("the dbt target is unknown; pass --target NAME after `--`")
    nodes, info = compile_nodes(project, args, command)
    context = run_context(project, clyra.config(), target=target, subject=subject)
    inp: dict[str, Any] = {"context": context, **info, "command": command, "args": plan_args(args),
                           "nodes": nodes, "dirty": git_dirty(project)}
    if kind:
        inp["kind"] = kind
    answer: dict[str, Any] = json.loads(_clyra.dbt_plan(json.dumps({"input": inp, **policy_text(clyra)})))
    return answer


@dataclass(frozen=True)
class Approvals:
    """Approvals given on the command line: (envelope text, nonce) and approver keys (PEM)."""

    given: list[tuple[str, str]]
    keys: list[str]

    @staticmethod
    def read(pairs: Sequence[str], key_paths: Sequence[Path]) -> "Approvals":
        given = []
        for pair in pairs:
            path, sep, nonce = pair.rpartition("=")
            if not sep or not path:
                raise SetupError(f"--approval `{pair}` is not FILE=NONCE (the nonce issued for it)")
            try:
                given.append((Path(path).read_text(encoding="utf-8"), nonce))
            except OSError as e:
                raise SetupError(f"{path}: cannot read the approval ({e.strerror})") from e
        try:
            keys = [k.read_text(encoding="utf-8") for k in key_paths]
        except OSError as e:
            raise SetupError(f"{e.filename}: cannot read the approver key ({e.strerror})") from e
        return Approvals(given, keys)


def gate(project: Path, plan: dict[str, Any], approvals: Approvals) -> dict[str, Any]:
    """Decides on ``plan`` (core ``ffi::gate::gate``): ``gate`` is pass, deny or approval_required."""
    clyra = ClyraDir(project)
    keys, key_uris = clyra.producer_keys()
    call = {"plan": plan, **policy_text(clyra), "approvals": [{"envelope": e, "nonce": n} for e, n in approvals.given],
            "approver_keys": approvals.keys, "keys": keys, "at": now(), "producer_version": __version__}
    answer: dict[str, Any] = json.loads(_clyra.dbt_gate(json.dumps(call), key_uris))
    return answer


def nonces(count: int) -> list[str]:
    """Fresh approval nonces (approval-v0.md §3.2: 128 random bits each)."""
    return [f"n-{secrets.token_hex(16)}" for _ in range(max(count, 1))]


def write_request(project: Path, gated: dict[str, Any]) -> Path:
    """Writes the approval request (the bundle spec `clyra approve --spec` signs) for the plan."""
    path = project / "target" / "clyra" / "plans" / f"{gated['digest'].split(':', 1)[1][:16]}.request.json"
    write_atomic(path, (json.dumps(gated["request"], indent=1, sort_keys=True) + "\n").encode("utf-8"))
    return path


def approve_lines(request: Path, issued: Sequence[str], hold: Optional[Path] = None, dbt_args: Sequence[str] = ()) -> list[str]:
    """The exact commands: each approver signs the plan's change; then the run with them."""
    lines = []
    for i, nonce in enumerate(issued, 1):
        lines.append(f"clyra approve --spec {request} --key APPROVER.key --sso-sub APPROVER --idp-domain IDP "
                     f"--expires {expiry()} --nonce {nonce} --out approval-{i}.dsse.json")
    flags = " ".join(f"--approval approval-{i}.dsse.json={n} --approver-key APPROVER-{i}.pub" for i, n in enumerate(issued, 1))
    if hold is not None:
        lines.append(f"clyra dbt resume {hold} {flags}")
    else:
        lines.append(f"clyra dbt build {flags} -- {' '.join(dbt_args)}".rstrip())
    return lines


def expiry(seconds: int = HOLD_TTL) -> str:
    """A time ``seconds`` from now, as approvals and holds record it."""
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_hold(project: Path, gated: dict[str, Any], command: str, dbt_args: Sequence[str], issued: Sequence[str]) -> Path:
    """Holds a plan until it is approved: `.clyra/holds/<digest>.json` with the plan, the exact
    dbt invocation, the nonces issued and the expiry (plan-v0.md §6)."""
    hold = {"version": 0, "plan": gated["plan"], "digest": gated["digest"], "change": gated["change"],
            "command": command, "dbt_args": list(dbt_args), "nonces": list(issued),
            "approvals_required": gated["approvals_required"], "created_at": now(), "expires_at": expiry()}
    path = ClyraDir(project).root / "holds" / f"{gated['digest'].split(':', 1)[1][:16]}.json"
    write_atomic(path, (json.dumps(hold, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    return path


def read_hold(path: Path) -> dict[str, Any]:
    """A hold written by :func:`write_hold`, checked for shape and expiry."""
    try:
        hold: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        for k in ("plan", "digest", "command", "dbt_args", "nonces", "expires_at"):
            hold[k]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise SetupError(f"{path}: not a hold written by `clyra dbt build --hold` ({e})") from e
    if now() > str(hold["expires_at"]):
        raise SetupError(f"{path}: the hold expired at {hold['expires_at']}; plan and hold the run again")
    return hold
