"""Verify a Clyra badge (spec/badge-v0.md) with PyJWT, a standard JOSE library, and the issuer's
public key: exit 0 and print the claims' `sub` and `status` when PyJWT accepts it, exit 1 with
the exception's name when it rejects it (expired, altered, wrong key), exit 4 on usage errors.

Usage: verify_badge.py BADGE.jws PUBLIC_KEY.pem
"""

import sys

import jwt  # PyJWT, pinned in requirements.txt
from cryptography.hazmat.primitives.serialization import load_pem_public_key


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 4
    token = open(argv[1], encoding="ascii").read().strip()
    key = load_pem_public_key(open(argv[2], "rb").read())
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["EdDSA"],
            options={"require": ["iss", "sub", "iat", "exp"]},
        )
    except jwt.PyJWTError as err:
        print(f"rejected {type(err).__name__}: {err}")
        return 1
    print(f"ok {claims['sub']} {claims['status']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
