#!/usr/bin/env python3
"""End-to-end test of Clyra's reports (issue 15): PDFs, daily review, showback, SIEM.

Builds a ledger whose day holds passing and failing evidence (a valid two-approval change, a
missing approval, an approver who is the author, a failed dbt test, a GenAI threat, a bundle
deleted from the ledger), runs `clyra report daily-review` in every format, the auditor one-pager
and the receipt sheet, then checks: pdftotext finds the content, pdftoppm renders every page (PNGs
kept in $CARGO_TARGET_DIR/ci-artifacts/pdf/), the same input gives the same bytes, the showback
columns are exact, and the exit codes. Usage: run.py [CLYRA] (default: the debug build)."""

import base64
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
CLYRA = sys.argv[1] if len(sys.argv) > 1 else str(TARGET / "debug" / "clyra")
ART = TARGET / "ci-artifacts" / "pdf"
AT = "2026-12-01T00:00:00Z"
DAY = "2026-11-20"
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def clyra(*args, cwd, expect=None):
    p = subprocess.run([CLYRA, *args], cwd=cwd, capture_output=True, text=True)
    if expect is not None and p.returncode not in (expect if isinstance(expect, tuple) else (expect,)):
        print(p.stdout, p.stderr)
        raise SystemExit(f"clyra {' '.join(args)}: exit {p.returncode}, expected {expect}")
    return p


def keyid(pem):
    der = base64.b64decode("".join(l for l in pem.splitlines() if "-----" not in l))
    return "sha256:" + hashlib.sha256(der).hexdigest()


def pdf_text(pdf):
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def render_png(pdf, name):
    ART.mkdir(parents=True, exist_ok=True)
    for old in ART.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf), str(ART / name)], check=True)
    pages = sorted(ART.glob(f"{name}-*.png"))
    check(len(pages) >= 1 and all(p.stat().st_size > 1000 for p in pages), f"{name}: {len(pages)} page(s) rendered to PNG in {ART}")


def fixture(w):
    """The ledger of DAY and the trust file."""
    clyra("demo", "--out", "d", cwd=w, expect=0)
    clyra("keygen", "--out", "k", cwd=w, expect=0)
    clyra("keygen", "--out", "lk", cwd=w, expect=0)
    spec = json.loads((ROOT / "bindings/cli/src/commands/demo_data/def-spec.json").read_text())
    spec["def"]["tests"][1]["status"] = "fail"
    spec["approvals"] = {"required": 0}
    spec["policy"] = {"required": False, "decisions": []}
    spec["artifacts"] = {}
    spec["change"]["subject"] = "model.shop.payments"
    before = dict(spec["snapshots"][0], taken_at="2026-11-20T08:59:00Z", row_count=184000)
    spec["snapshots"].insert(0, before)
    (w / "fail-spec.json").write_text(json.dumps(spec))
    clyra("bundle", "build", "--spec", "fail-spec.json", "--key", "k/clyra.key", "--out", "failed-test.zip",
          "--signed-at", "2026-11-20T09:01:16Z", cwd=w, expect=0)
    trust = json.loads((w / "d/trust.json").read_text())
    vec = json.loads((ROOT / "vectors/0006-def-approvals-one/trust.json").read_text())
    pem = (w / "k/clyra.pub").read_text()
    keys = trust["keys"] + [k for k in vec["keys"] if k["keyid"] not in {x["keyid"] for x in trust["keys"]}]
    keys.append({"keyid": keyid(pem), "scheme": "ed25519", "public_key_pem": pem, "roles": ["producer"]})
    (w / "trust.json").write_text(json.dumps({"version": 0, "keys": keys, "thresholds": {"producer": 1}}))
    clyra("ledger", "init", "ledger", "--key", "lk/clyra.key", cwd=w, expect=0)
    bundles = {
        "valid-two-approvals": w / "d/def.zip",
        "genai-threat": w / "d/pef.zip",
        "approval-ok": ROOT / "vectors/0006-def-approvals-one/bundle.zip",
        "approver-is-author": ROOT / "vectors/0083-approval-self-approval/bundle.zip",
        "missing-approval": ROOT / "vectors/0084-approval-insufficient/bundle.zip",
        "failed-test": w / "failed-test.zip",
        "deleted-from-ledger": ROOT / "vectors/0012-def-payout/bundle.zip",
    }
    for i, (name, path) in enumerate(bundles.items()):
        clyra("ledger", "append", str(path), "--ledger", "ledger", "--key", "lk/clyra.key",
              "--logged-at", f"{DAY}T1{i}:00:00Z", cwd=w, expect=0)
    # One entry of the next day, which the review must leave out.
    clyra("ledger", "append", str(ROOT / "vectors/0001-def-minimal/bundle.zip"), "--ledger", "ledger",
          "--key", "lk/clyra.key", "--logged-at", "2026-11-21T00:00:00Z", cwd=w, expect=0)
    gone = hashlib.sha256(bundles["deleted-from-ledger"].read_bytes()).hexdigest()
    (w / "ledger/bundles" / f"{gone}.zip").unlink()
    return bundles


