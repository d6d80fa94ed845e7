"""clyra.canonicalize (bindings/python/src/canon.rs)."""

import pytest

import clyra


def test_canonical_form_and_digest() -> None:
    c = clyra.canonicalize('{"b": 1e3, "a": [true, 0.50], "c": "\\u00e9"}')
    assert c.canonical == '{"a":[true,0.5],"b":1000,"c":"é"}'
    assert c.digest.startswith("sha256:") and len(c.digest) == 71
    assert clyra.canonicalize(b'{"a":1}').canonical == '{"a":1}'


@pytest.mark.parametrize(
    "text, code",
    [('{"a":1,"a":2}', "jcs.duplicate_key"), ("9007199254740993", "jcs.integer_out_of_range"), ("NaN", "jcs.syntax")],
)
def test_rejections_raise_canon_error_with_code(text: str, code: str) -> None:
    with pytest.raises(clyra.CanonError) as e:
        clyra.canonicalize(text)
    assert e.value.code.startswith("jcs.")
    if code != "jcs.syntax":
        assert e.value.code == code


def test_number_tokens_are_bounded() -> None:
    """primitives.md §2.2.6: at most 800 bytes (L45) and 4 exponent digits (L46)."""
    assert clyra.canonicalize("1." + "0" * 797 + "1").canonical == "1"
    assert clyra.canonicalize("1e-0007").canonical == "1e-7"
    for text in ["1." + "0" * 798 + "1", "1e00005", "[1" + "0" * 900 + "]"]:
        with pytest.raises(clyra.CanonError) as e:
            clyra.canonicalize(text)
        assert e.value.code == "jcs.number_too_long"
