"""A dbt project's ``.clyra/`` directory: key, trust file, config, state, and file writes that
never leave a partial file behind."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

PACKAGE_SOURCE = Path(__file__).parent / "package"
"""The `clyra` dbt package shipped inside this pip package."""


class SetupError(Exception):
    """A project that is not set up for Clyra, with the one line that says how to fix it."""


SYMLINK_REFUSED = "is a symbolic link; clyra never replaces or writes through a link: give the real path"
"""Why a write to a symbolic link is refused (the same rule as the Rust CLI's writer)."""


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Writes ``data`` to ``path`` through a temporary file renamed into place: readers see the
    old file or the whole new one, never a part. A symbolic link at ``path`` is refused
    (:class:`SetupError`): renaming over it would replace the link and leave its target as it
    was. A missing folder is created without write access for group or others, whatever the
    umask. Callers decide whether an existing file may be replaced (``--force``)."""
    if path.is_symlink():
        raise SetupError(f"{path}: {SYMLINK_REFUSED}")
    if not path.parent.is_dir():
        path.parent.parent.mkdir(parents=True, exist_ok=True)
        path.parent.mkdir(mode=0o755, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@dataclass(frozen=True)
class ClyraDir:
    """Paths of one project's ``.clyra/`` directory."""

    project: Path

    @property
    def root(self) -> Path:
        return self.project / ".clyra"

    @property
    def key(self) -> Path:
        return self.root / "keys" / "clyra.key"

    @property
    def public_key(self) -> Path:
        return self.root / "keys" / "clyra.pub"

    @property
    def trust(self) -> Path:
        return self.root / "trust.json"

    @property
    def config_path(self) -> Path:
        return self.root / "config.json"

    @property
    def policy(self) -> Path:
        return self.root / "policy.yaml"

    @property
    def ledger(self) -> Union[Path, str]:
        """The evidence ledger sealed bundles are appended to (spec/ledger-v0.md): ``ledger`` in
        ``.clyra/config.json`` — a directory relative to the project, or ``s3://bucket/prefix``
        (returned as that string; spec §8), given alone or as ``{"location": …, "retain_days": N}``
        — else ``.clyra/ledger``."""
        configured = self.config().get("ledger") if self.config_path.exists() else None
        if isinstance(configured, dict):
            configured = configured.get("location")
            if not isinstance(configured, str) or not configured:
                raise SetupError(f"{self.config_path}: `ledger` must be a location or {{\"location\": …, \"retain_days\": N}}")
        if isinstance(configured, str) and configured.startswith("s3://"):
            return configured
        return self.project / configured if isinstance(configured, str) else self.root / "ledger"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def package_dir(self) -> Path:
        return self.project / "dbt_packages" / "clyra"

    def require(self) -> None:
        """Raises :class:`SetupError` unless ``clyra dbt init`` ran here."""
        if not (self.project / "dbt_project.yml").is_file():
            raise SetupError(f"{self.project}: no dbt_project.yml here; run from your dbt project or pass --project-dir")
        if not self.config_path.is_file():
            raise SetupError(f"{self.config_path}: missing; run `clyra dbt init` in {self.project} first")

    def config(self) -> dict[str, Any]:
        """The project's Clyra config (environments mapping, actor)."""
        try:
            config: dict[str, Any] = json.loads(self.config_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise SetupError(f"{self.config_path}: unreadable ({e}); fix the JSON or rerun `clyra dbt init --force`") from e
        if not isinstance(config.get("environments"), dict):
            raise SetupError(f"{self.config_path}: `environments` must map dbt targets to production|staging|development|test")
        return config

    def key_uri(self) -> Optional[str]:
        """The producer key as a key URI (``pkcs11:…``, ``cmd:…``, ``file:…``;
        spec/signer-command-v0.md) when ``.clyra/config.json`` sets ``key``, else None (the key
        file ``.clyra/keys/clyra.key``). The URI never holds a PIN: ``pin-value`` is refused."""
        configured = self.config().get("key") if self.config_path.exists() else None
        if configured is not None and (not isinstance(configured, str) or not configured):
            raise SetupError(f"{self.config_path}: `key` must be a key URI (file:…, pkcs11:…, cmd:…)")
        return configured

    def producer_keys(self) -> tuple[list[str], list[str]]:
        """The producer keys for a core call: (PEMs, key URIs) — the configured ``key`` URI, or
        the key file's PEM."""
        uri = self.key_uri()
        return ([], [uri]) if uri is not None else ([self.signing_key()], [])

    def ledger_key(self) -> str:
        """The ``--key`` argument that signs ledger checkpoints: the configured URI or the key
        file's path."""
        return self.key_uri() or str(self.key)

    def signing_key(self) -> str:
        """The producer's private key PEM."""
        try:
            return self.key.read_text(encoding="utf-8")
        except OSError as e:
            raise SetupError(f"{self.key}: missing producer key ({e.strerror}); run `clyra dbt init` to create one") from e

    def previous_state(self, invocation_id: str) -> Optional[Any]:
        """The state of the run before ``invocation_id`` (``last.json``, or ``previous.json`` when
        ``last.json`` is this run's own, sealed again)."""
        last = self.state_dir / "last.json"
        if not last.exists():
            return None
        state = self._read_state(last)
        if isinstance(state, dict) and state.get("invocation_id") == invocation_id:
            prev = self.state_dir / "previous.json"
            return self._read_state(prev) if prev.exists() else None
        return state

    def _read_state(self, path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise SetupError(f"{path}: corrupt state ({e}); delete it and the next run records every relation as new") from e

    def save_state(self, state: Any) -> None:
        """Keeps ``state`` as ``last.json`` (the former one becomes ``previous.json``)."""
        last = self.state_dir / "last.json"
        if last.exists():
            try:
                old = json.loads(last.read_text(encoding="utf-8"))
            except ValueError:
                old = None
            if isinstance(old, dict) and old.get("invocation_id") != state.get("invocation_id"):
                write_atomic(self.state_dir / "previous.json", last.read_bytes())
        # Compact: the C encoder (indent= falls back to pure Python, ~10x slower on large runs).
        write_atomic(last, json.dumps(state, separators=(",", ":"), sort_keys=True).encode("utf-8"))

    def gate_config(self) -> bytes:
        """The generated macro ``clyra.gated_targets()``: the dbt targets whose environment
        ``.clyra/config.json`` lists in ``gate.fail_closed`` (plain ``dbt build`` fails there)."""
        try:
            config = self.config() if self.config_path.is_file() else {}
        except SetupError:
            config = {}
        gate = config.get("gate") if isinstance(config.get("gate"), dict) else {}
        closed = set(gate.get("fail_closed", [])) if isinstance(gate.get("fail_closed"), list) else set()
        targets = sorted(t for t, env in config.get("environments", {}).items() if env in closed)
        return ("{#- Generated from .clyra/config.json by clyra; do not edit. -#}\n"
                f"{{% macro gated_targets() %}}{{{{ return({json.dumps(targets)}) }}}}{{% endmacro %}}\n").encode("utf-8")

    def used_nonces(self) -> set[str]:
        """Approval nonces earlier runs consumed (approval-v0.md §3.2: a nonce serves one run)."""
        path = self.state_dir / "nonces.json"
        if not path.exists():
            return set()
        used = self._read_state(path)
        return {str(n) for n in used} if isinstance(used, list) else set()

    def consume_nonces(self, nonces: list[str]) -> None:
        """Records ``nonces`` as used, before the run they approve starts."""
        used = sorted(self.used_nonces() | set(nonces))
        write_atomic(self.state_dir / "nonces.json", json.dumps(used).encode("utf-8"))

    def install_package(self) -> None:
        """Copies the shipped dbt package into ``dbt_packages/clyra`` (dbt loads it from there
        without ``dbt deps``) with the generated gate config; replaced whole when it differs."""
        marker = self.package_dir / "dbt_project.yml"
        source = PACKAGE_SOURCE / "dbt_project.yml"
        generated = self.gate_config()
        gate_file = self.package_dir / "macros" / "gate_config.sql"
        if marker.is_file() and marker.read_bytes() == source.read_bytes() and all(
            (self.package_dir / "macros" / m.name).is_file()
            and (self.package_dir / "macros" / m.name).read_bytes() == m.read_bytes()
            for m in (PACKAGE_SOURCE / "macros").iterdir()
        ) and gate_file.is_file() and gate_file.read_bytes() == generated:
            return
        tmp = self.package_dir.with_name(".clyra.tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        shutil.copytree(PACKAGE_SOURCE, tmp, ignore=shutil.ignore_patterns("__pycache__"))
        (tmp / "macros" / "gate_config.sql").write_bytes(generated)
        if self.package_dir.exists():
            shutil.rmtree(self.package_dir)
        os.replace(tmp, self.package_dir)
