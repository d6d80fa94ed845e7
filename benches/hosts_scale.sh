#!/usr/bin/env bash
# Node and browser hosts at scale, beside the Rust CLI in the same run (issue 13):
#   verify the 1 GiB bundle and the 100,000-event bundle: Rust CLI (release) vs the Node SDK
#     (node/index.js) vs the npm bin (node/bin/clyra-verify.js), both on a release addon  (goal ≤ 1.2×)
#   verify a 100 MiB bundle: wasm in headless Chromium (the page's worker) vs the Rust CLI (goal ≤ 3×),
#     with the page's WebCrypto SHA-256 for stored artifacts and without it (wasm's own SHA-256)
# Whole processes timed by /usr/bin/time (best of RUNS, default 3), except the wasm rows: the
# verification inside the already open page (best of RUNS in one browser). Bundles from benches/make_bundle.sh; ~2.5 GiB in $TMPDIR.
# Node's own start-up is measured in the same run as the floor no Node host can go under
# (`node -e 0`; and requiring the SDK, which loads the addon), beside the verify call alone timed
# inside the SDK's process. When NODE_EXTRA_CA_CERTS is set (a machine setting: Node parses that CA
# bundle at start-up, before any JavaScript runs; the verifier makes no connection), the Node rows
# are measured both with it and with it unset, and both are printed. SKIP_WASM=1 leaves out the
# page build and the wasm row (the Node rows alone); SKIP_NODE=1 leaves out the Node rows, their
# bundles and the DSSE comparison (the 100 MiB bundle: Rust CLI and the page alone, the page as
# last built when it is).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
runs="${RUNS:-3}"
at=2026-11-21T00:00:00Z
cargo build -q --release --locked -p clyra-cli
if [ "${SKIP_WASM:-}" = 1 ]; then
  [ -d node/node_modules/@napi-rs/cli ] || npm ci --prefix node --no-audit --no-fund >/dev/null
elif [ "${SKIP_NODE:-}" = 1 ] && [ -f node/web/pkg/clyra_wasm_bytes.js ]; then
  : # the page as built last (node/web/build.mjs); no addon needed
else
  bash node/ci.sh hosts
fi
[ "${SKIP_NODE:-}" = 1 ] || (cd node && npm run -s build >/dev/null) # the release addon (replaces a debug one)
clyra="$target/release/clyra"
work="$(mktemp -d "${TMPDIR:-/tmp}/clyra-hosts.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The best wall seconds (ms resolution, perf_counter around the child process) of $runs runs of
# CMD...; it must exit 0 and, when VERDICT=1, print a VALID verdict.
timed() {
  python3 - "$runs" "$@" <<'PY'
import os, re, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
best = None
for _ in range(runs):
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr.decode()[:300]}{p.stdout.decode()[:300]}")
    if os.environ.get("VERDICT", "1") == "1" and not re.search(rb"\bVALID\b", p.stdout):
        sys.exit(f"not VALID: {' '.join(cmd)}\n{p.stdout.decode()[:300]}")
    best = t if best is None else min(best, t)
print(f"{best:.3f}")
PY
}
best() { VERDICT=1 timed "$@"; }
bestany() { VERDICT=0 timed "$@"; }
ratio() { python3 -c "print(f'{$1/$2:.2f}x')"; }
inproc() { # BUNDLE TRUST → the best seconds of the SDK's verify call inside its process
  local b=""
  for _ in $(seq "$runs"); do
    b=$(python3 -c "import sys; a=[float(x) for x in sys.argv[1:] if x]; print(min(a))" \
      "$(node benches/node_verify.cjs "$1" "$2" $at | awk '$1 == "VALID" {print $2}')" $b)
  done
  echo "$b"
}
# The Node rows with the environment as given, and without NODE_EXTRA_CA_CERTS when it is set.
envs=("as-is")
[ -n "${NODE_EXTRA_CA_CERTS:-}" ] && envs+=("no-extra-ca")
prefix() { if [ "$1" = no-extra-ca ]; then pre=(env -u NODE_EXTRA_CA_CERTS); else pre=(env); fi; }
row() { printf '%-84s %9s %8s\n' "$@"; }

bundles=(g1 e100k m100)
[ "${SKIP_NODE:-}" = 1 ] && bundles=(m100)
for b in "${bundles[@]}"; do
  case $b in g1) bash benches/make_bundle.sh "$clyra" "$work/g1" 1024 1 ;;
    e100k) bash benches/make_bundle.sh "$clyra" "$work/e100k" 1 100000 ;;
    m100) bash benches/make_bundle.sh "$clyra" "$work/m100" 100 1 ;; esac
