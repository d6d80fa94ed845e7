#!/usr/bin/env python3
"""Memory one JSON document can demand (spec/limits.md L43–L44), measured through every adapter.

Usage: memory.py [--impl NAME ...] [--shape NAME ...]

Each case is a bundle whose manifest.json is a 16 MiB document (inside L14) of one repeated small
value, the shapes that cost the verifiers most per input byte: some within the value budget of
L43–L44 (they reach the schema validator), some beyond it (rejected while parsing). The verifier's
peak resident memory — its whole process tree, from wait4 — must stay below 64 × n + 64 MiB for a
manifest of n bytes, the bound limits.md states. Prints one line per shape and implementation;
exits 1 when a peak is above the bound or the implementations disagree on the verdict.
Python 3 stdlib only; Linux (wait4).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "differential"))
import differential  # noqa: E402  (write_bundle, entries_of: the deterministic zip writer)

from inputs import available, run  # noqa: E402

IMPLS = ["rust", "python", "node", "wasm", "go"]
VECTOR = "0001-def-minimal"
SIZE = 16 * 1024 * 1024  # L14
FORMAT = b'{"format":"def/v0","zz":['  # passes the format check: reaches the schema validator
PLAIN = b'{"zz":['  # fails the format check after parsing
# name: (unit, prefix). Units of 8+ bytes per value are within the budget; shorter ones beyond.
SHAPES = {
    "one-member-objects": (b'{"aaaaaaaaaa":0}', FORMAT),
    "objects-of-empty-objects": (b'{"aaaaaaaa":{}}', FORMAT),
    "numbers": (b"1234567", FORMAT),
    "strings": (b'"abcdef"', FORMAT),
    "arrays-of-one-number (beyond the budget)": (b"[1234567]", FORMAT),
    "dense-objects (beyond the budget)": (b'{"a":0}', FORMAT),
    "dense-arrays (beyond the budget)": (b"[]", PLAIN),
    "dense-empty-objects (beyond the budget)": (b"{}", PLAIN),
}


def bound(n):
    return 64 * n + 64 * 1024 * 1024


def manifest(unit, prefix):
    """A canonical document of about SIZE bytes: prefix, arrays of 500,000 units (L4), `]}`."""
    per = 500_000
    inner = b"[" + b",".join([unit] * per) + b"]"
    count = (SIZE - 200) // (len(inner) + 1)
    rest = (SIZE - 200 - count * (len(inner) + 1)) // (len(unit) + 1) - 2
    parts = [inner] * count + ([b"[" + b",".join([unit] * rest) + b"]"] if rest > 0 else [])
    return prefix + b",".join(parts) + b"]}"


def peak(cmd):
    """(outcome, primary, exit) and the peak RSS in bytes of the process tree (inputs.run)."""
    obj, code, rss = run(cmd[0], cmd[1:])
    if obj is None:
        return ("no JSON", None, code), rss
    return (obj.get("outcome"), obj.get("primary"), code), rss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--impl", action="append", help="only these adapters")
    ap.add_argument("--shape", action="append", help="only these shapes")
    a = ap.parse_args()
    impls = [i for i in IMPLS if available(i) and (not a.impl or i in a.impl)]
    if "wasm" in impls:
        # The adapter process is not where the module runs; the page's own test reads the wasm
        # memory (node/ci.sh big: a 1 GiB bundle under 64 MiB).
        print("skip  every shape (wasm): the verifier runs in the browser, not in the adapter process "
              "whose peak this measures; node/web/test/big.test.mjs bounds the wasm memory")
        impls.remove("wasm")
    vec = os.path.join(ROOT, "vectors", VECTOR)
    at = json.load(open(os.path.join(vec, "args.json")))["at"]
    base = differential.entries_of(open(os.path.join(vec, "bundle.zip"), "rb").read())
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, (unit, prefix) in SHAPES.items():
            if a.shape and name not in a.shape:
                continue
            doc = manifest(unit, prefix)
            entries = [(n, 0 if n == "manifest.json" else m, doc if n == "manifest.json" else plain)
                       for (n, m, _, _, plain) in base]
            path = os.path.join(tmp, "bundle.zip")
            with open(path, "wb") as f:
                f.write(differential.write_bundle(entries))
            verdicts = set()
            for impl in impls:
                adapter = os.path.join(HERE, "adapters", impl)
                got, rss = peak([adapter, "verify", path, "--trust", os.path.join(vec, "trust.json"), "--at", at])
                verdicts.add(got)
                bad = rss > bound(len(doc)) or got[0] not in ("INVALID", "VALID", "VALID_UNTRUSTED", "INDETERMINATE")
                failures += bad
                print(f"{'FAIL' if bad else 'pass'}  {name} ({len(doc)} bytes) {impl}: peak {rss >> 20} MiB "
                      f"= {rss / len(doc):.1f} × n (bound {bound(len(doc)) >> 20} MiB); {'/'.join(map(str, got))}")
            if len(verdicts) > 1:
                failures += 1
                print(f"FAIL  {name}: the implementations disagree: {sorted(map(str, verdicts))}")
    print(f"{len(impls)} implementations ({', '.join(impls)}); {failures} failing")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
