"""A throwaway PostgreSQL server on loopback for the e2e tests: initdb in a temp directory,
pg_ctl start on a free port, trust auth for the `postgres` user; as root, the server runs as the
`postgres` system user (apt's postgresql package creates it)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass


@dataclass
class Server:
    """A running server: where to connect and how to stop it."""

    port: int
    data: str
    bindir: str
    root: str

    def env(self, database: str = "shop") -> dict[str, str]:
        return {"PGHOST": "127.0.0.1", "PGPORT": str(self.port), "PGUSER": "postgres", "PGPASSWORD": "", "PGDATABASE": database}

    def stop(self) -> None:
        _as_owner([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "fast", "stop"], check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def bindir() -> str:
    """The newest installed PostgreSQL's bin directory."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(initdb)
    raise RuntimeError("PostgreSQL is not installed: run `apt-get install -y postgresql` (the e2e-postgres stage does)")


def _as_owner(cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start() -> Server:
    """Starts a fresh server and creates database `shop`."""
    bins = bindir()
    root = tempfile.mkdtemp(prefix="clyra-pg-")
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data = os.path.join(root, "data")
    _as_owner([os.path.join(bins, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"])
    port = _free_port()
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"
    _as_owner([os.path.join(bins, "pg_ctl"), "-D", data, "-o", opts, "-l", os.path.join(root, "log"), "-w", "start"])
    server = Server(port, data, bins, root)
    subprocess.run([os.path.join(bins, "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "shop"], check=True)
    return server


if __name__ == "__main__":
    s = start()
    print(s.port, s.root)
