#!/usr/bin/env bash
# Restarts on an existing store, alternating the given builds, and prints per
# restart: seconds to SERVING (health polled every 50 ms), the log's snapshot
# read and engine-ready times, and RSS once serving.
#   scripts/restart_bench.sh DATA_DIR ROUNDS BIN_DIR...   (e.g. target/release)
# FACTCHECK_MODELS="" for the lexical engine (default: models).
# LOAD=CALLERS:DURATION (e.g. 16:20s): after each restart, VerifyClaim load
# (FEVER-lite test claims, as scale_bench.sh), and RSS at its end.
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
    serve_corpus "$bin" "$port" "${FACTCHECK_MODELS-models}" "$data" "" "$log"
    t1=$(date +%s.%N)
    rss() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$server/status"; }
    rss_idle=$(rss) load=""
    if [[ -n ${LOAD:-} ]]; then
      bench=$("$bin/factcheck" --addr "127.0.0.1:$port" --json bench --no-floor --claims ../shared/eval/external/feverlite_test_claims.jsonl --concurrency "${LOAD%%:*}" --duration "${LOAD#*:}")
      load=$(python3 - "$bench" <<'PY'
import json, sys
r = json.loads(sys.argv[1])["run"]
print(f"; {r['concurrency']} callers: {r['rps']:,.1f} VerifyClaim/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, {sum(r['errors'].values())} errors", end="")
PY
)
      load="$load, RSS $(rss) MiB under load"
    fi
    kill -TERM "$server"; wait "$server"
    ms() { grep "$1" "$log" | grep -o 'elapsed_ms=[0-9]*' | head -1 | cut -d= -f2; }
    echo "$bin round $round: $(python3 -c "print(f'{$t1 - $t0:.2f}')") s to SERVING, snapshot read $(ms 'index read from its snapshot') ms, ready $(ms 'engine ready') ms, RSS $rss_idle MiB$load"
  done
done
