#!/usr/bin/env python3
"""Pair accuracy of stance models on the same held-out pairs, by set:

    python train/train_stance.py ARGS --dump-held-out target/held.jsonl   # the run's held-out pairs
    python train/eval_pairs.py target/held.jsonl models/stance/model.onnx:minilm target/teacher/model.onnx:mpnet
"""
import collections, json, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_stance import Stance  # noqa: E402
from train_stance import LABELS, base_model  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    rows = [json.loads(l) for l in open(sys.argv[1])]
    for spec in sys.argv[2:]:
        path, base = spec.rsplit(":", 1)
        model = Stance(path, base_model(os.path.join(ROOT, "target", "train-cache"), base))
        right, total = collections.Counter(), collections.Counter()
        started = time.time()
        for i in range(0, len(rows), 32):
            batch = rows[i:i + 32]
            probs = model.probs([r["claim"] for r in batch], [r["evidence"] for r in batch])
            for r, p in zip(batch, probs):
                total[r["set"]] += 1
                right[r["set"]] += LABELS[int(p.argmax())] == r["label"]
        ms = (time.time() - started) * 1000 / max(1, len(rows))
        by_set = {s: round(right[s] / total[s], 3) for s in sorted(total)}
        print(json.dumps({"model": spec, "accuracy": round(sum(right.values()) / len(rows), 4), "by_set": by_set, "pairs": len(rows), "ms_per_pair": round(ms, 1)}))


if __name__ == "__main__":
    main()
