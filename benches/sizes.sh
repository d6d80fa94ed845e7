#!/usr/bin/env bash
# Prints the shipped sizes of every verifier host (issue 13's budgets) and checks the browser
# verifier's: the .wasm after wasm-opt and gzipped (against the recorded size before ADR 0011),
# the Node addon, and the release CLI and Python wheel when a `dist` build of them exists.
# Builds what it measures unless told not to: the .wasm through node/web/build.mjs (the root
# Cargo.toml's `wasm-release` profile; WASM_BUILT=1 measures node/web/pkg as it is), the Node
# addon with napi (SKIP_NODE=1 skips it). Exits 1 when the .wasm is over budget.
# Budgets: .wasm <= 1.5 MiB after wasm-opt (<= 600 KiB gzipped); Node addon <= 8 MiB.
# CI runs it after the page build (`bash node/ci.sh web`, wasm only); `bash benches/sizes.sh` by hand.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
cd "$root"
row() { printf '%-40s %12s bytes  %8.2f MiB%s\n' "$1" "$2" "$(echo "$2 / 1048576" | bc -l)" "${3:-}"; }
size() { stat -c %s "$1"; }
stripped() { local t; t="$(mktemp)"; strip --strip-debug -o "$t" "$1"; size "$t"; rm -f "$t"; }
# Measured before ADR 0011 (jsonschema in the module; docs/decisions/0009 and 0011).
wasm_before=2404645
gzip_before=907763
wasm_budget=1572864
gzip_budget=614400
over=0

if [ "${SKIP_WASM:-}" != 1 ]; then
    [ "${WASM_BUILT:-}" = 1 ] || (cd node && node web/build.mjs >/dev/null)
    wasm=node/web/pkg/clyra_wasm_bg.wasm
    bytes="$(size "$wasm")"
    gz="$(gzip -9 -c "$wasm" | wc -c)"
    row "wasm before (ADR 0009, wasm-opt -Oz)" "$wasm_before"
    row "wasm (wasm-bindgen$( [ -x node/node_modules/.bin/wasm-opt ] && echo ' + wasm-opt -Oz'))" "$bytes" \
        "  budget $wasm_budget"
    row "wasm gzip -9 before (ADR 0009)" "$gzip_before"
    row "wasm gzip -9" "$gz" "  budget $gzip_budget"
    if [ "$bytes" -gt "$wasm_budget" ] || [ "$gz" -gt "$gzip_budget" ]; then
        echo "wasm over budget: $bytes > $wasm_budget or gzip $gz > $gzip_budget" >&2
        over=1
    fi
fi
if [ "${SKIP_NODE:-}" != 1 ]; then
    (cd node && npx napi build --platform --release --manifest-path ../bindings/node/Cargo.toml \
        --output-dir . --js binding.js --dts binding.d.ts >/dev/null 2>&1)
    row "node addon (release)" "$(size node/clyra.linux-x64-gnu.node)"
    row "node addon (release, strip -g)" "$(stripped node/clyra.linux-x64-gnu.node)"
fi
# The release artifacts (scripts/release.sh, profile `dist`: no debug info, stripped), when built.
if [ -f "$target/dist/clyra" ]; then
    row "clyra CLI (dist)" "$(size "$target/dist/clyra")"
fi
# Only wheels of the release script (profile `dist`); target/wheels may hold a debug build.
for wheel in "$target"/clyra-release/dist/python/*.whl "$target"/release-dry/dist/python/*.whl; do
    [ -f "$wheel" ] && row "python wheel ($(basename "$wheel" | cut -d- -f1-2))" "$(size "$wheel")"
done
exit "$over"
