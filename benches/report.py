#!/usr/bin/env python3
"""Prints criterion results as ratio tables: each `clyra*` function against every `peer_*` of its group.

Usage: python3 benches/report.py [CRITERION_DIR]  (default: $CARGO_TARGET_DIR/criterion or target/criterion)
"""
import json
import os
import sys
from pathlib import Path


def estimates(dir_: Path):
    est = dir_ / "new" / "estimates.json"
    if not est.exists():
        return None
    data = json.loads(est.read_text())
    return data["median"]["point_estimate"]  # nanoseconds


def human(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3f} {unit}"
    return f"{ns:.1f} ns"


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(
        os.environ.get("CARGO_TARGET_DIR", "target")) / "criterion"
    if not root.is_dir():
        print(f"no criterion results under {root}; run `just bench` first", file=sys.stderr)
        return 1
    rows = []
    for group in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "report"):
        times = {f.name: estimates(f) for f in group.iterdir() if f.is_dir() and f.name != "report"}
        times = {k: v for k, v in times.items() if v is not None}
        ours = {k: v for k, v in times.items() if not k.startswith("peer_")}
        peers = {k: v for k, v in times.items() if k.startswith("peer_")}
        for name, t in sorted(ours.items()):
            for peer, tp in sorted(peers.items()):
                rows.append((group.name, name, human(t), peer[5:], human(tp), t / tp))
    if not rows:
        print("no results", file=sys.stderr)
        return 1
    header = ("group", "clyra", "median", "peer", "peer median", "clyra/peer")
    widths = [max(len(str(r[i])) if i < 5 else 6 for r in rows + [header]) for i in range(6)]
    fmt = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths))
    print(fmt(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r[:5] + (f"{r[5]:.2f}x",)))
    print("\nclyra/peer < 1 means Clyra is faster (time ratio of medians).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
