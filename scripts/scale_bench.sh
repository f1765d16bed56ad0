#!/usr/bin/env bash
# One row of the scaling table in BENCHMARKS.md: builds a corpus of about
# SENTENCES claims (scripts/scale_corpus.py), ingests it into a fresh store,
# restarts on the existing store (index rebuilt, then read from its
# snapshot), then loads it with `factcheck bench`; with models, measures the
# vector graph's recall@30 against the exhaustive scan (examples/dense_recall.rs).
#   scripts/scale_bench.sh SENTENCES [CONCURRENCY=16] [DURATION=20s]
#   DATA_DIR=dir keeps the store there, a new folder (relative: to the repository
#   root; default: a temporary folder).
# Needs ../shared/eval/external (public corpora and the FEVER-lite claims used
# as queries).
set -euo pipefail
cd "$(dirname "$0")/.."
n=$1
concurrency=${2:-16}
duration=${3:-20s}
shared=../shared/eval/external
work=$(mktemp -d)
trap 'pkill -P $$ 2>/dev/null || true; rm -rf "$work"' EXIT
# BIN: another build's binaries (e.g. target/verdict-diff/bin-REV), to compare.
bin=${BIN:-target/release}
[[ -n ${BIN:-} ]] || cargo build --release --quiet --workspace --bins --examples
models=${FACTCHECK_MODELS-models}
data=${DATA_DIR:-$work/data}
# An existing store would ingest nothing, and the ingest rate would mean nothing.
[[ ! -e $data ]] || { echo "scale_bench: $data exists" >&2; exit 2; }
python3 scripts/scale_corpus.py "$n" "$work/corpus.jsonl" --shared "$shared" >&2
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
serve() { # CORPUS LOG
  "$bin/factcheck-server" --listen "127.0.0.1:$port" --metrics-listen "" --data-dir "$data" --corpus "$1" >"$2" 2>&1 &
  server=$!
  until "$bin/factcheck" --addr "127.0.0.1:$port" health >/dev/null 2>&1; do
    kill -0 "$server" 2>/dev/null || { cat "$2" >&2; exit 1; }
    sleep 0.1
  done
}
field() { grep "$1" "$2" | grep -o "$3=[0-9]*" | head -1 | cut -d= -f2; }
rss() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$server/status"; }

t0=$(date +%s.%N)
serve "$work/corpus.jsonl" "$work/ingest.log"
ingest_s=$(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')")
units=$(field "engine ready" "$work/ingest.log" units)
ingest_ms=$(field "corpus ingested" "$work/ingest.log" elapsed_ms)
kill -TERM "$server"; wait "$server"

# Restarts twice: without the index snapshot (the index rebuilt from the
# store), then with the one that shutdown saved again.
restart() { # LOG: sets took_s, the seconds to SERVING
  local t0; t0=$(date +%s.%N)
  serve "" "$1"
  took_s=$(python3 -c "print(f'{$(date +%s.%N) - $t0:.2f}')")
}
rm "$data/factcheck-index.bin"
restart "$work/rebuild.log"; rebuild_s=$took_s
kill -TERM "$server"; wait "$server"
restart "$work/restart.log"; restart_s=$took_s
grep -q "index read from its snapshot" "$work/restart.log" || { echo "the restart did not read the snapshot" >&2; exit 1; }
rss_idle=$(rss)
bench=$("$bin/factcheck" --addr "127.0.0.1:$port" --json bench --no-floor --claims "$shared/feverlite_test_claims.jsonl" --concurrency "$concurrency" --duration "$duration")
rss_load=$(rss)
kill -TERM "$server"; wait "$server"
recall='{}'
if [[ -n $models && -d $models/base ]]; then
  recall=$("$bin/examples/dense_recall" "$data" "$models" "$shared/feverlite_test_claims.jsonl" 500) ||
    { echo "scale_bench: dense_recall failed; the row goes without recall" >&2; recall='{}'; }
fi
python3 - "$bench" "$recall" <<PY
import json, sys
r, a = json.loads(sys.argv[1])["run"], json.loads(sys.argv[2])
rate = $units / max($ingest_ms, 1) * 1000
print(f"| {$units:,} | {rate:,.0f}/s ({$ingest_s} s to SERVING) | $restart_s s (rebuilt: $rebuild_s s) | {r['concurrency']} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {sum(r['errors'].values())} | $rss_idle / $rss_load MiB |", end="")
if a:
    g = a["runs"][0]
    print(f" {g['recall_at_30_ids']:.3f} ({g['graph_p50_ms']:.2f} / {a['exhaustive_p50_ms']:.2f} ms{'' if a['graph_in_index'] else ', graph built for the measurement'}) |", end="")
print()
PY
