"""The dbt story both warehouses share: init, two builds with a schema change, verification by
the Rust CLI and the Python API, tampering, semantic delta."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import clyra
from conftest import clyra as run_clyra, rewrite, rust_clyra

import subprocess


def bundles(project: Path) -> list[Path]:
    return sorted((project / "target" / "clyra").glob("*.zip"), key=lambda p: p.stat().st_mtime)


def build(project: Path, *dbt_args: str, env: dict[str, str] | None = None, expect: int = 0, extra: tuple[str, ...] | list[str] = ()) -> Path:
    before = set(bundles(project))
    r = run_clyra("dbt", "build", "--project-dir", str(project), *extra, "--", *dbt_args, cwd=project, env=env)
    assert r.returncode == expect, r.stdout[-3000:] + r.stderr[-3000:]
    new = [b for b in bundles(project) if b not in before]
    assert len(new) == 1, r.stdout[-2000:] + r.stderr[-2000:]
    return new[0]


def verify_both(bundle: Path, trust: Path, policy: Path | None = None) -> clyra.Verdict:
    """The bundle verifies VALID with the Rust CLI and with the Python API, with equal verdicts."""
    given = ["--policy", str(policy)] if policy else []
    cli = subprocess.run([*rust_clyra(), "verify", str(bundle), "--trust", str(trust), *given, "--format", "json"],
                         capture_output=True, text=True)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    from_cli = json.loads(cli.stdout)
    verdict = clyra.verify(bundle, trust, policy=policy)
    assert verdict.outcome == from_cli["outcome"] == "VALID"
    assert verdict.primary == from_cli["primary"]
    assert [c.code for c in verdict.checks] == [c["code"] for c in from_cli["checks"]]
    return verdict


def assert_tampering_caught(bundle: Path, trust: Path) -> None:
    """Changing one byte of any artifact, the journal or the manifest makes the bundle INVALID."""
    data = bundle.read_bytes()
    names = [n for n in zipfile.ZipFile(bundle).namelist() if n.startswith("artifacts/")] + ["journal.ndjson", "manifest.json"]
    assert any(n.startswith("artifacts/dbt/") for n in names)
    for name in names:
        def flip(b: bytes) -> bytes:
            i = len(b) // 2
            return b[:i] + bytes([b[i] ^ 0x01]) + b[i + 1:]

        verdict = clyra.verify(rewrite(data, name, flip), trust)
        assert verdict.outcome == "INVALID", (name, verdict.primary)
        if name.startswith("artifacts/"):
            assert verdict.primary == "artifact.digest_mismatch", (name, verdict.primary)


def assert_ledger(project: Path, ledger: Path, trust: Path, sealed: list[Path]) -> None:
    """Both sealed bundles are in the project's ledger (spec/ledger-v0.md): it verifies whole and
    consistent with the checkpoint kept after the first run, and each bundle's ledger receipt adds
    a passing inclusion check to `clyra verify`."""
    key = json.loads((ledger / "ledger.json").read_text())["key"]
    cli = rust_clyra()
    r = subprocess.run([*cli, "ledger", "verify", str(ledger), "--key", key, "--since", str(project / "checkpoint-1"),
                        "--format", "json"], capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(r.stdout)["outcome"] == "VALID", r.stdout + r.stderr
    assert (ledger / "checkpoint").read_text().splitlines()[1] == str(len(sealed))
    proof = project / "consistency.json"
    r = subprocess.run([*cli, "ledger", "prove", "--since", str(project / "checkpoint-1"), "--ledger", str(ledger),
                        "--out", str(proof)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([*cli, "ledger", "check", str(proof), "--key", key, "--format", "json"], capture_output=True, text=True)
    assert json.loads(r.stdout)["outcome"] == "VALID", r.stdout
    for i, bundle in enumerate(sealed):
        receipt = project / f"ledger-receipt-{i}.json"
        r = subprocess.run([*cli, "ledger", "prove", str(bundle), "--ledger", str(ledger), "--out", str(receipt)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert json.loads(receipt.read_text())["index"] == i
        r = subprocess.run([*cli, "verify", str(bundle), "--trust", str(trust), "--ledger-proof", str(receipt),
                            "--ledger-key", key, "--format", "json"], capture_output=True, text=True)
        checks = json.loads(r.stdout)["checks"]
        assert r.returncode == 0 and [c["code"] for c in checks if c["step"] == "ledger"] == ["ok"] * 5, r.stdout


def schema_deltas(bundle: Path) -> list[dict[str, object]]:
    deltas: list[dict[str, object]] = clyra.inspect(bundle).get("schema_deltas", [])
    return deltas


def story(project: Path, target: str, env: dict[str, str] | None = None) -> tuple[Path, Path]:
    """Init, build twice with the schema change between; both bundles verified; returns them."""
    init = run_clyra("dbt", "init", "--project-dir", str(project), "--env", f"{target}=test", cwd=project, env=env)
    assert init.returncode == 0, init.stderr
    trust = project / ".clyra" / "trust.json"
    first = build(project, "--target", target, env=env)
    ledger = project / ".clyra" / "ledger"
    (project / "checkpoint-1").write_bytes((ledger / "checkpoint").read_bytes())
    second = build(project, "--target", target, "--vars", "{phase: 2}", env=env)
    verify_both(first, trust)
    verify_both(second, trust)
    assert_ledger(project, ledger, trust, [first, second])
    deltas = {d["id"]: d for d in schema_deltas(second)}
    orders = deltas["model.shop.orders"]
    assert orders["columns_added"] == ["amount"]
    assert "amount_cents" in orders["columns_changed"]  # retyped to bigint
    assert set(deltas) == {"model.shop.orders"}, deltas  # nothing else changed schema
    manifest = json.loads(zipfile.ZipFile(second).read("manifest.json"))
    assert manifest["def"]["run"]["status"] == "success"
    assert manifest["change"]["kind"] == "schema"
    assert {t["status"] for t in manifest["def"]["tests"]} == {"pass"}
    assert_tampering_caught(second, trust)
    # The post-hook `update … set reviewed = true` of order_flags has no WHERE: flagged, once per run.
    for bundle in (first, second):
        events = [json.loads(line) for line in zipfile.ZipFile(bundle).read("journal.ndjson").splitlines()]
        findings = [e["data"] for e in events if e["kind"] == "sql.finding"]
        assert [(f["asset"], f["rule"]) for f in findings] == [("model.shop.order_flags", "sql.update_without_where")], findings
        assert json.loads(zipfile.ZipFile(bundle).read("manifest.json"))["risk"]["factors"]["sql_findings"] == 1
    return first, second
