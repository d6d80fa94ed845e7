#!/usr/bin/env bash
# signer-command/v0 (spec/signer-command-v0.md) for Azure Key Vault: an EC P-256 key signs the
# message's SHA-256 digest with ES256. Key Vault returns r‖s (64 bytes): re-encoded here as DER.
#   --key 'cmd:docs/signers/azure-key-vault.sh my-vault clyra-producer'
# Credentials: `az login` or a managed identity.
set -euo pipefail
vault="${1:?usage: azure-key-vault.sh VAULT KEY public-key|sign}"
name="${2:?usage: azure-key-vault.sh VAULT KEY public-key|sign}"
case "${CLYRA_SIGNER_OPERATION:-}" in
  public-key)
    pem="$(mktemp)"; trap 'rm -f "$pem"' EXIT
    rm -f "$pem"
    az keyvault key download --vault-name "$vault" --name "$name" --encoding PEM --file "$pem" >/dev/null
    openssl pkey -pubin -in "$pem" -outform PEM
    ;;
  sign)
    [ "$CLYRA_SIGNER_SCHEME" = ecdsa-p256-sha256 ] || exit 2
    cat >/dev/null   # the digest is in CLYRA_SIGNER_MESSAGE_SHA256
    digest="$(python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$CLYRA_SIGNER_MESSAGE_SHA256" | base64 -w0)"
    raw="$(az keyvault key sign --vault-name "$vault" --name "$name" --algorithm ES256 \
      --digest "$digest" --query signature --output tsv)"
    python3 - "$raw" <<'PY'
import base64, sys
s = sys.argv[1]
raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
def integer(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80:
        b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b
body = integer(raw[:32]) + integer(raw[32:])
print(base64.b64encode(b"\x30" + bytes([len(body)]) + body).decode())
PY
    ;;
  *) exit 2 ;;
esac
