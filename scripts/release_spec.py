"""Writes the PEF bundle spec of a Clyra release (spec/pef-v0.md, spec/bundle-v0.md §9).

One operation per artifact: `operation.requested` (the build command's digest as
`parameters_hash`) then `operation.executed` (the artifact's digest as `result_hash`). The bundle
itself carries every artifact under `artifacts/`, so a verifier checks each byte.

    python3 scripts/release_spec.py --version V --created-at T --out SPEC.json NAME=PATH=COMMAND...
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--version", required=True)
    parser.add_argument("--created-at", required=True)
    parser.add_argument("--actor", default=os.environ.get("GITHUB_ACTOR", "release-script"))
    parser.add_argument("--commit", default="")
    parser.add_argument("--out", required=True)
    parser.add_argument("artifacts", nargs="+", help="NAME=PATH=COMMAND")
    args = parser.parse_args()

    operations, journal = [], []
    for item in args.artifacts:
        name, path, command = item.split("=", 2)
        with open(path, "rb") as f:
            result = digest(f.read())
        seq = len(journal)
        tool = command.split(" ")[0]
        requested = {"actor": args.actor, "tool": tool, "target": name, "parameters_hash": digest(command.encode())}
        journal.append({"at": args.created_at, "kind": "operation.requested", "data": requested})
        journal.append({"at": args.created_at, "kind": "operation.executed",
                        "data": {"applies_to": seq, "result_hash": result, "duration_ms": 0}})
        operations.append({"seq": seq, "actor": args.actor, "tool": tool, "target": name,
                           "parameters_hash": requested["parameters_hash"], "result_hash": result,
                           "decision": "allow", "outcome": "executed"})
    spec = {
        "format": "pef/v0",
        "created_at": args.created_at,
        "producer": {"name": "clyra-release", "version": args.version},
        "change": {
            "subject": f"clyra@{args.version}" + (f"+{args.commit}" if args.commit else ""),
            "kind": "agent_action",
            "actor": args.actor,
            "environment": "production",
            "summary": f"Release artifacts of Clyra {args.version}: CLI, Python wheel and sdist, npm packages, CycloneDX SBOMs",
        },
        "policy": {"required": False, "decisions": []},
        "pef": {"operations": operations, "threats": []},
        "risk": {"factors": {"change_magnitude": "data", "violations_critical": 0, "violations_warning": 0,
                             "production": True, "off_hours": False, "approval_bypassed": False, "threats": 0,
                             "sql_findings": 0, "first_time_actor": False}},
        "approvals": {"required": 0},
        "journal": journal,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
