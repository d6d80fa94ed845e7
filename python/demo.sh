#!/usr/bin/env bash
# `bash .ci/just demo`: the dbt story on embedded DuckDB, from a fresh clone.
#   1. a venv (python/.venv) and `pip install './python[dbt]'` (builds the Rust extension; dbt-core 1.11, dbt-duckdb)
#   2. the sample project (tests/e2e/shop) copied to a temp dir; `clyra dbt init`
#   3. `clyra dbt build` twice; the second run changes the schema of `orders` (var phase=2)
#   4. both bundles verified with `clyra verify`; the second one against the policy, with the auditor view
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
venv=${CLYRA_DEMO_VENV:-$repo/python/.venv}
export DBT_SEND_ANONYMOUS_USAGE_STATS=False

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1/4 venv and pip install './python[dbt]'"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check './python[dbt]'
export PATH="$venv/bin:$PATH"

work=$(mktemp -d "${TMPDIR:-/tmp}/clyra-demo.XXXXXX")
cp -r tests/e2e/shop "$work/shop"
cd "$work/shop"
export DBT_PROFILES_DIR=$PWD SHOP_DUCKDB=$PWD/shop.duckdb

step "2/4 clyra dbt init   (in $PWD)"
clyra dbt init

step "3/4 clyra dbt build, twice; the second run adds a column to orders and retypes another"
clyra dbt build -- --quiet
clyra dbt build -- --quiet --vars '{phase: 2}'

step "4/4 verify both bundles (offline, against .clyra/trust.json)"
mapfile -t bundles < <(ls -tr target/clyra/*.zip)
clyra verify "${bundles[0]}" --trust .clyra/trust.json
clyra verify "${bundles[1]}" --trust .clyra/trust.json --policy .clyra/policy.yaml --auditor
echo
echo "The project, its .clyra/ and both bundles are in $work/shop (try: clyra inspect ${bundles[1]})"
