#!/usr/bin/env python3
"""Fits the judge's learned aggregator (server/src/engine/judge/aggregate.rs):
a multinomial logistic regression from the judge's signals about a claim to
P(SUPPORTED), P(CONTRADICTED), P(UNKNOWN), whose probability is the verdict's
confidence.

The default aggregator (MODELS/stance/judge.json, what the server serves for
every corpus) is one fit on labelled claims about many corpora pooled, each
set the same total weight:

  heldout            our seed held-out claims
  corpus:NAME        each development corpus under server/tests/data/corpora
                     (not those marked SEALED)
  fever              the train/folds.py fold of FEVER-lite validation
  scifact, climate   the train/folds.py folds of SciFact and Climate-FEVER train

(`fever_nei`, the FEVER claims asked of the corpus without their evidence
sentences and labelled UNKNOWN, is left out: other sentences of that corpus
still bear on many of them (the stance model reads half at over 0.9 as
supported or refuted, some stated outright), so its labels taught the
aggregator to doubt readings that were right; leave one corpus out, it cost
the news corpora 1.2 points of accuracy and tripled the seed claims' ECE.
It stays a set for `--sets`.)

only "train on" files (shared/eval/README.md), claims the stance model never
saw. Its features (the model's probabilities, or their log-odds) and L2
strength are chosen leave-one-corpus-out: each corpus is scored by a fit on
the others only, and the choice minimises the mean of those scores'
log-loss. The scores printed and written are those leave-one-corpus-out
answers: what a user's corpus that nobody fitted on gets.

--sets A B --out F fits on the named sets alone, scored by 5-fold
cross-validation: for a user who has labelled claims about their own corpus
(an opt-in `--judge F`; the README's tables never use one).

The signals come from the real engine (`cargo run --example judge_signals`)
over each set's corpus (the store scripts/eval.sh serves), with the stance
model of MODELS/stance.

    python train/fit_judge.py [--models models] [--reuse-signals]   # MODELS/stance/judge.json
    python train/fit_judge.py --sets corpus:mine --out F              # one corpus's own fit
"""
import argparse, json, os, random, subprocess, sys, time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import folds

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLASSES = ["SUPPORTED", "CONTRADICTED", "UNKNOWN"]
# name: (corpus, claims, which claims: "judge" the folds.for_judge ones or None all,
#        whether they are asked without their evidence and labelled UNKNOWN)
SETS = {
    "fever": ("{ext}/feverlite_corpus.jsonl", "{ext}/feverlite_validation_claims.jsonl", "judge", False),
    "fever_nei": ("{ext}/feverlite_corpus.jsonl", "{ext}/feverlite_validation_claims.jsonl", "judge", True),
    "scifact": ("{ext}/scifact_corpus.jsonl", "{ext}/scifact_train_claims.jsonl", "judge", False),
    "climate": ("{ext}/climate_fever_corpus.jsonl", "{ext}/climate_fever_train_claims.jsonl", "judge", False),
    "heldout": ("seeds", "server/tests/data/seed-claims.heldout.jsonl", None, False),
}
CORPORA = os.path.join(ROOT, "server", "tests", "data", "corpora")
for _name in sorted(os.listdir(CORPORA)) if os.path.isdir(CORPORA) else []:
    if not os.path.exists(os.path.join(CORPORA, _name, "SEALED")):
        _dir = os.path.join("server", "tests", "data", "corpora", _name)
        SETS[f"corpus:{_name}"] = (os.path.join(_dir, "articles.jsonl"), os.path.join(_dir, "claims.jsonl"), None, False)
SEED = 13
# Claims asked of one set at most (a seeded sample of the larger folds).
MAX_CLAIMS = 400
# The default aggregator's sets.
POOLED = ["heldout", *(n for n in SETS if n.startswith("corpus:")), "fever", "scifact", "climate"]


def ece(conf, correct, bins=10):
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    return sum(abs(correct[idx == b].mean() - conf[idx == b].mean()) * (idx == b).sum() for b in range(bins) if (idx == b).any()) / len(conf)


