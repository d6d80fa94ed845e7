"""dbt evidence (bindings/python/src/dbt.rs) and the pieces of `clyra.dbt` that need no dbt run:
fingerprints, sealing recorded artifacts (Snowflake and Databricks adapter responses recorded from
their dbt adapters, since no such warehouse is reachable here), facts, state, atomic writes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import clyra
from clyra import _clyra
from clyra.dbt.project import ClyraDir, SetupError, write_atomic
from clyra.dbt.runner import FactsCollector, target_path_of
from clyra.dbt.seal import facts_from_log
from conftest import AT

INV = "5f0c8a4e-7d2b-4c1e-9a63-0b8e2f4d1c77"


def test_fingerprint_worked_example_of_def_v0() -> None:
    cols = [
        {"name": "ORDER_ID", "type": "NUMBER(38,0)", "nullable": False},
        {"name": "CUSTOMER_ID", "type": "NUMBER(38,0)", "nullable": True},
        {"name": "ORDER_TOTAL", "type": "  number(12,  2) ", "nullable": True},
        {"name": "STATUS", "type": "VARCHAR(16)", "nullable": True},
        {"name": "ORDERED_AT", "type": "TIMESTAMP_NTZ(9)", "nullable": False},
    ]
    assert clyra.fingerprint("SHOP.ANALYTICS.ORDERS", cols) == "sha256:1bbc5984ae3a55f63bce128380a6247fbf84db874b03804ebcc9dd6d59c27631"
    with pytest.raises(clyra.SealError) as e:
        clyra.fingerprint("a.b.c", cols + cols[:1])
    assert e.value.code == "seal.columns"


def artifacts(adapter: str, response: dict[str, Any]) -> tuple[bytes, bytes]:
    timing = [{"name": "execute", "started_at": "2026-11-20T09:00:06.000Z", "completed_at": "2026-11-20T09:00:31.900Z"}]
    run_results = {
        "metadata": {"dbt_version": "1.11.2", "invocation_id": INV, "invocation_started_at": "2026-11-20T09:00:04.100Z",
                     "generated_at": "2026-11-20T09:00:45.500Z"},
        "elapsed_time": 41.4, "args": {"which": "build"},
        "results": [{"unique_id": "model.shop.orders", "status": "success", "adapter_response": response,
                     "timing": timing, "compiled_code": "select 1", "failures": None}],
    }
    manifest = {"metadata": {"invocation_id": INV, "project_name": "shop", "adapter_type": adapter},
                "nodes": {"model.shop.orders": {"resource_type": "model", "database": "main", "schema": "shop", "alias": "orders",
                                                "depends_on": {"nodes": ["model.shop.stg_orders"]}}}}
    return json.dumps(run_results).encode(), json.dumps(manifest).encode()


def seal(key: clyra.KeyPair, adapter: str, response: dict[str, Any], facts: Any = None, **context: Any) -> dict[str, Any]:
    rr, man = artifacts(adapter, response)
    call = {"context": {"producer_version": "0.1.0", "created_at": "2026-11-20T09:00:47Z", "actor": "maria@example.com",
                        "environments": {"prod": "production"}, "target": "prod", **context},
            "facts": facts, "keys": [key.private_pem.decode()], "signed_at": "2026-11-20T09:00:48Z"}
    result, bundle = _clyra.dbt_seal(json.dumps(call), rr, man, [("compiled/orders.sql", b"select 1")])
    r: dict[str, Any] = json.loads(result)
    r["bytes"] = bundle
    assert clyra.verify(bundle, key.public_pem, at=AT).outcome == "VALID"
    return r


def test_snowflake_query_id_anchor_from_recorded_adapter_response(key: clyra.KeyPair) -> None:
    # dbt-snowflake 1.11 run_results.json adapter_response of a table model.
    response = {"_message": "SUCCESS 1", "code": "SUCCESS", "rows_affected": 1, "query_id": "01b8e4a2-0305-6c1d-0000-00a1b2c3d4e5"}
    r = seal(key, "snowflake", response, facts={"invocation_id": INV, "session_tags": {"dbt_model": "model.shop.orders"}},
             artifacts={"compiled/orders.sql": "application/sql"})
    assert r["spec"]["anchors"] == [{"kind": "snowflake", "query_id": "01b8e4a2-0305-6c1d-0000-00a1b2c3d4e5",
                                     "session_tags": {"dbt_model": "model.shop.orders"}, "asset": "model.shop.orders"}]
    assert r["spec"]["change"]["environment"] == "production" and r["spec"]["risk"]["factors"]["production"] is True
    # A failed Snowflake query carries no query_id: no anchor is invented.
    assert seal(key, "snowflake", {"_message": "ERROR"})["spec"]["anchors"] == []


def test_databricks_delta_version_from_recorded_history(key: clyra.KeyPair) -> None:
    # dbt-databricks adapter_response and the `DESCRIBE HISTORY` rows the hook logs.
    response = {"_message": "OK", "rows_affected": -1, "query_id": "01ef5b2c-d7a1-1c4e-9f3e-8a2b6c0d4e1f"}
    history = {"main.shop.orders": [
        {"version": 7, "timestamp": "2026-11-20 09:00:31.123000", "operation": "CREATE OR REPLACE TABLE AS SELECT"},
        {"version": 6, "timestamp": "2026-11-19 22:00:00", "operation": "WRITE"}]}
    r = seal(key, "databricks", response, facts={"invocation_id": INV, "history": history})
    assert r["spec"]["anchors"] == [{"kind": "databricks", "table": "main.shop.orders", "delta_version": 7, "asset": "model.shop.orders"}]
    event = [e for e in r["spec"]["journal"] if e["kind"] == "anchor.recorded"][0]
    assert event["data"]["query_id"] == "01ef5b2c-d7a1-1c4e-9f3e-8a2b6c0d4e1f"


def test_seal_errors_are_one_coded_exception(key: clyra.KeyPair) -> None:
    rr, man = artifacts("duckdb", {})
    call = {"context": {"producer_version": "0", "created_at": "2026-11-20T09:00:47Z", "actor": "a", "environments": {}, "target": "dev"},
            "keys": [key.private_pem.decode()], "signed_at": "2026-11-20T09:00:48Z"}
    with pytest.raises(clyra.SealError) as e:
        _clyra.dbt_seal(json.dumps(call), rr, man, [])
    assert e.value.code == "seal.environment" and e.value.help and "config.json" in e.value.help
    with pytest.raises(clyra.SealError) as e2:
        _clyra.dbt_seal(json.dumps(call), b"{", man, [])
    assert e2.value.code == "seal.artifact"


TEST_SIGNER = Path(__file__).resolve().parents[2] / "signer" / "tests" / "data" / "openssl-signer.sh"


def test_seal_and_gate_sign_through_a_key_uri(tmp_path: Path, key: clyra.KeyPair) -> None:
    # The dbt config's `key` as a signer command (spec/signer-command-v0.md): the bundle is signed
    # by the command's key, and the project's key file is not needed.
    pem = tmp_path / "kms.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(pem)], check=True)
    public = subprocess.run(["openssl", "pkey", "-in", str(pem), "-pubout"], check=True, capture_output=True).stdout
    uri = f"cmd:/usr/bin/env CLYRA_TEST_SIGNER_KEY={pem} {TEST_SIGNER}"
    rr, man = artifacts("duckdb", {})
    call = {"context": {"producer_version": "0.1.0", "created_at": "2026-11-20T09:00:47Z", "actor": "maria@example.com",
                        "environments": {"prod": "production"}, "target": "prod"},
            "keys": [], "signed_at": "2026-11-20T09:00:48Z"}
    _, bundle = _clyra.dbt_seal(json.dumps(call), rr, man, [], [uri])
    assert clyra.verify(bundle, public, at=AT).outcome == "VALID"
    assert clyra.verify(bundle, key.public_pem, at=AT).outcome == "VALID_UNTRUSTED"
    # A refused signer is one coded exception, and a PIN in a URI never reaches the message.
    with pytest.raises(clyra.SigningKeyError) as e:
        _clyra.dbt_seal(json.dumps(call), rr, man, [], ["pkcs11:object=k?pin-value=hunter2-secret"])
    assert e.value.code == "signer.pin" and "hunter2" not in str(e.value)
    with pytest.raises(clyra.SigningKeyError) as e:
        # No key for the test signer: its `public-key` run fails.
        _clyra.dbt_gate(json.dumps({"plan": {}}), [f"cmd:/usr/bin/env -u CLYRA_TEST_SIGNER_KEY {TEST_SIGNER}"])
    assert e.value.code == "signer.failed"
    # The project reads `key` from .clyra/config.json.
    project = tmp_path / "p"
    (project / ".clyra").mkdir(parents=True)
    (project / ".clyra" / "config.json").write_text(json.dumps({"environments": {}, "key": uri}))
    assert ClyraDir(project).producer_keys() == ([], [uri]) and ClyraDir(project).ledger_key() == uri
    (project / ".clyra" / "config.json").write_text(json.dumps({"environments": {}, "key": 7}))
    with pytest.raises(SetupError):
        ClyraDir(project).producer_keys()


def test_facts_collector_and_log(tmp_path: Path) -> None:
    c = FactsCollector()
    event = lambda name, msg: SimpleNamespace(info=SimpleNamespace(name=name, invocation_id=INV), data=SimpleNamespace(msg=msg))  # noqa: E731
    c(event("MainReportVersion", ""))
    c(event("JinjaLogDebug", 'CLYRA_FACTS {"invocation_id": "%s", "target": "dev"}' % INV))
    c(event("JinjaLogDebug", "CLYRA_FACTS {broken"))
    assert c.invocation_id == INV and c.facts == {"invocation_id": INV, "target": "dev"} and len(c.errors) == 1
    log = tmp_path / "dbt.log"
    log.write_text(f'07:00:00 other\n07:00:01 CLYRA_FACTS {{"invocation_id": "{INV}", "target": "a"}}\n'
                   f'07:00:02 CLYRA_FACTS {{"invocation_id": "other", "target": "b"}}\n')
    assert facts_from_log(log, INV) == {"invocation_id": INV, "target": "a"}
    assert facts_from_log(tmp_path / "none.log", INV) is None


def test_target_path(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: x\ntarget-path: build_out\n")
    assert target_path_of(tmp_path, []) == tmp_path / "build_out"
    assert target_path_of(tmp_path, ["--target-path", "t2"]) == tmp_path / "t2"
    assert target_path_of(tmp_path, ["--target-path=t3"]) == tmp_path / "t3"


def test_state_and_atomic_writes(tmp_path: Path) -> None:
    d = ClyraDir(tmp_path)
    with pytest.raises(SetupError, match="dbt_project.yml"):
        d.require()
    assert d.previous_state("a") is None
    d.save_state({"invocation_id": "a", "relations": {}})
    d.save_state({"invocation_id": "b", "relations": {}})
    assert d.previous_state("c")["invocation_id"] == "b"
    assert d.previous_state("b")["invocation_id"] == "a"  # sealing b again compares with a
    (d.state_dir / "last.json").write_text("{")
    with pytest.raises(SetupError, match="corrupt state"):
        d.previous_state("c")

    target = tmp_path / "out" / "x.zip"
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert not target.exists() and os.listdir(tmp_path / "out") == []


def _dbt_project(tmp_path: Path) -> Path:
    (tmp_path / "dbt_project.yml").write_text("name: shop\n")
    return tmp_path


def test_init_key_folder_is_private_under_a_permissive_umask(tmp_path: Path) -> None:
    from clyra.dbt.init import init

    project = _dbt_project(tmp_path)
    old = os.umask(0)
    try:
        init(project, {})
    finally:
        os.umask(old)
    d = ClyraDir(project)

    def mode(p: Path) -> int:
        return os.stat(p).st_mode & 0o7777

    assert mode(d.key.parent) == 0o700
    assert mode(d.root) & 0o022 == 0 and mode(d.state_dir) & 0o022 == 0
    assert mode(d.key) == 0o600


def test_init_warns_about_a_key_folder_others_can_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from clyra.dbt.init import init

    project = _dbt_project(tmp_path)
    keys = project / ".clyra" / "keys"
    keys.mkdir(parents=True)
    os.chmod(keys, 0o777)
    init(project, {})
    err = capsys.readouterr().err
    assert err.startswith("warning: ") and "mode 0777" in err and "clyra.pub" in err


def test_init_never_replaces_a_trust_file_without_force(tmp_path: Path) -> None:
    from clyra.dbt.init import init

    project = _dbt_project(tmp_path)
    init(project, {})
    d = ClyraDir(project)
    d.key.unlink()
    d.trust.write_text("mine\n")
    with pytest.raises(SetupError, match="--force"):
        init(project, {})
    assert d.trust.read_text() == "mine\n" and not d.key.exists()
    init(project, {}, force=True)
    assert json.loads(d.trust.read_text())["version"] == 0 and d.key.exists()


def test_atomic_writes_refuse_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "real.zip"
    target.write_bytes(b"keep")
    link = tmp_path / "link.zip"
    link.symlink_to(target)
    with pytest.raises(SetupError, match="symbolic link"):
        write_atomic(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"keep"


def _plan_call(sql: str, target: str = "prod") -> str:
    context = {"producer_version": "0", "created_at": AT, "actor": "dana", "deployer": "ci",
               "environments": {"prod": "production"}, "target": target}
    nodes = [{"id": "model.shop.orders", "resource_type": "model", "materialization": "table",
              "relation": "shop.main.orders", "sql": sql}]
    policy = ("version: 1\ndata_platform:\n  rules:\n    - {id: prod, when: 'change.environment == \"production\"', "
              "decision: require_approval}\n")
    return json.dumps({"input": {"context": context, "tool_version": "1.11.2", "project": "shop", "adapter": "duckdb",
                                 "command": "build", "args": ["--target", target], "nodes": nodes}, "policy": policy})


def test_dbt_plan_and_gate_bind_approvals_to_the_plan(key: clyra.KeyPair) -> None:
    a = json.loads(_clyra.dbt_plan(_plan_call("select 1")))
    assert a["gate"] == "approval_required" and a["approvals_required"] == 1
    assert a["change"]["plan"] == a["digest"] and a["payload_hash"].startswith("sha256:")
    assert a["facts"]["dbt"]["models"] == ["model.shop.orders"]
    approver = clyra.keygen()
    envelope = clyra.approve(json.dumps(a["request"]), approver.private_pem, sso_sub="lee", idp_domain="idp.example",
                             nonce="n-0123456789abcdef", approved_at="2026-01-01T00:00:00Z", expires_at="2100-01-01T00:00:00Z")

    def gate(plan: dict[str, Any]) -> dict[str, Any]:
        call = {"plan": plan, "policy": json.loads(_plan_call("x"))["policy"], "keys": [key.private_pem.decode()],
                "approvals": [{"envelope": envelope.decode(), "nonce": "n-0123456789abcdef"}],
                "approver_keys": [approver.public_pem], "at": AT, "producer_version": "0"}
        out: dict[str, Any] = json.loads(_clyra.dbt_gate(json.dumps(call)))
        return out

    assert gate(a["plan"])["gate"] == "pass"
    other = json.loads(_clyra.dbt_plan(_plan_call("select 2")))
    refused = gate(other["plan"])
    assert refused["gate"] == "approval_required" and refused["approval_errors"][0]["code"] == "build.approval"
    with pytest.raises(clyra.SealError) as e:
        gate({"type": "not a plan"})
    assert e.value.code == "plan.invalid"
    with pytest.raises(clyra.SealError) as e:
        _clyra.dbt_plan(_plan_call("select 1", target="qa"))
    assert e.value.code == "seal.environment"


def test_gate_argument_handling() -> None:
    from clyra.dbt.gate import option, plan_args, split_args, with_vars

    args = ["--select", "a", "b+", "--target", "prod", "--project-dir", "/x", "--full-refresh", "--vars", "{p: 1}"]
    assert split_args(args)[0] == ["--select", "a", "b+"]
    assert option(args, "--target", "-t") == "prod" and option(["-t=dev"], "--target", "-t") == "dev"
    assert plan_args(args) == ["--select", "a", "b+", "--target", "prod", "--full-refresh", "--vars", "{p: 1}"]
    merged = with_vars(args, {"clyra_gate": "sha256:0"})
    assert merged[-2:] == ["--vars", json.dumps({"p": 1, "clyra_gate": "sha256:0"})]
    with pytest.raises(SetupError):
        with_vars(["--vars", "[1]"], {})


def test_gate_config_generates_the_gated_targets(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: x\n")
    clyra_dir = ClyraDir(tmp_path)
    write_atomic(clyra_dir.config_path, json.dumps({"environments": {"prod": "production", "dev": "development"},
                                                    "gate": {"fail_closed": ["production"]}}).encode())
    clyra_dir.install_package()
    generated = (clyra_dir.package_dir / "macros" / "gate_config.sql").read_text()
    assert 'return(["prod"])' in generated
    assert "on-run-start" in (clyra_dir.package_dir / "dbt_project.yml").read_text()


def test_plan_renders_for_pull_requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from clyra.dbt.cli import _render

    gated = json.loads(_clyra.dbt_plan(_plan_call("delete from shop.main.orders")))
    lines = ["clyra approve --spec r.json --nonce n-1"]
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = _render(gated, lines, "github")
    assert out.startswith("::warning title=clyra dbt plan::") and gated["digest"] in out.splitlines()[0]
    assert "| `model.shop.orders` | model | table |" in out and "sql.delete_without_where" in out
    assert "clyra approve --spec r.json --nonce n-1" in summary.read_text()
    assert json.loads(_render(gated, lines, "json"))["commands"] == lines
    text = _render(gated, lines, "text")
    assert text.startswith(f"clyra: plan {gated['digest']}") and "SQL guard error" in text
