"""Badges (bindings/python/src/badge.rs): clyra.verify_badge on every badge vector, the forms a
badge is given in, and the only inputs that raise (spec/badge-v0.md §5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import clyra

ROOT = Path(__file__).resolve().parents[2]


def badge_vectors() -> list[tuple[Path, dict[str, Any], dict[str, Any]]]:
    out = []
    for folder in sorted((ROOT / "vectors").iterdir()):
        if (folder / "badge.jws").exists():
            args = json.loads((folder / "args.json").read_text())
            expected = json.loads((folder / "expected.json").read_text())
            out.append((folder, args, expected))
    return out


def vector(suffix: str) -> tuple[Path, str]:
    for folder, args, _ in badge_vectors():
        if folder.name.endswith(suffix):
            return folder, args["at"]
    raise LookupError(suffix)


def test_every_badge_vector_gets_its_expected_verdict() -> None:
    vectors = badge_vectors()
    assert len(vectors) >= 9
    for folder, args, expected in vectors:
        v = clyra.verify_badge(folder / "badge.jws", folder / "trust.json", at=args["at"])
        assert (v.outcome, v.primary, v.exit) == (expected["outcome"], expected["primary"], expected["exit"]), folder.name
        assert v.ok == (expected["outcome"] == "VALID")


def test_text_bytes_and_paths_give_one_verdict_with_the_claims() -> None:
    folder, at = vector("-badge-valid")
    jws = (folder / "badge.jws").read_text()
    trust = (folder / "trust.json").read_text()
    by_path = clyra.verify_badge(str(folder / "badge.jws"), str(folder / "trust.json"), at=at)
    assert clyra.verify_badge(jws.strip(), trust, at=at) == by_path
    assert clyra.verify_badge(jws.encode(), trust.encode(), at=at) == by_path
    assert by_path.outcome == "VALID" and by_path.badge is not None
    assert by_path.badge.sub == "vectors/shop" and by_path.badge.framework == "sox"
    assert by_path.badge.exp - by_path.badge.iat == 90 * 24 * 3600
    assert by_path.message


def test_a_badge_whose_claims_fail_reports_none() -> None:
    folder, at = vector("-badge-status-forged")
    v = clyra.verify_badge(folder / "badge.jws", folder / "trust.json", at=at)
    assert v.primary == "badge.claims" and v.badge is None and not v.ok


def test_any_bytes_are_a_verdict_and_an_oversized_file_is_read_bounded(tmp_path: Path) -> None:
    folder, at = vector("-badge-valid")
    trust = folder / "trust.json"
    assert clyra.verify_badge(b"\x01\x02", trust, at=at).primary == "badge.malformed"
    assert clyra.verify_badge(b"", trust, at=at).primary == "badge.malformed"
    big = tmp_path / "big.jws"
    big.write_bytes(b"eyJ" + b"A" * (1 << 20))
    v = clyra.verify_badge(big, trust, at=at)
    assert (v.outcome, v.primary, v.exit) == ("INVALID", "badge.malformed", 1)


def test_only_unusable_inputs_raise(tmp_path: Path) -> None:
    folder, at = vector("-badge-valid")
    badge, trust = folder / "badge.jws", folder / "trust.json"
    with pytest.raises(clyra.TrustError) as e:
        clyra.verify_badge(badge, "{}", at=at)
    assert e.value.code == "trust.file"
    with pytest.raises(clyra.UsageError) as u:
        clyra.verify_badge(badge, trust, at="yesterday")
    assert u.value.code == "cli.usage"
    with pytest.raises(FileNotFoundError):
        clyra.verify_badge(tmp_path / "no-such.jws", trust, at=at)
    with pytest.raises(IsADirectoryError):
        clyra.verify_badge(tmp_path, trust, at=at)
