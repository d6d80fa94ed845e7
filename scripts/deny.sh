#!/usr/bin/env bash
# Dependency policy (deny.toml) with cargo-deny, pinned and cached by scripts/tools.sh.
# Licences, bans and sources are checked offline and must pass. Advisories need the RustSec
# database from GitHub: when it cannot be fetched the check says so and is not counted as passed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="$(bash scripts/tools.sh cargo-deny)"
# cargo-deny reads every package of the lock file, other platforms' too (a build fetches only
# this platform's): fetch them first, so a fresh machine passes offline.
cargo fetch --locked
"$bin/cargo-deny" --offline --locked check licenses bans sources
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if "$bin/cargo-deny" --locked check advisories >"$log" 2>&1; then
  echo "deny: advisories ok (RustSec database fetched)"
elif grep -q "failed to fetch advisory database" "$log"; then
  echo "deny: advisories NOT CHECKED: the RustSec advisory database cannot be fetched from this machine"
else
  cat "$log" >&2
  exit 1
fi
