"""What `verify --ledger-proof` (trust-v0.md §6.5, rule 5a) adds to one verification: vector 0182
(a revoked key witnessed before its revocation) verified 40 times with and without its receipt, by
the Rust CLI and the Go verifier, median wall time per process (start-up included). Never run by
CI. Usage: python3 benches/witness_overhead.py [RUST_BIN] [GO_BIN] (defaults: the debug builds in
$CARGO_TARGET_DIR or target)."""
import os
import statistics
import subprocess
import sys
import time

target = os.environ.get("CARGO_TARGET_DIR", "target")
rust = sys.argv[1] if len(sys.argv) > 1 else f"{target}/debug/clyra"
go = sys.argv[2] if len(sys.argv) > 2 else f"{target}/clyra-verify-go"
d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors", "0182-witness-revoked-key-cosigned-before")
base = ["verify", f"{d}/bundle.zip", "--trust", f"{d}/trust.json", "--at", "2026-12-01T00:00:00Z"]
print(f"{'implementation':22} {'run':22} median ms (40 runs)")
for impl, cmd, tail in [("rust (clyra)", [rust], ["--format", "json"]), ("go (clyra-verify-go)", [go], [])]:
    for label, extra in [("without receipt", []), ("with --ledger-proof", ["--ledger-proof", f"{d}/ledger-proof.json"])]:
        times = []
        for _ in range(40):
            start = time.perf_counter()
            subprocess.run(cmd + base + extra + tail, capture_output=True, check=False)
            times.append((time.perf_counter() - start) * 1000)
        print(f"{impl:22} {label:22} {statistics.median(times):.2f}")
