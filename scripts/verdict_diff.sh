#!/usr/bin/env bash
# Compares the verdicts and first citations of two builds, claim by claim:
# git revision REV against the working tree, on each evaluation corpus, with
# both engines. Exits 1 if any claim differs, and lists each difference.
#   scripts/verdict_diff.sh REV [seeds|heldout|fever|scifact|climate ...]   (default: all)
#   ENGINES="lexical" scripts/verdict_diff.sh REV ...                          (default: semantic lexical)
# Sets (never tuned on here; "judge on" files are not among them):
#   seeds    ../shared/eval/seed-claims.dev.jsonl           (corpus: seeds/)
#   heldout  server/tests/data/seed-claims.heldout.jsonl    (corpus: seeds/)
#   fever    first 1,000 FEVER-lite validation claims       (FEVER-lite corpus)
#   scifact  SciFact train claims                           (SciFact corpus)
#   climate  Climate-FEVER train claims                     (Climate-FEVER corpus)
# REV is built once in a git worktree under target/verdict-diff/ (its binaries
# and its committed stance model are kept there); the working tree is built
# with `cargo build --release`. Both builds serve the same store of each
# corpus (made by the first run that needs it; ingest with embeddings takes
# minutes for SciFact), so what differs is the engine, not the data.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/serving.sh
rev=$(git rev-parse --short "${1:?usage: scripts/verdict_diff.sh REV [SET ...]}")
shift
sets=("$@")
[[ ${#sets[@]} -gt 0 ]] || sets=(seeds heldout fever scifact climate)
read -r -a engines <<<"${ENGINES:-semantic lexical}"
eval_dir=${EVAL_DIR:-../shared/eval}
ext=$eval_dir/external
work=target/verdict-diff
old=$work/bin-$rev
new=$work/bin-worktree
mkdir -p "$work"

# REV's binaries and models: base models shared, stance model as committed in REV.
if [[ ! -x $old/factcheck-server ]]; then
  src=$work/src-$rev
  [[ -d $src ]] || git worktree add --detach "$src" "$rev" >&2
  (cd "$src" && CARGO_TARGET_DIR=$PWD/../target-$rev cargo build --release --locked -p factcheck-server -p factcheck-client >&2)
  mkdir -p "$old/models"
  cp "$work/target-$rev/release/factcheck-server" "$work/target-$rev/release/factcheck" "$old/"
  cp -r "$src/models/stance" "$old/models/"
fi
cargo build --release --locked -p factcheck-server -p factcheck-client >&2
mkdir -p "$new/models"
cp target/release/factcheck-server target/release/factcheck "$new/"
rm -rf "$new/models/stance" && cp -r models/stance "$new/models/"
for b in "$old" "$new"; do
  [[ -e $b/models/base ]] || ln -s "$PWD/models/base" "$b/models/base"
done

port=$(free_port)

answers() { # BIN ENGINE CORPUS STORE CLAIMS OUT
  local bin=$1 engine=$2 corpus=$3 store=$4 claims=$5 out=$6 models=""
  [[ $engine == semantic ]] && models=$bin/models
  serve_corpus "$bin" "$port" "$models" "$store" "$corpus" "$out.log"
  if [[ $engine == semantic ]] && ! grep -q '"engine":"semantic"\|engine=semantic\|engine="semantic"' "$out.log"; then
    echo "verdict_diff: $bin did not load the models (see $out.log)" >&2
    exit 1
  fi
  "$bin/factcheck" --addr 127.0.0.1:$port --json verify --batch "$claims" --max-citations 1 >"$out.part"
  mv "$out.part" "$out"
  kill "$server"
  wait "$server" || true
}

claims_of() { # SET -> "CORPUS CLAIMS"
  case $1 in
    seeds) echo "seeds $eval_dir/seed-claims.dev.jsonl" ;;
    heldout) echo "seeds server/tests/data/seed-claims.heldout.jsonl" ;;
    fever)
      head -n 1000 "$ext/feverlite_validation_claims.jsonl" >"$work/fever-claims.jsonl"
      echo "$ext/feverlite_corpus.jsonl $work/fever-claims.jsonl" ;;
    scifact) echo "$ext/scifact_corpus.jsonl $ext/scifact_train_claims.jsonl" ;;
    climate) echo "$ext/climate_fever_corpus.jsonl $ext/climate_fever_train_claims.jsonl" ;;
    *) echo "unknown set $1" >&2; exit 2 ;;
  esac
}

status=0
echo "| set | engine | claims | verdicts differ | first citations differ |"
echo "|---|---|---|---|---|"
for s in "${sets[@]}"; do
  read -r corpus claims < <(claims_of "$s")
  store=$work/store-$(basename "$corpus" .jsonl)
  for engine in "${engines[@]}"; do
    # REV's answers are kept: the same binaries on the same store give the same answers.
    [[ -s $work/$s-$engine-$rev.jsonl ]] || answers "$old" "$engine" "$corpus" "$store" "$claims" "$work/$s-$engine-$rev.jsonl"
    answers "$new" "$engine" "$corpus" "$store" "$claims" "$work/$s-$engine-worktree.jsonl"
    python3 - "$s" "$engine" "$work/$s-$engine-$rev.jsonl" "$work/$s-$engine-worktree.jsonl" <<'PY' || status=1
import json, sys
name, engine, before, after = sys.argv[1:]
def load(path):
    rows = {}
    for line in open(path):
        r = json.loads(line)
        v = r.get("result") or {}
        c = (v.get("citations") or [{}])[0]
        # The proto3 JSON mapping (articleId, VERDICT_…, uint64 as strings) or the older CLI shape.
        verdict = v.get("verdict", "ERROR").removeprefix("VERDICT_")
        cited = (c.get("articleId", c.get("article_id")), int(c.get("start", 0)), int(c.get("end", 0)))
        rows[r["id"]] = (r["claim"], verdict, cited)
    return rows
a, b = load(before), load(after)
verdicts = [k for k in a if k not in b or a[k][1] != b[k][1]]
cites = [k for k in a if k in b and a[k][1] == b[k][1] and a[k][2] != b[k][2]]
print(f"| {name} | {engine} | {len(a)} | {len(verdicts)} | {len(cites)} |")
for k in verdicts + cites:
    old, new = a[k], b.get(k, (None, "MISSING", None))
    print(f"  {k}: {old[1]} {old[2]} -> {new[1]} {new[2]} | {old[0]}", file=sys.stderr)
sys.exit(1 if verdicts or cites else 0)
PY
  done
done
exit $status