def main():
    for tool in ("pdftotext", "pdftoppm"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: apt-get install -y poppler-utils")
    with tempfile.TemporaryDirectory() as tmp:
        w = Path(tmp)
        fixture(w)
        base = ["report", "daily-review", "--ledger", "ledger", "--date", DAY, "--trust", "trust.json", "--at", AT,
                "--policy", "d/def-policy.json", "--policy", "d/pef-policy.json"]

        # JSON review: content.
        p = clyra(*base, "--format", "json", cwd=w, expect=1)
        review = json.loads(p.stdout)
        check(review["type"] == "https://clyra.dev/daily-review/v0", "review type")
        check(review["totals"]["entries"] == 7, f"7 entries of the day, the next day's left out ({review['totals']['entries']})")
        check(not review["complete"], "the day is incomplete")
        statuses = {g["status"] for g in review["gaps"]}
        check(statuses == {"MISSING", "INVALID"}, f"gaps: missing and INVALID bundles only ({statuses})")
        check(review["totals"]["valid"] == 4, f"each bundle verified with the policy it records ({review['totals']})")
        nopol = json.loads(clyra(*base[:10], "--format", "json", cwd=w, expect=1).stdout)
        check(nopol["totals"]["indeterminate"] == 2, "without --policy, policy-required bundles are INDETERMINATE")
        check(any(v["approver"] for v in review["sod_violations"]), "approver = author found")
        codes = {c for g in review["approval_gaps"] for c in g["codes"]}
        check("approval.insufficient" in codes and "approval.self_approval" in codes, f"approval gaps ({codes})")
        check(review["approvals"]["required"] == 5 and review["approvals"]["compliant"] == 3,
              f"approval compliance {review['approvals']}")
        check(any(t["status"] == "fail" and t["bundle_id"] for t in review["test_failures"]), "failed dbt test listed")
        check(any(d["delta"] == 223 for d in review["row_count_deltas"]), "row-count delta 184000 → 184223")
        check(len(review["schema_migrations"]) >= 1, "schema migrations listed")
        check(len(review["genai_threats"]) >= 1, "GenAI threat listed")
        check(any(e["mode"] == "shadow" for e in review["policy_exceptions"]), "shadow policy exception listed")
        check(sum(review["risk"].values()) == 7, "risk distribution covers every entry")
        schema = json.loads((ROOT / "spec/schemas/daily-review-v0.schema.json").read_text())
        try:
            import jsonschema  # optional: the interop venv has it
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(review))
            check(not errors, f"review valid against daily-review-v0 schema ({errors[:1]})")
        except ImportError:
            print("skip schema check: python jsonschema not installed")

        # PDF, Markdown, showback, SIEM in one run; then again: same bytes.
        outs = ["--out", "review.pdf", "--showback", "showback.csv", "--siem", "ocsf", "--siem-out", "ocsf.ndjson"]
        clyra(*base, "--format", "pdf", *outs, cwd=w, expect=1)
        first = {n: (w / n).read_bytes() for n in ("review.pdf", "showback.csv", "showback.json", "ocsf.ndjson")}
        again = clyra(*base, "--format", "pdf", *outs, cwd=w, expect=4)
        check("cli.exists" in again.stderr, "no replace without --force")
        clyra(*base, "--format", "pdf", *outs, "--force", cwd=w, expect=1)
        for n, b in first.items():
            check((w / n).read_bytes() == b, f"{n}: same input, same bytes")
        text = pdf_text(w / "review.pdf")
        for needle in ("Daily evidence review: 2026-11-20", "entries are not accounted for", "approval.self_approval",
                       "Segregation-of-duties", "accepted_values_orders_status", "LLM01", "Review JSON digest"):
            check(needle in text, f"review.pdf text has `{needle}`")
        clyra(*base, "--format", "json", "--out", "review.json", cwd=w, expect=1)
        digest = "sha256:" + hashlib.sha256((w / "review.json").read_bytes()).hexdigest()
        check(digest in text.replace("\n", "").replace(" ", ""), "review.pdf carries the digest of the review JSON")
        check((w / "review.json").read_bytes() + b"\n" == p.stdout.encode(), "--out writes what stdout prints, without the newline")
        render_png(w / "review.pdf", "daily-review")
        md = clyra(*base, "--format", "md", cwd=w, expect=1).stdout
        check(md.startswith("# Daily evidence review: 2026-11-20") and "| index | bundle |" in md, "Markdown review")

        rows = list(csv.reader((w / "showback.csv").read_text().splitlines()))
        check(rows[0] == ["agent_id", "run_id", "date", "risk_score", "cost_attribution", "framework_status"],
              "showback CSV header exact")
        check(len(rows) == 8, "one showback line per entry")
        statuses = {r[5] for r in rows[1:]}
        check({"non_compliant", "unverified"} <= statuses, f"showback statuses {statuses}")
        sj = json.loads((w / "showback.json").read_text())
        check(len(sj["lines"]) == 7 and sj["columns"] == rows[0], "showback JSON beside the CSV")
        events = [json.loads(l) for l in (w / "ocsf.ndjson").read_text().splitlines()]
        check(len(events) == 7 and all(e["class_uid"] == 6003 for e in events), "one OCSF event per bundle")
        clyra(*base, "--siem", "ecs", "--siem-out", "ecs.ndjson", cwd=w, expect=1)
        ecs = [json.loads(l) for l in (w / "ecs.ndjson").read_text().splitlines()]
        check(len(ecs) == 7 and all(e["ecs"]["version"] == "9.4.0" for e in ecs), "one ECS event per bundle")

        # Auditor one-pager: a VALID bundle and an INVALID one (approver = author).
        for name, bundle, trust, exit_code in (
            ("auditor-valid", "d/def.zip", "trust.json --policy d/def-policy.json", 0),
            ("auditor-self-approval", str(ROOT / "vectors/0083-approval-self-approval/bundle.zip"), "trust.json", 1),
        ):
            args = ["verify", bundle, "--trust", *trust.split(), "--at", AT, "--auditor"]
            clyra(*args, "--format", "pdf", "--out", f"{name}.pdf", cwd=w, expect=exit_code)
            b1 = (w / f"{name}.pdf").read_bytes()
            clyra(*args, "--format", "pdf", "--out", f"{name}.pdf", "--force", cwd=w, expect=exit_code)
            check((w / f"{name}.pdf").read_bytes() == b1, f"{name}.pdf: same input, same bytes")
            check(b1.startswith(b"%PDF-") and b"pdfaid:part" in b1, f"{name}.pdf is PDF/A (XMP pdfaid)")
            text = pdf_text(w / f"{name}.pdf")
            verdict_json = clyra(*args, "--format", "json", cwd=w).stdout.encode()
            digest = "sha256:" + hashlib.sha256(verdict_json).hexdigest()
            flat = text.replace("\n", "").replace(" ", "")
            check(digest in flat, f"{name}.pdf carries the digest of the verdict JSON it was made from")
            for needle in ("who, what, when", "Approvals", "Risk breakdown", "Lineage", "Controls the evidence supports",
                           "clyra verify"):
                check(needle in text, f"{name}.pdf text has `{needle}`")
            pages = subprocess.run(["pdfinfo", str(w / f"{name}.pdf")], capture_output=True, text=True).stdout
            check("Pages:           1\n" in pages, f"{name}.pdf fits one page")
            render_png(w / f"{name}.pdf", name)
        text = pdf_text(w / "auditor-self-approval.pdf")
        check("INVALID" in text and "approver = author" in text, "self-approval one-pager says INVALID, approver = author")
        p = clyra("verify", "d/def.zip", "--trust", "trust.json", "--format", "pdf", "--out", "x.pdf", cwd=w, expect=4)
        check("--auditor" in p.stderr, "--format pdf without --auditor is a usage error")
        p = clyra("canon", "--format", "pdf", cwd=w, expect=4)
        check("cli.usage" in p.stderr, "--format pdf on another command is a usage error")

        # Receipt sheet.
        clyra("receipt", "extract", "d/def.zip", "--event", "1", "--out", "receipt.json", cwd=w, expect=0)
        clyra("receipt", "extract", "d/def.zip", "--event", "1", "--format", "pdf", "--out", "receipt.pdf", cwd=w, expect=0)
        text = pdf_text(w / "receipt.pdf")
        digest = "sha256:" + hashlib.sha256((w / "receipt.json").read_bytes()).hexdigest()
        check(digest in text.replace("\n", "").replace(" ", ""), "receipt.pdf carries the receipt JSON digest")
        check("Inclusion proof" in text and "policy.decided" in text, "receipt.pdf shows the event and the proof")
        b1 = (w / "receipt.pdf").read_bytes()
        clyra("receipt", "extract", "d/def.zip", "--event", "1", "--format", "pdf", "--out", "receipt.pdf", "--force", cwd=w, expect=0)
        check((w / "receipt.pdf").read_bytes() == b1, "receipt.pdf: same input, same bytes")
        render_png(w / "receipt.pdf", "receipt")

        # The SOX ITGC roll-up of the day: an attestation over the same ledger day, beside the review.
        p = clyra(*base, "--format", "json", "--out", "rollup-review.json", "--attest-sox", "sox-day",
                  "--key", "k/clyra.key", cwd=w, expect=1)
        written = [x["path"] for x in json.loads(p.stdout)["written"]]
        check(all((w / "sox-day" / f).exists() for f in ("attestation.dsse.json", "oscal-assessment-results.json",
                                                          "attestation.pdf"))
              and any(x.endswith("attestation.dsse.json") for x in written),
              "--attest-sox writes the SOX attestation, its OSCAL results and PDF, and lists them")
        v = clyra("attest", "verify", "sox-day/attestation.dsse.json", "--trust", "trust.json", "--at", AT,
                  "--format", "json", cwd=w)
        check(v.returncode in (0, 2) and json.loads(v.stdout)["outcome"] in ("VALID", "VALID_WITH_WARNINGS"),
              f"the roll-up attestation verifies: {v.stdout.strip()[:200]}")
        p = clyra(*base, "--format", "json", "--out", "rollup-review-2.json", "--attest-sox", "sox-day",
                  "--key", "k/clyra.key", cwd=w, expect=4)
        check(not (w / "rollup-review-2.json").exists() and "cli.exists" in p.stdout + p.stderr,
              "--attest-sox refuses to replace an attestation without --force, before writing anything")

        # The attestation report: `clyra attest` writes attestation.pdf beside the signed files.
        att = ["attest", "d/def.zip", "failed-test.zip", "--framework", "sox", "--key", "k/clyra.key",
               "--trust", "trust.json", "--at", AT]
        clyra(*att, "--out", "att", cwd=w, expect=1)
        text = pdf_text(w / "att/attestation.pdf")
        check("SOX ITGC attestation" in text and "Program changes" in text and "How to re-test" in text,
              "attestation.pdf shows the framework, the controls and their rationale")
        clyra(*att, "--out", "att2", cwd=w, expect=1)
        check((w / "att/attestation.pdf").read_bytes() == (w / "att2/attestation.pdf").read_bytes(),
              "attestation.pdf: same input, same bytes")
        render_png(w / "att/attestation.pdf", "attestation")

    print(f"\n{len(FAILS)} failure(s)")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
