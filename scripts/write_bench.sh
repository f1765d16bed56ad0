#!/usr/bin/env bash
# Times writes on an existing store: serves it, then ROUNDS times stores one
# new article and deletes it again (each call returns once the write is
# visible to verification), and prints each call's seconds and the graph's
# log lines. The store ends with the same articles, at a later version.
#   scripts/write_bench.sh DATA_DIR ROUNDS [BIN_DIR]   (default target/release)
# FACTCHECK_MODELS="" for the lexical engine (default: models).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/serving.sh
data=$1 rounds=$2 bin=${3:-target/release}
port=$(free_port)
log=$(mktemp)
article=$(mktemp --suffix .jsonl)
trap 'kill "$server" 2>/dev/null || true; rm -f "$log" "$article"' EXIT
# A write at 1M sentences may outlast the default 5 s deadline.
export FACTCHECK_ADMIN_TOKEN=write-bench-admin-token FACTCHECK_REQUEST_TIMEOUT=1h
serve_corpus "$bin" "$port" "${FACTCHECK_MODELS-models}" "$data" "" "$log"
client() { "$bin/factcheck" --addr "127.0.0.1:$port" "$@" >/dev/null; }
seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$@"; }
for round in $(seq "$rounds"); do
  id="write-bench-$round"
  printf '{"id":"%s","title":"Write bench","text":"The harbour of Tallinn handled %d containers in March. Its operator expects more traffic next year."}\n' "$id" "$round" >"$article"
  t0=$(date +%s.%N)
  client ingest "$article"
  t1=$(date +%s.%N)
  client articles delete "$id"
  t2=$(date +%s.%N)
  echo "round $round: store one article $(seconds "$t0" "$t1") s, delete it $(seconds "$t1" "$t2") s"
done
grep -E "vector graph" "$log" || true
kill -TERM "$server"
wait "$server"
