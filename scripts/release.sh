#!/usr/bin/env bash
# Builds a Clyra release and seals it into a PEF bundle that Clyra itself verifies.
#
#   bash scripts/release.sh --dry-run [--out DIR]     # ephemeral release key, everything else real
#   CLYRA_RELEASE_KEY=URI CLYRA_RELEASE_TRUST=FILE bash scripts/release.sh [--out DIR]
#
# Steps: the CLI (`cargo build --profile dist`: release, debug info stripped), the Python wheel and
# sdist (maturin, same profile), the npm packages (the root package and its linux-x64-gnu platform
# package, as node/test/pack.test.mjs stages them), CycloneDX SBOMs (cargo-cyclonedx for the Rust
# crates, cyclonedx-bom for the installed wheel's Python environment, `npm sbom` for the npm tree),
# then a PEF bundle of all of them signed with the release key (any key URI: a key file, pkcs11:,
# cmd: — spec/signer-command-v0.md), verified with `clyra verify release.zip --trust
# clyra-release-trust.json` by the CLI just built, and exported as a Sigstore bundle v0.3 (checked
# with npm @sigstore/verify, tests/interop). Prints
# every artifact's size, and the CLI's and the extension's sizes before and after stripping.
# The release key never appears in the output. Tools are pinned (scripts/tools.sh, PyPI pins below).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
target="${CARGO_TARGET_DIR:-$repo/target}"
export CARGO_TARGET_DIR="$target"

dry_run=0
out="$target/clyra-release"
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --out) out="$2"; shift ;;
    *) echo "usage: bash scripts/release.sh [--dry-run] [--out DIR]" >&2; exit 4 ;;
  esac
  shift
done

MATURIN_VERSION=1.16.0
CYCLONEDX_BOM_VERSION=7.5.0

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
commit="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
created_at="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
step() { echo "release: $*" >&2; }
size() { stat -c %s "$1"; }

rm -rf "$out"
mkdir -p "$out/dist/cli" "$out/dist/python" "$out/dist/npm" "$out/sbom" "$out/work"
tools_bin="$(bash scripts/tools.sh cargo-cyclonedx)"

# 1. The CLI, stripped; and, for the size report, the same binary with the debug info the
#    release profile keeps (objcopy of the unstripped dist build is not needed: we measure the
#    release profile's own output when a release build exists).
step "cargo build --locked --profile dist -p clyra-cli"
cargo build -q --locked --profile dist -p clyra-cli
cp "$target/dist/clyra" "$out/dist/cli/clyra-$version-x86_64-linux"
clyra="$out/dist/cli/clyra-$version-x86_64-linux"

# 2. The Python wheel and sdist (maturin from PyPI, pinned, in a private venv).
venv="$out/work/venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "maturin==$MATURIN_VERSION" "cyclonedx-bom==$CYCLONEDX_BOM_VERSION"
step "maturin build --profile dist (wheel) and maturin sdist"
(cd python && "$venv/bin/maturin" build -q --locked --profile dist --out "$out/dist/python" >&2)
(cd python && "$venv/bin/maturin" sdist --out "$out/dist/python" >&2)
wheel="$(ls "$out"/dist/python/clyra-*.whl)"
sdist="$(ls "$out"/dist/python/clyra-*.tar.gz)"

# 3. The npm packages: the addon built with the dist profile, the root and platform tarballs.
step "napi build --profile dist, npm pack (root and linux-x64-gnu)"
[ -d node/node_modules/@napi-rs/cli ] || npm ci --prefix node --no-audit --no-fund >/dev/null
(cd node && npx napi build --platform --profile dist --manifest-path ../bindings/node/Cargo.toml \
  --output-dir . --js binding.js --dts binding.d.ts >/dev/null)
stage="$out/work/npm"
mkdir -p "$stage"
node -e '
const fs = require("fs"), path = require("path");
const [pkg, stage] = process.argv.slice(1);
const manifest = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8"));
for (const f of manifest.files) fs.cpSync(path.join(pkg, f), path.join(stage, f), { recursive: true });
manifest.optionalDependencies = { [`${manifest.name}-linux-x64-gnu`]: manifest.version };
fs.writeFileSync(path.join(stage, "package.json"), JSON.stringify(manifest, null, 2));
' node "$stage"
(cd node && npx napi create-npm-dirs --cwd "$stage" >/dev/null)
cp node/clyra.linux-x64-gnu.node "$stage/npm/linux-x64-gnu/"
(cd "$stage" && npm pack --silent --pack-destination "$out/dist/npm" >/dev/null)
(cd "$stage/npm/linux-x64-gnu" && npm pack --silent --pack-destination "$out/dist/npm" >/dev/null)

# 4. SBOMs (CycloneDX JSON).
step "SBOMs: cargo cyclonedx, cyclonedx-py environment, npm sbom"
"$tools_bin/cargo-cyclonedx" cyclonedx --format json --spec-version 1.5 --override-filename clyra.cdx >/dev/null 2>&1
for member in core signer bindings/cli bindings/python bindings/node; do
  name="$(basename "$member")"
  [ "$member" = core ] && name=core
  mv "$member/clyra.cdx.json" "$out/sbom/rust-$name.cdx.json"
