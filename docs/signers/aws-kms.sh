#!/usr/bin/env bash
# signer-command/v0 (spec/signer-command-v0.md) for AWS KMS: an ECC_NIST_P256 key (SIGN_VERIFY)
# signs the message's SHA-256 digest (MessageType DIGEST, ECDSA_SHA_256; KMS returns DER).
#   --key 'cmd:docs/signers/aws-kms.sh alias/clyra-producer'
# Credentials come from the usual AWS environment (AWS_PROFILE, AWS_REGION, role credentials).
set -euo pipefail
key="${1:?usage: aws-kms.sh KEY-ID-OR-ALIAS public-key|sign}"
case "${CLYRA_SIGNER_OPERATION:-}" in
  public-key)
    aws kms get-public-key --key-id "$key" --query PublicKey --output text | base64 -d \
      | openssl pkey -pubin -inform DER -outform PEM
    ;;
  sign)
    [ "$CLYRA_SIGNER_SCHEME" = ecdsa-p256-sha256 ] || exit 2
    cat >/dev/null   # the digest is in CLYRA_SIGNER_MESSAGE_SHA256
    digest="$(mktemp)"; trap 'rm -f "$digest"' EXIT
    python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$CLYRA_SIGNER_MESSAGE_SHA256" >"$digest"
    aws kms sign --key-id "$key" --message "fileb://$digest" --message-type DIGEST \
      --signing-algorithm ECDSA_SHA_256 --query Signature --output text
    ;;
  *) exit 2 ;;
esac
