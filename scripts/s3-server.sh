#!/usr/bin/env bash
# A real S3-compatible server with Object Lock for the S3 ledger tests (ledger-v0.md §8; ADR 0010):
# versitygw, posix backend with versioning, listening on loopback only.
#
#   bash scripts/s3-server.sh install     # idempotent; prints the binary's path
#   bash scripts/s3-server.sh start DIR   # starts it on 127.0.0.1 (a free port), prints
#                                         # `endpoint=... pid=...`; data and log under DIR
#
# versitygw is built from the Go module proxy once (`go install`, pinned) into
# $CLYRA_TOOLS/bin (default $HOME/.cache/clyra/tools/bin); later runs return at once. The test
# credentials below are throwaway values for a loopback server, not secrets.
set -euo pipefail

VERSION="v1.8.0"
tools="${CLYRA_TOOLS:-$HOME/.cache/clyra/tools}"
bin="$tools/bin/versitygw"
stamp="$tools/.versitygw-$VERSION"

install() {
  if [ -x "$bin" ] && [ -f "$stamp" ]; then
    echo "$bin"
    return
  fi
  command -v go >/dev/null || { echo "error: go is needed to build versitygw" >&2; return 4; }
  mkdir -p "$tools/bin"
  start=$SECONDS
  GOBIN="$tools/bin" GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@$VERSION" >&2
  touch "$stamp"
  echo "s3-server: installed versitygw $VERSION in $((SECONDS - start)) s" >&2
  echo "$bin"
}

start() {
  dir="$1"
  mkdir -p "$dir/data" "$dir/versions"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  ROOT_ACCESS_KEY_ID="${CLYRA_S3_TEST_ACCESS:-clyra-test}" \
  ROOT_SECRET_ACCESS_KEY="${CLYRA_S3_TEST_SECRET:-clyra-test-secret}" \
    "$bin" --port "127.0.0.1:$port" posix --versioning-dir "$dir/versions" "$dir/data" \
    >"$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null; then
      echo "endpoint=http://127.0.0.1:$port pid=$pid"
      return
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: versitygw exited; log:" >&2
      cat "$dir/server.log" >&2
      return 4
    fi
    sleep 0.1
  done
  kill "$pid"
  echo "error: versitygw did not listen within 10 s" >&2
  return 4
}

case "${1:-}" in
  install) install ;;
  start) install >/dev/null; start "${2:?usage: s3-server.sh start DIR}" ;;
  *) echo "usage: s3-server.sh install | start DIR" >&2; exit 2 ;;
esac
