#!/usr/bin/env bash
# The Python package's test stages (called by the justfile's `test` recipe), from a fresh machine:
#   package     pip install './python[dbt,postgres,test]' into python/.venv (maturin builds bindings/python)
#   sdist       python -m build --sdist, then install that sdist in a second venv and use it
#   pytest      python/tests (mirrors bindings/python/src)
#   stubtest    python -m mypy.stubtest clyra._clyra
#   e2e-duckdb  tests/e2e on dbt-duckdb
#   e2e-postgres  tests/e2e on dbt-postgres; installs PostgreSQL with apt when missing
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
venv=python/.venv
target="${CARGO_TARGET_DIR:-$repo/target}"
export DBT_SEND_ANONYMOUS_USAGE_STATS=False
pip() { "$1/bin/python" -m pip install -q --disable-pip-version-check "${@:2}"; }

# pytest exits 5 when it collects nothing: that is a failure here too (a stage must test something).
run_pytest() { "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"; }

case "${1:-}" in
  package)
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    pip "$venv" --force-reinstall './python[dbt,postgres,test]' build
    "$venv/bin/clyra" --version
    ;;
  sdist)
    rm -rf "$target/python-dist" "$target/sdist-venv"
    "$venv/bin/python" -m build --sdist --outdir "$target/python-dist" python >/dev/null
    python3 -m venv "$target/sdist-venv"
    pip "$target/sdist-venv" "$target"/python-dist/clyra-*.tar.gz
    # The installed sdist works: its console script runs the Rust CLI, its API verifies.
    "$target/sdist-venv/bin/clyra" --version
    echo '{"b":1,"a":2}' | "$target/sdist-venv/bin/clyra" canon
    echo
    "$target/sdist-venv/bin/python" -c '
import clyra
k = clyra.keygen()
spec = {"format": "def/v0", "created_at": "2026-11-20T09:01:15Z",
  "producer": {"name": "clyra-dbt", "version": "0.1.0", "host": "dbt-core 1.11.2"},
  "change": {"actor": "a", "environment": "test", "kind": "data", "subject": "s"},
  "policy": {"required": False, "decisions": []},
  "risk": {"factors": {"change_magnitude": "data", "violations_critical": 0, "violations_warning": 0, "production": False,
    "off_hours": False, "approval_bypassed": False, "threats": 0, "sql_findings": 0, "first_time_actor": False}},
  "approvals": {"required": 0},
  "def": {"run": {"tool": "dbt", "tool_version": "1.11.2", "invocation_id": "i", "command": "dbt build",
    "started_at": "2026-11-20T09:00:00Z", "finished_at": "2026-11-20T09:01:00Z", "environment": "dev", "actor": "a",
    "status": "success"}, "assets": [], "tests": [], "metrics": {}},
  "journal": [{"at": "2026-11-20T09:00:00Z", "kind": "run.started", "data": {}}]}
b = clyra.build_bundle(spec, [k.private_pem], signed_at="2026-11-20T09:02:00Z")
v = clyra.verify(b.bundle, k.public_pem, at="2026-12-01T00:00:00Z")
assert v.outcome == "VALID", v
print("sdist install: bundle built and verified VALID")
'
    ;;
  pytest)
    run_pytest python/tests
    ;;
  stubtest)
    (cd python && "$repo/$venv/bin/python" -m mypy.stubtest clyra._clyra)
    ;;
  e2e-duckdb)
    cargo build -q --locked -p clyra-cli
    CLYRA_RUST_BIN="$target/debug/clyra" run_pytest tests/e2e/test_duckdb.py
    ;;
  e2e-postgres)
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
      if [ "$(id -u)" = 0 ]; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)
      else
        echo "error: PostgreSQL is not installed; run: sudo apt-get install -y postgresql" >&2
        exit 4
      fi
    fi
    cargo build -q --locked -p clyra-cli
    CLYRA_RUST_BIN="$target/debug/clyra" run_pytest tests/e2e/test_postgres.py
    ;;
  *)
    echo "usage: bash python/ci.sh package|sdist|pytest|stubtest|e2e-duckdb|e2e-postgres" >&2
    exit 4
    ;;
esac
