"""Sealing a finished dbt run: its artifacts, the hook's facts and the previous state, through
the Rust core (``clyra_core::def``), into ``target/clyra/<invocation_id>.zip``."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from .. import __version__, _clyra
from .._clyra import display_escape
from .project import ClyraDir, SetupError, write_atomic

FACTS_MARKER = "CLYRA_FACTS "


@dataclass(frozen=True)
class Sealed:
    """A sealed run: where the bundle is, and what the core reported."""

    path: Path
    bundle_id: str
    summary: dict[str, Any]
    spec: dict[str, Any]
    policy: Optional[dict[str, Any]] = None
    approvals_required: int = 0
    approvals_recorded: int = 0

    @property
    def denied(self) -> bool:
        """Whether the project's policy denies the run by an enforced rule (the run fails)."""
        return self.policy is not None and self.policy.get("decision") == "deny"

    @property
    def approvals_missing(self) -> int:
        """How many more approvals the enforced policy required than the bundle holds (the run
        fails; its verifier reports ``approval.insufficient``)."""
        return max(0, self.approvals_required - self.approvals_recorded)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def git_commit(project: Path) -> Optional[str]:
    """The project's commit, when it is a git checkout and git is installed."""
    try:
        out = subprocess.run(["git", "-C", str(project), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", commit) else None


def git_author(project: Path) -> Optional[str]:
    try:
        out = subprocess.run(["git", "-C", str(project), "log", "-1", "--format=%ae"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def facts_from_log(log: Path, invocation_id: str) -> Optional[Any]:
    """The facts the hook logged for ``invocation_id`` in dbt's log file (``clyra dbt seal``)."""
    if not log.is_file():
        return None
    found = None
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            i = line.find(FACTS_MARKER)
            if i < 0 or invocation_id not in line:
                continue
            text = line[i + len(FACTS_MARKER):].strip()
            try:
                facts = json.loads(text)
            except ValueError:
                continue
            if isinstance(facts, dict) and facts.get("invocation_id") == invocation_id:
                found = facts
    return found


def run_context(
    project: Path,
    config: dict[str, Any],
    *,
    target: Optional[str] = None,
    command: Optional[str] = None,
    policy_block: Optional[dict[str, Any]] = None,
    subject: Optional[str] = None,
) -> dict[str, Any]:
    """The host's facts about a run (core `RunContext`): who, when, where, which commit."""
    actor = os.environ.get("CLYRA_ACTOR") or config.get("actor") or git_author(project) or getpass.getuser()
    context: dict[str, Any] = {
        "producer_version": __version__,
        "created_at": now(),
        "actor": actor,
        "deployer": os.environ.get("CLYRA_DEPLOYER") or getpass.getuser(),
        "environments": config["environments"],
    }
    for name, value in (("target", target), ("command", command), ("git_commit", git_commit(project)),
                        ("policy", policy_block), ("subject", subject)):
        if value is not None:
            context[name] = value
    return context


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise SetupError(f"{path}: {what} is missing ({e.strerror}); run dbt first or pass --target-path DIR") from e


def seal_run(
    project: Path,
    target_path: Path,
    *,
    facts: Optional[Any] = None,
    command: Optional[str] = None,
    target: Optional[str] = None,
    force: bool = False,
    policy_block: Optional[dict[str, Any]] = None,
    executed_sql: Sequence[dict[str, str]] = (),
    subject: Optional[str] = None,
    approvals: Sequence[tuple[str, str]] = (),
    approver_keys: Sequence[str] = (),
    plan: Optional[dict[str, Any]] = None,
) -> Sealed:
    """Seals the run whose artifacts are in ``target_path``. Raises :class:`SetupError` or a
    :class:`clyra.ClyraError`; on any error no bundle file exists and the state is unchanged."""
    clyra = ClyraDir(project)
    clyra.require()
    config = clyra.config()
    keys, key_uris = clyra.producer_keys()
    run_results = _read(target_path / "run_results.json", "run_results.json")
    manifest = _read(target_path / "manifest.json", "manifest.json")
    try:
        invocation_id = str(json.loads(run_results)["metadata"]["invocation_id"])
    except (ValueError, KeyError, TypeError) as e:
        raise SetupError(f"{target_path / 'run_results.json'}: corrupt ({e}); run dbt again to rewrite it") from e
    out = target_path / "clyra" / f"{invocation_id}.zip"
    if out.exists() and not force:
        raise SetupError(f"{out}: exists; this run is already sealed (pass --force to seal it again)")
    context = run_context(project, config, target=target, command=command, policy_block=policy_block, subject=subject)
    if executed_sql:
        context["executed_sql"] = list(executed_sql)
    call = {
        "context": context,
        "facts": facts,
        "previous": clyra.previous_state(invocation_id),
        "keys": keys,
        "signed_at": context["created_at"],
        "approvals": [{"envelope": e, "nonce": n} for e, n in approvals],
        "approver_keys": list(approver_keys),
    }
    if plan is not None:
        call["plan"] = plan
    if clyra.policy.is_file():
        try:
            call["policy"] = clyra.policy.read_text(encoding="utf-8")
        except (OSError, ValueError) as e:
            raise SetupError(f"{clyra.policy}: unreadable ({e}); fix it or rerun `clyra policy init --env dev --out {clyra.policy} --force`") from e
        call["policy_file"] = str(clyra.policy)
    result, bundle = _clyra.dbt_seal(json.dumps(call), run_results, manifest, [], key_uris)
    r = json.loads(result)
    write_atomic(out, bundle)
    clyra.save_state(r["state"])
    if approvals and not r["approvals_applied"]:
        r["summary"]["approval_note"] = "the approvals do not cover the change this run made; sealed without them"
    return Sealed(out, r["bundle"]["bundle_id"], r["summary"], r["spec"], r.get("policy"),
                  r["approvals_required"], r["approvals_recorded"])


def describe(sealed: Sealed, trust: Path) -> str:
    """What was sealed, for people: the bundle, the run's status and the semantic delta. Every
    value comes from dbt's artifacts, the warehouse or the policy, so each is escaped for the
    terminal (verdicts.md §3.3): a column named with an escape sequence cannot rewrite the screen."""
    def e(value: Any) -> str:
        return display_escape(str(value))

    s = sealed.summary
    lines = [
        f"clyra: sealed {e(sealed.path)} ({e(sealed.bundle_id)})",
        f"  run {e(s['invocation_id'])}: {e(s['status'])}, target {e(s['target'])} ({e(s['environment'])}), "
        f"{s['assets']} assets, {s['tests_failed']} failing tests, {s['anchors']} anchors",
    ]
    for f in s.get("sql_findings", []):
        lines.append(f"  SQL guard {e(f['severity'])}: {e(f['asset'])}: {e(f['rule'])}: {e(f['message'])}")
    for change in s.get("schema_changes", []):
        parts = [f"{k.split('_')[1]} {', '.join(e(c) for c in change[k])}" for k in ("columns_added", "columns_removed", "columns_changed") if k in change]
        lines.append(f"  schema change {e(change['asset'])}: {'; '.join(parts) if parts else 'new relation'}")
    if "plan" in s:
        lines.append(f"  plan {e(s['plan'])}: {len(s.get('drift', []))} drift finding(s)")
    for d in s.get("drift", []):
        lines.append(f"  drift: {e(d['asset'])}: {e(d['rule'])}")
    p = sealed.policy
    if p is not None:
        rule = ", rule " + e(p["rule"]) if p.get("rule") else ""
        lines.append(f"  policy {e(p['policy_hash'])}: {e(p['decision'])} ({e(p['mode'])}{rule}): {e(p['reason'])}")
        for d in p.get("decisions", []):
            if d.get("mode") == "shadow":
                lines.append(f"  policy shadow: rule {e(d['rule'])} would {e(d['decision'])}: {e(d['reason'])}")
    if sealed.approvals_required:
        lines.append(f"  approvals: {sealed.approvals_recorded} of {sealed.approvals_required} required")
    if "approval_note" in s:
        lines.append(f"  approvals: {e(s['approval_note'])}")
    lines.append(f"  verify: clyra verify {e(sealed.path)} --trust {e(trust)}")
    return "\n".join(lines)
