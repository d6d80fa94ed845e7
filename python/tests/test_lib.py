"""The module surface (bindings/python/src/lib.rs): every compiled function is public API."""

import clyra
from clyra import _clyra


def test_public_names() -> None:
    assert set(clyra.__all__) <= set(dir(clyra))
    assert clyra.__version__ == _clyra.__version__
    for name in ["canonicalize", "keygen", "build_bundle", "sign_bundle", "approve", "verify_bundle", "inspect_bundle",
                 "receipt_extract", "receipt_verify", "badge_verify", "dbt_seal", "fingerprint", "dbt_plan", "dbt_gate", "sql_check", "genai_scan", "run"]:
        assert callable(getattr(_clyra, name)), name
