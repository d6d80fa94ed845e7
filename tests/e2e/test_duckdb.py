"""The dbt story on dbt-duckdb (embedded): sealed, verified, tampering caught, deltas, bad input."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import clyra
from common import build, bundles, story, verify_both
from conftest import BIN, clyra as run_clyra, rust_clyra


def test_two_runs_with_a_schema_change(shop: Path) -> None:
    first, second = story(shop, "dev")
    manifest = json.loads(zipfile.ZipFile(first).read("manifest.json"))
    assert manifest["producer"]["host"].startswith("dbt-core 1.11.")
    assert manifest["def"]["run"]["environment"] == "dev"
    assert manifest["change"]["environment"] == "test"
    kinds = [json.loads(line)["kind"] for line in zipfile.ZipFile(first).read("journal.ndjson").splitlines()]
    assert kinds[0] == "run.started" and kinds[-1] == "run.finished"
    assert "asset.changed" in kinds and "test.result" in kinds and "node.finished" in kinds
    # Compiled SQL is recorded by digest.
    assert any("compiled_sql" in json.loads(line)["data"] for line in zipfile.ZipFile(first).read("journal.ndjson").splitlines())
    assert (shop / ".clyra" / "state" / "last.json").is_file()


def test_failing_test_keeps_dbt_exit_code_and_is_recorded(shop: Path) -> None:
    assert run_clyra("dbt", "init", "--project-dir", str(shop), cwd=shop).returncode == 0
    bundle = build(shop, "--vars", "{phase: 3}", expect=1)
    manifest = json.loads(zipfile.ZipFile(bundle).read("manifest.json"))
    assert manifest["def"]["run"]["status"] == "partial"
    failed = [t for t in manifest["def"]["tests"] if t["status"] == "fail"]
    assert len(failed) == 1 and failed[0]["asset"] == "model.shop.orders" and failed[0]["failures"] == 1
    assert manifest["risk"]["factors"]["violations_critical"] == 1
    # The starting policy's enforced `dbt-tests-failed` denied the run: the bundle needs the policy.
    assert manifest["policy"]["required"] is True
    assert [d["rule"] for d in manifest["policy"]["decisions"] if d["mode"] == "enforce"] == ["dbt-tests-failed"]
    verify_both(bundle, shop / ".clyra" / "trust.json", policy=shop / ".clyra" / "policy.yaml")


def test_seal_a_run_made_by_plain_dbt(shop: Path) -> None:
    assert run_clyra("dbt", "init", "--project-dir", str(shop), cwd=shop).returncode == 0
    dbt = subprocess.run([str(BIN / "dbt"), "build", "--project-dir", str(shop)], cwd=shop, capture_output=True, text=True)
    assert dbt.returncode == 0, dbt.stdout[-2000:]
    r = run_clyra("dbt", "seal", "--project-dir", str(shop), cwd=shop)
    assert r.returncode == 0, r.stderr
    [bundle] = bundles(shop)
    verify_both(bundle, shop / ".clyra" / "trust.json")
    manifest = json.loads(zipfile.ZipFile(bundle).read("manifest.json"))
    # The hook's facts came from logs/dbt.log: every relation got a fingerprint.
    assert all("after" in a for a in manifest["def"]["assets"])
    again = run_clyra("dbt", "seal", "--project-dir", str(shop), cwd=shop)
    assert again.returncode == 4 and "already sealed" in again.stderr


def test_bad_input_is_one_line_and_leaves_no_bundle(shop: Path) -> None:
    r = run_clyra("dbt", "build", "--project-dir", str(shop), cwd=shop)
    assert r.returncode == 4 and r.stderr.count("\n") == 1 and "clyra dbt init" in r.stderr
    assert run_clyra("dbt", "init", "--project-dir", str(shop), cwd=shop).returncode == 0
    # An unmapped target: the gate cannot place the plan, so dbt never runs; one line saying how to fix it.
    config = shop / ".clyra" / "config.json"
    config.write_text(json.dumps({"version": 0, "environments": {"prod": "production"}}))
    r = run_clyra("dbt", "build", "--project-dir", str(shop), cwd=shop)
    assert r.returncode == 4, r.stderr[-2000:]
    assert "seal.environment" in r.stderr and "environments" in r.stderr and r.stderr.count("\n") == 1
    assert bundles(shop) == [] and not (shop / "target" / "run_results.json").exists()
    config.write_text(json.dumps({"version": 0, "environments": {"dev": "development"}}))
    # A corrupt artifact of a run made by plain dbt.
    assert subprocess.run([str(BIN / "dbt"), "build", "--project-dir", str(shop)], cwd=shop, capture_output=True).returncode == 0
    (shop / "target" / "run_results.json").write_text('{"metadata": {"invocation_id": "x"}')
    r = run_clyra("dbt", "seal", "--project-dir", str(shop), cwd=shop)
    assert r.returncode == 4 and len(r.stderr.strip().splitlines()) == 1 and "corrupt" in r.stderr, r.stderr
    (shop / "target" / "run_results.json").unlink()
    r = run_clyra("dbt", "seal", "--project-dir", str(shop), cwd=shop)
    assert r.returncode == 4 and "run_results.json" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    # A missing key.
    dbt = subprocess.run([str(BIN / "dbt"), "build", "--project-dir", str(shop)], cwd=shop, capture_output=True, text=True)
    assert dbt.returncode == 0
    (shop / ".clyra" / "keys" / "clyra.key").unlink()
    r = run_clyra("dbt", "seal", "--project-dir", str(shop), cwd=shop)
    assert r.returncode == 4 and "clyra dbt init" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert bundles(shop) == []
    assert not list((shop / "target").glob("clyra/.*.tmp"))


def test_guard_macros(shop: Path) -> None:
    assert run_clyra("dbt", "init", "--project-dir", str(shop), cwd=shop).returncode == 0
    merge = "{{ clyra.safe_merge(ref('orders'), ref('stg_orders'), ['order_id'], ['status']) }}"
    out = subprocess.run([str(BIN / "dbt"), "compile", "--project-dir", str(shop), "--inline", merge], cwd=shop, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-2000:]
    assert "when not matched then insert (order_id, status)" in out.stdout
    assert "delete" not in out.stdout.lower()
    bad = "{{ clyra.safe_merge(ref('orders'), ref('stg_orders'), ['order_id'], ['order_id']) }}"
    out = subprocess.run([str(BIN / "dbt"), "compile", "--project-dir", str(shop), "--inline", bad], cwd=shop, capture_output=True, text=True)
    assert out.returncode != 0 and "part of the key" in out.stdout
    gate = "{{ clyra.require_approval('orders-v2') }} select 1"
    out = subprocess.run([str(BIN / "dbt"), "compile", "--project-dir", str(shop), "--inline", gate], cwd=shop, capture_output=True, text=True)
    assert out.returncode != 0 and "needs a signed approval" in out.stdout
    out = subprocess.run([str(BIN / "dbt"), "compile", "--project-dir", str(shop), "--inline", gate, "--vars", "{clyra_approved: orders-v2}"], cwd=shop, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-2000:]


def test_approved_run(shop: Path) -> None:
    env = {"CLYRA_ACTOR": "dana@example.com", "CLYRA_DEPLOYER": "svc-ci"}
    assert run_clyra("dbt", "init", "--project-dir", str(shop), cwd=shop, env=env).returncode == 0
    # Without an approval, the gated model fails compilation in plain and clyra runs alike.
    r = run_clyra("dbt", "build", "--project-dir", str(shop), "--", "--vars", "{phase: 4}", cwd=shop, env=env)
    assert r.returncode != 0 and "needs a signed approval" in (r.stdout + r.stderr), r.stdout[-3000:]
    sealed = set(bundles(shop))  # the failed run is sealed too (status partial)
    # The approver signs the plan's change (`clyra dbt plan` prints the request and a nonce).
    planned = run_clyra("dbt", "plan", "--project-dir", str(shop), "--change-id", "orders-v2", "--format", "json",
                        "--", "--target", "dev", "--vars", "{phase: 4}", cwd=shop, env=env)
    assert planned.returncode == 0, planned.stderr[-2000:]
    plan = json.loads(planned.stdout)
    change = plan["change"]
    assert change == {"subject": "orders-v2", "kind": "schema", "actor": "dana@example.com", "deployer": "svc-ci",
                      "environment": "development", "plan": plan["digest"]}
    request = shop / "target" / "clyra" / "plans" / f"{plan['digest'][7:23]}.request.json"
    approver = clyra.keygen()
    (shop / "lee.pub").write_text(approver.public_pem)
    now = dt.datetime.now(dt.timezone.utc)
    stamp = lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    envelope = clyra.approve(request.read_text(), approver.private_pem, sso_sub="lee@example.com", idp_domain="idp.example",
                             nonce="n-0123456789abcdef", approved_at=stamp(now - dt.timedelta(minutes=1)),
                             expires_at=stamp(now + dt.timedelta(hours=1)), mfa_verified=True)
    (shop / "lee.dsse.json").write_bytes(envelope)
    wrong = run_clyra("dbt", "build", "--project-dir", str(shop), "--approval", f"{shop / 'lee.dsse.json'}=n-ffffffffffffffff",
                      "--approver-key", str(shop / "lee.pub"), "--change-id", "orders-v2", "--", "--target", "dev", "--vars", "{phase: 4}", cwd=shop, env=env)
    assert wrong.returncode == 3 and "does not cover" in wrong.stderr and set(bundles(shop)) == sealed, wrong.stderr
    bundle = build(shop, "--target", "dev", "--vars", "{phase: 4}", env=env, extra=[
        "--approval", f"{shop / 'lee.dsse.json'}=n-0123456789abcdef", "--approver-key", str(shop / "lee.pub"), "--change-id", "orders-v2"])
    trust = json.loads((shop / ".clyra" / "trust.json").read_text())
    trust["keys"].append({"keyid": approver.keyid, "scheme": approver.scheme, "public_key_pem": approver.public_pem, "roles": ["approver"]})
    (shop / "trust-with-approver.json").write_text(json.dumps(trust))
    verdict = clyra.verify(bundle, shop / "trust-with-approver.json")
    assert verdict.ok, [(c.code, c.message) for c in verdict.checks if c.severity != "ok"]
    manifest = json.loads(zipfile.ZipFile(bundle).read("manifest.json"))
    assert manifest["approvals"]["required"] == 1 and len(manifest["approvals"]["entries"]) == 1
    assert manifest["change"] == change


def _verify_with_policy(bundle: Path, trust: Path, policy: Path) -> dict[str, object]:
    r = subprocess.run([*rust_clyra(), "verify", str(bundle), "--trust", str(trust), "--policy", str(policy), "--format", "json"],
                       capture_output=True, text=True)
    verdict: dict[str, object] = json.loads(r.stdout)
    verdict["exit"] = r.returncode
    return verdict


ENFORCED_DENY = """version: 1
name: e2e
default_decision: allow
data_platform:
  mode: enforce
  rules:
    - id: no-orders
      when: '"model.shop.orders" in dbt.models'
      decision: deny
      reason: orders are frozen
