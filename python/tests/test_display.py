"""Escaping evidence strings for the terminal (bindings/python/src/display.rs, verdicts.md §3.3)."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from clyra._clyra import display_escape
from clyra.dbt.seal import Sealed, describe

VERDICTS = Path(__file__).resolve().parents[2] / "spec" / "verdicts.md"
EVIL = "\x1b[2K\rVALID (ok)\n  ok forged \u202egnp.exe \u009b31m \x7f \\x1b"
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def test_follows_the_examples_of_the_spec() -> None:
    text = VERDICTS.read_text(encoding="utf-8")
    section = text[text.index("§3.3 **Human output"):]
    rows = re.findall(r'^- `("[^`]*")` is shown as `([^`]*)`$', section, re.M)
    assert len(rows) >= 5
    for literal, shown in rows:
        assert display_escape(json.loads(literal)) == shown


def test_no_unsafe_character_survives() -> None:
    for cp in range(0x3000):
        shown = display_escape(chr(cp))
        assert not UNSAFE.search(shown) and "\n" not in shown, hex(cp)
        if unicodedata.category(chr(cp)) == "Cc":
            assert shown.startswith("\\"), hex(cp)


def test_describe_escapes_what_dbt_and_the_warehouse_say(tmp_path: Path) -> None:
    summary = {"invocation_id": f"i{EVIL}", "status": "success", "target": "prod", "environment": "production",
               "assets": 1, "tests_failed": 0, "anchors": 0,
               "sql_findings": [{"severity": "warning", "asset": f"model.a{EVIL}", "rule": "r", "message": f"m{EVIL}"}],
               "schema_changes": [{"asset": "model.a", "columns_added": [f"c{EVIL}"]}]}
    policy = {"policy_hash": "sha256:" + "0" * 64, "decision": "allow", "mode": "enforce", "rule": f"r{EVIL}",
              "reason": f"because{EVIL}", "decisions": [{"mode": "shadow", "rule": "x", "decision": "deny", "reason": EVIL}]}
    sealed = Sealed(tmp_path / "b.zip", "b-1", summary, {}, policy)
    text = describe(sealed, tmp_path / "trust.json")
    assert not UNSAFE.search(text), text
    assert not any(line.startswith("VALID") or line.startswith("  ok forged") for line in text.splitlines())
    assert f"added c{display_escape(EVIL)}" in text
    assert display_escape(EVIL) == "\\x1b[2K\\rVALID (ok)\\n  ok forged \\u{202e}gnp.exe \\u{9b}31m \\x7f \\\\x1b"
