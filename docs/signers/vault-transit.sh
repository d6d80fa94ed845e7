#!/usr/bin/env bash
# signer-command/v0 (spec/signer-command-v0.md) for HashiCorp Vault Transit: an `ed25519` or
# `ecdsa-p256` transit key signs the message (ECDSA: SHA-256, ASN.1 DER, Transit's defaults).
#   --key 'cmd:docs/signers/vault-transit.sh clyra-producer'
# Credentials: VAULT_ADDR and VAULT_TOKEN (or any Vault auth) in the environment.
set -euo pipefail
key="${1:?usage: vault-transit.sh KEY [MOUNT] public-key|sign}"
mount="transit"
[ $# -ge 3 ] && mount="$2"
case "${CLYRA_SIGNER_OPERATION:-}" in
  public-key)
    vault read -format=json "$mount/keys/$key" | python3 -c '
import base64, json, sys, textwrap
data = json.load(sys.stdin)["data"]
entry = data["keys"][str(data["latest_version"])]
if data["type"] == "ed25519":
    # Transit gives the raw 32-byte key: wrap it as SPKI.
    der = bytes.fromhex("302a300506032b6570032100") + base64.b64decode(entry["public_key"])
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    print(f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----")
elif data["type"] == "ecdsa-p256":
    print(entry["public_key"].strip())
else:
    sys.exit(2)
' | openssl pkey -pubin -outform PEM
    ;;
  sign)
    input="$(base64 -w0)"
    extra=()
    [ "$CLYRA_SIGNER_SCHEME" = ecdsa-p256-sha256 ] && extra=(hash_algorithm=sha2-256 marshaling_algorithm=asn1)
    sig="$(vault write -field=signature "$mount/sign/$key" input="$input" "${extra[@]}")"
    echo "${sig##*:}"   # vault:v1:BASE64 -> BASE64
    ;;
  *) exit 2 ;;
esac
