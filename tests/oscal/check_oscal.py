#!/usr/bin/env python3
"""OSCAL check: every oscal-assessment-results.json `clyra attest` writes loads in compliance-trestle.

Usage: check_oscal.py [CLYRA]   (default: $CARGO_TARGET_DIR or target, /debug/clyra)

Runs `clyra demo` (two signed runs, their trust file and policies), adds a fresh attestation key to
the trust file, attests both runs for each of the seven frameworks, and loads each OSCAL document
with trestle's `AssessmentResults` model (an independent OSCAL 1.1.3 implementation: pydantic
models generated from the NIST metaschema, with OSCAL's token, UUID and date-time patterns). It
checks one finding per control with the state that matches the control's status, one observation
per bundle, and that trestle rejects the same document with a control id that is not an OSCAL
token (so the validation is real). Exits 1 on any failure.
"""

import hashlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile

from trestle.oscal.assessment_results import AssessmentResults

FRAMEWORKS = ["sox", "pci", "hipaa", "eu-ai-act", "nist-rmf", "tcpa", "soc2"]
AT = "2026-11-21T09:00:47Z"


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p


def keyid(pem):
    body = "".join(l for l in pem.splitlines() if not l.startswith("-----"))
    import base64
    return "sha256:" + hashlib.sha256(base64.b64decode(body)).hexdigest()


def main():
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    clyra = sys.argv[1] if len(sys.argv) > 1 else os.path.join(target, "debug", "clyra")
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        d = pathlib.Path(tmp)
        run([clyra, "demo", "--out", str(d / "demo")])
        run([clyra, "keygen", "--out", str(d / "key")])
        trust = json.loads((d / "demo" / "trust.json").read_text())
        pem = (d / "key" / "clyra.pub").read_text()
        trust["keys"].append({"keyid": keyid(pem), "scheme": "ed25519", "public_key_pem": pem,
                              "roles": ["producer"]})
        (d / "trust.json").write_text(json.dumps(trust))
        for f in FRAMEWORKS:
            out = d / f
            p = run([clyra, "attest", str(d / "demo" / "def.zip"), str(d / "demo" / "pef.zip"),
                     "--framework", f, "--key", str(d / "key" / "clyra.key"),
                     "--trust", str(d / "trust.json"), "--policy", str(d / "demo" / "def-policy.json"),
                     "--policy", str(d / "demo" / "pef-policy.json"), "--at", AT, "--out", str(out),
                     "--format", "json"])
            summary = json.loads(p.stdout)
            path = out / "oscal-assessment-results.json"
            try:
                ar = AssessmentResults.oscal_read(path)
            except Exception as e:  # noqa: BLE001 - any trestle refusal is the finding
                failures.append(f"{f}: trestle refuses {path.name}: {e}")
                continue
            result = ar.results[0]
            findings = result.findings or []
            if len(findings) != len(summary["controls"]):
                failures.append(f"{f}: {len(findings)} findings for {len(summary['controls'])} controls")
            for finding, control in zip(findings, summary["controls"]):
                state = finding.target.status.state
                state = getattr(state, "value", state)
                want = "satisfied" if control["status"] == "supported" else "not-satisfied"
                if state != want:
                    failures.append(f"{f} {control['id']}: state {state}, status {control['status']}")
            if len(result.observations or []) != 2:
                failures.append(f"{f}: {len(result.observations or [])} observations for 2 bundles")
            print(f"{f}: trestle loads {path.name}: {len(findings)} findings, "
                  f"{len(result.observations or [])} observations")
        # The same document with a control id that is no OSCAL token must be refused.
        doc = json.loads((d / "sox" / "oscal-assessment-results.json").read_text())
        doc["assessment-results"]["results"][0]["findings"][0]["target"]["target-id"] = "Program changes"
        bad = d / "bad.json"
        bad.write_text(json.dumps(doc))
        try:
            AssessmentResults.oscal_read(bad)
            failures.append("trestle accepted a target-id with a space: the check proves nothing")
        except Exception:  # noqa: BLE001
            print("trestle refuses a target-id that is not a token, as it should")
    for f in failures:
        print("FAIL: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
