#!/usr/bin/env bash
# The evaluation table: for each set, serve its corpus with the release server
# in the default configuration (what scripts/serve.sh serves: models/, its
# judge.json, nothing fitted per corpus), send the claims with `factcheck
# eval`, print one table row. The stores live under target/eval/ and are
# reused across runs. Needs `cargo build --release`.
#   scripts/eval.sh [SET ...]      default: seeds heldout, every development corpus, fever scifact climate
#   SET: seeds | heldout | blind | blind-next | fever | scifact | climate
#        | corpus:NAME (server/tests/data/corpora/NAME: articles.jsonl + claims.jsonl)
#   BIN=DIR                the built binaries (default target/release; another build to compare)
#   EVAL_DIR=DIR           the labelled claims and public benchmarks (default ../shared/eval)
#   EVAL_TAG=name          names the answers (target/eval/NAME-SET.json) and logs
#   FEVER_SAMPLE=N         FEVER-lite test claims asked (a seeded sample; default 500, 0: all 6,666)
#   FACTCHECK_MODELS=""    the lexical engine;  FACTCHECK_MODELS=DIR  other models
#   FACTCHECK_JUDGE=FILE   another aggregator for every set ("": the hand-tuned aggregation)
#   JUDGE_WITHOUT=DIR      each set served with the aggregator fitted without its corpus
#                          (DIR/without-CORPUS.json of `train/fit_judge.py --work DIR`), where
#                          there is one: the default aggregator's numbers on corpora it was not fitted on
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/serving.sh
bin=${BIN:-target/release}
eval_dir=${EVAL_DIR:-../shared/eval}
ext=$eval_dir/external
corpora=server/tests/data/corpora
models=${FACTCHECK_MODELS-models}
mode=$([[ -n $models ]] && echo semantic || echo lexical)
tag=${EVAL_TAG:-$mode}
port=$(free_port)
sets=("$@")
if [[ ${#sets[@]} -eq 0 ]]; then
  sets=(seeds heldout)
  for d in "$corpora"/*/; do [[ -f $d/SEALED ]] || sets+=("corpus:$(basename "$d")"); done
  sets+=(fever scifact climate)
fi
mkdir -p target/eval

# A seeded sample of N rows of a JSONL file (all of them for N=0), written once.
sample() { # file n out
  [[ -f $3 ]] || python3 - "$@" <<'PY'
import random, sys
path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = [l for l in open(path) if l.strip()]
if 0 < n < len(rows):
    rows = random.Random(13).sample(rows, n)
open(out, "w").writelines(rows)
PY
}

row() { # name corpus claims [fold: the corpus's name in train/fit_judge.py]
  local name=$1 corpus=$2 claims=$3 data=target/eval/$mode-${1//:/-} log=target/eval/$tag-${1//:/-}.log
  local answers=target/eval/$tag-${name//:/-}.json without=${JUDGE_WITHOUT:-}/without-${4:-${1//:/-}}.json
  if [[ -n ${JUDGE_WITHOUT:-} && -f $without ]]; then
    FACTCHECK_JUDGE=$without serve_corpus "$bin" "$port" "$models" "$data" "$corpus" "$log"
  else
    serve_corpus "$bin" "$port" "$models" "$data" "$corpus" "$log"
  fi
  "$bin/factcheck" --addr 127.0.0.1:$port --json eval "$claims" >"$answers"
  kill "$server"; wait "$server" || true
  python3 - "$name" "$corpus" "$tag" "$answers" <<'PY'
import json, sys
name, corpus, mode, path = sys.argv[1:]
r = json.load(open(path))["report"]
corpus = corpus.rstrip("/").split("/")[-1] if not corpus.endswith("articles.jsonl") else corpus.split("/")[-2]
print(f"| {name} | {corpus} | {mode} | {r['n']:,} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | {r['citation_at_1'] or 0:.3f} | {r['ece']:.3f} | {r['latency_p50_ms']:.1f} ms |")
PY
}

echo "| set | corpus | engine | n | accuracy | macro-F1 | citation@1 | ECE | p50 |"
echo "|---|---|---|---|---|---|---|---|---|"
for s in "${sets[@]}"; do
  case $s in
    seeds) row seeds seeds "$eval_dir/seed-claims.dev.jsonl" heldout ;;
    heldout) row heldout seeds server/tests/data/seed-claims.heldout.jsonl ;;
    blind) row blind seeds server/tests/data/seed-claims.blind-issue15.jsonl heldout ;;
    blind-next) row blind-next seeds server/tests/data/seed-claims.blind-next.jsonl heldout ;;
    fever)
      n=${FEVER_SAMPLE:-500}
      sample "$ext/feverlite_test_claims.jsonl" "$n" "target/eval/fever-test-$n.jsonl"
      row fever "$ext/feverlite_corpus.jsonl" "target/eval/fever-test-$n.jsonl" ;;
    scifact) row scifact "$ext/scifact_corpus.jsonl" "$ext/scifact_dev_claims.jsonl" ;;
    climate) row climate "$ext/climate_fever_corpus.jsonl" "$ext/climate_fever_test_claims.jsonl" ;;
    corpus:*) row "$s" "$corpora/${s#corpus:}/articles.jsonl" "$corpora/${s#corpus:}/claims.jsonl" ;;
    *) echo "unknown set $s" >&2; exit 2 ;;
  esac
done
