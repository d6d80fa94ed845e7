"""``clyra dbt build``: dbt's programmatic runner with a callback that keeps the facts the
``clyra`` package's on-run-end hook logs; the run is sealed after dbt returns."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

from .seal import FACTS_MARKER


@dataclass
class FactsCollector:
    """A dbt event callback: keeps the last ``CLYRA_FACTS`` object and the invocation id."""

    facts: Optional[dict[str, Any]] = None
    invocation_id: Optional[str] = None
    errors: list[str] = field(default_factory=list)
    executed_sql: list[dict[str, str]] = field(default_factory=list)
    """Every statement dbt ran for a node (`SQLQuery` events), for the SQL guard."""

    def __call__(self, event: Any) -> None:
        # dbt calls this for every event (37,397 in a 1,000-model run): read `info.name` once and
        # nothing else for the events that do not matter.
        name = event.info.name
        if name == "SQLQuery":
            data = event.data
            node = data.node_info.unique_id
            sql = data.sql
            if node and sql and not node.startswith("operation.clyra."):
                self.executed_sql.append({"node": node, "sql": sql})
        elif name.startswith("JinjaLog"):
            msg = event.data.msg
            if msg.startswith(FACTS_MARKER):
                try:
                    self.facts = json.loads(msg[len(FACTS_MARKER):])
                except ValueError as e:
                    self.errors.append(f"the clyra hook logged malformed facts: {e}")
        if self.invocation_id is None:
            self.invocation_id = event.info.invocation_id or None


@dataclass(frozen=True)
class DbtRun:
    """How dbt ended: its exit code (0 ok, 1 failures, 2 could not run) and what we kept."""

    exit_code: int
    facts: Optional[dict[str, Any]]
    invocation_id: Optional[str]
    target_path: Path
    executed_sql: list[dict[str, str]]


def target_path_of(project: Path, args: Sequence[str]) -> Path:
    """Where dbt writes artifacts: ``--target-path``, ``DBT_TARGET_PATH``, dbt_project.yml, or ``target``."""
    for i, a in enumerate(args):
        if a == "--target-path" and i + 1 < len(args):
            return project / args[i + 1]
        if a.startswith("--target-path="):
            return project / a.split("=", 1)[1]
    if os.environ.get("DBT_TARGET_PATH"):
        return project / os.environ["DBT_TARGET_PATH"]
    try:
        import yaml

        config = yaml.safe_load((project / "dbt_project.yml").read_text(encoding="utf-8")) or {}
        return project / str(config.get("target-path", "target"))
    except (OSError, ValueError, ImportError):
        return project / "target"


def run_dbt(project: Path, dbt_args: Sequence[str], command: str = "build") -> DbtRun:
    """Runs ``dbt COMMAND DBT_ARGS`` in-process in ``project`` and returns how it ended."""
    try:
        from dbt.cli.main import dbtRunner
    except ImportError as e:
        raise RuntimeError("dbt is not installed; run `pip install 'clyra[dbt]'` (dbt-core 1.11 with dbt-duckdb)") from e
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    collector = FactsCollector()
    args = [command, *dbt_args]
    if "--project-dir" not in dbt_args:
        args += ["--project-dir", str(project)]
    result = dbtRunner(callbacks=[collector]).invoke(args)
    if result.success:
        code = 0
    elif result.exception is None:
        code = 1
    else:
        code = 2
    return DbtRun(code, collector.facts, collector.invocation_id, target_path_of(project, dbt_args), collector.executed_sql)