"""


def test_policy_is_hashed_decided_and_enforced(shop: Path) -> None:
    assert run_clyra("dbt", "init", "--project-dir", str(shop), cwd=shop).returncode == 0
    policy = shop / ".clyra" / "policy.yaml"
    trust = shop / ".clyra" / "trust.json"
    # `clyra dbt init` wrote the core's starting policy, byte for byte what `clyra policy init` writes.
    starter = subprocess.run([*rust_clyra(), "policy", "init", "--env", "dev"], capture_output=True, text=True)
    assert policy.read_text() == starter.stdout
    bundle = build(shop)
    manifest = json.loads(zipfile.ZipFile(bundle).read("manifest.json"))
    assert manifest["policy"]["hash"] == clyra.load_policy(policy)["policy_hash"]
    verdict = _verify_with_policy(bundle, trust, policy)
    assert verdict["exit"] == 0 and verdict["outcome"] == "VALID", verdict
    assert clyra.verify(bundle, trust, policy=policy).outcome == "VALID"
    # Another policy does not match the hash the bundle records.
    other = shop / "other.yaml"
    other.write_text(ENFORCED_DENY)
    mismatch = _verify_with_policy(bundle, trust, other)
    assert mismatch["primary"] == "policy.hash_mismatch" and mismatch["exit"] != 0, mismatch
    # A shadow deny only records: the run succeeds, the decision is in the manifest and journal.
    policy.write_text(ENFORCED_DENY.replace("      reason:", "      mode: shadow\n      reason:"))
    shadow = build(shop)
    decisions = json.loads(zipfile.ZipFile(shadow).read("manifest.json"))["policy"]["decisions"]
    assert decisions == [{"rule": "no-orders", "decision": "deny", "mode": "shadow", "reason": "orders are frozen"}]
    kinds = [json.loads(line)["kind"] for line in zipfile.ZipFile(shadow).read("journal.ndjson").splitlines()]
    assert "policy.decided" in kinds
    assert _verify_with_policy(shadow, trust, policy)["exit"] == 0
    # An enforced deny on facts the plan knows stops the command before dbt runs: no run, no bundle.
    policy.write_text(ENFORCED_DENY)
    before = bundles(shop)
    r = run_clyra("dbt", "build", "--project-dir", str(shop), cwd=shop)
    assert r.returncode == 3 and "no-orders" in r.stderr and "before it starts" in r.stderr, r.stderr[-2000:]
    assert bundles(shop) == before
    # A run made by plain dbt and sealed from its artifacts is judged after the fact: exit 1.
    dbt = subprocess.run([str(BIN / "dbt"), "build", "--project-dir", str(shop)], cwd=shop, capture_output=True, text=True)
    assert dbt.returncode == 0
    r = run_clyra("dbt", "seal", "--project-dir", str(shop), cwd=shop)
    assert r.returncode == 1 and "policy denies this run" in r.stderr, r.stderr
    denied = bundles(shop)[-1]
    assert json.loads(zipfile.ZipFile(denied).read("manifest.json"))["policy"]["decisions"][0]["mode"] == "enforce"
    assert _verify_with_policy(denied, trust, policy)["exit"] == 0
    # An enforced require_approval without an approval: `clyra dbt build` refuses before dbt runs;
    # the plain run sealed afterwards requires one, holds none, and its verifier reports the shortfall.
    policy.write_text(ENFORCED_DENY.replace("decision: deny", "decision: require_approval"))
    r = run_clyra("dbt", "build", "--project-dir", str(shop), cwd=shop)
    assert r.returncode == 3 and "policy requires 1 approval(s)" in r.stderr and "clyra approve --spec" in r.stderr, r.stderr[-2000:]
    dbt = subprocess.run([str(BIN / "dbt"), "build", "--project-dir", str(shop)], cwd=shop, capture_output=True, text=True)
    assert dbt.returncode == 0
    r = run_clyra("dbt", "seal", "--project-dir", str(shop), cwd=shop)
    assert r.returncode == 1 and "policy requires 1 approval(s)" in r.stderr, r.stderr[-2000:]
    unapproved = bundles(shop)[-1]
    m = json.loads(zipfile.ZipFile(unapproved).read("manifest.json"))
    assert m["approvals"]["required"] == 1 and m["policy"]["required"] is True, m["approvals"]
    v = _verify_with_policy(unapproved, trust, policy)
    assert v["primary"] == "approval.insufficient" and v["exit"] != 0, v
    assert clyra.verify(unapproved, trust, policy=policy).primary == "approval.insufficient"
    # In shadow mode it is recorded only: the run passes, the count stays 0, the risk counts the bypass.
    policy.write_text(ENFORCED_DENY.replace("decision: deny", "decision: require_two_person")
                      .replace("      reason:", "      mode: shadow\n      reason:"))
    bypassed = json.loads(zipfile.ZipFile(build(shop)).read("manifest.json"))
    assert bypassed["approvals"]["required"] == 0 and bypassed["policy"]["required"] is False
    assert bypassed["risk"]["factors"]["approval_bypassed"] is True
    # A malformed policy: one line, no bundle.
    policy.write_text("version: 1\nname: &a x\n")
    before = bundles(shop)
    r = run_clyra("dbt", "build", "--project-dir", str(shop), cwd=shop)
    assert "policy.yaml_subset" in r.stderr and bundles(shop) == before, r.stderr


def _duckdb_gate(shop: Path):  # type: ignore[no-untyped-def]
    import os

    import duckdb
    from gate import Gate

    def tables() -> list[tuple[str, ...]]:
        path = os.environ["SHOP_DUCKDB"]
        if not Path(path).exists():
            return []
        con = duckdb.connect(path, read_only=True)
        try:
            return sorted(con.execute("select table_schema, table_name from information_schema.tables").fetchall())
        finally:
            con.close()

    return Gate(shop, "dev", {}, tables)


def test_gate_refuses_before_dbt_runs_and_binds_approvals_to_the_plan(shop: Path) -> None:
    from gate import refused_then_approved

    refused_then_approved(_duckdb_gate(shop))


def test_gate_binds_the_git_commit(shop: Path) -> None:
    from gate import another_commit

    another_commit(_duckdb_gate(shop))


def test_gate_drift_is_recorded_and_denied(shop: Path) -> None:
    from gate import drift_denied

    drift_denied(_duckdb_gate(shop))


def test_gate_hold_and_resume(shop: Path) -> None:
    from gate import hold_and_resume

    hold_and_resume(_duckdb_gate(shop))


def test_gate_shadow_mode_only_records(shop: Path) -> None:
    from gate import shadow_unchanged

    shadow_unchanged(_duckdb_gate(shop))


def test_gate_plain_dbt_fails_closed_when_opted_in(shop: Path) -> None:
    from gate import plain_dbt_fails_closed

    plain_dbt_fails_closed(_duckdb_gate(shop))
