"""Badges (bindings/python/src/badge.rs): clyra.verify_badge against the golden badge vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import clyra

VECTORS = Path(__file__).resolve().parents[2] / "vectors"


def _cases() -> list[Path]:
    return sorted(p for p in VECTORS.iterdir() if (p / "badge.jws").exists())


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_badge_vectors(case: Path) -> None:
    expected = json.loads((case / "expected.json").read_text())
    at = json.loads((case / "args.json").read_text())["at"]
    trust = (case / "trust.json").read_bytes()
    by_path = clyra.verify_badge(case / "badge.jws", trust, at=at)
    by_text = clyra.verify_badge((case / "badge.jws").read_text(), trust, at=at)
    assert by_path == by_text
    assert (by_path.outcome, by_path.primary, by_path.exit) == (
        expected["outcome"], expected["primary"], expected["exit"])
    assert by_path.ok == (expected["outcome"] == "VALID")


def test_valid_badge_carries_its_claims() -> None:
    case = VECTORS / "0169-badge-valid"
    at = json.loads((case / "args.json").read_text())["at"]
    v = clyra.verify_badge((case / "badge.jws").read_bytes(), case / "trust.json", at=at)
    assert v.ok and v.badge is not None
    assert set(v.badge) == {"iss", "sub", "framework", "status", "iat", "exp", "jti"}


def test_any_bytes_are_a_verdict_and_bad_inputs_raise(tmp_path: Path) -> None:
    trust = (VECTORS / "0169-badge-valid" / "trust.json").read_bytes()
    v = clyra.verify_badge(b"not a badge", trust, at="2026-12-01T00:00:00Z")
    assert v.outcome == "INVALID" and v.badge is None and v.exit == 1
    big = tmp_path / "big.jws"
    big.write_bytes(b"e" * 70_000)
    assert clyra.verify_badge(big, trust, at="2026-12-01T00:00:00Z").outcome == "INVALID"
    with pytest.raises(clyra.TrustError) as e:
        clyra.verify_badge(b"x", b"{}", at="2026-12-01T00:00:00Z")
    assert e.value.code == "trust.file"
    with pytest.raises(clyra.UsageError) as usage:
        clyra.verify_badge(b"x", trust, at="yesterday")
    assert usage.value.code == "cli.usage"
