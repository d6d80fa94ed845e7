#!/usr/bin/env bash
# The signers stage: the PKCS#11 signer on a real SoftHSM2 token (Debian's softhsm2, installed with
# apt-get when missing), the signer command with its test script, key URIs in the CLI, and key
# rotation with the doctor's warnings (`clyra keys rotate`, `clyra doctor --at`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -e /usr/lib/softhsm/libsofthsm2.so ]; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 >/dev/null)
  else
    echo "error: SoftHSM2 is not installed; run: sudo apt-get install -y softhsm2" >&2
    exit 4
  fi
fi
command -v openssl >/dev/null || { echo "error: the test signer needs openssl" >&2; exit 4; }
cargo test -q --locked -p clyra-signer -- --include-ignored
cargo test -q --locked -p clyra-cli --test keys
