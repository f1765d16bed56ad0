#!/usr/bin/env python3
"""Fits the judge's learned aggregator (server/src/engine/judge/aggregate.rs):
a multinomial logistic regression from the judge's signals about a claim to
P(SUPPORTED), P(CONTRADICTED), P(UNKNOWN), whose probability is the verdict's
confidence.

One aggregator per corpus. What a signal means depends on the corpus: a
sentence lacking a name of the claim is the rule in FEVER-lite (title-less
single sentences whose subject is elided) and the mark of a swapped entity
in the seeds' news articles; a pooled fit trades one for the other (issue
15, round 2: every pooled variant lost 4-11 points on the seed sets, see
train/judge_policies.py). So each corpus is served with its own fit
(`factcheck-server --judge FILE`), the way a deployment calibrates to its
own corpus, on labelled claims about it that the stance model never saw:

  MODELS/stance/judge.json          our seed held-out claims (the default)
  MODELS/stance/judge-fever.json    the train/folds.py fold of FEVER-lite validation
  MODELS/stance/judge-scifact.json  ... of SciFact train
  MODELS/stance/judge-climate.json  ... of Climate-FEVER train

only "train on" files (shared/eval/README.md). The signals come from the real
engine (`cargo run --example judge_signals`) over each set's corpus, with
the stance model of MODELS/stance.

"scifact_seen", "climate_seen": the other claims of those train files, the
ones the stance model was trained on. The model is surer of them than of new
claims, but there are four times as many: they join every training fold of
the corpus's fit at a share of its own rows' weight, and the share (0
included) is picked, with the rest, by out-of-fold log-loss on the corpus's
own claims (issue 15, round 8: SciFact 0.845 -> 0.807, Climate 0.960 -> 0.941).

"fever_nei" (for pooled fits, --sets): the FEVER-lite fold asked against the
corpus without those claims' evidence sentences, labelled UNKNOWN: the
situation of a claim whose evidence is not stored.

The features (the model's probabilities, or their log-odds), the L2
strength and the share of the extra rows are chosen by 5-fold cross-validation on log-loss; the scores printed
and written are the out-of-fold ones: accuracy, macro-F1 and expected
calibration error (10 equal bins), beside the hand-tuned aggregation's on
the same claims; the chosen fit's out-of-fold probabilities go to
WORK/SET-oof.json (train/cascade.py compares two models' on the same claims).

    python train/fit_judge.py [--models models] [--reuse-signals]  # the four files above
    python train/fit_judge.py --sets fever fever_nei --out F  # one pooled fit
"""
import argparse, json, os, subprocess, sys, time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import folds

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLASSES = ["SUPPORTED", "CONTRADICTED", "UNKNOWN"]
# name: (corpus, claims, which claims: "judge" the folds.for_judge ones, "seen" the others, None all;
#        without their evidence and labelled UNKNOWN)
SETS = {
    "fever": ("{ext}/feverlite_corpus.jsonl", "{ext}/feverlite_validation_claims.jsonl", "judge", False),
    "fever_nei": ("{ext}/feverlite_corpus.jsonl", "{ext}/feverlite_validation_claims.jsonl", "judge", True),
    "scifact": ("{ext}/scifact_corpus.jsonl", "{ext}/scifact_train_claims.jsonl", "judge", False),
    "scifact_seen": ("{ext}/scifact_corpus.jsonl", "{ext}/scifact_train_claims.jsonl", "seen", False),
    "climate": ("{ext}/climate_fever_corpus.jsonl", "{ext}/climate_fever_train_claims.jsonl", "judge", False),
    "climate_seen": ("{ext}/climate_fever_corpus.jsonl", "{ext}/climate_fever_train_claims.jsonl", "seen", False),
    "heldout": ("seeds", "server/tests/data/seed-claims.heldout.jsonl", None, False),
}
SEED = 13
# The aggregator each corpus is served with (`--judge`), fitted on its own
# "train on" claims (and the extra set's rows, at the share the fit picks);
# the seeds' one is the server's default.
PER_CORPUS = {"heldout": ("judge.json", None), "fever": ("judge-fever.json", None),
              "scifact": ("judge-scifact.json", "scifact_seen"), "climate": ("judge-climate.json", "climate_seen")}
SHARES = (0.0, 0.5, 1.0, 2.0, 4.0)


