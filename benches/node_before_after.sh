#!/usr/bin/env bash
# The Node host before and after a change, in one run (issue 13):
#   bash benches/node_before_after.sh REV    (e.g. the commit before the change)
# builds REV's release addon from `git archive REV` in a temp folder (same CARGO_TARGET_DIR, so
# dependencies are reused) and this tree's, then prints, beside this tree's release Rust CLI:
# verify of a 1 GiB and a 100,000-event bundle (whole processes, best of RUNS, default 5), the
# SDK's bench helper and the npm bin of each, with the environment as given and, when
# NODE_EXTRA_CA_CERTS is set, without it; then benches/dsse_node.mjs of each side (REV's bench
# script runs REV's package, so REV's rows are the calls REV had). ~2.5 GiB in $TMPDIR.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: node_before_after.sh REV" >&2; exit 4; }
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
rev=$1
runs="${RUNS:-5}"
target="${CARGO_TARGET_DIR:-$repo/target}"
export CARGO_TARGET_DIR="$target"
at=2026-11-21T00:00:00Z
work="$(mktemp -d "${TMPDIR:-/tmp}/clyra-before-after.XXXXXX")"
trap 'rm -rf "$work"' EXIT
[ -d node/node_modules/@napi-rs/cli ] || npm ci --prefix node --no-audit --no-fund >/dev/null
[ -d tests/interop/node_modules/@sigstore/verify ] || npm ci --prefix tests/interop --no-audit --no-fund >/dev/null
cargo build -q --release --locked -p clyra-cli
mkdir "$work/old"
git archive "$rev" | tar -x -C "$work/old"
# REV's crates get another workspace version, so their libraries and fingerprints do not take the
# place of this tree's in the shared target folder (cargo's metadata hash of a path crate ignores
# its folder, and a fingerprint's file list is relative: REV's build would pass for this tree's).
python3 - "$work/old/Cargo.toml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
head, sep, rest = text.partition("[workspace.package]")
rest = re.sub(r'^version = "(\d+)\.(\d+)\.(\d+)"', lambda m: f'version = "{m[1]}.{m[2]}.{int(m[3]) + 1000}"', rest, count=1, flags=re.M)
open(sys.argv[1], "w").write(head + sep + rest)
PY
ln -s "$repo/node/node_modules" "$work/old/node/node_modules"
rm -rf "$work/old/tests/interop" && ln -s "$repo/tests/interop" "$work/old/tests/interop"
(cd "$work/old/node" && npm run -s build >/dev/null)
# The cdylib's file name has no metadata hash: REV's build replaced this tree's in the target
# folder, so this tree's addon is relinked (touch) and built after it.
touch bindings/node/src/lib.rs
(cd node && npm run -s build >/dev/null)
clyra="$target/release/clyra"
# The SDK's bench helper of each side (an ES module before it was node_verify.cjs).
helper() { if [ -f "$1/benches/node_verify.cjs" ]; then echo "$1/benches/node_verify.cjs"; else echo "$1/benches/node_verify.mjs"; fi; }
source <(sed -n '/^timed() {/,/^ratio()/p' benches/hosts_scale.sh)
row() { printf '%-72s %9s %8s\n' "$@"; }
bash benches/make_bundle.sh "$clyra" "$work/g1" 1024 1 >/dev/null
bash benches/make_bundle.sh "$clyra" "$work/e100k" 1 100000 >/dev/null
bash benches/make_bundle.sh "$clyra" "$work/m10" 10 1 >/dev/null
envs=("as-is")
[ -n "${NODE_EXTRA_CA_CERTS:-}" ] && envs+=("no-extra-ca")
row "measurement (best of $runs)" "seconds" "ratio"
for b in g1 e100k; do
  bundle="$work/$b/bundle.zip" trust="$work/$b/key/clyra.pub"
  rust=$(best "$clyra" verify "$bundle" --trust "$trust" --at $at --format json)
  row "verify $b: Rust CLI (release)" "$rust" peer
  for e in "${envs[@]}"; do
    if [ "$e" = no-extra-ca ]; then pre=(env -u NODE_EXTRA_CA_CERTS); tag=" (NODE_EXTRA_CA_CERTS unset)"; else pre=(env); tag=""; fi
    for side in before after; do
      root=$repo; [ $side = before ] && root="$work/old"
      x=$(best "${pre[@]}" node "$(helper "$root")" "$bundle" "$trust" $at)
      row "  $side: Node SDK$tag" "$x" "$(ratio "$x" "$rust")"
      x=$(best "${pre[@]}" node "$root/node/bin/clyra-verify.js" "$bundle" --trust "$trust" --at $at --format json)
      row "  $side: npm bin clyra-verify$tag" "$x" "$(ratio "$x" "$rust")"
    done
  done
done
"$clyra" export --sigstore "$work/m10/bundle.zip" --out "$work/m10.sigstore.json" >/dev/null
receipt=vectors/0089-receipt-first-event
receipt_at="$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['at'])" "$receipt/args.json")"
for side in before after; do
  root=$repo; [ $side = before ] && root="$work/old"
  echo; echo "$side ($([ $side = before ] && echo "$rev" || echo "this tree")):"
  node "$root/benches/dsse_node.mjs" "$work/m10.sigstore.json" "$work/m10/key/clyra.pub" \
    "$receipt/receipt.json" "$receipt/trust.json" "$receipt_at" 500
done
