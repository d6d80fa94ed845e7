#!/usr/bin/env bash
# signer-command/v0 (spec/signer-command-v0.md) for Google Cloud KMS keys with protection level
# HSM (Cloud HSM): an EC_SIGN_P256_SHA256 key version signs the message (gcloud hashes it with
# SHA-256; the signature is DER).
#   --key 'cmd:docs/signers/gcp-cloud-hsm.sh projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/1'
# Credentials: `gcloud auth` or the workload's service account.
set -euo pipefail
version="${1:?usage: gcp-cloud-hsm.sh KEY-VERSION-RESOURCE public-key|sign}"
case "${CLYRA_SIGNER_OPERATION:-}" in
  public-key)
    gcloud kms keys versions get-public-key "$version" --output-file - | openssl pkey -pubin -outform PEM
    ;;
  sign)
    [ "$CLYRA_SIGNER_SCHEME" = ecdsa-p256-sha256 ] || exit 2
    dir="$(mktemp -d)"; trap 'rm -rf "$dir"' EXIT
    cat >"$dir/message"
    gcloud kms asymmetric-sign --version "$version" --digest-algorithm sha256 \
      --input-file "$dir/message" --signature-file "$dir/signature" >/dev/null
    base64 -w0 "$dir/signature"; echo
    ;;
  *) exit 2 ;;
esac