done
results=()
for b in "${bundles[@]}"; do
  trust="$work/$b/key/clyra.pub" bundle="$work/$b/bundle.zip"
  rust=$(best "$clyra" verify "$bundle" --trust "$trust" --at $at --format json)
  if [ "${SKIP_NODE:-}" = 1 ]; then results+=("$b $rust -"); continue; fi
  line="$b $rust $(inproc "$bundle" "$trust")"
  for e in "${envs[@]}"; do
    prefix "$e"
    line+=" $(best "${pre[@]}" node benches/node_verify.cjs "$bundle" "$trust" $at)"
    line+=" $(best "${pre[@]}" node node/bin/clyra-verify.js "$bundle" --trust "$trust" --at $at --format json)"
  done
  results+=("$line")
done
floor=()
[ "${SKIP_NODE:-}" = 1 ] && envs=()
for e in "${envs[@]}"; do
  prefix "$e"
  floor+=("$e $(bestany "${pre[@]}" node -e 0) $(bestany "${pre[@]}" node -e "require('./node/index.js')")")
done
if [ "${SKIP_WASM:-}" != 1 ]; then
  read -r wasm_s wasm_outcome wasm_mem < <(node benches/wasm_verify.mjs "$work/m100/bundle.zip" "$work/m100/key/clyra.pub" $at "$runs")
  [ "$wasm_outcome" = VALID ] || { echo "wasm: the 100 MiB bundle is $wasm_outcome" >&2; exit 1; }
  read -r wasmonly_s wasmonly_outcome wasmonly_mem < <(node benches/wasm_verify.mjs --wasm-only "$work/m100/bundle.zip" "$work/m100/key/clyra.pub" $at "$runs")
  [ "$wasmonly_outcome" = VALID ] || { echo "wasm only: the 100 MiB bundle is $wasmonly_outcome" >&2; exit 1; }
fi

row "measurement (best of $runs)" "seconds" "ratio"
for r in "${results[@]}"; do
  read -r b rust call rest <<<"$r"
  read -r -a node <<<"$rest"
  case $b in g1) name="1 GiB bundle" ;; e100k) name="100,000-event bundle" ;; *) name="100 MiB bundle" ;; esac
  row "verify $name: Rust CLI (release)" "$rust" "peer"
  i=0
  for e in "${envs[@]}"; do
    tag=""; [ "$e" = no-extra-ca ] && tag=", NODE_EXTRA_CA_CERTS unset"
    row "  Node SDK clyra.verify (release addon$tag)" "${node[$i]}" "$(ratio "${node[$i]}" "$rust")"
    row "  npm bin clyra-verify$tag" "${node[$((i + 1))]}" "$(ratio "${node[$((i + 1))]}" "$rust")"
    i=$((i + 2))
  done
  [ "${SKIP_NODE:-}" = 1 ] || row "  the SDK's verify call alone (inside the process)" "$call" "$(ratio "$call" "$rust")"
  if [ "$b" = m100 ] && [ "${SKIP_WASM:-}" != 1 ]; then
    row "  wasm in Chromium (page worker, WebCrypto SHA-256; wasm memory $((wasm_mem >> 20)) MiB)" "$wasm_s" "$(ratio "$wasm_s" "$rust")"
    row "  wasm in Chromium, wasm SHA-256 only (no crypto.subtle; wasm memory $((wasmonly_mem >> 20)) MiB)" "$wasmonly_s" "$(ratio "$wasmonly_s" "$rust")"
  fi
done
for f in "${floor[@]}"; do
  read -r e zero sdkload <<<"$f"
  tag=""; [ "$e" = no-extra-ca ] && tag=", NODE_EXTRA_CA_CERTS unset"
  row "Node start-up floor: node -e 0$tag" "$zero" ""
  row "  node -e \"require('./node/index.js')\" (SDK + addon load$tag)" "$sdkload" ""
done
echo "goals: Node ≤ 1.20x of the Rust CLI on the 1 GiB and 100,000-event bundles; wasm ≤ 3.00x of native on 100 MiB"

[ "${SKIP_NODE:-}" = 1 ] && exit 0
# One DSSE verification in Node: @sigstore/verify on our Sigstore export vs the SDK's verifyEnvelope
# on the same envelope (DSSE only, dsse.md §10) and verifyReceipt (a superset of the peer's work).
[ -d tests/interop/node_modules/@sigstore/verify ] || npm ci --prefix tests/interop --no-audit --no-fund >/dev/null
"$clyra" export --sigstore "$work/m100/bundle.zip" --out "$work/m100.sigstore.json" >/dev/null
receipt=vectors/0089-receipt-first-event
echo
node benches/dsse_node.mjs "$work/m100.sigstore.json" "$work/m100/key/clyra.pub" "$receipt/receipt.json" "$receipt/trust.json" \
  "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['at'])" "$receipt/args.json")"
