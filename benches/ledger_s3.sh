#!/usr/bin/env bash
# The evidence ledger on S3-compatible storage vs a local directory, same run (issue 14,
# ledger-v0.md §8): append N distinct bundles (default 1,000) in calls of 100, to a directory and
# to `s3://` on a loopback versitygw (scripts/s3-server.sh; Object Lock COMPLIANCE, 1 day), then
# verify each whole ledger. Peer: the local directory. Never run by CI.
#   PROFILE=release bash benches/ledger_s3.sh     (default: the debug build)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
n="${LEDGER_BENCH_N:-1000}"
profile="${PROFILE:-debug}"
flag=(); [ "$profile" = release ] && flag=(--release)
cargo build -q "${flag[@]}" --locked -p clyra-cli
cargo build -q "${flag[@]}" --locked -p clyra-benches --example ledger_bundles
clyra="$target/$profile/clyra"
work="$(mktemp -d "${TMPDIR:-/tmp}/clyra-ledger-s3-bench.XXXXXX")"
srv="$(bash scripts/s3-server.sh start "$work/srv")"
pid="${srv##*pid=}"
trap 'kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
export AWS_ENDPOINT_URL="${srv#endpoint=}"; AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL%% *}"
export AWS_ACCESS_KEY_ID=clyra-test AWS_SECRET_ACCESS_KEY=clyra-test-secret AWS_REGION=us-east-1 CLYRA_S3_PATH_STYLE=1
aws s3api create-bucket --bucket bench --object-lock-enabled-for-bucket >/dev/null   # the AWS CLI
secs() { local s; s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc; }

echo "generating $n bundles (not timed)..."
"$target/$profile/examples/ledger_bundles" "$n" "$work/b"
"$clyra" keygen --out "$work/k" >/dev/null
"$clyra" ledger init "$work/L" --key "$work/k/clyra.key" >/dev/null
"$clyra" ledger init s3://bench/L --key "$work/k/clyra.key" --retain-days 1 >/dev/null
sync
run() { cd "$work/b" && ls | xargs -n 100 bash -c '"$0" ledger append --ledger "$1" --key "$2" --retain-days 1 "${@:3}"' "$clyra" "$1" "$work/k/clyra.key"; }
export -f run; export clyra work
local_s=$(secs bash -c "run '$work/L'")
s3_s=$(secs bash -c "run s3://bench/L")
local_v=$(secs "$clyra" ledger verify "$work/L")
s3_v=$(secs "$clyra" ledger verify s3://bench/L)
cmp <("$clyra" ledger list --ledger "$work/L" | wc -l) <("$clyra" ledger list --ledger s3://bench/L | wc -l)
printf '%-46s %10s %10s\n' "ledger, $n bundles ($profile build)" "seconds" "per bundle"
printf '%-46s %10.2f %8.2f ms\n' "append, local directory (peer)" "$local_s" "$(echo "$local_s * 1000 / $n" | bc -l)"
printf '%-46s %10.2f %8.2f ms   ratio %.1fx\n' "append, s3:// versitygw on loopback" "$s3_s" "$(echo "$s3_s * 1000 / $n" | bc -l)" "$(echo "$s3_s / $local_s" | bc -l)"
printf '%-46s %10.2f\n' "verify, local directory" "$local_v"
printf '%-46s %10.2f   ratio %.1fx\n' "verify, s3://" "$s3_v" "$(echo "$s3_v / $local_v" | bc -l)"
