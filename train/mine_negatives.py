#!/usr/bin/env python3
"""Hard not-enough-info pairs mined from the engine itself (MultiVerS's
negative sampling, with the retriever and the stance model that serve).

For each "train on" claim the stance model trains on (not the train/folds.py
fold the aggregator is fitted on), the release server answers it over its
set's corpus; every cited sentence that is not the claim's gold evidence but
that the stance model reads as SUPPORTS or REFUTES becomes an NEI pair. These
are the near-topic sentences the judge wrongly takes as evidence ("Michelin
also publishes a series of general guides" for "Michelin Guides are a series
of guide videos"); random or merely close sentences are easy, these are not.

Gold, per set: FEVER-lite, the evidence sentences; SciFact, every abstract
the claim cites or takes evidence from; Climate-FEVER, every labelled
candidate of the claim (those are trained on with their own labels).

Needs `cargo build --release` and the stores of scripts/eval.sh (built on
first use).

    python train/mine_negatives.py --models target/models-v3 --out train/data/mined.jsonl.gz
"""
import argparse, gzip, json, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import folds

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# set: (corpus, claims) under shared/eval/external, the stores scripts/eval.sh serves
SETS = {
    "fever": ("feverlite_corpus.jsonl", "feverlite_validation_claims.jsonl"),
    "scifact": ("scifact_corpus.jsonl", "scifact_train_claims.jsonl"),
    "climate": ("climate_fever_corpus.jsonl", "climate_fever_train_claims.jsonl"),
}


def gold_docs(row):
    docs = {e["doc_id"] for e in row.get("evidence", [])}
    docs |= set(row.get("cited_doc_ids", []))
    docs |= {c["doc_id"] for c in row.get("candidates", [])}
    return docs


def mine(name, models, ext, per_claim, min_p):
    corpus, claims = (os.path.join(ext, f) for f in SETS[name])
    rows = [json.loads(l) for l in open(claims)]
    rows = {r["claim_id"]: r for r in rows if not folds.for_judge(r["claim"])}
    port = subprocess.check_output(["bash", "-c", "source scripts/serving.sh; free_port"], cwd=ROOT, text=True).strip()
    with tempfile.TemporaryDirectory() as tmp:
        batch = os.path.join(tmp, "claims.jsonl")
        with open(batch, "w") as f:
            f.writelines(json.dumps({"id": i, "claim": r["claim"]}) + "\n" for i, r in rows.items())
        script = f"""set -euo pipefail; source scripts/serving.sh
serve_corpus target/release {port} {models} target/eval/semantic-{name} {corpus} {tmp}/server.log
trap 'kill $server' EXIT
target/release/factcheck --addr 127.0.0.1:{port} verify --json --explain --max-citations 5 --batch {batch}"""
        out = subprocess.run(["bash", "-c", script], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    pairs = []
    for line in out.splitlines():
        answer = json.loads(line)
        row, kept = rows[answer["id"]], 0
        for c in answer["result"].get("citations", []):
            model = (c.get("explanation") or {}).get("model")
            if kept == per_claim or c["article_id"] in gold_docs(row) or not model:
                continue
            if max(model["supports"], model["refutes"]) < min_p:
                continue
            text = f"{c['article_title']} | {c['text']}" if c["article_title"] else c["text"]
            pairs.append({"claim": row["claim"], "evidence": text, "label": "NEI", "set": name,
                          "claim_id": row["claim_id"], "article_id": c["article_id"],
                          "model": {k: round(v, 3) for k, v in model.items()}})
            kept += 1
    print(f"{name}: {len(rows)} claims, {len(pairs)} mined pairs", flush=True)
    return pairs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", required=True, help="the models dir whose stance model mines (a --judge-fold one)")
    ap.add_argument("--out", default=os.path.join(ROOT, "train", "data", "mined.jsonl.gz"))
    ap.add_argument("--eval-dir", default=os.path.join(ROOT, "..", "shared", "eval"))
    ap.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    ap.add_argument("--per-claim", type=int, default=2)
    ap.add_argument("--min-p", type=float, default=0.5, help="least P(SUPPORTS) or P(REFUTES) for a mined pair")
    args = ap.parse_args()
    pairs = [p for s in args.sets for p in mine(s, args.models, os.path.join(args.eval_dir, "external"), args.per_claim, args.min_p)]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with gzip.open(args.out, "wt") as f:
        f.writelines(json.dumps(p) + "\n" for p in pairs)
    print(f"wrote {len(pairs)} pairs to {args.out}")


if __name__ == "__main__":
    main()
