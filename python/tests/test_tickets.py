"""``clyra dbt build --ticket`` (python/src/clyra/dbt/tickets.py): the outbox in .clyra/state/
keeps every bundle until its ticket is filed, a failure never raises, and a ServiceNow-like
loopback server receives the ticket through the real ``clyra export`` once it answers."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from clyra.dbt.tickets import file_tickets, outbox

ROOT = Path(__file__).resolve().parents[2]
VECTOR = ROOT / "vectors" / "0001-def-minimal"


def _project(tmp_path: Path) -> Path:
    (tmp_path / ".clyra" / "state").mkdir(parents=True)
    return tmp_path


def test_failures_stay_in_the_outbox_and_are_retried(tmp_path: Path) -> None:
    project = _project(tmp_path)
    bundle = tmp_path / "run.zip"
    bundle.write_bytes(b"PK")
    calls: list[list[str]] = []

    def failing(args: list[str]) -> int:
        calls.append(args)
        return 4

    lines = file_tickets(project, "jira", bundle, tmp_path / "t.yaml", run=failing)
    assert "not filed" in lines[0]
    assert outbox(project) == [{"bundle": str(bundle), "system": "jira"}]
    assert list(calls[0][:4]) == ["clyra", "export", "--jira", str(bundle)]
    assert "--config" in calls[0] and "--record" in calls[0]

    def raising(args: list[str]) -> int:
        raise RuntimeError("network down")

    assert "network down" in file_tickets(project, None, None, tmp_path / "t.yaml", run=raising)[0]
    assert len(outbox(project)) == 1
    # The next run files the queued ticket and its own.
    second = tmp_path / "run2.zip"
    second.write_bytes(b"PK")
    lines = file_tickets(project, "jira", second, tmp_path / "t.yaml", run=lambda a: 0)
    assert len(lines) == 2 and all("filed" in line for line in lines)
    assert outbox(project) == []


def test_a_vanished_bundle_is_dropped_and_a_damaged_outbox_is_empty(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / ".clyra" / "state" / "ticket-outbox.json").write_text('[{"bundle":"/nope.zip","system":"jira"}]')
    assert "dropped" in file_tickets(project, None, None, tmp_path / "t.yaml", run=lambda a: 0)[0]
    (project / ".clyra" / "state" / "ticket-outbox.json").write_text("{not json")
    assert outbox(project) == []


class _ServiceNow(BaseHTTPRequestHandler):
    up = False
    created: list[dict[str, Any]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        if not _ServiceNow.up:
            return self._send(503, {})
        self._send(200, {"result": []})

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not _ServiceNow.up:
            return self._send(503, {})
        if self.path == "/api/now/table/change_request":
            _ServiceNow.created.append(json.loads(body))
            return self._send(201, {"result": {"sys_id": "s1", "number": "CHG0000001"}})
        self._send(201, {"result": {}})


def test_the_real_export_files_the_ticket_once_the_service_answers(tmp_path: Path, monkeypatch: Any) -> None:
    project = _project(tmp_path)
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes((VECTOR / "bundle.zip").read_bytes())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ServiceNow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = tmp_path / "tickets.yaml"
        config.write_text(
            f"version: 0\ntrust: {VECTOR / 'trust.json'}\nverification_url: https://v.example/{{bundle_id}}\n"
            "retry: {base_delay_ms: 1}\n"
            f"servicenow:\n  instance: http://127.0.0.1:{server.server_port}\n"
            "  auth: {method: basic, username: {env: SN_USER}, password: {env: SN_PASSWORD}}\n")
        monkeypatch.setenv("SN_USER", "admin")
        monkeypatch.setenv("SN_PASSWORD", "pw-VALUE")
        lines = file_tickets(project, "servicenow", bundle, config)
        assert "not filed" in lines[0] and outbox(project)
        _ServiceNow.up = True
        lines = file_tickets(project, None, None, config)
        assert "filed" in lines[0] and outbox(project) == []
        assert len(_ServiceNow.created) == 1
        record = json.loads(Path(str(bundle) + ".servicenow.json").read_text())
        assert record[0]["ticket"] == "CHG0000001"
    finally:
        server.shutdown()
