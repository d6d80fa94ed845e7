"""``clyra dbt``'s evidence ledger on S3-compatible object storage (spec/ledger-v0.md §8): a real
versitygw server with Object Lock on loopback (scripts/s3-server.sh, as the Rust tests in
bindings/cli/tests/ledger_s3.rs). A bundle sealed through the Python API is appended by the dbt
host's append (the Rust ``clyra ledger append`` run in-process) to the ``s3://`` ledger of
``.clyra/config.json``, with the policy's retention, read back with GetObjectRetention."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

import pytest

import clyra
from clyra import _clyra
from clyra.dbt.cli import _ledger_exit
from clyra.dbt.init import init
from clyra.dbt.project import ClyraDir
from conftest import spec

ACCESS, SECRET, REGION = "clyra-test", "clyra-test-secret", "us-east-1"
REPO = Path(__file__).resolve().parents[2]


class S3:
    """A minimal SigV4 client (header-signed) for the test's own bucket set-up and read-back."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def request(self, method: str, path: str, query: str = "", headers: dict[str, str] | None = None) -> tuple[int, str]:
        url = urllib.parse.urlsplit(self.endpoint)
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        payload = hashlib.sha256(b"").hexdigest()
        h = {"host": url.netloc, "x-amz-date": amz_date, "x-amz-content-sha256": payload, **(headers or {})}
        signed = ";".join(sorted(h))
        canonical_query = "&".join(sorted(f"{k}={v}" for k, v in (p.split("=", 1) if "=" in p else (p, "") for p in query.split("&") if p)))
        canonical = "\n".join([method, urllib.parse.quote(path), canonical_query,
                               "".join(f"{k}:{h[k]}\n" for k in sorted(h)), signed, payload])
        scope = f"{day}/{REGION}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        k = ("AWS4" + SECRET).encode()
        for part in (day, REGION, "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        h["authorization"] = f"AWS4-HMAC-SHA256 Credential={ACCESS}/{scope}, SignedHeaders={signed}, Signature={sig}"
        req = urllib.request.Request(f"{self.endpoint}{path}" + (f"?{query}" if query else ""), method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def create_bucket(self, name: str) -> None:
        status, body = self.request("PUT", f"/{name}", headers={"x-amz-bucket-object-lock-enabled": "true"})
        assert status == 200, body

    def retention(self, bucket: str, key: str) -> tuple[str, datetime.datetime]:
        status, body = self.request("GET", f"/{bucket}/{key}", "retention=")
        assert status == 200, body
        mode = re.search(r"<Mode>(.*?)</Mode>", body)
        until = re.search(r"<RetainUntilDate>(.*?)</RetainUntilDate>", body)
        assert mode and until, body
        return mode.group(1), datetime.datetime.fromisoformat(until.group(1).replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3]:
    srv = tmp_path_factory.mktemp("s3")
    out = subprocess.run(["bash", str(REPO / "scripts/s3-server.sh"), "start", str(srv)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    fields = dict(w.split("=", 1) for w in out.stdout.split())
    try:
        yield S3(fields["endpoint"])
    finally:
        os.kill(int(fields["pid"]), 15)


def test_dbt_appends_sealed_bundles_to_an_s3_ledger_with_the_policy_retention(
        s3: S3, tmp_path: Path, key: clyra.KeyPair, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {"AWS_ENDPOINT_URL": s3.endpoint, "AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET,
                 "AWS_REGION": REGION, "CLYRA_S3_PATH_STYLE": "1"}.items():
        monkeypatch.setenv(k, v)
    s3.create_bucket("evidence")
    project = tmp_path / "shop"
    project.mkdir()
    (project / "dbt_project.yml").write_text("name: shop\n")
    done = init(project, {"prod": "production"})
    clyra_dir = ClyraDir(project)
    location = "s3://evidence/team/shop"
    config = clyra_dir.config()
    config["ledger"] = {"location": location, "retain_days": 9}
    clyra_dir.config_path.write_text(json.dumps(config))
    clyra_dir.policy.write_text("version: 1\ncompliance:\n  retention: {period: P1Y2M, legal_hold: false}\n")
    assert clyra_dir.ledger == location
    assert any("s3://" in line and "Object Lock" in line for line in done), done

    # Created once by the bucket's owner with the Rust CLI; retention from the policy.
    assert _clyra.run(["clyra", "ledger", "init", location, "--key", str(clyra_dir.key), "--policy", str(clyra_dir.policy)]) == 0

    # A bundle sealed through the Python API, appended by the dbt host's own append.
    sealed_path = tmp_path / "run.zip"
    sealed_path.write_bytes(clyra.build_bundle(spec(), [clyra_dir.signing_key()], signed_at="2026-11-20T09:02:00Z").bundle)
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    assert _ledger_exit(project, SimpleNamespace(path=sealed_path), 0) == 0  # type: ignore[arg-type]
    after = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    sha = hashlib.sha256(sealed_path.read_bytes()).hexdigest()
    mode, until = s3.retention("evidence", f"team/shop/bundles/{sha}.zip")
    assert mode == "COMPLIANCE"
    # The policy's P1Y2M (not the config's 9 days) from the append's time.
    def plus(t: datetime.datetime) -> datetime.datetime:
        return t.replace(year=t.year + 1 + (t.month + 2 - 1) // 12, month=(t.month + 2 - 1) % 12 + 1)
    assert plus(before) <= until <= plus(after) + datetime.timedelta(seconds=1), (before, until, after)
    assert _clyra.run(["clyra", "ledger", "verify", location]) == 0

    # Without a policy the config's retain_days applies.
    clyra_dir.policy.unlink()
    second = tmp_path / "run2.zip"
    second.write_bytes(clyra.build_bundle(spec(created_at="2026-11-21T09:01:15Z"), [clyra_dir.signing_key()],
                                          signed_at="2026-11-21T09:02:00Z").bundle)
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    assert _ledger_exit(project, SimpleNamespace(path=second), 0) == 0  # type: ignore[arg-type]
    after = datetime.datetime.now(datetime.timezone.utc)
    _, until = s3.retention("evidence", f"team/shop/bundles/{hashlib.sha256(second.read_bytes()).hexdigest()}.zip")
    assert before + datetime.timedelta(days=9) <= until <= after + datetime.timedelta(days=9, seconds=1)

    # Bad credentials: the bundle stays sealed, the run fails (exit 1).
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    assert _ledger_exit(project, SimpleNamespace(path=sealed_path), 0) == 1  # type: ignore[arg-type]
