"""``clyra dbt build --ticket servicenow|jira``: file the attested change ticket of a sealed run
through ``clyra export --servicenow|--jira`` (spec/ticket-config-v0.md).

A ticket is never allowed to change dbt's exit code or to lose a bundle: each bundle to file is
first written to a small outbox (``.clyra/state/ticket-outbox.json``), removed only once its
ticket is filed (or found already filed), and retried on every later run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Optional

from .project import ClyraDir, write_atomic

OUTBOX = "ticket-outbox.json"
SYSTEMS = ("servicenow", "jira")

Runner = Callable[[list[str]], int]


def _read(path: Path) -> list[dict[str, str]]:
    try:
        items = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return []
    if not isinstance(items, list):
        return []
    return [i for i in items if isinstance(i, dict) and i.get("system") in SYSTEMS and isinstance(i.get("bundle"), str)]


def outbox(project: Path) -> list[dict[str, str]]:
    """The bundles whose ticket is not filed yet, oldest first."""
    return _read(ClyraDir(project).state_dir / OUTBOX)


def file_tickets(project: Path, system: Optional[str], bundle: Optional[Path], config: Path,
                 run: Optional[Runner] = None) -> list[str]:
    """Queues ``bundle`` for ``system`` (when given), then files every queued ticket with
    ``clyra export``; returns one line per bundle. Failures stay queued for the next run."""
    if run is None:
        from .. import _clyra

        runner: Runner = _clyra.run
    else:
        runner = run
    state = ClyraDir(project).state_dir
    state.mkdir(parents=True, exist_ok=True)
    path = state / OUTBOX
    items = _read(path)
    if system is not None and bundle is not None:
        item = {"bundle": str(bundle), "system": system}
        if item not in items:
            items.append(item)
        # Queued before anything is sent: a crash from here on loses no ticket.
        write_atomic(path, json.dumps(items, separators=(",", ":")).encode("utf-8"))
    lines, remaining = [], []
    for item in items:
        if not Path(item["bundle"]).is_file():
            lines.append(f"ticket: {item['bundle']} no longer exists; dropped from the outbox")
            continue
        record = item["bundle"] + f".{item['system']}.json"
        args = ["clyra", "export", f"--{item['system']}", item["bundle"], "--config", str(config),
                "--record", record, "--force"]
        try:
            code = runner(args)
        except Exception as e:  # noqa: BLE001 - a ticket must never break the run
            code, why = 4, str(e)
        else:
            why = f"exit {code}"
        if code == 0:
            lines.append(f"ticket: {item['system']} ticket filed for {item['bundle']} (record {record})")
        else:
            remaining.append(item)
            lines.append(f"ticket: {item['system']} ticket for {item['bundle']} not filed ({why}); kept in {path} "
                         "and retried on the next run")
    write_atomic(path, json.dumps(remaining, separators=(",", ":")).encode("utf-8"))
    return lines
