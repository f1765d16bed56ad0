#!/usr/bin/env python3
"""Compares ways to combine the learned aggregator with the hand-tuned
decision, out of fold, on the signals train/fit_judge.py computed (its
--work folder): accuracy / ECE per set for each policy.

  hand               the hand-tuned decision and its confidence
  learned            the aggregator alone (what aggregate.rs serves)
  learned, no NEI    the same, fitted without the fever_nei set
  from-unknown       the hand decision, but where it says UNKNOWN the
                     aggregator decides (fitted on those claims only), and
                     a calibrator of the hand decision gives S/C confidence
  from-unknown, no NEI  the same without fever_nei
  per corpus         each set's own aggregator, fitted on that set alone
                     (what fit_judge.py ships and scripts/eval.sh serves)

Same folds, weights (each set the same) and L2 strength as fit_judge.py.

    python train/judge_policies.py [--work target/judge]
"""
import argparse, os

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from fit_judge import CLASSES, ROOT, SEED, SETS, ece, read_signals


def load(work):
    X, y, group = [], [], []
    for name in SETS:
        names, rows = read_signals(os.path.join(work, f"{name}-signals.jsonl"))
        for r in rows:
            X.append(r["signals"]), y.append(CLASSES.index(r["label"])), group.append(name)
    return names, np.array(X, dtype=np.float64), np.array(y), np.array(group)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "judge"))
    ap.add_argument("--C", type=float, default=0.1)
    args = ap.parse_args()
    names, X, y, group = load(args.work)
    hand = np.where(X[:, names.index("hand_supported")] > 0, 0, np.where(X[:, names.index("hand_contradicted")] > 0, 1, 2))
    counts = {g: (group == g).sum() for g in SETS}
    weight = np.array([len(y) / (len(SETS) * counts[g]) for g in group])
    splits = list(StratifiedKFold(5, shuffle=True, random_state=SEED).split(X, [f"{g}{l}{h}" for g, l, h in zip(group, y, hand)]))
    fit = lambda rows, X_, y_: LogisticRegression(C=args.C, max_iter=5000).fit(X_[rows], y_[rows], sample_weight=weight[rows])

    def learned(sets):
        p = np.zeros((len(y), 3))
        for tr, te in splits:
            p[te] = fit(tr[np.isin(group[tr], sets)], X, y).predict_proba(X[te])
        return p.argmax(1), p.max(1)

    def from_unknown(sets):
        verdict, conf, right = hand.copy(), np.zeros(len(y)), (hand == y).astype(int)
        Xh = np.hstack([X, (hand == 0)[:, None]])
        for tr, te in splits:
            tr = tr[np.isin(group[tr], sets)]
            rescue, calib = fit(tr[hand[tr] == 2], X, y), fit(tr[hand[tr] != 2], Xh, right)
            u, k = te[hand[te] == 2], te[hand[te] != 2]
            p = rescue.predict_proba(X[u])
            verdict[u], conf[u] = p.argmax(1), p.max(1)
            conf[k] = calib.predict_proba(Xh[k])[:, 1]
        return verdict, conf

    def per_corpus():
        p = np.zeros((len(y), 3))
        for tr, te in splits:
            for g in SETS:
                rows, out = tr[group[tr] == g], te[group[te] == g]
                if len(set(y[rows])) == 1:  # fever_nei: all UNKNOWN
                    p[out, y[rows][0]] = 1.0
                    continue
                m = fit(rows, X, y)
                p[np.ix_(out, m.classes_)] = m.predict_proba(X[out])
        return p.argmax(1), p.max(1)

    no_nei = [s for s in SETS if s != "fever_nei"]
    policies = {
        "hand": (hand, X[:, names.index("hand_confidence")]),
        "learned": learned(list(SETS)),
        "learned, no NEI": learned(no_nei),
        "from-unknown": from_unknown(list(SETS)),
        "from-unknown, no NEI": from_unknown(no_nei),
        "per corpus": per_corpus(),
    }
    print("| policy | " + " | ".join(SETS) + " |")
    print("|---|" + "---|" * len(SETS))
    for name, (verdict, conf) in policies.items():
        cells = []
        for g in SETS:
            m = group == g
            cells.append(f"{(verdict[m] == y[m]).mean():.3f} / {ece(conf[m], verdict[m] == y[m]):.3f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
