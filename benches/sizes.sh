#!/usr/bin/env bash
# Prints the shipped sizes of every verifier host (issue 13's budgets): the browser .wasm after
# wasm-opt and gzipped, the Node addon, the Python wheel and the release CLI (as built and
# stripped). Builds what it measures, in release mode (the .wasm in the root Cargo.toml's
# `wasm-release` profile, as node/web/build.mjs builds it); never run by CI (`bash benches/sizes.sh`).
# Budgets: .wasm <= 1.5 MiB after wasm-opt (<= 600 KiB gzipped); Node addon <= 8 MiB.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
cd "$root"
row() { printf '%-34s %12s bytes  %8.2f MiB\n' "$1" "$2" "$(echo "$2 / 1048576" | bc -l)"; }
size() { stat -c %s "$1"; }
stripped() { local t; t="$(mktemp)"; strip --strip-debug -o "$t" "$1"; size "$t"; rm -f "$t"; }

if [ "${SKIP_WASM:-}" != 1 ]; then
    (cd node && node web/build.mjs >/dev/null)
    wasm=node/web/pkg/clyra_wasm_bg.wasm
    row "wasm (wasm-bindgen$( [ -x node/node_modules/.bin/wasm-opt ] && echo ' + wasm-opt -Oz'))" "$(size "$wasm")"
    row "wasm gzip -9" "$(gzip -9 -c "$wasm" | wc -c)"
fi
if [ "${SKIP_NODE:-}" != 1 ]; then
    (cd node && npx napi build --platform --release --manifest-path ../bindings/node/Cargo.toml \
        --output-dir . --js binding.js --dts binding.d.ts >/dev/null 2>&1)
    row "node addon (release)" "$(size node/clyra.linux-x64-gnu.node)"
    row "node addon (release, strip -g)" "$(stripped node/clyra.linux-x64-gnu.node)"
fi
if [ "${SKIP_CLI:-}" != 1 ]; then
    cargo build -q --locked --release -p clyra-cli
    row "clyra CLI (release)" "$(size "$target/release/clyra")"
    row "clyra CLI (release, strip -g)" "$(stripped "$target/release/clyra")"
fi
if [ "${SKIP_WHEEL:-}" != 1 ]; then
    out="$(mktemp -d)"
    python3 -m pip wheel -q --no-deps -w "$out" ./python
    row "python wheel ($(basename "$out"/*.whl | cut -d- -f1-2))" "$(size "$out"/*.whl)"
    rm -rf "$out"
fi
