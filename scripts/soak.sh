#!/usr/bin/env bash
# Soak test: a release server on the seeds under mixed RPCs at saturation for
# DURATION, with its resident memory sampled every 30 s.
#   scripts/soak.sh [DURATION=600s] [CONCURRENCY=48]
# 48 callers keep both cores busy below the server's limit of 64 calls in
# flight, so no call should fail; above 64 the excess is shed at once
# (RESOURCE_EXHAUSTED), and callers that retry without backoff spin.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-600s}
concurrency=${2:-48}
cargo build --release --quiet
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
target/release/factcheck-server --listen "127.0.0.1:$port" --metrics-listen "" --data-dir "$data" --corpus seeds >"$data/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
until target/release/factcheck --addr "127.0.0.1:$port" health >/dev/null 2>&1; do sleep 0.2; done
(
  start=$(date +%s)
  while kill -0 "$server" 2>/dev/null; do
    echo "rss t=$(( $(date +%s) - start ))s $(awk '/VmRSS/ {print $2, $3}' /proc/$server/status)"
    sleep 30
  done
) &
sampler=$!
target/release/factcheck --addr "127.0.0.1:$port" bench --mixed --no-floor \
  --claims server/tests/data/seed-claims.heldout.jsonl \
  --concurrency "$concurrency" --duration "$duration" --report-every 30s
kill "$sampler"
echo "final $(grep -E 'VmRSS|VmHWM' /proc/$server/status | tr -s ' \t' ' ' | tr '\n' ' ')"
kill -TERM "$server"
wait "$server"
