#!/usr/bin/env bash
# Reports at scale through the release `clyra` (issue 15), never run by CI:
#   daily review of N distinct signed bundles of one ledger day (default 10,000)   goal <= 10 s, 2 cores
#     JSON, then PDF with showback and OCSF export; max RSS at N and at N/10 (memory must not grow
#     with the count beyond the small per-bundle facts)
#   one auditor one-pager PDF (`clyra verify --auditor --format pdf`)              goal < 1 s
# Peer in the same run: plain verification of the same bundles in-process on the same threads
# (examples/verify_all.rs), and `clyra verify` of the same bundle for the one-pager.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
n="${REPORT_BENCH_N:-10000}"
jobs="${REPORT_BENCH_JOBS:-2}"
cargo build -q --release --locked -p clyra-cli
cargo build -q --release --locked -p clyra-benches --example ledger_bundles --example verify_all
clyra="$target/release/clyra"
work="$(mktemp -d "${TMPDIR:-/tmp}/clyra-report-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
at=2026-12-01T00:00:00Z
secs() { local s; s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc; }
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

echo "generating $n bundles and their ledger (not timed)..."
"$target/release/examples/ledger_bundles" "$n" "$work/b"
unzip -p "$work/b/b000000.zip" 'keys/*' > "$work/producer.pub"
"$clyra" keygen --out "$work/k" >/dev/null
"$clyra" ledger init "$work/L" --key "$work/k/clyra.key" >/dev/null
(cd "$work/b" && ls | xargs -n 10000 sh -c 'c=$0 l=$1 k=$2; shift 2; "$c" ledger append --ledger "$l" --key "$k" --logged-at 2026-11-20T12:00:00Z "$@"' "$clyra" "$work/L" "$work/k/clyra.key") >/dev/null
small=$((n / 10))
"$clyra" ledger init "$work/S" --key "$work/k/clyra.key" >/dev/null
(cd "$work/b" && ls | awk -v n="$small" 'NR <= n' | xargs sh -c 'c=$0 l=$1 k=$2; shift 2; "$c" ledger append --ledger "$l" --key "$k" --logged-at 2026-11-20T12:00:00Z "$@"' "$clyra" "$work/S" "$work/k/clyra.key") >/dev/null
sync

review=(report daily-review --date 2026-11-20 --trust "$work/producer.pub" --at "$at" --jobs "$jobs")
peer=$(secs "$target/release/examples/verify_all" "$work/b" "$work/producer.pub" "$at" "$jobs")
json=$(secs "$clyra" "${review[@]}" --ledger "$work/L" --format json --out "$work/r.json")
pdf=$(secs "$clyra" "${review[@]}" --ledger "$work/L" --format pdf --out "$work/r.pdf" --showback "$work/s.csv" --siem ocsf --siem-out "$work/o.ndjson" --force)
rss_n=$(rss "$clyra" "${review[@]}" --ledger "$work/L" --format json --out "$work/r2.json")
rss_peer=$(rss "$target/release/examples/verify_all" "$work/b" "$work/producer.pub" "$at" "$jobs")
rss_small=$(rss "$clyra" "${review[@]}" --ledger "$work/S" --format json --out "$work/r3.json")
one="$work/b/b000000.zip"
verify_one=$(secs "$clyra" verify "$one" --trust "$work/producer.pub" --at "$at" --auditor --format json)
pager=$(secs "$clyra" verify "$one" --trust "$work/producer.pub" --at "$at" --auditor --format pdf --out "$work/one.pdf")
python3 -c "import json;r=json.load(open('$work/r.json'));assert r['totals']['entries']==$n and r['complete'],r['totals']"

printf '%-58s %10s\n' "reports, $n bundles, $jobs threads" seconds
printf '%-58s %10.2f\n' "peer: plain verification of the same bundles (in-process)" "$peer"
printf '%-58s %10.2f   ratio %.2fx\n' "clyra report daily-review --format json" "$json" "$(echo "$json / $peer" | bc -l)"
printf '%-58s %10.2f   ratio %.2fx\n' "  … --format pdf --showback --siem ocsf" "$pdf" "$(echo "$pdf / $peer" | bc -l)"
printf '%-58s %10s\n' "max RSS, $n bundles (KiB)" "$rss_n"
printf '%-58s %10s\n' "max RSS, $small bundles (KiB)" "$rss_small"
printf '%-58s %10s\n' "peer: max RSS, plain verification of $n bundles (KiB)" "$rss_peer"
printf '%-58s %10s\n' "review JSON of $n bundles (bytes)" "$(stat -c %s "$work/r.json")"
printf '%-58s %10.3f\n' "peer: clyra verify --auditor --format json (one bundle)" "$verify_one"
printf '%-58s %10.3f\n' "clyra verify --auditor --format pdf (one-pager)" "$pager"