def ece(conf, correct, bins=10):
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    return sum(abs(correct[idx == b].mean() - conf[idx == b].mean()) * (idx == b).sum() for b in range(bins) if (idx == b).any()) / len(conf)


def signals(name, models, eval_dir, work, reuse=False):
    """The engine's signals for the set's claims, written under `work` (and
    read back from there when `reuse` and they are there)."""
    out = os.path.join(work, f"{name}-signals.jsonl")
    if not (reuse and os.path.exists(out)):
        compute_signals(name, models, eval_dir, work, out)
    return read_signals(out)


def read_signals(path):
    """A judge_signals output: the signals' names, and one row per claim."""
    lines = [json.loads(l) for l in open(path)]
    return lines[0]["signals"], lines[1:]


def compute_signals(name, models, eval_dir, work, out):
    corpus, claims = (p.format(ext=os.path.join(eval_dir, "external")) for p in SETS[name][:2])
    which, nei = SETS[name][2:]
    rows = [json.loads(l) for l in open(os.path.join(ROOT, claims))]
    rows = [r for r in rows if which is None or folds.for_judge(r["claim"]) == (which == "judge")]
    os.makedirs(work, exist_ok=True)
    corpus_name = name.removesuffix("_seen")
    store = os.path.join(ROOT, "target", "eval", f"semantic-{corpus_name}")  # the store scripts/eval.sh serves
    if nei:
        gold = {e["doc_id"] for r in rows for e in r["evidence"]}
        store, kept = os.path.join(work, f"store-{name}"), os.path.join(work, f"{name}-corpus.jsonl")
        with open(corpus) as src, open(kept, "w") as f:
            f.writelines(l for l in src if json.loads(l)["doc_id"] not in gold)
        corpus, rows = kept, [dict(r, label="UNKNOWN") for r in rows]
    subset = os.path.join(work, f"{name}-claims.jsonl")
    with open(subset, "w") as f:
        f.writelines(json.dumps({"id": r.get("claim_id", r.get("id")), "claim": r["claim"], "label": r["label"]}) + "\n" for r in rows)
    subprocess.run(["cargo", "run", "--quiet", "--release", "-p", "factcheck-server", "--example", "judge_signals", "--",
                    store, models, corpus, subset, out], cwd=ROOT, check=True)


def three_way(model, n):
    """The fitted model as one weight row and bias per class of CLASSES (what
    aggregate.rs reads); a class absent from the data (FEVER-lite has no
    UNKNOWN) gets zero weights and a bias that rules it out."""
    w, b = np.zeros((3, n)), np.full(3, -50.0)
    if len(model.classes_) == 2:  # sklearn fits one logit: P(second) = σ(w·x + b)
        w[model.classes_[1]], b[model.classes_[0]], b[model.classes_[1]] = model.coef_[0], 0.0, model.intercept_[0]
    else:
        w[model.classes_], b[model.classes_] = model.coef_, model.intercept_
    return w, b