done
# Members not shipped (benches, vectorgen, wasm) get SBOMs too: remove them from the tree.
find . -name clyra.cdx.json -not -path "./target/*" -delete
"$venv/bin/python" -m venv "$out/work/wheel-venv"
"$out/work/wheel-venv/bin/python" -m pip install -q --disable-pip-version-check "$wheel"
"$venv/bin/cyclonedx-py" environment --of JSON -o "$out/sbom/python-wheel.cdx.json" "$out/work/wheel-venv/bin/python" >/dev/null
"$out/work/wheel-venv/bin/clyra" --version >/dev/null
(cd node && npm sbom --sbom-format cyclonedx --omit dev >"$out/sbom/npm-clyra-verify.cdx.json")

# 5. The release key and trust file.
if [ "$dry_run" = 1 ]; then
  step "dry run: an ephemeral release key"
  "$clyra" keygen --alg ed25519 --out "$out/work/release-key" --format json >"$out/work/release-key.json"
  release_key="$out/work/release-key/clyra.key"
  trust="$out/clyra-release-trust.json"
  python3 - "$out/work/release-key.json" "$out/work/release-key/clyra.pub" "$trust" "$created_at" <<'PY'
import json, sys
made, pub, trust, at = sys.argv[1:]
keyid = json.load(open(made, encoding="utf-8"))["keyid"]
pem = open(pub, encoding="utf-8").read()
json.dump({"version": 0, "keys": [{"keyid": keyid, "scheme": "ed25519", "public_key_pem": pem,
           "roles": ["producer"], "not_before": at}], "thresholds": {"producer": 1}},
          open(trust, "w", encoding="utf-8"), indent=1)
PY
else
  release_key="${CLYRA_RELEASE_KEY:?set CLYRA_RELEASE_KEY to the release key URI (or pass --dry-run)}"
  trust="$out/clyra-release-trust.json"
  cp "${CLYRA_RELEASE_TRUST:?set CLYRA_RELEASE_TRUST to the published release trust file}" "$trust"
fi

# 6. Seal and verify with the CLI just built.
step "seal release.zip and verify it"
artifacts=()
spec_items=()
add() { # NAME PATH COMMAND
  artifacts+=(--artifact "$1=$2")
  spec_items+=("$1=$2=$3")
}
add "cli/$(basename "$clyra")" "$clyra" "cargo build --locked --profile dist -p clyra-cli"
add "python/$(basename "$wheel")" "$wheel" "maturin build --locked --profile dist"
add "python/$(basename "$sdist")" "$sdist" "maturin sdist"
for tgz in "$out"/dist/npm/*.tgz; do add "npm/$(basename "$tgz")" "$tgz" "npm pack"; done
for sbom in "$out"/sbom/*.json; do add "sbom/$(basename "$sbom")" "$sbom" "cyclonedx"; done
python3 scripts/release_spec.py --version "$version" --commit "$commit" --created-at "$created_at" \
  --out "$out/work/release-spec.json" "${spec_items[@]}"
"$clyra" bundle build --spec "$out/work/release-spec.json" --key "$release_key" "${artifacts[@]}" \
  --signed-at "$created_at" --out "$out/release.zip" >/dev/null
"$clyra" verify "$out/release.zip" --trust "$trust" >"$out/work/verify.txt"
head -n 1 "$out/work/verify.txt" >&2
"$clyra" export --sigstore "$out/release.zip" --out "$out/release.sigstore.json" >/dev/null
# The Sigstore export verifies offline with npm @sigstore/verify (pinned in tests/interop).
[ -d tests/interop/node_modules/@sigstore/verify ] || npm ci --prefix tests/interop --no-audit --no-fund >/dev/null 2>&1
python3 -c '
import json, sys
trust = json.load(open(sys.argv[1], encoding="utf-8"))
print(next(k["public_key_pem"] for k in trust["keys"] if "producer" in k["roles"]), end="")
' "$trust" >"$out/work/release.pub.pem"
node tests/interop/verify_sigstore.mjs "$out/release.sigstore.json" "$out/work/release.pub.pem" >&2

# 7. Sizes.
echo "artifact                                                     bytes"
for f in "$clyra" "$wheel" "$sdist" "$out"/dist/npm/*.tgz "$out"/sbom/*.json "$out/release.zip" "$out/release.sigstore.json"; do
  printf '%-58s %12d\n' "${f#"$out"/}" "$(size "$f")"
done
echo "stripping (release profile: debug = 1; dist profile: strip, debug = 0)"
if [ -x "$target/release/clyra" ]; then
  printf '%-58s %12d\n' "clyra, release profile (as last built)" "$(size "$target/release/clyra")"
else
  printf '%-58s %12s\n' "clyra, release profile (cargo build --release -p clyra-cli)" "not built"
fi
printf '%-58s %12d\n' "clyra, dist profile" "$(size "$target/dist/clyra")"
so="$(ls "$target"/dist/lib_clyra.so 2>/dev/null || true)"
[ -n "$so" ] && printf '%-58s %12d\n' "_clyra extension, dist profile" "$(size "$so")"
[ -f "$target/release/lib_clyra.so" ] && printf '%-58s %12d\n' "_clyra extension, release profile (as last built)" "$(size "$target/release/lib_clyra.so")"
rm -rf "$out/work/venv" "$out/work/wheel-venv" "$out/work/npm"
echo "release: $out/release.zip verified VALID against $trust" >&2
