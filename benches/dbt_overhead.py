#!/usr/bin/env python3
"""Overhead of `clyra dbt build` over plain `dbt build`, and of Python verify over Rust verify.

Run with the venv of `bash python/ci.sh package` (a release build of the extension):
    python/.venv/bin/python benches/dbt_overhead.py [--models 1000] [--runs 3]

dbt overhead: one process, dbt's programmatic runner (`dbtRunner`), two copies of each project —
one plain, one set up by `clyra dbt init` — on dbt-duckdb. Each measured run is warm (partial
parse); plain and clyra runs alternate; medians are reported. The clyra run is everything
`clyra dbt build` does: the same dbt invocation with the package's on-run-end hook (column facts
from information_schema) and the facts/SQL callback, then sealing (artifacts read, core seal,
bundle and state written). Projects: tests/e2e/shop (sample) and a generated N-model project.

Verify: the median of N in-process verifications of each sealed bundle with `clyra.verify`
(Python API) against the Rust API in-process (benches/examples/verify_inprocess.rs, release).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "False"

import clyra  # noqa: E402
from clyra.dbt.init import init  # noqa: E402
from clyra.dbt.runner import run_dbt  # noqa: E402
from clyra.dbt.seal import seal_run  # noqa: E402


def generated_project(path: Path, models: int) -> None:
    (path / "models").mkdir(parents=True)
    (path / "dbt_project.yml").write_text("name: gen\nversion: '1.0.0'\nconfig-version: 2\nprofile: gen\nmodel-paths: [models]\n")
    (path / "profiles.yml").write_text(
        "gen:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: \"{{ env_var('SHOP_DUCKDB') }}\"\n      threads: 4\n")
    for i in range(models):
        upstream = f"select * from {{{{ ref('m{i - 1:04d}') }}}}" if i % 10 else f"select {i} as id, 'n{i}' as name"
        kind = "table" if i % 10 == 9 else "view"
        (path / "models" / f"m{i:04d}.sql").write_text(f"{{{{ config(materialized='{kind}') }}}}\n{upstream}\n")


def plain_build(project: Path) -> float:
    from dbt.cli.main import dbtRunner

    os.environ["DBT_PROFILES_DIR"] = str(project)
    os.environ["SHOP_DUCKDB"] = str(project / "db.duckdb")
    start = time.perf_counter()
    res = dbtRunner().invoke(["build", "--project-dir", str(project), "--quiet"])
    elapsed = time.perf_counter() - start
    assert res.success, res.exception
    return elapsed


def clyra_build(project: Path) -> tuple[float, float]:
    os.environ["DBT_PROFILES_DIR"] = str(project)
    os.environ["SHOP_DUCKDB"] = str(project / "db.duckdb")
    start = time.perf_counter()
    run = run_dbt(project, ["--quiet"])
    ran = time.perf_counter()
    assert run.exit_code == 0
    seal_run(project, run.target_path, facts=run.facts, command="dbt build --quiet", executed_sql=run.executed_sql)
    end = time.perf_counter()
    return end - start, end - ran


def measure(name: str, source: Path, runs: int, work: Path) -> dict[str, object]:
    plain, with_clyra = work / f"{name}-plain", work / f"{name}-clyra"
    for p in (plain, with_clyra):
        shutil.copytree(source, p, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".clyra", "*.duckdb"))
    init(with_clyra, {"dev": "development"})
    plain_build(plain)
    clyra_build(with_clyra)  # warm-up: full parse, first state
    p_times, c_times, s_times = [], [], []
    for _ in range(runs):
        p_times.append(plain_build(plain))
        total, seal = clyra_build(with_clyra)
        c_times.append(total)
        s_times.append(seal)
    bundle = max((with_clyra / "target" / "clyra").glob("*.zip"), key=lambda b: b.stat().st_mtime)
    return {"name": name, "plain": statistics.median(p_times), "clyra": statistics.median(c_times),
            "seal": statistics.median(s_times), "bundle": bundle, "trust": with_clyra / ".clyra" / "trust.json",
            "size": bundle.stat().st_size}


def python_verify_ms(bundle: Path, trust: Path, n: int) -> float:
    data, trust_text = bundle.read_bytes(), trust.read_text()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        v = clyra.verify(data, trust_text, at="2100-01-01T00:00:00Z")
        times.append((time.perf_counter() - start) * 1e3)
        assert v.ok, v.primary
    return statistics.median(times)


def rust_verify_ms(bundle: Path, trust: Path, n: int) -> tuple[float, float]:
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    subprocess.run(["cargo", "build", "-q", "--release", "--locked", "-p", "clyra-benches", "--example", "verify_inprocess"], check=True, cwd=ROOT)
    out = subprocess.run([f"{target}/release/examples/verify_inprocess", str(bundle), str(trust), "2100-01-01T00:00:00Z", str(n)],
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--verify-runs", type=int, default=50)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="clyra-bench-") as tmp:
        work = Path(tmp)
        generated_project(work / "gen-src", a.models)
        rows = [measure("sample (tests/e2e/shop)", ROOT / "tests" / "e2e" / "shop", a.runs, work),
                measure(f"generated {a.models} models", work / "gen-src", a.runs, work)]
        print(f"\n{'project':<28} {'dbt build':>10} {'clyra dbt build':>16} {'overhead':>9} {'of which seal':>14} {'bundle':>9}")
        for r in rows:
            over = (r["clyra"] - r["plain"]) * 1e3  # type: ignore[operator]
            print(f"{r['name']:<28} {r['plain']:>9.3f}s {r['clyra']:>15.3f}s {over:>7.0f}ms {r['seal'] * 1e3:>12.0f}ms {r['size'] / 1e6:>7.2f}MB")  # type: ignore[operator]
        print(f"\n{'verify (median of ' + str(a.verify_runs) + ')':<28} {'Rust API':>10} {'Rust FFI':>10} {'Python API':>11} {'overhead':>9}")
        for r in rows:
            native, ffi = rust_verify_ms(r["bundle"], r["trust"], a.verify_runs)  # type: ignore[arg-type]
            py = python_verify_ms(r["bundle"], r["trust"], a.verify_runs)  # type: ignore[arg-type]
            print(f"{r['name']:<28} {native:>8.2f}ms {ffi:>8.2f}ms {py:>9.2f}ms {100 * (py - native) / native:>8.1f}%")


if __name__ == "__main__":
    sys.exit(main())
