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
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


class TimedCollector:
    """Keeps every event dbt passes to the facts callback, then replays them through a fresh
    callback on one thread and times that: the callback's own CPU cost over exactly this run's
    events. (Timing each call inside dbt's run would count waits for the GIL that dbt's worker
    threads hold, and the clock reads would cost as much as the callback.)"""

    events: list[object] = []
    call: Any = None

    @classmethod
    def install(cls) -> None:
        from clyra.dbt.runner import FactsCollector

        call = FactsCollector.__call__

        def kept(self: FactsCollector, event: object) -> None:
            cls.events.append(event)
            call(self, event)

        FactsCollector.__call__ = kept  # type: ignore[method-assign]
        cls.call = call

    @classmethod
    def replay_seconds(cls) -> float:
        from clyra.dbt.runner import FactsCollector

        collector = FactsCollector()
        start = time.perf_counter()
        for event in cls.events:
            cls.call(collector, event)
        return time.perf_counter() - start


def clyra_build(project: Path) -> dict[str, float]:
    """One `clyra dbt build`: total, and Clyra's own parts measured directly — the package check,
    the facts callback (inside dbt's run), the on-run-end hook (its time from run_results.json) and
    sealing."""
    from clyra.dbt.project import ClyraDir

    os.environ["DBT_PROFILES_DIR"] = str(project)
    os.environ["SHOP_DUCKDB"] = str(project / "db.duckdb")
    TimedCollector.events = []
    start = time.perf_counter()
    ClyraDir(project).install_package()
    installed = time.perf_counter()
    run = run_dbt(project, ["--quiet"])
    ran = time.perf_counter()
    assert run.exit_code == 0
    seal_run(project, run.target_path, facts=run.facts, command="dbt build --quiet", executed_sql=run.executed_sql)
    end = time.perf_counter()
    results = json.loads((run.target_path / "run_results.json").read_bytes())["results"]
    hook = sum(r["execution_time"] for r in results if r["unique_id"].startswith("operation.clyra."))
    return {"total": end - start, "install": installed - start, "callback": TimedCollector.replay_seconds(), "hook": hook,
            "seal": end - ran, "events": len(TimedCollector.events)}


def measure(name: str, source: Path, runs: int, work: Path) -> dict[str, object]:
    plain, with_clyra = work / f"{name}-plain", work / f"{name}-clyra"
    for p in (plain, with_clyra):
        shutil.copytree(source, p, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".clyra", "*.duckdb"))
    init(with_clyra, {"dev": "development"})
    plain_build(plain)
    clyra_build(with_clyra)  # warm-up: full parse, first state
    p_times: list[float] = []
    c_runs: list[dict[str, float]] = []
    for _ in range(runs):
        p_times.append(plain_build(plain))
        c_runs.append(clyra_build(with_clyra))
    bundle = max((with_clyra / "target" / "clyra").glob("*.zip"), key=lambda b: b.stat().st_mtime)
    med = {k: statistics.median(r[k] for r in c_runs) for k in c_runs[0]}
    own = statistics.median(r["install"] + r["callback"] + r["hook"] + r["seal"] for r in c_runs)
    print(f"{name}: {int(c_runs[-1]['events'])} dbt events per run", file=sys.stderr)
    return {"name": name, "plain": statistics.median(p_times), "plain_range": (min(p_times), max(p_times)),
            "clyra": med["total"], "clyra_range": (min(r["total"] for r in c_runs), max(r["total"] for r in c_runs)),
            "own": own, **{k: med[k] for k in ("install", "callback", "hook", "seal")},
            "bundle": bundle, "trust": with_clyra / ".clyra" / "trust.json", "size": bundle.stat().st_size}


def python_verify_ms(bundle: Path, trust: Path, n: int) -> float:
    data, trust_text = bundle.read_bytes(), trust.read_text()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        v = clyra.verify(data, trust_text, at="2100-01-01T00:00:00Z")
        times.append((time.perf_counter() - start) * 1e3)
        assert v.ok, v.primary
    return statistics.median(times)


def python_verify_fresh_ms(bundle: Path, trust: Path, n: int) -> float:
    """`python_verify_ms` in a new interpreter (no dbt loaded): the binding's own cost."""
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'benches')!r}); from pathlib import Path; "
            f"from dbt_overhead import python_verify_ms; print(python_verify_ms(Path({str(bundle)!r}), Path({str(trust)!r}), {n}))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return float(out.split()[-1])


def rust_verify_ms(bundle: Path, trust: Path, n: int) -> tuple[float, float]:
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    subprocess.run(["cargo", "build", "-q", "--release", "--locked", "-p", "clyra-benches", "--example", "verify_inprocess"], check=True, cwd=ROOT)
    out = subprocess.run([f"{target}/release/examples/verify_inprocess", str(bundle), str(trust), "2100-01-01T00:00:00Z", str(n)],
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    TimedCollector.install()
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
        print(f"\n{'project':<26} {'dbt build':>17} {'clyra dbt build':>17} {'difference':>10} | {'clyra own work':>14} {'package':>8} {'callback':>9} {'hook':>7} {'seal':>7} {'bundle':>7}")
        for r in rows:
            over = (r["clyra"] - r["plain"]) * 1e3  # type: ignore[operator]
            pr, cr = r["plain_range"], r["clyra_range"]
            print(f"{r['name']:<26} {r['plain']:>7.3f}s ({pr[0]:.2f}-{pr[1]:.2f}) {r['clyra']:>7.3f}s ({cr[0]:.2f}-{cr[1]:.2f}) {over:>8.0f}ms | "  # type: ignore[index,str-format]
                  f"{r['own'] * 1e3:>12.0f}ms {r['install'] * 1e3:>6.1f}ms {r['callback'] * 1e3:>7.0f}ms {r['hook'] * 1e3:>5.0f}ms {r['seal'] * 1e3:>5.0f}ms {r['size'] / 1e6:>5.2f}MB")  # type: ignore[operator]
        print("(medians; ranges min-max over the runs; `clyra own work` = package check + facts callback (replayed over the run's events) + on-run-end hook + seal, each timed directly)")
        print(f"\n{'verify (median of ' + str(a.verify_runs) + ')':<26} {'Rust API':>9} {'Rust FFI':>9} {'Python API':>11} {'overhead':>9} | {'Python, in the process that ran dbt':>36}")
        for r in rows:
            native, ffi = rust_verify_ms(r["bundle"], r["trust"], a.verify_runs)  # type: ignore[arg-type]
            fresh = python_verify_fresh_ms(r["bundle"], r["trust"], a.verify_runs)  # type: ignore[arg-type]
            here = python_verify_ms(r["bundle"], r["trust"], a.verify_runs)  # type: ignore[arg-type]
            print(f"{r['name']:<26} {native:>7.2f}ms {ffi:>7.2f}ms {fresh:>9.2f}ms {100 * (fresh - native) / native:>8.1f}% | "
                  f"{here:>26.2f}ms ({100 * (here - native) / native:+.1f}%)")
        print("(Python API: `clyra.verify` in a fresh interpreter, like the Rust peer; the last column repeats it inside this\n"
              " benchmark's process after the dbt runs, whose grown heap slows the allocator for both languages' code)")


if __name__ == "__main__":
    sys.exit(main())
