#!/usr/bin/env bash
# The evidence ledger on the local backend, end to end through the release `clyra` (issue 14):
#   append 100,000 distinct signed bundle files (10 calls of 10,000: one checkpoint each)   goal <= 30 s
#   verify the whole 100,000-entry ledger (re-hash every record and tile)
#   one inclusion proof by index at 100,000 entries (`clyra ledger prove --index`), as a process
# Peer in the same run: `sha256sum` of the same 100,000 files (reading and hashing them is the least
# an append must do). The 1,000,000-entry proof cost is the criterion bench `ledger` (tiles in memory).
# Needs ~2 GiB in $TMPDIR. Never run by CI.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
n="${LEDGER_BENCH_N:-100000}"
cargo build -q --release --locked -p clyra-cli
cargo build -q --release --locked -p clyra-benches --example ledger_bundles
clyra="$target/release/clyra"
work="$(mktemp -d "${TMPDIR:-/tmp}/clyra-ledger-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
secs() { local s; s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc; }

echo "generating $n bundles (not timed)..."
"$target/release/examples/ledger_bundles" "$n" "$work/b"
"$clyra" keygen --out "$work/k" >/dev/null
"$clyra" ledger init "$work/L" --key "$work/k/clyra.key" >/dev/null
sync
peer=$(secs bash -c "cd '$work/b' && ls | xargs -n 10000 sha256sum")
append=$(secs bash -c "cd '$work/b' && ls | xargs -n 10000 sh -c '\"$clyra\" ledger append --ledger \"$work/L\" --key \"$work/k/clyra.key\" \"\$@\"' _")
verify=$(secs "$clyra" ledger verify "$work/L")
prove=$(secs "$clyra" ledger prove --index $((n * 7 / 10)) --ledger "$work/L" --out "$work/p.json")
"$clyra" ledger check "$work/p.json" --key "$(python3 -c "import json;print(json.load(open('$work/L/ledger.json'))['key'])")" >/dev/null
printf '%-44s %10s\n' "ledger, $n bundles" seconds
printf '%-44s %10.2f\n' "clyra ledger append (10 calls)" "$append"
printf '%-44s %10.2f   ratio %.1fx\n' "peer: sha256sum of the same files" "$peer" "$(echo "$append / $peer" | bc -l)"
printf '%-44s %10.2f\n' "clyra ledger verify (whole ledger)" "$verify"
printf '%-44s %10.3f\n' "clyra ledger prove --index (one process)" "$prove"
