#!/usr/bin/env bash
# Starts slserver on an ephemeral port and runs the public smoke test against it.
# usage: run_smoke.sh PATH/TO/slserver
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$1" --listen 127.0.0.1:0 --ready-file "$tmp/ready" --data "$tmp/data" --auth none --sync off \
  2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do [[ -s "$tmp/ready" ]] && break; sleep 0.05; done
[[ -s "$tmp/ready" ]] || { echo "slserver did not start:"; cat "$tmp/log"; exit 1; }
python3 "$here/smoke.py" "$(cat "$tmp/ready")/ws"