def signals(name, models, eval_dir, work, reuse=False, binary=None):
    """The engine's signals for the set's claims, written under `work` (and
    read back from there when `reuse` and they are there), by `binary` (a
    built judge_signals example; default: cargo builds and runs it)."""
    out = os.path.join(work, f"{name}-signals.jsonl")
    if not (reuse and os.path.exists(out)):
        compute_signals(name, models, eval_dir, work, out, binary)
    return read_signals(out)


def read_signals(path):
    """A judge_signals output: the signals' names, and one row per claim."""
    lines = [json.loads(l) for l in open(path)]
    return lines[0]["signals"], lines[1:]


def compute_signals(name, models, eval_dir, work, out, binary=None):
    corpus, claims = (p.format(ext=os.path.join(eval_dir, "external")) for p in SETS[name][:2])
    which, nei = SETS[name][2:]
    rows = [json.loads(l) for l in open(os.path.join(ROOT, claims))]
    rows = [r for r in rows if which is None or folds.for_judge(r["claim"]) == (which == "judge")]
    if len(rows) > MAX_CLAIMS:  # each set weighs the same in the fit: more rows of one only cost time
        rows = random.Random(SEED).sample(rows, MAX_CLAIMS)
    os.makedirs(work, exist_ok=True)
    corpus_name = name.replace(":", "-")
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
    command = [binary] if binary else ["cargo", "run", "--quiet", "--release", "-p", "factcheck-server", "--example", "judge_signals", "--"]
    subprocess.run([*command, store, models, corpus, subset, out], cwd=ROOT, check=True)


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


def corpus_of(name):
    """The corpus a set asks about: a set's claims and those asked of the same
    corpus without their evidence (fever_nei) are held out together."""
    return name.split("_")[0]


