"""Shared fixtures: a key pair, a bundle spec and a built bundle."""

from __future__ import annotations

import json
from typing import Any

import pytest

import clyra

CREATED = "2026-11-20T09:01:15Z"
AT = "2026-12-01T00:00:00Z"


def spec(**override: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "format": "def/v0",
        "created_at": CREATED,
        "producer": {"name": "clyra-dbt", "version": "0.1.0", "host": "dbt-core 1.11.2"},
        "change": {"actor": "dana@example.com", "environment": "development", "kind": "data", "subject": "model.shop.orders"},
        "policy": {"required": False, "decisions": []},
        "risk": {"factors": {"change_magnitude": "data", "violations_critical": 0, "violations_warning": 0, "production": False,
                             "off_hours": False, "approval_bypassed": False, "threats": 0, "sql_findings": 0, "first_time_actor": False}},
        "approvals": {"required": 0},
        "def": {"run": {"tool": "dbt", "tool_version": "1.11.2", "invocation_id": "i-1", "command": "dbt build",
                        "started_at": "2026-11-20T09:00:00Z", "finished_at": "2026-11-20T09:01:00Z", "environment": "dev",
                        "actor": "dana", "status": "success"}, "assets": [], "tests": [], "metrics": {}},
        "journal": [{"at": "2026-11-20T09:00:00Z", "kind": "run.started", "data": {}},
                    {"at": "2026-11-20T09:01:00Z", "kind": "run.finished", "data": {"status": "success"}}],
    }
    s.update(override)
    return s


@pytest.fixture(scope="session")
def key() -> clyra.KeyPair:
    return clyra.keygen()


@pytest.fixture(scope="session")
def built(key: clyra.KeyPair) -> clyra.Built:
    return clyra.build_bundle(spec(), [key.private_pem], {"dbt/run_results.json": b'{"results": []}'}, signed_at="2026-11-20T09:02:00Z")


def dumps(value: Any) -> str:
    return json.dumps(value)
