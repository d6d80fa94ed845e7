"""The exception hierarchy (bindings/python/src/errors.rs): one base, one class per family."""

import pytest

import clyra
from clyra import _clyra

FAMILIES = ["UsageError", "CanonError", "SigningKeyError", "TrustError", "PolicyError", "BuildError",
            "ApprovalError", "ReceiptError", "BundleError", "SealError", "GuardError"]


def test_every_family_derives_from_clyra_error() -> None:
    for name in FAMILIES:
        cls = getattr(clyra, name)
        assert issubclass(cls, clyra.ClyraError) and issubclass(cls, Exception)
        assert cls is getattr(_clyra, name)
    assert clyra.ClyraError.code == ""


def test_failure_carries_code_help_path_and_all_errors(built: clyra.Built) -> None:
    with pytest.raises(clyra.TrustError) as e:
        clyra.verify(built.bundle, "{}")
    assert e.value.code == "trust.file"
    assert e.value.help and "trust" in e.value.help
    assert len(e.value.errors) == 1 and "trust.file" in e.value.errors[0]
    assert "(trust.file)" in str(e.value)


def test_usage_errors_for_malformed_calls() -> None:
    with pytest.raises(clyra.UsageError) as e:
        _clyra.verify_bundle("{not json", b"")
    assert e.value.code == "ffi.call"
    with pytest.raises(clyra.UsageError) as e2:
        _clyra.verify_bundle('{"trust": "x", "at": "now", "extra": 1}', b"")
    assert e2.value.code == "ffi.call" and e2.value.path is not None
