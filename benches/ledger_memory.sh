#!/usr/bin/env bash
# Peak resident memory of `clyra ledger verify` (whole ledger) and `clyra ledger append` (10 new
# bundles) at 100,000 and 1,000,000 entries (issue 14: memory flat in the ledger's size).
# The ledgers are built from records directly by the example `ledger_records` (one
# `ledger::tiles::append` per 65,536 records, a signed checkpoint), not by appending a million
# bundle files. Peer in the same run: the same commands on the 100,000-entry ledger (the ratio
# 1M / 100k is what "flat" means: ~1.0). CLYRA=path overrides the binary (e.g. an older build).
# Needs ~450 MB in $TMPDIR. Never run by CI.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
profile="${LEDGER_BENCH_PROFILE:-release}"
flag=(); [ "$profile" = release ] && flag=(--release)
cargo build -q "${flag[@]}" --locked -p clyra-cli
cargo build -q "${flag[@]}" --locked -p clyra-benches --example ledger_records --example ledger_bundles
clyra="${CLYRA:-$target/$profile/clyra}"
work="$(mktemp -d "${TMPDIR:-/tmp}/clyra-ledger-mem.XXXXXX")"
trap 'rm -rf "$work"' EXIT
"$target/$profile/examples/ledger_bundles" 10 "$work/b" >/dev/null
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
printf '%-12s %22s %22s\n' entries "verify peak RSS (KiB)" "append peak RSS (KiB)"
for n in 100000 1000000; do
  "$target/$profile/examples/ledger_records" "$n" "$work/L$n" >/dev/null
  v=$(rss "$clyra" ledger verify "$work/L$n")
  a=$(rss "$clyra" ledger append --ledger "$work/L$n" --key "$work/L$n.key" "$work"/b/*)
  printf '%-12s %22s %22s\n' "$n" "$v" "$a"
  rm -rf "$work/L$n"
done