def fit(sets, models, eval_dir, work, out, extra=None, reuse=False):
    started = time.time()
    names, X, y, group = None, [], [], []
    for name in sets:
        names, rows = signals(name, models, eval_dir, work, reuse)
        X += [r["signals"] for r in rows]
        y += [CLASSES.index(r["label"]) for r in rows]
        group += [name] * len(rows)
    X, y, group = np.array(X, dtype=np.float64), np.array(y), np.array(group)
    counts = {g: int((group == g).sum()) for g in sets}
    weight = np.array([len(y) / (len(sets) * counts[g]) for g in group])
    hand = np.where(X[:, names.index("hand_supported")] > 0, 0, np.where(X[:, names.index("hand_contradicted")] > 0, 1, 2))
    extra_names, extra_rows = signals(extra, models, eval_dir, work, reuse) if extra else (names, [])
    assert extra_names == names, f"{extra}: other signals than {sets}"
    Xe, ye = np.array([r["signals"] for r in extra_rows], dtype=np.float64).reshape(-1, len(names)), np.array([CLASSES.index(r["label"]) for r in extra_rows], dtype=int)

    def logistic(F, Fe, rows, c, share):
        """Fitted on `rows` of F, and all of Fe at `share` of those rows' weight."""
        w = weight[rows]
        if share:
            F, labels = np.vstack([F[rows], Fe]), np.concatenate([y[rows], ye])
            w = np.concatenate([w, np.full(len(ye), share * w.sum() / len(ye))])
        else:
            F, labels = F[rows], y[rows]
        return LogisticRegression(C=c, max_iter=5000).fit(F, labels, sample_weight=w)

    def out_of_fold(f, c, share):
        F, Fe, p = X[:, cols[f]], Xe[:, cols[f]], np.zeros((len(y), 3))
        strata = np.array([f"{g}{l}" for g, l in zip(group, y)])
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=SEED).split(F, strata):
            m = logistic(F, Fe, tr, c, share)
            p[np.ix_(te, m.classes_)] = m.predict_proba(F[te])
        return p

    def log_loss(p):
        return float(-(weight * np.log(np.clip(p[np.arange(len(y)), y], 1e-9, 1))).sum() / weight.sum())

    # The model's probabilities as they are, or as log-odds (the `_logit` twins):
    # which suits depends on the corpus, so each fit picks by out-of-fold log-loss.
    features = {"probabilities": [n for n in names if not n.endswith("_logit")],
                "log-odds": [n for n in names if n + "_logit" not in names]}
    cols = {f: [names.index(n) for n in used] for f, used in features.items()}
    shares = SHARES if extra else (0.0,)
    tried = {(f, c, sh): out_of_fold(f, c, sh) for f in features for c in (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0) for sh in shares}
    chosen, c, share = min(tried, key=lambda k: log_loss(tried[k]))
    p = tried[chosen, c, share]
    scores = {}
    for g in sets:
        m = group == g
        verdict, conf = p[m].argmax(1), p[m].max(1)
        scores[g] = {"n": counts[g], "hand_accuracy": round(float((hand[m] == y[m]).mean()), 4),
                     "hand_macro_f1": round(float(f1_score(y[m], hand[m], average="macro")), 4),
                     "accuracy": round(float((verdict == y[m]).mean()), 4),
                     "macro_f1": round(float(f1_score(y[m], verdict, average="macro")), 4),
                     "ece": round(float(ece(conf, verdict == y[m])), 4)}
    with open(os.path.join(work, "-".join(sets) + "-oof.json"), "w") as f:
        # The chosen fit's out-of-fold probabilities, row by row (train/cascade.py reads them).
        json.dump({"classes": CLASSES, "labels": y.tolist(), "probabilities": p.round(5).tolist()}, f)
    model = logistic(X[:, cols[chosen]], Xe[:, cols[chosen]], np.arange(len(y)), c, share)
    w, b = three_way(model, len(cols[chosen]))
    data = dict(counts, **({extra: len(ye)} if extra else {}))
    fit = {"data": data, "weighting": "each set the same total weight" + (f"; {extra} at `share` of it" if extra else ""),
           "features": chosen, "C": c, **({"share": share} if extra else {}),
           "log_loss": {f"{f}, C={k}" + (f", share={sh}" if extra else ""): round(log_loss(v), 4) for (f, k, sh), v in tried.items()},
           "out_of_fold": scores, "seed": SEED, "seconds": round(time.time() - started), **({"signals_reused": True} if reuse else {})}
    with open(out, "w") as f:
        json.dump({"signals": features[chosen], "classes": CLASSES, "weights": w.round(5).tolist(),
                   "bias": b.round(5).tolist(), "fit": fit}, f, indent=1)
    print(json.dumps({k: v for k, v in fit.items() if k != "log_loss"}, indent=2))
    print(f"wrote {out}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.path.join(ROOT, "models"))
    ap.add_argument("--sets", nargs="+", choices=SETS, help="fit one aggregator on these sets pooled (default: one per corpus)")
    ap.add_argument("--out", help="with --sets: the file to write")
    ap.add_argument("--eval-dir", default=os.path.join(ROOT, "..", "shared", "eval"))
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "judge"))
    ap.add_argument("--reuse-signals", action="store_true", help="read the signals a previous run wrote under --work (same engine and models)")
    args = ap.parse_args()
    if args.sets:
        fit(args.sets, args.models, args.eval_dir, args.work, args.out or os.path.join(args.work, "judge.json"), reuse=args.reuse_signals)
        return
    for name, (file, extra) in PER_CORPUS.items():
        fit([name], args.models, args.eval_dir, args.work, os.path.join(args.models, "stance", file), extra, args.reuse_signals)


if __name__ == "__main__":
    main()