def fit(sets, models, eval_dir, work, out, loco, reuse=False, binary=None):
    """Fits on `sets` pooled and writes `out`; scores each claim out of fold:
    by a fit on the other corpora (`loco`), or by 5-fold cross-validation."""
    started = time.time()
    names, X, y, group = None, [], [], []
    for name in sets:
        names, rows = signals(name, models, eval_dir, work, reuse, binary)
        X += [r["signals"] for r in rows]
        y += [CLASSES.index(r["label"]) for r in rows]
        group += [name] * len(rows)
    X, y, group = np.array(X, dtype=np.float64), np.array(y), np.array(group)
    counts = {g: int((group == g).sum()) for g in sets}
    weight = np.array([len(y) / (len(sets) * counts[g]) for g in group])
    hand = np.where(X[:, names.index("hand_supported")] > 0, 0, np.where(X[:, names.index("hand_contradicted")] > 0, 1, 2))
    if loco:
        corpus = np.array([corpus_of(g) for g in group])
        splits = [(np.flatnonzero(corpus != c), np.flatnonzero(corpus == c)) for c in dict.fromkeys(corpus)]
    else:
        strata = np.array([f"{g}{l}" for g, l in zip(group, y)])
        splits = list(StratifiedKFold(5, shuffle=True, random_state=SEED).split(X, strata))

    def logistic(F, rows, c):
        return LogisticRegression(C=c, max_iter=5000).fit(F[rows], y[rows], sample_weight=weight[rows])

    def out_of_fold(f, c):
        F, p = X[:, cols[f]], np.zeros((len(y), 3))
        for tr, te in splits:
            m = logistic(F, tr, c)
            p[np.ix_(te, m.classes_)] = m.predict_proba(F[te])
        return p

    def log_loss(p):
        return float(-(weight * np.log(np.clip(p[np.arange(len(y)), y], 1e-9, 1))).sum() / weight.sum())

    # The model's probabilities as they are, or as log-odds (the `_logit` twins);
    # or the model's readings alone, with the one exact conflict the rules read
    # (a figure or date stated differently), the rules' other judgements left out.
    features = {"probabilities": [n for n in names if not n.endswith("_logit")],
                "log-odds": [n for n in names if n + "_logit" not in names],
                "model readings": [n for n in names if n.startswith(("model_", "joint_")) and not n.endswith("_logit") or n == "exact_conflict"]}
    cols = {f: [names.index(n) for n in used] for f, used in features.items()}
    tried = {(f, c): out_of_fold(f, c) for f in features for c in (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)}
    chosen, c = min(tried, key=lambda k: log_loss(tried[k]))
    p = tried[chosen, c]
    scores = {}
    for g in sets:
        m = group == g
        verdict, conf = p[m].argmax(1), p[m].max(1)
        scores[g] = {"n": counts[g], "hand_accuracy": round(float((hand[m] == y[m]).mean()), 4),
                     "hand_macro_f1": round(float(f1_score(y[m], hand[m], average="macro")), 4),
                     "accuracy": round(float((verdict == y[m]).mean()), 4),
                     "macro_f1": round(float(f1_score(y[m], verdict, average="macro")), 4),
                     "ece": round(float(ece(conf, verdict == y[m])), 4)}
    with open(os.path.join(work, ("loco-" if loco else "") + "-".join(sets).replace(":", "-") + "-oof.json"), "w") as f:
        # The chosen fit's out-of-fold probabilities, row by row (to compare models on the same claims).
        json.dump({"classes": CLASSES, "sets": group.tolist(), "labels": y.tolist(), "probabilities": p.round(5).tolist()}, f)
    fit = {"data": counts, "weighting": "each set the same total weight",
           "scored": "leave one corpus out" if loco else "5-fold cross-validation",
           "features": chosen, "C": c,
           "log_loss": {f"{f}, C={k}": round(log_loss(v), 4) for (f, k), v in tried.items()},
           "out_of_fold": scores, "seed": SEED, "seconds": round(time.time() - started), **({"signals_reused": True} if reuse else {})}

    def write(path, rows, fit):
        w, b = three_way(logistic(X[:, cols[chosen]], rows, c), len(cols[chosen]))
        with open(path, "w") as f:
            json.dump({"signals": features[chosen], "classes": CLASSES, "weights": w.round(5).tolist(),
                       "bias": b.round(5).tolist(), "fit": fit}, f, indent=1)

    write(out, np.arange(len(y)), fit)
    if loco:
        # Each corpus's leave-one-out aggregator, for scoring it end to end
        # through the server (scripts/eval.sh with JUDGE_WITHOUT=WORK).
        for tr, te in splits:
            held = corpus_of(group[te[0]])
            write(os.path.join(work, f"without-{held.replace(':', '-')}.json"), tr, {"data": {g: n for g, n in counts.items() if corpus_of(g) != held}, "without": held})
    print(json.dumps({k: v for k, v in fit.items() if k != "log_loss"}, indent=2))
    print(f"wrote {out}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.path.join(ROOT, "models"))
    ap.add_argument("--sets", nargs="+", choices=SETS, help="fit on these sets alone, scored by 5-fold cross-validation (default: the pooled default aggregator)")
    ap.add_argument("--out", help="the file to write (default: MODELS/stance/judge.json; with --sets: WORK/judge.json)")
    ap.add_argument("--eval-dir", default=os.path.join(ROOT, "..", "shared", "eval"))
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "judge"))
    ap.add_argument("--reuse-signals", action="store_true", help="read the signals a previous run wrote under --work (same engine and models)")
    ap.add_argument("--signals-bin", help="a built judge_signals example to run (another build's); default: cargo run")
    args = ap.parse_args()
    if args.sets:
        fit(args.sets, args.models, args.eval_dir, args.work, args.out or os.path.join(args.work, "judge.json"), False, args.reuse_signals, args.signals_bin)
    else:
        fit(POOLED, args.models, args.eval_dir, args.work, args.out or os.path.join(args.models, "stance", "judge.json"), True, args.reuse_signals, args.signals_bin)


if __name__ == "__main__":
    main()
