#!/usr/bin/env python3
"""The conformance matrix (spec/conformance.md §7): every vector × every available adapter.

Usage: run.py [--vectors DIR] [--impl NAME ...]

Each cell is `pass`, `FAIL` (with the actual outcome/primary/exit) or `skip` (with its reason).
Skips are data, never code (§7.2): superseded vectors (vectors/ERRATA.md, §5.3) and entries of
skips.json (a stale entry fails the run). An adapter that does not implement a command fails its
cells until a skips.json entry says why. Exits 1 on any FAIL, on any two implementations that
give different (outcome, primary, exit) for one vector, or on a stale skip. Python 3 stdlib only.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
IMPLS = ["rust", "python", "node", "wasm", "go"]
# verdicts.md §3.2: the steps a receipt verdict never covers, in order.
NOT_COVERED = ["artifacts", "journal", "approvals", "policy"]


def superseded(vectors):
    out = {}
    try:
        text = open(os.path.join(vectors, "ERRATA.md"), encoding="utf-8").read()
    except FileNotFoundError:
        return out
    for m in re.finditer(r"^- (\d{4}-[a-z0-9-]+) superseded by (\d{4})-", text, re.M):
        out[m.group(1)] = "superseded by " + m.group(2)
    return out


def load_skips(impls, cases):
    path = os.path.join(HERE, "skips.json")
    if not os.path.exists(path):
        return {}, []
    doc = json.load(open(path, encoding="utf-8"))
    skips, errors = {}, []
    for s in doc.get("skips", []):
        if not s.get("reason"):
            errors.append(f"skips.json: empty reason for {s}")
        if s.get("case") not in cases:
            errors.append(f"skips.json: unknown vector {s.get('case')}")
        if s.get("impl") not in IMPLS:
            errors.append(f"skips.json: unknown adapter {s.get('impl')}")
        skips[(s.get("case"), s.get("impl"))] = s.get("reason", "")
    return skips, errors


def primary_subject(out):
    """The subject of the primary check: the first check whose code is `primary` (§2.5)."""
    for check in out.get("checks") or []:
        if check.get("code") == out.get("primary"):
            return check.get("subject", "")
    return None


def run_case(adapter, folder, extras=()):
    args = json.load(open(os.path.join(folder, "args.json"), encoding="utf-8"))
    bundle = os.path.exists(os.path.join(folder, "bundle.zip"))
    if not bundle and os.path.exists(os.path.join(folder, "ledger-proof.json")):  # §2.6, §6.9
        cmd = [adapter, "ledger-verify", os.path.join(folder, "ledger-proof.json"),
               "--key", os.path.join(folder, "ledger-key.txt")]
    elif os.path.exists(os.path.join(folder, "badge.jws")):  # conformance.md §2.7, §6.10
        cmd = [adapter, "badge-verify", os.path.join(folder, "badge.jws"),
               "--trust", os.path.join(folder, "trust.json"), "--at", args["at"]]
    elif os.path.exists(os.path.join(folder, "attestation.dsse.json")):  # attestation-v0.md §6
        cmd = [adapter, "attest-verify", os.path.join(folder, "attestation.dsse.json"),
               os.path.join(folder, "bundle.zip"),
               "--trust", os.path.join(folder, "trust.json"), "--at", args["at"]]
    elif os.path.exists(os.path.join(folder, "bundle.zip")):
        cmd = [adapter, "verify", os.path.join(folder, "bundle.zip"),
               "--trust", os.path.join(folder, "trust.json"), "--at", args["at"]]
        if "policy" in args:
            cmd += ["--policy", os.path.join(folder, args["policy"])]
        if os.path.exists(os.path.join(folder, "ledger-proof.json")):  # witnessed, §2.9
            cmd += ["--ledger-proof", os.path.join(folder, "ledger-proof.json")]
    else:
        cmd = [adapter, "receipt-verify", os.path.join(folder, "receipt.json"),
               "--trust", os.path.join(folder, "trust.json"), "--at", args["at"]]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    lines = p.stdout.decode("utf-8", "replace").splitlines()
    try:
        out = json.loads(lines[0])
    except (IndexError, ValueError):
        return None, f"no JSON line on stdout (exit {p.returncode})"
    got = (out.get("outcome"), out.get("primary"), p.returncode)
    for name in extras:  # conformance.md §2.5: pinned only when expected.json holds them
        got += (primary_subject(out) if name == "subject" else out.get(name),)
    if out.get("exit") != p.returncode:
        return got, f"output exit {out.get('exit')} != process exit {p.returncode}"
    receipt = os.path.exists(os.path.join(folder, "receipt.json"))
    if receipt and out.get("outcome") != "ERROR" and out.get("not_covered") != NOT_COVERED:
        # conformance.md §6.5, verdicts.md §3.2: every receipt verdict says what it does not cover.
        return got, f"not_covered {out.get('not_covered')!r} != {NOT_COVERED!r}"
    return got, None


def start_wasm_driver(adapters_dir):
    """One headless Chromium for the whole run (adapters/wasm_driver.mjs): the `wasm` adapter's
    calls go to it over a Unix socket named by CLYRA_WASM_DRIVER. Returns the process, or
    raises when the page did not come up (the wasm column then fails, never silently drops)."""
    socket = os.path.join(tempfile.mkdtemp(prefix="clyra-wasm-"), "driver.sock")
    proc = subprocess.Popen(["node", os.path.join(adapters_dir, "wasm_driver.mjs"), "--socket", socket],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    line = proc.stdout.readline().decode("utf-8", "replace").strip()
    if line != "ready":
        proc.kill()
        raise RuntimeError(f"the wasm page driver did not start (exit {proc.wait()}): {line!r}")
    os.environ["CLYRA_WASM_DRIVER"] = socket
    return proc


def stop_wasm_driver(proc):
    """Closes the browser; a request that left the page while verifying fails the run."""
    proc.stdin.close()
    try:
        return proc.wait(timeout=60) == 0
    except subprocess.TimeoutExpired:
        proc.kill()
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", default=os.path.join(ROOT, "vectors"))
    ap.add_argument("--impl", action="append", help="only these adapters")
    a = ap.parse_args()

    adapters_dir = os.path.join(HERE, "adapters")
    impls = [i for i in IMPLS if os.access(os.path.join(adapters_dir, i), os.X_OK)]
    if a.impl:
        impls = [i for i in impls if i in a.impl]
    cases = sorted(d for d in os.listdir(a.vectors) if re.match(r"^\d{4}-[a-z0-9-]+$", d))
    frozen = superseded(a.vectors)
    skips, errors = load_skips(impls, cases)
    used_skips = set()
    driver = start_wasm_driver(adapters_dir) if "wasm" in impls else None

    width = max(len(c) for c in cases) if cases else 10
    print(f"{'case':<{width}}  {'expected':<44}  " + "  ".join(f"{i:<40}" for i in impls))
    counts = {i: {"pass": 0, "skip": 0, "FAIL": 0} for i in impls}
    failures = []
    for case in cases:
        folder = os.path.join(a.vectors, case)
        exp = json.load(open(os.path.join(folder, "expected.json"), encoding="utf-8"))
        want = (exp["outcome"], exp["primary"], exp["exit"])
        extras = tuple(n for n in ("subject", "detail") if n in exp)
        want += tuple(exp[n] for n in extras)
        cells, results = [], {}
        for impl in impls:
            if case in frozen:
                cell, kind = "skip: " + frozen[case], "skip"
            else:
                got, problem = run_case(os.path.join(adapters_dir, impl), folder, extras)
                skip_reason = skips.get((case, impl))
                if skip_reason is not None:
                    used_skips.add((case, impl))
                    if got == want and problem is None:
                        errors.append(f"stale skip: {case} {impl} now passes")
                    cell, kind = "skip: " + skip_reason, "skip"
                elif problem is None and got == want:
                    cell, kind = "pass", "pass"
                    results[impl] = got
                else:
                    detail = "/".join(str(x) for x in got) if got else ""
                    cell, kind = f"FAIL {detail} {problem or ''}".strip(), "FAIL"
                    failures.append(f"{case} {impl}: got {got} want {want} {problem or ''}")
                    if got:
                        results[impl] = got
            counts[impl][kind] += 1
            cells.append(f"{cell:<40}")
        if len(set(results.values())) > 1:
            failures.append(f"{case}: implementations disagree: {results}")
        print(f"{case:<{width}}  {'/'.join(map(str, want)):<44}  " + "  ".join(cells))
    for key in skips:
        if key not in used_skips and key[1] in impls and key[0] not in frozen:
            errors.append(f"stale skip: {key[0]} {key[1]} was not used")
    if driver and not stop_wasm_driver(driver):
        errors.append("wasm: the page driver failed on closing (a request left the page?)")
    print()
    for impl in impls:
        c = counts[impl]
        print(f"{impl}: {c['pass']} pass, {c['skip']} skip, {c['FAIL']} FAIL")
    for f in failures + errors:
        print("FAIL: " + f, file=sys.stderr)
    return 1 if failures or errors else 0


if __name__ == "__main__":
    sys.exit(main())
