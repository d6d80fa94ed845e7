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
