#!/usr/bin/env bash
# Restarts on an existing store, alternating the given builds, and prints per
# restart: seconds to SERVING (health polled every 50 ms), the log's snapshot
# read and engine-ready times, and RSS once serving.
#   scripts/restart_bench.sh DATA_DIR ROUNDS BIN_DIR...   (e.g. target/release)
# FACTCHECK_MODELS="" for the lexical engine (default: models).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/serving.sh
data=$1 rounds=$2
shift 2
port=$(free_port)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for round in $(seq "$rounds"); do
  for bin in "$@"; do
    t0=$(date +%s.%N)
    "$bin/factcheck-server" --listen "127.0.0.1:$port" --metrics-listen "" --data-dir "$data" --corpus "" \
      --models "${FACTCHECK_MODELS-models}" >"$log" 2>&1 &
    pid=$!
    until "$bin/factcheck" --addr "127.0.0.1:$port" health >/dev/null 2>&1; do
      kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
      sleep 0.05
    done
    t1=$(date +%s.%N)
    rss=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
    kill -TERM "$pid"; wait "$pid"
    ms() { grep "$1" "$log" | grep -o 'elapsed_ms=[0-9]*' | head -1 | cut -d= -f2; }
    echo "$bin round $round: $(python3 -c "print(f'{$t1 - $t0:.2f}')") s to SERVING, snapshot read $(ms 'index read from its snapshot') ms, ready $(ms 'engine ready') ms, RSS $rss MiB"
  done
done
