#!/usr/bin/env bash
# The Node and browser test stages (called by the justfile's `test` recipe), from a fresh machine:
#   node   npm ci (node/package-lock.json), build the napi addon (debug), node --test node/test
#          (SDK, the clyra-verify command byte for byte against the Rust CLI, npm pack + npx)
#   web    rustup target wasm32-unknown-unknown, wasm-bindgen-cli pinned to the crate's version
#          (cargo install without --locked, into a cache folder), Debian's chromium when missing,
#          build the verify page's wasm, check its size budget (benches/sizes.sh: <= 1.5 MiB after
#          wasm-opt, <= 600 KiB gzipped), then the page test in headless Chromium
#   big    a 1 GiB bundle verified in the page with wasm memory under 64 MiB (built, then deleted)
#   hosts  what tests/conformance's node and wasm columns need (the tools of `web`, the addon and
#          the page, each built unless already there)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
target="${CARGO_TARGET_DIR:-$repo/target}"
export CARGO_TARGET_DIR="$target"
# The wasm-bindgen CLI must equal the crate version pinned in bindings/wasm/Cargo.toml.
wasm_bindgen_version="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' bindings/wasm/Cargo.toml)"
tools="${CLYRA_TOOLS:-$HOME/.cache/clyra/tools}"

# The wasm target, the pinned wasm-bindgen CLI and Debian's chromium, each when missing.
web_tools() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  if [ "$("$tools/bin/wasm-bindgen" --version 2>/dev/null)" != "wasm-bindgen $wasm_bindgen_version" ]; then
    # No --locked: the CLI's lockfile pins a crate version the registry lacks (FIELD-NOTES).
    cargo install -q wasm-bindgen-cli --version "=$wasm_bindgen_version" --root "$tools"
  fi
  command -v /usr/bin/chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
}

npm_ci() { [ -d node/node_modules/@napi-rs/cli ] && [ -d node/node_modules/jose ] || npm ci --prefix node --no-audit --no-fund; }

case "${1:-}" in
  node)
    npm_ci
    cargo build -q --locked -p clyra-cli
    (cd node && npm run -s build:debug >/dev/null)
    (cd node && npm test)
    ;;
  web)
    npm_ci
    web_tools
    cargo build -q --locked -p clyra-cli
    (cd node && WASM_BINDGEN="$tools/bin/wasm-bindgen" node web/build.mjs)
    SKIP_NODE=1 WASM_BUILT=1 bash benches/sizes.sh
    (cd node && npm run -s test:web)
    ;;
  hosts)
    # What the conformance matrix's node and wasm columns need: the addon and the page, each
    # built unless an earlier stage of this run built it (node/*.node, node/web/pkg).
    npm_ci
    web_tools
    ls node/*.node >/dev/null 2>&1 || (cd node && npm run -s build:debug >/dev/null)
    [ -f node/web/pkg/clyra_wasm_bytes.js ] || (cd node && WASM_BINDGEN="$tools/bin/wasm-bindgen" node web/build.mjs)
    ;;
  big)
    # A 1 GiB bundle (benches/make_bundle.sh) verified in the page, wasm memory under 64 MiB;
    # the bundle is deleted afterwards. Needs ~2 GiB free in $TMPDIR while building.
    npm_ci
    web_tools
    cargo build -q --locked -p clyra-cli
    [ -f node/web/pkg/clyra_wasm_bytes.js ] || (cd node && WASM_BINDGEN="$tools/bin/wasm-bindgen" node web/build.mjs)
    big="$(mktemp -d "${TMPDIR:-/tmp}/clyra-big.XXXXXX")"
    trap 'rm -rf "$big"' EXIT
    bash benches/make_bundle.sh "$target/debug/clyra" "$big" 1024 1
    (cd node && CLYRA_BIG_BUNDLE="$big" node --test web/test/big.test.mjs)
    ;;
  *)
    echo "usage: bash node/ci.sh node|web|hosts|big" >&2
    exit 4
    ;;
esac
