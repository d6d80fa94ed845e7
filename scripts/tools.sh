#!/usr/bin/env bash
# Installs the pinned release and audit tools into $CLYRA_TOOLS (default $HOME/.cache/clyra/tools)
# and prints the directory to put on PATH. Each tool is built once (`cargo install --locked`) and
# kept there: later runs find it and return at once.
#
#   bash scripts/tools.sh cargo-deny cargo-cyclonedx
set -euo pipefail

tools="${CLYRA_TOOLS:-$HOME/.cache/clyra/tools}"
mkdir -p "$tools/bin"

# Exact versions: a tool upgrade is a reviewed change of this file.
pin() {
  case "$1" in
    cargo-deny) echo "0.20.2" ;;
    cargo-cyclonedx) echo "0.5.9" ;;
    *) echo "error: no pinned version for \`$1\`" >&2; return 4 ;;
  esac
}

for tool in "$@"; do
  version="$(pin "$tool")"
  stamp="$tools/.$tool-$version"
  if [ -x "$tools/bin/$tool" ] && [ -f "$stamp" ]; then
    continue
  fi
  start=$SECONDS
  # A private target dir, removed afterwards: the tools' build trees are large and never reused.
  build="$(mktemp -d "${TMPDIR:-/tmp}/clyra-tools.XXXXXX")"
  CARGO_TARGET_DIR="$build" cargo install --locked --quiet --root "$tools" "$tool" --version "=$version" >&2
  rm -rf "$build"
  touch "$stamp"
  echo "tools: installed $tool $version in $((SECONDS - start)) s" >&2
done
echo "$tools/bin"
