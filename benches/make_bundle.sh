#!/usr/bin/env bash
# Builds one large signed bundle for the scale tests and benchmarks (issue 13):
#   bash benches/make_bundle.sh CLYRA DIR MIB EVENTS
# writes DIR/bundle.zip (MIB MiB of random artifacts in 4 stored files, EVENTS journal events)
# and DIR/key/clyra.pub (its trust); verify with --at 2026-11-21T00:00:00Z. The artifacts are
# deleted once packed, so DIR holds about MIB MiB afterwards. Same spec as bundle_scale.sh.
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: make_bundle.sh CLYRA DIR MIB EVENTS" >&2; exit 4; }
clyra=$1 dir=$2 mib=$3 events=$4
mkdir -p "$dir/art"
"$clyra" keygen --out "$dir/key" >/dev/null
args=()
for i in 1 2 3 4; do
  head -c $((mib * 1024 * 1024 / 4)) /dev/urandom >"$dir/art/part$i.bin"
  args+=(--artifact "part$i.bin=$dir/art/part$i.bin")
done
python3 - "$dir/spec.json" "$events" <<'PY'
import json, sys
spec = {"format": "def/v0", "created_at": "2026-11-20T09:00:00Z", "producer": {"name": "bench", "version": "0"},
        "change": {"subject": "model.bench.big", "kind": "data", "actor": "bench@example.com", "environment": "test"},
        "policy": {"required": False, "decisions": []},
        "risk": {"factors": {"change_magnitude": "data", "violations_critical": 0, "violations_warning": 0, "production": False,
                             "off_hours": False, "approval_bypassed": False, "threats": 0, "sql_findings": 0, "first_time_actor": False}},
        "approvals": {"required": 0},
        "journal": [{"at": "2026-11-20T08:59:00Z", "kind": "run.started", "data": {}}]
        + [{"at": "2026-11-20T08:59:00Z", "kind": "model.finished", "data": {"n": i}} for i in range(int(sys.argv[2]))],
        "def": {"run": {"tool": "bench", "tool_version": "0", "invocation_id": "bench-1", "command": "bench",
                        "started_at": "2026-11-20T08:59:00Z", "finished_at": "2026-11-20T09:00:00Z", "environment": "test",
                        "actor": "bench@example.com", "status": "success"}, "assets": [], "tests": [], "metrics": {}}}
json.dump(spec, open(sys.argv[1], "w"))
PY
"$clyra" bundle build --spec "$dir/spec.json" --key "$dir/key/clyra.key" "${args[@]}" --out "$dir/bundle.zip" \
  --signed-at 2026-11-20T09:00:00Z >/dev/null
rm -rf "$dir/art" "$dir/spec.json"
