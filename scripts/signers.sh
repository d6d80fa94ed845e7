#!/usr/bin/env bash
# The signers stage: the PKCS#11 signer on a real SoftHSM2 token (Debian's softhsm2, installed with
# apt-get when missing), the signer command with its test script, key URIs in the CLI, and key
# rotation with the doctor's warnings (`clyra keys rotate`, `clyra doctor --at`).
#   bash scripts/signers.sh install   # only the tools: softhsm2, and openssl for the test signer
#                                     # (cargo test and pytest use it too: run before them)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
missing=()
[ -e /usr/lib/softhsm/libsofthsm2.so ] || missing+=(softhsm2)
command -v openssl >/dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null)
  else
    echo "error: missing ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 4
  fi
fi
[ "${1:-}" = install ] && exit 0
cargo test -q --locked -p clyra-signer -- --include-ignored
cargo test -q --locked -p clyra-cli --test keys
