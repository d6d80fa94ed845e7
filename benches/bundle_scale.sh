#!/usr/bin/env bash
# Bundle benchmarks at scale, compared with named peers in the same run (issue 4):
#   build a bundle holding 1 GiB of artifacts (4 stored files)  vs  cp + sha256sum of the files
#   verify it with 1 and 2 hashing threads (--jobs)             vs  raw sha2 hashing (one core), openssl dgst
#   verify a bundle with 100,000 journal events
# Prints a table with times, ratios and peak RSS (from /usr/bin/time). Needs ~3 GiB in $TMPDIR.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
cargo build -q --release --locked -p clyra-cli
cargo build -q --release --locked -p clyra-benches --example sha2_files
(cd verifier/go && go build -o "$target/clyra-verify-go" ./cmd/clyra-verify-go)
goverify="$target/clyra-verify-go"
clyra="$target/release/clyra"
sha2_files="$target/release/examples/sha2_files"
work="$(mktemp -d "${TMPDIR:-/tmp}/clyra-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

measure() { # NAME CMD... → prints "seconds rss_kib"
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time.$name" "$@" >"$work/out.$name" 2>"$work/err.$name" || {
    echo "$name failed:" >&2; cat "$work/err.$name" >&2; exit 1; }
  cat "$work/time.$name"
}

"$clyra" keygen --out "$work/key" >/dev/null
mkdir -p "$work/art"
for i in 1 2 3 4; do head -c $((256 * 1024 * 1024)) /dev/urandom >"$work/art/part$i.bin"; done
sync
cat >"$work/spec.json" <<JSON
{"format":"def/v0","created_at":"2026-11-20T09:00:00Z","producer":{"name":"bench","version":"0"},
 "change":{"subject":"model.bench.big","kind":"data","actor":"bench@example.com","environment":"test"},
 "policy":{"required":false,"decisions":[]},
 "risk":{"factors":{"change_magnitude":"data","violations_critical":0,"violations_warning":0,"production":false,"off_hours":false,"approval_bypassed":false,"threats":0,"sql_findings":0,"first_time_actor":false}},
 "approvals":{"required":0},
 "journal":[{"at":"2026-11-20T08:59:00Z","kind":"run.started","data":{}}],
 "def":{"run":{"tool":"bench","tool_version":"0","invocation_id":"bench-1","command":"bench","started_at":"2026-11-20T08:59:00Z","finished_at":"2026-11-20T09:00:00Z","environment":"test","actor":"bench@example.com","status":"success"},"assets":[],"tests":[],"metrics":{}}}
JSON
args=()
for i in 1 2 3 4; do args+=(--artifact "part$i.bin=$work/art/part$i.bin"); done

