#!/usr/bin/env bash
# `factcheck bench` on the seed store, 16 callers, lexical and models on, for
# one or more builds, interleaved (ROUNDS rounds) so that builds compared in
# one run see the same machine. A build is a folder with factcheck-server,
# factcheck and models/ (as scripts/verdict_diff.sh leaves them under
# target/verdict-diff/bin-*); the default is target/release with models/.
#   scripts/bench_seeds.sh [BUILD ...]          ROUNDS=2 DURATION=10s
# Run it on a quiet machine: the server and the load share the cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/serving.sh
builds=("$@")
[[ ${#builds[@]} -gt 0 ]] || builds=(target/release)
rounds=${ROUNDS:-2}
duration=${DURATION:-10s}
claims=${CLAIMS:-../shared/eval/seed-claims.dev.jsonl}
work=$(mktemp -d)
trap 'pkill -P $$ 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(free_port)

echo "| round | build | engine | rps | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  for build in "${builds[@]}"; do
    models=$build/models
    [[ -d $models ]] || models=models
    for engine in lexical semantic; do
      m=""
      [[ $engine == semantic ]] && m=$models
      rm -rf "$work/data"
      serve_corpus "$build" "$port" "$m" "$work/data" seeds "$work/log"
      "$build/factcheck" --addr "127.0.0.1:$port" --json bench --claims "$claims" --concurrency 16 \
        --duration "$duration" --no-floor >"$work/bench.json"
      kill -TERM "$server"
      wait "$server" || true
      python3 - "$round" "$build" "$engine" "$work/bench.json" <<'PY'
import json, sys
round_, build, engine, path = sys.argv[1:]
r = json.load(open(path))["run"]
print(f"| {round_} | {build} | {engine} | {r['rps']:.1f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {sum(r['errors'].values())} |")
PY
    done
  done
done
