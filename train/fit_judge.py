#!/usr/bin/env python3
"""Fits the judge's learned aggregator (server/src/engine/judge/aggregate.rs):
a multinomial logistic regression from the judge's signals about a claim to
P(SUPPORTED), P(CONTRADICTED), P(UNKNOWN), whose probability is the verdict's
confidence.

Data: claims the stance model never saw, only from "train on" files
(shared/eval/README.md): the train/folds.py fold of FEVER-lite validation,
SciFact train and Climate-FEVER train, and our own seed held-out file. The
signals come from the real engine (`cargo run --example judge_signals`) over
each set's corpus, with the stance model of MODELS/stance.

Each set weighs the same in the fit (FEVER-lite would otherwise be 70% of it
and teach that UNKNOWN never happens). L2 strength chosen by 5-fold
cross-validation on log-loss; the scores printed and written are the
out-of-fold ones, per set: accuracy and expected calibration error (10 equal
bins), beside the hand-tuned aggregation's accuracy on the same claims.

    python train/fit_judge.py [--models models] [--out models/stance/judge.json]
"""
import argparse, json, os, subprocess, sys, time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import folds

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLASSES = ["SUPPORTED", "CONTRADICTED", "UNKNOWN"]
# name: (corpus, claims, only the folds.for_judge claims)
SETS = {
    "fever": ("{ext}/feverlite_corpus.jsonl", "{ext}/feverlite_validation_claims.jsonl", True),
    "scifact": ("{ext}/scifact_corpus.jsonl", "{ext}/scifact_train_claims.jsonl", True),
    "climate": ("{ext}/climate_fever_corpus.jsonl", "{ext}/climate_fever_train_claims.jsonl", True),
    "heldout": ("seeds", "server/tests/data/seed-claims.heldout.jsonl", False),
}
SEED = 13


def ece(conf, correct, bins=10):
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    return sum(abs(correct[idx == b].mean() - conf[idx == b].mean()) * (idx == b).sum() for b in range(bins) if (idx == b).any()) / len(conf)


def signals(name, models, eval_dir, work):
    """The engine's signals for the set's claims, cached under `work`."""
    corpus, claims = (p.format(ext=os.path.join(eval_dir, "external")) for p in SETS[name][:2])
    fold = SETS[name][2]
    rows = [json.loads(l) for l in open(os.path.join(ROOT, claims))]
    rows = [r for r in rows if not fold or folds.for_judge(r["claim"])]
    os.makedirs(work, exist_ok=True)
    subset, out = os.path.join(work, f"{name}-claims.jsonl"), os.path.join(work, f"{name}-signals.jsonl")
    with open(subset, "w") as f:
        f.writelines(json.dumps({"id": r.get("claim_id", r.get("id")), "claim": r["claim"], "label": r["label"]}) + "\n" for r in rows)
    store = os.path.join(ROOT, "target", "eval", f"semantic-{name}")  # the store scripts/eval.sh serves
    subprocess.run(["cargo", "run", "--quiet", "--release", "-p", "factcheck-server", "--example", "judge_signals", "--",
                    store, models, corpus, subset, out], cwd=ROOT, check=True)
    lines = [json.loads(l) for l in open(out)]
    return lines[0]["signals"], lines[1:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.path.join(ROOT, "models"))
    ap.add_argument("--out", help="default: MODELS/stance/judge.json")
    ap.add_argument("--eval-dir", default=os.path.join(ROOT, "..", "shared", "eval"))
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "judge"))
    args = ap.parse_args()
    started = time.time()
    names, X, y, group = None, [], [], []
    for name in SETS:
        names, rows = signals(name, args.models, args.eval_dir, args.work)
        X += [r["signals"] for r in rows]
        y += [CLASSES.index(r["label"]) for r in rows]
        group += [name] * len(rows)
    X, y, group = np.array(X, dtype=np.float64), np.array(y), np.array(group)
    counts = {g: int((group == g).sum()) for g in SETS}
    weight = np.array([len(y) / (len(SETS) * counts[g]) for g in group])
    hand = np.where(X[:, names.index("hand_supported")] > 0, 0, np.where(X[:, names.index("hand_contradicted")] > 0, 1, 2))

    def out_of_fold(c):
        p = np.zeros((len(y), 3))
        strata = np.array([f"{g}{l}" for g, l in zip(group, y)])
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=SEED).split(X, strata):
            m = LogisticRegression(C=c, max_iter=5000).fit(X[tr], y[tr], sample_weight=weight[tr])
            p[te] = m.predict_proba(X[te])
        return p

    def log_loss(p):
        return float(-(weight * np.log(np.clip(p[np.arange(len(y)), y], 1e-9, 1))).sum() / weight.sum())

    tried = {c: out_of_fold(c) for c in (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)}
    c = min(tried, key=lambda c: log_loss(tried[c]))
    p = tried[c]
    scores = {}
    for g in SETS:
        m = group == g
        verdict, conf = p[m].argmax(1), p[m].max(1)
        scores[g] = {"n": counts[g], "hand_accuracy": round(float((hand[m] == y[m]).mean()), 4),
                     "accuracy": round(float((verdict == y[m]).mean()), 4), "ece": round(float(ece(conf, verdict == y[m])), 4)}
    model = LogisticRegression(C=c, max_iter=5000).fit(X, y, sample_weight=weight)
    fit = {"data": counts, "weighting": "each set the same total weight", "C": c,
           "log_loss_by_C": {str(k): round(log_loss(v), 4) for k, v in tried.items()},
           "out_of_fold": scores, "seed": SEED, "seconds": round(time.time() - started)}
    out = args.out or os.path.join(args.models, "stance", "judge.json")
    with open(out, "w") as f:
        json.dump({"signals": names, "classes": CLASSES, "weights": model.coef_.round(5).tolist(),
                   "bias": model.intercept_.round(5).tolist(), "fit": fit}, f, indent=1)
    print(json.dumps(fit, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