read -r build_s build_rss < <(measure build "$clyra" bundle build --spec "$work/spec.json" --key "$work/key/clyra.key" "${args[@]}" --out "$work/big.zip" --signed-at 2026-11-20T09:00:00Z)
read -r cp_s _ < <(measure cp bash -c "mkdir -p '$work/copy' && cp '$work'/art/*.bin '$work/copy/' && sha256sum '$work'/copy/*.bin")
read -r verify_s verify_rss < <(measure verify "$clyra" verify "$work/big.zip" --trust "$work/key/clyra.pub" --at 2026-11-21T00:00:00Z --format json --jobs 1)
grep -q '"outcome":"VALID"' "$work/out.verify" || { echo "the big bundle did not verify VALID:" >&2; head -c 400 "$work/out.verify" >&2; exit 1; }
read -r verify2_s verify2_rss < <(measure verify2 "$clyra" verify "$work/big.zip" --trust "$work/key/clyra.pub" --at 2026-11-21T00:00:00Z --format json --jobs 2)
cmp -s "$work/out.verify" "$work/out.verify2" || { echo "--jobs 2 gave another verdict than --jobs 1" >&2; exit 1; }
read -r go_verify_s go_verify_rss < <(measure goverify "$goverify" verify "$work/big.zip" --trust "$work/key/clyra.pub" --at 2026-11-21T00:00:00Z)
grep -q '"outcome":"VALID"' "$work/out.goverify" || { echo "Go: the big bundle did not verify VALID" >&2; exit 1; }
sha2_s=$("$sha2_files" "$work"/art/*.bin 2>/dev/null)
read -r openssl_s _ < <(measure openssl openssl dgst -sha256 "$work"/art/part1.bin "$work"/art/part2.bin "$work"/art/part3.bin "$work"/art/part4.bin)

# 100,000 journal events.
python3 - "$work/spec.json" "$work/spec100k.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["journal"] = [{"at": "2026-11-20T08:59:00Z", "kind": "model.finished", "data": {"n": i}} for i in range(100_000)]
json.dump(spec, open(sys.argv[2], "w"))
PY
read -r build100k_s _ < <(measure build100k "$clyra" bundle build --spec "$work/spec100k.json" --key "$work/key/clyra.key" --out "$work/events.zip" --signed-at 2026-11-20T09:00:00Z)
read -r verify100k_s verify100k_rss < <(measure verify100k "$clyra" verify "$work/events.zip" --trust "$work/key/clyra.pub" --at 2026-11-21T00:00:00Z --format json)
grep -q '"outcome":"VALID"' "$work/out.verify100k" || { echo "the 100k-event bundle did not verify VALID" >&2; exit 1; }
read -r go100k_s go100k_rss < <(measure goverify100k "$goverify" verify "$work/events.zip" --trust "$work/key/clyra.pub" --at 2026-11-21T00:00:00Z)
grep -q '"outcome":"VALID"' "$work/out.goverify100k" || { echo "Go: the 100k-event bundle did not verify VALID" >&2; exit 1; }

ratio() { python3 -c "print(f'{$1/$2:.2f}x')"; }
printf '%-44s %10s %10s %12s\n' "measurement" "seconds" "peak RSS" "ratio"
printf '%-44s %10s %10s %12s\n' "build 1 GiB (4 stored artifacts)" "$build_s" "$((build_rss / 1024)) MiB" "$(ratio "$build_s" "$cp_s") of cp+sha256sum"
printf '%-44s %10s %10s %12s\n' "  peer: cp + sha256sum of the same files" "$cp_s" "" ""
printf '%-44s %10s %10s %12s\n' "verify the 1 GiB bundle, 1 thread" "$verify_s" "$((verify_rss / 1024)) MiB" "$(ratio "$verify_s" "$sha2_s") of sha2"
printf '%-44s %10s %10s %12s\n' "verify the 1 GiB bundle, 2 threads" "$verify2_s" "$((verify2_rss / 1024)) MiB" "$(ratio "$verify2_s" "$sha2_s") of sha2"
printf '%-44s %10s %10s %12s\n' "  peer: raw sha2 over the artifacts (1 core)" "$sha2_s" "" ""
printf '%-44s %10s %10s %12s\n' "  beside: openssl dgst -sha256" "$openssl_s" "" "$(ratio "$verify_s" "$openssl_s") of openssl"
printf '%-44s %10s %10s %12s\n' "  Go verifier, same bundle" "$go_verify_s" "$((go_verify_rss / 1024)) MiB" "$(ratio "$go_verify_s" "$verify_s") of Rust"
printf '%-44s %10s %10s %12s\n' "build 100,000 journal events" "$build100k_s" "" ""
printf '%-44s %10s %10s %12s\n' "verify 100,000 journal events" "$verify100k_s" "$((verify100k_rss / 1024)) MiB" "goal < 1 s"
printf '%-44s %10s %10s %12s\n' "  Go verifier, same bundle" "$go100k_s" "$((go100k_rss / 1024)) MiB" "$(ratio "$go100k_s" "$verify100k_s") of Rust"
