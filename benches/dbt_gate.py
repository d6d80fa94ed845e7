#!/usr/bin/env python3
"""Cost of the dbt gate (spec/plan-v0.md) beside dbt's own `dbt compile` on the same project.

Run with the venv of `bash python/ci.sh package` (a release build of the extension):
    python/.venv/bin/python benches/dbt_gate.py [--models 1000] [--runs 5]

One process, dbt's programmatic runner, the generated N-model project of benches/dbt_overhead.py
on dbt-duckdb, set up by `clyra dbt init` with the production starting policy. Warm runs (partial
parse); medians. Columns: `dbt compile` alone (the peer: what planning needs from dbt), `clyra
plan` end to end (`make_plan`: target, git, the same compile, then the core), the core's share
(`ffi::gate::plan`: SQL digests, SQL guard on every compiled model, policy), and `gate` (core
`ffi::gate::gate` with one approval checked on a provisional bundle).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benches"))
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "False"

import clyra  # noqa: E402
from clyra import _clyra  # noqa: E402
from clyra.dbt import gate as g  # noqa: E402
from clyra.dbt.init import init  # noqa: E402
from dbt_overhead import generated_project  # noqa: E402


def median_of(runs: int, fn) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, last = [], None
    for _ in range(runs):
        start = time.perf_counter()
        last = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), last


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="clyra-gate-bench-") as tmp:
        project = Path(tmp) / "gen"
        generated_project(project, a.models)
        os.environ["DBT_PROFILES_DIR"] = str(project)
        os.environ["SHOP_DUCKDB"] = str(project / "db.duckdb")
        init(project, {"dev": "production"})
        args = ["--target", "dev"]
        g.compile_nodes(project, args, "build")  # warm-up: full parse
        compile_s, _ = median_of(a.runs, lambda: g.compile_nodes(project, args, "build"))
        plan_s, planned = median_of(a.runs, lambda: g.make_plan(project, "build", args))
        nodes, info = g.compile_nodes(project, args, "build")
        clyra_dir = g.ClyraDir(project)
        call = json.dumps({"input": {"context": g.run_context(project, clyra_dir.config(), target="dev"), **info,
                                     "command": "build", "args": args, "nodes": nodes, "dirty": False},
                           **g.policy_text(clyra_dir)})
        core_s, _ = median_of(a.runs, lambda: _clyra.dbt_plan(call))
        p = planned  # type: ignore[assignment]
        approver = clyra.keygen()
        stamp = lambda d: (dt.datetime.now(dt.timezone.utc) + d).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        envelope = clyra.approve(json.dumps(p["request"]), approver.private_pem, sso_sub="lee", idp_domain="idp.example",  # type: ignore[index]
                                 nonce="n-0123456789abcdef0123456789abcdef", approved_at=stamp(-dt.timedelta(seconds=5)),
                                 expires_at=stamp(dt.timedelta(hours=1)))
        approvals = g.Approvals([(envelope.decode(), "n-0123456789abcdef0123456789abcdef")], [approver.public_pem])
        gate_s, gated = median_of(a.runs, lambda: g.gate(project, p["plan"], approvals))  # type: ignore[index]
        assert gated["gate"] == "pass", gated  # type: ignore[index]
        print(f"{'project':<22} {'nodes':>6} {'dbt compile':>12} {'clyra plan':>11} {'plan - compile':>15} {'core plan':>10} {'core gate':>10}")
        print(f"{'generated ' + str(a.models) + ' models':<22} {len(nodes):>6} {compile_s:>11.3f}s {plan_s:>10.3f}s "
              f"{(plan_s - compile_s) * 1e3:>13.0f}ms {core_s * 1e3:>8.1f}ms {gate_s * 1e3:>8.1f}ms")
        print(f"(medians of {a.runs} warm runs; `clyra plan` includes the same compile; the gate checks one approval)")


if __name__ == "__main__":
    sys.exit(main())
