#!/usr/bin/env bash
# Reproduces the README's EVALUATION table: for each set, serve its corpus with
# the release server (store under target/eval/, reused across runs), send the
# claims with `factcheck eval`, print one table row. Needs `cargo build --release`.
#   EVAL_TAG=name names the answers (target/eval/NAME-SET.json) and logs.
#   scripts/eval.sh [seeds|heldout|blind|blind-next|fever|scifact|climate ...]   (default: all but the blind ones)
#   FACTCHECK_MODELS=""  scripts/eval.sh ...                      (lexical engine)
#   FACTCHECK_JUDGE=""   scripts/eval.sh ...   (hand-tuned aggregation; or FILE: that aggregator for every set)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/serving.sh
bin=target/release
eval_dir=${EVAL_DIR:-../shared/eval}
ext=$eval_dir/external
models=${FACTCHECK_MODELS-models}
mode=$([[ -n $models ]] && echo semantic || echo lexical)
tag=${EVAL_TAG:-$mode} # names the answers and logs (ablations: another models dir, same stores)
port=50091
[[ -z ${FACTCHECK_JUDGE+x} ]] || judge_override=$FACTCHECK_JUDGE # one aggregator for every set ("": none)
sets=("$@")
[[ ${#sets[@]} -gt 0 ]] || sets=(seeds heldout fever scifact climate)

row() { # name corpus claims
  local name=$1 corpus=$2 claims=$3 data=target/eval/$mode-$1 log=target/eval/$tag-$1.log
  mkdir -p target/eval
  # Each public corpus is served with the aggregator fitted on its "train on"
  # claims (train/fit_judge.py), if there is one; the seed sets with the default.
  local judge=$models/stance/judge-$name.json
  if [[ -n ${judge_override+x} ]]; then export FACTCHECK_JUDGE=$judge_override
  elif [[ -n $models && -f $judge ]]; then export FACTCHECK_JUDGE=$judge
  else unset FACTCHECK_JUDGE; fi
  serve_corpus "$bin" "$port" "$models" "$data" "$corpus" "$log"
  "$bin/factcheck" --addr 127.0.0.1:$port --json eval "$claims" >target/eval/$tag-$name.json
  kill "$server"; wait "$server" || true
  python3 - "$name" "$corpus" "$tag" target/eval/$tag-$name.json <<'PY'
import json, sys
name, corpus, mode, path = sys.argv[1:]
r = json.load(open(path))["report"]
print(f"| {name} | {corpus.split('/')[-1]} | {mode} | {r['n']:,} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | {r['citation_at_1'] or 0:.3f} | {r['ece']:.3f} | {r['latency_p50_ms']:.1f} ms |")
PY
}

echo "| set | corpus | engine | n | accuracy | macro-F1 | citation@1 | ECE | p50 |"
echo "|---|---|---|---|---|---|---|---|---|"
for s in "${sets[@]}"; do
  case $s in
    seeds) row seeds seeds "$eval_dir/seed-claims.dev.jsonl" ;;
    heldout) row heldout seeds server/tests/data/seed-claims.heldout.jsonl ;;
    blind) row blind seeds server/tests/data/seed-claims.blind-issue15.jsonl ;;
    blind-next) row blind-next seeds server/tests/data/seed-claims.blind-next.jsonl ;;
    fever) row fever "$ext/feverlite_corpus.jsonl" "$ext/feverlite_test_claims.jsonl" ;;
    scifact) row scifact "$ext/scifact_corpus.jsonl" "$ext/scifact_dev_claims.jsonl" ;;
    climate) row climate "$ext/climate_fever_corpus.jsonl" "$ext/climate_fever_test_claims.jsonl" ;;
    *) echo "unknown set $s" >&2; exit 2 ;;
  esac
done
