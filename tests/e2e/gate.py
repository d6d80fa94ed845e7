"""The dbt gate on a real warehouse (spec/plan-v0.md), shared by DuckDB and PostgreSQL: refused
before any table changes, approved plans run, approvals bound to one plan, drift denied, hold and
resume, shadow mode, and plain `dbt build` failing closed."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Callable

import clyra
from common import bundles, verify_both
from conftest import BIN, clyra as run_clyra

POLICY = """version: 1
name: gate-e2e
default_decision: allow
data_platform:
  mode: enforce
  rules:
    - id: production-change
      when: 'change.environment == "production"'
      decision: require_approval
      reason: production changes need an approval
    - id: no-drift
      when: 'size(dbt.drift) > 0'
      decision: deny
      reason: the run drifted from its approved plan
"""

Tables = Callable[[], list[tuple[str, ...]]]


def stamp(delta: dt.timedelta) -> str:
    return (dt.datetime.now(dt.timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


class Gate:
    """One project set up for the gate on `target` mapped to production."""

    def __init__(self, project: Path, target: str, env: dict[str, str], tables: Tables) -> None:
        self.project, self.target, self.tables = project, target, tables
        self.env = {**env, "CLYRA_ACTOR": "dana@example.com", "CLYRA_DEPLOYER": "svc-ci"}
        r = run_clyra("dbt", "init", "--project-dir", str(project), "--env", f"{target}=production", cwd=project, env=self.env)
        assert r.returncode == 0, r.stderr
        (project / ".clyra" / "policy.yaml").write_text(POLICY)
        self.approver = clyra.keygen()
        (project / "lee.pub").write_text(self.approver.public_pem)
        trust = json.loads((project / ".clyra" / "trust.json").read_text())
        trust["keys"].append({"keyid": self.approver.keyid, "scheme": self.approver.scheme,
                              "public_key_pem": self.approver.public_pem, "roles": ["approver"]})
        self.trust = project / "trust-with-approver.json"
        self.trust.write_text(json.dumps(trust))

    def clyra(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_clyra("dbt", *args, cwd=self.project, env=self.env)

    def plan(self, *dbt_args: str) -> dict[str, object]:
        r = self.clyra("plan", "--project-dir", str(self.project), "--format", "json", "--", "--target", self.target, *dbt_args)
        assert r.returncode in (0, 2), r.stdout[-2000:] + r.stderr[-2000:]
        plan: dict[str, object] = json.loads(r.stdout)
        return plan

    def approve(self, commands: list[str], out: str) -> tuple[Path, str]:
        """Signs, as approver `lee`, the request the plan printed; returns (file, nonce)."""
        spec = re.search(r"--spec (\S+)", commands[0]).group(1)  # type: ignore[union-attr]
        nonce = re.search(r"--nonce (\S+)", commands[0]).group(1)  # type: ignore[union-attr]
        envelope = clyra.approve(Path(spec).read_text(), self.approver.private_pem, sso_sub="lee@example.com",
                                 idp_domain="idp.example", nonce=nonce, approved_at=stamp(-dt.timedelta(seconds=1)),
                                 expires_at=stamp(dt.timedelta(hours=1)), mfa_verified=True)
        path = self.project / out
        path.write_bytes(envelope)
        return path, nonce

    def build(self, approval: tuple[Path, str] | None, *dbt_args: str) -> subprocess.CompletedProcess[str]:
        given = ["--approval", f"{approval[0]}={approval[1]}", "--approver-key", str(self.project / "lee.pub")] if approval else []
        return self.clyra("build", "--project-dir", str(self.project), *given, "--", "--target", self.target, *dbt_args)


def manifest_of(bundle: Path) -> dict[str, object]:
    m: dict[str, object] = json.loads(zipfile.ZipFile(bundle).read("manifest.json"))
    return m


def journal_of(bundle: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in zipfile.ZipFile(bundle).read("journal.ndjson").splitlines()]


def refused_then_approved(g: Gate) -> None:
    """No approval → refused before dbt runs, warehouse untouched; the approved plan runs and its
    bundle binds the plan; the approval of plan A is refused for plan B and for an edited model."""
    before = g.tables()
    r = g.build(None)
    assert r.returncode == 3, r.stdout[-2000:] + r.stderr[-2000:]
    assert "production-change" in r.stderr and "clyra approve --spec" in r.stderr and "nothing ran" in r.stderr
    assert g.tables() == before, "the refused run changed the warehouse"
    assert bundles(g.project) == []
    plan = g.plan()
    assert plan["gate"] == "approval_required" and plan["approvals_required"] == 1
    assert plan["change"]["plan"] == plan["digest"]  # type: ignore[index]
    approval = g.approve(plan["commands"], "a.dsse.json")  # type: ignore[arg-type]
    # For a pull request: Markdown with the digest, the nodes and the approve command; exit 2.
    md = g.clyra("plan", "--project-dir", str(g.project), "--format", "markdown", "--", "--target", g.target)
    assert md.returncode == 2 and f"`{plan['digest']}`" in md.stdout and "| `model.shop.orders` |" in md.stdout
    assert "1 approval(s) required" in md.stdout and "clyra approve --spec" in md.stdout
    # Plan B (another selection) is not what was approved.
    r = g.build(approval, "--select", "stg_orders")
    assert r.returncode == 3 and "approval" in r.stderr, r.stderr[-2000:]
    assert g.tables() == before
    # The approved plan runs; the bundle records the plan, its approval and no drift.
    r = g.build(approval)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    [bundle] = bundles(g.project)
    assert g.tables() != before
    m = manifest_of(bundle)
    assert m["change"]["plan"] == plan["digest"]  # type: ignore[index]
    assert m["approvals"]["required"] == 1 and len(m["approvals"]["entries"]) == 1  # type: ignore[index]
    assert "artifacts/clyra/plan.json" in zipfile.ZipFile(bundle).namelist()
    kinds = [e["kind"] for e in journal_of(bundle)]
    assert kinds[0] == "run.started" and kinds.index("plan.checked") < kinds.index("node.finished"), kinds
    assert "plan.drift" not in kinds, [e for e in journal_of(bundle) if e["kind"] == "plan.drift"]
    verdict = clyra.verify(bundle, g.trust, policy=g.project / ".clyra" / "policy.yaml")
    assert verdict.ok, [(c.code, c.message) for c in verdict.checks if c.severity != "ok"]
    # The same approval does not run the same plan twice (its nonce is spent). (The whole project
    # plans differently now that `order_events` exists, `is_incremental()`; `orders` alone does not.)
    one = g.approve(g.plan("--select", "orders")["commands"], "o.dsse.json")  # type: ignore[arg-type]
    r = g.build(one, "--select", "orders")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    r = g.build(one, "--select", "orders")
    assert r.returncode == 3 and "approval.nonce" in r.stderr, r.stderr[-2000:]
    assert len(bundles(g.project)) == 2
    # A model edited after approval: the same approval is refused before dbt runs.
    orders = g.project / "models" / "orders.sql"
    orders.write_text(orders.read_text() + "\n-- edited after approval\n")
    snapshot = g.tables()
    r = g.build(approval)
    assert r.returncode == 3 and "build.approval" in r.stderr, r.stderr[-2000:]
    assert g.tables() == snapshot and len(bundles(g.project)) == 2


def another_commit(g: Gate) -> None:
    """The plan binds the git commit: an approval given at one commit is refused at the next."""
    git = ["git", "-C", str(g.project), "-c", "user.email=dana@example.com", "-c", "user.name=dana"]
    subprocess.run([*git, "init", "-q"], check=True)
    (g.project / ".gitignore").write_text("target/\nlogs/\ndbt_packages/\n*.duckdb\n*.dsse.json\n")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    plan = g.plan()
    assert len(plan["plan"]["git"]["commit"]) == 40 and plan["plan"]["git"]["dirty"] is False  # type: ignore[index]
    approval = g.approve(plan["commands"], "c.dsse.json")  # type: ignore[arg-type]
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "two"], check=True)
    before = g.tables()
    r = g.build(approval)
    assert r.returncode == 3 and "build.approval" in r.stderr, r.stderr[-2000:]
    assert g.tables() == before


def drift_denied(g: Gate) -> None:
    """A model whose SQL differs at run time from its plan: drift recorded, denied by a rule."""
    # The same at every plan (so it can be approved), different when dbt executes it.
    (g.project / "models" / "stamped.sql").write_text(
        "select {{ 1 if invocation_args_dict.get('which') == 'compile' else 2 }} as phase\n")
    plan = g.plan("--select", "stamped")
    approval = g.approve(plan["commands"], "d.dsse.json")  # type: ignore[arg-type]
    r = g.build(approval, "--select", "stamped")
    assert r.returncode == 1 and "no-drift" in r.stderr, r.stdout[-2000:] + r.stderr[-2000:]
    bundle = bundles(g.project)[-1]
    drift = [e["data"] for e in journal_of(bundle) if e["kind"] == "plan.drift"]
    assert drift and drift[0]["rule"] == "plan.sql_changed" and drift[0]["asset"] == "model.shop.stamped", drift  # type: ignore[index]
    decisions = manifest_of(bundle)["policy"]["decisions"]  # type: ignore[index]
    assert {"rule": "no-drift", "decision": "deny", "mode": "enforce", "reason": "the run drifted from its approved plan"} in decisions
    verdict = clyra.verify(bundle, g.trust, policy=g.project / ".clyra" / "policy.yaml")
    assert verdict.ok, [(c.code, c.message) for c in verdict.checks if c.severity != "ok"]


def hold_and_resume(g: Gate) -> None:
    """--hold writes the request and exits 5; resume with the approval runs exactly that plan, once."""
    before = g.tables()
    r = g.clyra("build", "--project-dir", str(g.project), "--hold", "--", "--target", g.target)
    assert r.returncode == 5, r.stdout[-2000:] + r.stderr[-2000:]
    assert g.tables() == before and bundles(g.project) == []
    [hold] = (g.project / ".clyra" / "holds").glob("*.json")
    commands = [line.strip() for line in r.stderr.splitlines() if line.strip().startswith("clyra ")]
    assert commands[-1].startswith(f"clyra dbt resume {hold}")
    approval = g.approve(commands, "h.dsse.json")
    held = json.loads(hold.read_text())["digest"]
    r = g.clyra("resume", str(hold), "--project-dir", str(g.project), "--approval", f"{approval[0]}={approval[1]}",
                "--approver-key", str(g.project / "lee.pub"))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    [bundle] = bundles(g.project)
    assert manifest_of(bundle)["change"]["plan"] == held  # type: ignore[index]
    assert not hold.exists(), "a hold runs once"
    again = g.clyra("resume", str(hold), "--project-dir", str(g.project))
    assert again.returncode == 4 and "not a hold" in again.stderr


def shadow_unchanged(g: Gate) -> None:
    """In shadow mode the gate records and never stops: the run goes ahead without approval."""
    (g.project / ".clyra" / "policy.yaml").write_text(POLICY.replace("  mode: enforce", "  mode: shadow"))
    r = g.build(None)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    m = manifest_of(bundles(g.project)[-1])
    assert m["approvals"]["required"] == 0  # type: ignore[index]
    assert [d["mode"] for d in m["policy"]["decisions"]] == ["shadow"]  # type: ignore[index]
    verify_both(bundles(g.project)[-1], g.project / ".clyra" / "trust.json", policy=g.project / ".clyra" / "policy.yaml")


def plain_dbt_fails_closed(g: Gate) -> None:
    """Opted in (`gate.fail_closed`), plain `dbt build` on the production target stops in its
    on-run-start hook before any model; `clyra dbt build` with the approval runs."""
    config = g.project / ".clyra" / "config.json"
    c = json.loads(config.read_text())
    c["gate"] = {"fail_closed": ["production"]}
    config.write_text(json.dumps(c))
    plan = g.plan()  # any clyra dbt command installs the package with the gated targets
    before = g.tables()
    dbt = subprocess.run([str(BIN / "dbt"), "build", "--project-dir", str(g.project), "--target", g.target],
                         cwd=g.project, capture_output=True, text=True, env={**os.environ, **g.env})
    assert dbt.returncode != 0 and "clyra dbt build" in dbt.stdout, dbt.stdout[-2000:]
    assert g.tables() == before
    r = g.build(g.approve(plan["commands"], "p.dsse.json"))  # type: ignore[arg-type]
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert g.tables() != before
