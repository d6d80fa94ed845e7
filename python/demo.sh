#!/usr/bin/env bash
# `bash .ci/just demo`: the dbt story on embedded DuckDB, from a fresh clone.
#   1. a venv (python/.venv) and `pip install './python[dbt]'` (builds the Rust extension; dbt-core 1.11, dbt-duckdb)
#   2. the sample project (tests/e2e/shop) copied to a temp dir; `clyra dbt init`
#   3. `clyra dbt build` twice; the second run changes the schema of `orders` (var phase=2)
#   4. both bundles verified with `clyra verify`; the second one against the policy, with the auditor view
#   5. the evidence ledger: both bundles were appended by `clyra dbt build`; a consistency proof from the
#      checkpoint after the first run to the current one, checked; the second bundle's ledger receipt
#   6. `clyra attest --framework sox` over both bundles (attestation.dsse.json and the OSCAL results), verified
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
venv=${CLYRA_DEMO_VENV:-$repo/python/.venv}
export DBT_SEND_ANONYMOUS_USAGE_STATS=False

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1/6 venv and pip install './python[dbt]'"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check './python[dbt]'
export PATH="$venv/bin:$PATH"

work=$(mktemp -d "${TMPDIR:-/tmp}/clyra-demo.XXXXXX")
cp -r tests/e2e/shop "$work/shop"
cd "$work/shop"
export DBT_PROFILES_DIR=$PWD SHOP_DUCKDB=$PWD/shop.duckdb

step "2/6 clyra dbt init   (in $PWD)"
clyra dbt init

step "3/6 clyra dbt build, twice; the second run adds a column to orders and retypes another"
clyra dbt build -- --quiet
cp .clyra/ledger/checkpoint checkpoint-after-run-1   # what an auditor keeps
clyra dbt build -- --quiet --vars '{phase: 2}'

step "4/6 verify both bundles (offline, against .clyra/trust.json)"
mapfile -t bundles < <(ls -tr target/clyra/*.zip)
clyra verify "${bundles[0]}" --trust .clyra/trust.json
clyra verify "${bundles[1]}" --trust .clyra/trust.json --policy .clyra/policy.yaml --auditor

step "5/6 the evidence ledger: both bundles appended; consistency since the first checkpoint; a ledger receipt"
key=$(python3 -c 'import json; print(json.load(open(".clyra/ledger/ledger.json"))["key"])')
clyra ledger list --ledger .clyra/ledger
clyra ledger prove --since checkpoint-after-run-1 --ledger .clyra/ledger --out consistency.json
clyra ledger check consistency.json --key "$key"
clyra ledger verify .clyra/ledger --key "$key" --since checkpoint-after-run-1
clyra ledger prove "${bundles[1]}" --ledger .clyra/ledger --out ledger-receipt.json
clyra verify "${bundles[1]}" --trust .clyra/trust.json --policy .clyra/policy.yaml --ledger-proof ledger-receipt.json --ledger-key "$key" | tail -6

step "6/6 clyra attest --framework sox over the two runs; the attestation verified with every status recomputed"
# Exit 1 means a control is not supported (the report says which and why): shown, not fatal here.
clyra attest "${bundles[@]}" --framework sox --key .clyra/keys/clyra.key --trust .clyra/trust.json \
    --policy .clyra/policy.yaml --out attestation || echo "(exit $?: a control is not supported; see above)"
clyra attest verify attestation/attestation.dsse.json "${bundles[@]}" --trust .clyra/trust.json --policy .clyra/policy.yaml
echo
echo "The project, its .clyra/ and both bundles are in $work/shop (try: clyra inspect ${bundles[1]});"
echo "the attestation, its OSCAL assessment results and its PDF report are in $work/shop/attestation/ (attestation.dsse.json, oscal-assessment-results.json, attestation.pdf)"
