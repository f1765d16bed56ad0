#!/usr/bin/env python3
"""Silver labels for the student (AugSBERT's recipe): the teacher, the stance
model as the server serves it (MODELS/stance/model.onnx with its weights made
unsigned and patch.onnx swapped in, `train_top.served`), reads many realistic
(claim, sentence) pairs and its probabilities become the student's targets
(`train_stance.py --silver`).

Pairs, from "train on" files and corpora only (never a judge file):
  - FEVER-lite validation claims: their gold evidence sentence, and the two
    corpus sentences closest to the claim by shared words (what retrieval
    puts before the model);
  - SciFact train claims: the three sentences of each cited abstract closest
    to the claim;
  - Climate-FEVER train claims: each of their candidate sentences;
  - minimal-edit pairs of the seed sentences (train/contrastive.py, another
    seed than the teacher's).

The claims the aggregators are fitted on (`train/folds.py`) stay out, as they
stay out of the teacher. Writes JSONL rows {claim, evidence, source, gold,
teacher: [supports, refutes, nei]}, gzipped.

    python train/label_silver.py --teacher models/stance --out target/silver.jsonl.gz
"""
import argparse, gzip, json, os, random, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contrastive  # noqa: E402
import folds  # noqa: E402
from onnx_stance import Stance  # noqa: E402
from train_top import served  # noqa: E402
from train_stance import close_sentence, evidence, jsonl, words  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLD = {"SUPPORTED": "SUPPORTS", "CONTRADICTED": "REFUTES"}


def pairs(eval_dir, rng):
    d = os.path.join(eval_dir, "external")
    out = []
    pool = [r["text"] for r in jsonl(f"{d}/feverlite_corpus.jsonl")]
    # Every sentence's words once, and an index from a word to its sentences.
    index = {}
    for k, s in enumerate(pool):
        for w in words(s):
            index.setdefault(w, []).append(k)
    for r in jsonl(f"{d}/feverlite_validation_claims.jsonl"):
        gold = {e["text"] for e in r["evidence"]}
        if r["evidence"]:
            out.append((r["claim"], r["evidence"][0]["text"], "fever-gold", GOLD.get(r["label"])))
        shared = {}
        for w in words(r["claim"]):
            for k in index.get(w, ())[:2000]:
                shared[k] = shared.get(k, 0) + 1
        closest = sorted((k for k in shared if pool[k] not in gold), key=lambda k: (-shared[k], k))[:2]
        out += [(r["claim"], pool[k], "fever-close", None) for k in closest]
    corpus = {r["doc_id"]: r for r in jsonl(f"{d}/scifact_corpus.jsonl")}
    for r in jsonl(f"{d}/scifact_train_claims.jsonl"):
        for doc_id in dict.fromkeys([e["doc_id"] for e in r["evidence"]] + r.get("cited_doc_ids", [])):
            doc = corpus.get(doc_id)
            if not doc:
                continue
            sentences, seen = doc["sentences"], set()
            for _ in range(min(3, len(sentences))):
                s = close_sentence(r["claim"], sentences, seen, rng, tries=len(sentences))
                if s:
                    seen.add(s)
                    out.append((r["claim"], evidence(doc["title"], s), "scifact", None))
    for r in jsonl(f"{d}/climate_fever_train_claims.jsonl"):
        for c in r.get("candidates", []):
            label = {"SUPPORTED": "SUPPORTS", "CONTRADICTED": "REFUTES"}.get(c["label"], "NEI")
            out.append((r["claim"], evidence(c["doc_id"].rsplit(":", 1)[0], c["text"]), "climate", label))
    out = [row for row in out if not folds.for_judge(row[0])]
    seeds = [p for p in contrastive.generate(eval_dir, per_corpus=0, seed=rng.randrange(1 << 30))]
    out += [(p["claim"], p["evidence"], f"seeds-{p['kind']}", p["label"]) for p in seeds]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval-dir", default=os.path.join(ROOT, "..", "shared", "eval"))
    ap.add_argument("--teacher", default=os.path.join(ROOT, "models", "stance"), help="a stance model folder (model.onnx, tokenizer.json; patch.onnx where there is one)")
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "silver.jsonl.gz"))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--seed", type=int, default=29)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    rows = pairs(args.eval_dir, rng)
    if args.limit:
        rows = rng.sample(rows, min(args.limit, len(rows)))
    teacher = Stance(served(args.teacher).SerializeToString(), os.path.join(args.teacher, "tokenizer.json"))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    started = time.time()
    with gzip.open(args.out + ".part", "wt") as f:
        for i in range(0, len(rows), 32):
            batch = rows[i:i + 32]
            probs = teacher.probs([c for c, *_ in batch], [e for _, e, *_ in batch])
            for (claim, ev, source, gold), p in zip(batch, probs):
                f.write(json.dumps({"claim": claim, "evidence": ev, "source": source, "gold": gold, "teacher": [round(float(x), 4) for x in p]}) + "\n")
            if i % 3200 == 0:
                print(f"{i}/{len(rows)} pairs, {time.time() - started:.0f}s", flush=True)
    os.replace(args.out + ".part", args.out)
    print(f"{len(rows)} pairs labelled in {time.time() - started:.0f}s: {args.out}")


if __name__ == "__main__":
    main()
