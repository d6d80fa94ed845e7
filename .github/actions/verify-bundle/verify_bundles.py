#!/usr/bin/env python3
"""The verify-bundle GitHub Action's step (action.yml): verify each bundle with `clyra verify
--auditor --format json`, print workflow-command annotations, append a Markdown job summary to
$GITHUB_STEP_SUMMARY and the worst outcome to $GITHUB_OUTPUT, and exit 1 on INVALID or
INDETERMINATE (or, with INPUT_FAIL_ON_WARNINGS=true, on warnings and VALID_UNTRUSTED).

Inputs come from the environment as GitHub passes them: INPUT_BUNDLES (paths or globs), INPUT_TRUST,
INPUT_POLICY, INPUT_LEDGER_KEY, INPUT_AT, INPUT_FAIL_ON_WARNINGS; CLYRA_BIN (default `clyra` on
PATH). Standard library only. Exit 4 when it cannot run (no bundle matched, clyra missing).
"""

import glob
import json
import os
import subprocess
import sys

RANK = {"VALID": 0, "VALID_UNTRUSTED": 1, "INDETERMINATE": 2, "INVALID": 3, "ERROR": 4}


def escape(text, prop=False):
    """Workflow-command escaping (data: % CR LF; properties also : and ,)."""
    text = str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def cell(text):
    """A Markdown table cell: no pipes or line breaks."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def bundles_of(spec):
    found = []
    for pattern in spec.split():
        matches = sorted(glob.glob(pattern, recursive=True))
        found.extend(matches if matches else [pattern])
    return found


def verify(clyra, bundle, env):
    cmd = [clyra, "verify", bundle, "--trust", env["trust"], "--auditor", "--format", "json"]
    if env["policy"]:
        cmd += ["--policy", env["policy"]]
    if env["at"]:
        cmd += ["--at", env["at"]]
    proof = bundle + ".ledger.json"
    if env["ledger_key"] and os.path.exists(proof):
        cmd += ["--ledger-proof", proof, "--ledger-key", env["ledger_key"]]
    p = subprocess.run(cmd, capture_output=True, text=True)
    try:
        out = json.loads(p.stdout.splitlines()[0])
    except (IndexError, ValueError):
        return {"outcome": "ERROR", "primary": "cli.internal", "exit": p.returncode, "message": p.stderr.strip()}
    if "errors" in out:
        e = out["errors"][0]
        return {"outcome": "ERROR", "primary": e.get("code"), "exit": p.returncode, "message": e.get("message", "")}
    out["exit"] = p.returncode
    return out


def approvals(verdict):
    codes = [c["code"] for c in verdict.get("checks", []) if c.get("step") == "approvals"]
    bad = sorted({c for c in codes if c not in ("ok", "skipped")})
    return ", ".join(bad) if bad else ("ok" if codes else "-")


def main():
    env = {k: os.environ.get("INPUT_" + k.upper(), "").strip() for k in ("bundles", "trust", "policy", "ledger_key", "at")}
    strict = os.environ.get("INPUT_FAIL_ON_WARNINGS", "false").strip().lower() == "true"
    clyra = os.environ.get("CLYRA_BIN", "").strip() or "clyra"
    bundles = bundles_of(env["bundles"])
    if not bundles or not env["trust"]:
        print("::error::verify-bundle: give `bundles` and `trust`")
        return 4
    try:
        subprocess.run([clyra, "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        print(f"::error::verify-bundle: cannot run `{escape(clyra)}`")
        return 4
    rows, worst, failed, warned = [], "VALID", 0, 0
    for bundle in bundles:
        v = verify(clyra, bundle, env)
        outcome, primary = v.get("outcome", "ERROR"), v.get("primary", "")
        audit = v.get("audit") or {}
        risk = (audit.get("risk") or {}).get("score", "-")
        summary = audit.get("summary") or v.get("message", "")
        if RANK.get(outcome, 4) > RANK.get(worst, 4):
            worst = outcome
        bad = outcome in ("INVALID", "INDETERMINATE", "ERROR")
        warn = not bad and v.get("exit") == 2
        failed += bad
        warned += warn
        level = "error" if bad or (warn and strict) else "warning" if warn else "notice"
        print(f"::{level} file={escape(bundle, True)},title={escape('Clyra ' + outcome, True)}::{escape(primary + ': ' + summary)}")
        icon = "❌" if bad else "⚠️" if warn else "✅"
        rows.append(f"| {icon} `{cell(bundle)}` | {outcome} | `{cell(primary)}` | {cell(risk)} | {cell(approvals(v))} | {cell(summary)} |")
    lines = [
        "## Clyra evidence verification",
        "",
        f"{len(bundles)} bundle(s): {len(bundles) - failed - warned} valid, {warned} with warnings or untrusted, {failed} failed.",
        "",
        "| bundle | outcome | primary | risk | approvals | summary |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        with open(summary_path, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    else:
        print("\n".join(lines))
    output_path = os.environ.get("GITHUB_OUTPUT")
    if output_path:
        with open(output_path, "a", encoding="utf-8") as f:
            f.write(f"outcome={worst}\n")
    return 1 if failed or (strict and warned) else 0


if __name__ == "__main__":
    sys.exit(main())
