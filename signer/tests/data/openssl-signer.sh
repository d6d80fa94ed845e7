#!/usr/bin/env bash
# The test signer of signer-command/v0 (spec/signer-command-v0.md): signs with the PKCS#8 key in
# $CLYRA_TEST_SIGNER_KEY through openssl. $CLYRA_TEST_SIGNER_MODE makes it misbehave on `sign`
# for the tests: sleep, garbage, huge, exit2, exit3, exit4, exit1.
set -euo pipefail
key="${CLYRA_TEST_SIGNER_KEY:?set CLYRA_TEST_SIGNER_KEY}"
operation="${!#}"
[ "$operation" = "$CLYRA_SIGNER_OPERATION" ] || { echo "operation argument and env differ" >&2; exit 1; }
[ "$CLYRA_SIGNER_PROTOCOL" = "signer-command/v0" ] || exit 2
case "$operation" in
  public-key)
    openssl pkey -in "$key" -pubout
    ;;
  sign)
    case "${CLYRA_TEST_SIGNER_MODE:-}" in
      sleep) sleep 30 ;;
      garbage) echo "not base64!"; exit 0 ;;
      huge) head -c 100000 /dev/zero | base64 -w0; exit 0 ;;
      exit1) echo "kms: throttled" >&2; exit 1 ;;
      exit2) exit 2 ;;
      exit3) exit 3 ;;
      exit4) exit 4 ;;
    esac
    msg="$(mktemp)"
    trap 'rm -f "$msg"' EXIT
    cat >"$msg"
    # The digest Clyra announces must be the message's.
    [ "$(sha256sum "$msg" | cut -d' ' -f1)" = "$CLYRA_SIGNER_MESSAGE_SHA256" ] || exit 1
    case "$CLYRA_SIGNER_SCHEME" in
      ed25519) openssl pkeyutl -sign -inkey "$key" -rawin -in "$msg" | base64 -w0 ;;
      ecdsa-p256-sha256) openssl dgst -sha256 -sign "$key" "$msg" | base64 -w0 ;;
      *) exit 2 ;;
    esac
    echo
    ;;
  *) exit 2 ;;
esac
