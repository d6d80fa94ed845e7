"""Verify one Clyra DSSE envelope with Python securesystemslib (an independent DSSE verifier).

Usage: verify_dsse.py ENVELOPE_JSON PUBLIC_KEY_PEM KEYID SCHEME

SCHEME is a Clyra scheme name. The keyid is passed explicitly: securesystemslib only considers
signatures whose keyid equals its key object's keyid, and its default keyid differs from Clyra's.
Exit status: 0 verified, 1 not verified, 2 usage or input error.
"""

import json
import sys

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import SSlibKey

# Clyra scheme name -> securesystemslib scheme name.
SCHEMES = {
    "ed25519": "ed25519",
    "ecdsa-p256-sha256": "ecdsa-sha2-nistp256",
    "rsa-pkcs1v15-sha256": "rsa-pkcs1v15-sha256",
    "rsa-pss-sha256": "rsassa-pss-sha256",
}


def main(argv: list[str]) -> int:
    if len(argv) != 5 or argv[4] not in SCHEMES:
        print(__doc__, file=sys.stderr)
        return 2
    envelope_path, pem_path, keyid, scheme = argv[1:]
    try:
        with open(envelope_path, "rb") as f:
            envelope = Envelope.from_dict(json.load(f))
        with open(pem_path, "rb") as f:
            public_key = load_pem_public_key(f.read())
        key = SSlibKey.from_crypto(public_key, keyid=keyid, scheme=SCHEMES[scheme])
    except Exception as e:  # noqa: BLE001 - any input problem is a usage error here
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        accepted = envelope.verify([key], 1)
    except VerificationError as e:
        print(f"not verified: {e}")
        return 1
    if keyid not in accepted:
        print("not verified: key not among the accepted keys")
        return 1
    print(f"verified by {keyid}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
