#!/usr/bin/env python3
"""Runs the verify-bundle action's script (verify_bundles.py) as GitHub would: INPUT_* variables,
GITHUB_STEP_SUMMARY and GITHUB_OUTPUT files, against the golden vectors with the built clyra
(CLYRA_BIN, default $CARGO_TARGET_DIR/debug/clyra). Standard library only; exits 1 on failure.
"""

import glob
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
VECTORS = os.path.join(ROOT, "vectors")


def vector(suffix, name):
    found = glob.glob(os.path.join(VECTORS, "*-" + suffix, name))
    assert len(found) == 1, suffix
    return found[0]


def run(bundles, trust, **extra):
    with tempfile.TemporaryDirectory() as tmp:
        summary, output = os.path.join(tmp, "summary.md"), os.path.join(tmp, "output")
        env = dict(os.environ, GITHUB_STEP_SUMMARY=summary, GITHUB_OUTPUT=output, GITHUB_ACTIONS="true",
                   INPUT_BUNDLES="\n".join(bundles), INPUT_TRUST=trust, INPUT_AT="2026-12-01T00:00:00Z",
                   CLYRA_BIN=os.environ.get("CLYRA_BIN") or os.path.join(
                       os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "debug", "clyra"))
        env.update(extra)
        p = subprocess.run([sys.executable, os.path.join(HERE, "verify_bundles.py")], env=env,
                           capture_output=True, text=True)
        text = open(summary, encoding="utf-8").read() if os.path.exists(summary) else ""
        out = open(output, encoding="utf-8").read() if os.path.exists(output) else ""
        return p.returncode, p.stdout, text, out


def main():
    valid = vector("def-minimal", "bundle.zip")
    trust = vector("def-minimal", "trust.json")
    bad = [d for d in sorted(glob.glob(os.path.join(VECTORS, "*", "expected.json")))
           if '"outcome":"INVALID"' in open(d).read() and os.path.exists(os.path.join(os.path.dirname(d), "bundle.zip"))]
    invalid = os.path.join(os.path.dirname(bad[0]), "bundle.zip")
    failures, total = [], [0]

    def check(cond, what):
        total[0] += 1
        if not cond:
            failures.append(what)

    code, stdout, summary, output = run([valid], trust)
    check(code == 0, f"valid: exit {code}")
    check("| ✅ `" in summary and "| VALID | `ok` |" in summary, "valid: summary row\n" + summary)
    check("risk" in summary and "| 35 |" in summary, "valid: risk column\n" + summary)
    check(output == "outcome=VALID\n", "valid: output " + output)
    check("::notice file=" in stdout, "valid: notice annotation\n" + stdout)

    code, stdout, summary, output = run([valid, invalid], trust)
    check(code == 1, f"invalid: exit {code}")
    check("| INVALID |" in summary and "1 failed" in summary, "invalid: summary\n" + summary)
    check("::error file=" in stdout, "invalid: error annotation\n" + stdout)
    check(output == "outcome=INVALID\n", "invalid: output " + output)

    other = vector("def-p256-producer", "trust.json")
    code, stdout, summary, output = run([valid], other)
    check(code == 0 and "VALID_UNTRUSTED" in summary and "::warning" in stdout, f"untrusted: exit {code}\n{summary}")
    code, stdout, summary, output = run([valid], other, INPUT_FAIL_ON_WARNINGS="true")
    check(code == 1 and "::error" in stdout, f"untrusted strict: exit {code}")

    pattern = os.path.join(os.path.dirname(os.path.dirname(valid)), "*-def-minimal", "*.zip")
    code, _, summary, _ = run([pattern], trust)
    check(code == 0 and summary.count("| ✅") == 1, "glob input\n" + summary)
    code, stdout, _, _ = run([valid], trust, CLYRA_BIN="/nonexistent/clyra")
    check(code == 4, f"missing clyra: exit {code}")

    for f in failures:
        print("FAIL: " + f, file=sys.stderr)
    print(f"verify-bundle action: {total[0] - len(failures)} of {total[0]} checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
