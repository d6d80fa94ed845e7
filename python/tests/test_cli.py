"""The Rust CLI through the extension (bindings/python/src/cli.rs) and the console script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import clyra
from conftest import AT

CLYRA = [sys.executable, "-m", "clyra"]


def test_same_output_and_exit_codes_as_the_binary(tmp_path: Path, key: clyra.KeyPair, built: clyra.Built) -> None:
    r = subprocess.run([*CLYRA, "canon"], input='{"b":1,"a":2}', capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == '{"a":2,"b":1}'
    (tmp_path / "b.zip").write_bytes(built.bundle)
    (tmp_path / "k.pub").write_text(key.public_pem)
    ok = subprocess.run([*CLYRA, "verify", str(tmp_path / "b.zip"), "--trust", str(tmp_path / "k.pub"), "--at", AT, "--format", "json"], capture_output=True, text=True)
    assert ok.returncode == 0 and '"outcome":"VALID"' in ok.stdout
    (tmp_path / "bad.zip").write_bytes(b"PK junk")
    bad = subprocess.run([*CLYRA, "verify", str(tmp_path / "bad.zip"), "--trust", str(tmp_path / "k.pub"), "--at", AT], capture_output=True, text=True)
    assert bad.returncode == 1 and "INVALID" in bad.stdout
    usage = subprocess.run([*CLYRA, "verify"], capture_output=True, text=True)
    assert usage.returncode == 4 and usage.stderr


def test_help_lists_dbt_and_run_returns_codes(capfd) -> None:  # type: ignore[no-untyped-def]
    r = subprocess.run([*CLYRA, "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "verify" in r.stdout and "clyra dbt init" in r.stdout
    assert clyra._clyra.run(["clyra", "--version"]) == 0
    assert clyra._clyra.run(["clyra", "no-such-command"]) == 4
    out = capfd.readouterr()
    assert "clyra" in out.out and "no-such-command" in out.err


def test_dbt_help() -> None:
    r = subprocess.run([*CLYRA, "dbt", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "init" in r.stdout and "seal" in r.stdout
