"""The dbt story on dbt-postgres against a real PostgreSQL server on loopback; WAL LSN anchor."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from common import story


def test_two_runs_with_a_schema_change_and_a_wal_anchor(shop: Path, postgres: dict[str, str]) -> None:
    first, second = story(shop, "pg", env=postgres)
    for bundle in (first, second):
        manifest = json.loads(zipfile.ZipFile(bundle).read("manifest.json"))
        [anchor] = manifest["anchors"]
        assert anchor["kind"] == "postgres"
        assert re.fullmatch(r"[0-9A-F]{1,8}/[0-9A-F]{1,8}", anchor["wal_lsn"])
        assert anchor["isolation_level"] == "read committed"
        assert manifest["def"]["assets"][0]["relation"].startswith("shop.analytics.")


def _pg_gate(shop: Path, postgres: dict[str, str], name: str):  # type: ignore[no-untyped-def]
    """A Gate on a fresh database `name` of the test server (the story's tables are elsewhere)."""
    import psycopg2
    from gate import Gate

    admin = psycopg2.connect(host=postgres["PGHOST"], port=postgres["PGPORT"], user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"drop database if exists {name}")
        cur.execute(f"create database {name}")
    admin.close()
    env = {**postgres, "PGDATABASE": name}

    def tables() -> list[tuple[str, ...]]:
        con = psycopg2.connect(host=env["PGHOST"], port=env["PGPORT"], user="postgres", dbname=name)
        try:
            with con.cursor() as cur:
                cur.execute("select table_schema, table_name from information_schema.tables "
                            "where table_schema not in ('pg_catalog', 'information_schema')")
                return sorted(cur.fetchall())
        finally:
            con.close()

    return Gate(shop, "pg", env, tables)


def test_gate_refuses_before_dbt_runs_and_binds_approvals_to_the_plan(shop: Path, postgres: dict[str, str]) -> None:
    from gate import refused_then_approved

    refused_then_approved(_pg_gate(shop, postgres, "gate_refused"))


def test_gate_binds_the_git_commit(shop: Path, postgres: dict[str, str]) -> None:
    from gate import another_commit

    another_commit(_pg_gate(shop, postgres, "gate_commit"))


def test_gate_drift_is_recorded_and_denied(shop: Path, postgres: dict[str, str]) -> None:
    from gate import drift_denied

    drift_denied(_pg_gate(shop, postgres, "gate_drift"))


def test_gate_hold_and_resume(shop: Path, postgres: dict[str, str]) -> None:
    from gate import hold_and_resume

    hold_and_resume(_pg_gate(shop, postgres, "gate_hold"))


def test_gate_shadow_mode_only_records(shop: Path, postgres: dict[str, str]) -> None:
    from gate import shadow_unchanged

    shadow_unchanged(_pg_gate(shop, postgres, "gate_shadow"))


def test_gate_plain_dbt_fails_closed_when_opted_in(shop: Path, postgres: dict[str, str]) -> None:
    from gate import plain_dbt_fails_closed

    plain_dbt_fails_closed(_pg_gate(shop, postgres, "gate_closed"))
