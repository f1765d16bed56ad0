#!/usr/bin/env python3
"""A cascade of two stance models, measured before it is built (issue 15, "the
serving model: the teacher, a student, or a cascade; choose by measurement").

The student (cheap) judges every claim; a claim whose verdict it is less than
`tau` sure of is judged again, from the start, by the teacher. A cascade works
claim by claim, so its answers follow from each model's own:

- choosing tau: the out-of-fold answers that `train/fit_judge.py` writes
  (`WORK/SET-oof.json`: each model's own aggregator, fitted on its own
  signals, over the same claims), on "train on" claims only;
- measuring the chosen tau on other claims (`--signals`): each model's
  signals for them (`cargo run --release --example judge_signals`) through
  its served aggregator (`MODELS/stance/judge*.json`, as aggregate.rs
  applies it).

Cost: a claim costs the student's pipeline, plus the teacher's for the share
re-read; with each alone measured by `factcheck bench` (VerifyClaim/s at 16
callers), the cascade serves at least 1 / (1/rps_student + share/rps_teacher).

    python train/cascade.py --student target/judge-student --teacher target/judge-top \\
        --rps-student 74.3 --rps-teacher 17.4
    python train/cascade.py --tau 0.6 --student DIR_S --teacher DIR_T --rps-student 74.3 --rps-teacher 17.4 \\
        --signals scifact S.jsonl T.jsonl   # DIR_*: the models folders; S, T: judge_signals output
"""
import argparse, json, os

import numpy as np
from sklearn.metrics import f1_score

from fit_judge import CLASSES, PER_CORPUS, ece, read_signals

TAUS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
# The aggregator each set is served with (scripts/eval.sh): its corpus's, else the default.
JUDGE = {"seeds": "judge.json", **{name: file for name, (file, _) in PER_CORPUS.items()}}


def out_of_fold(work, name):
    d = json.load(open(os.path.join(work, f"{name}-oof.json")))
    return np.array(d["labels"]), np.array(d["probabilities"])


def served(models, name, signals):
    """The answers of the aggregator `name` is served with: softmax(W x + b)
    over the signals its file names."""
    names, rows = read_signals(signals)
    judge = json.load(open(os.path.join(models, "stance", JUDGE[name])))
    x = np.array([[r["signals"][names.index(n)] for n in judge["signals"]] for r in rows])
    z = x @ np.array(judge["weights"]).T + np.array(judge["bias"])
    p = np.exp(z - z.max(1, keepdims=True))
    return np.array([CLASSES.index(r["label"]) for r in rows]), p / p.sum(1, keepdims=True)


def rows(name, answers, taus, rps_student, rps_teacher):
    (y, student), (y_teacher, teacher) = answers
    assert (y == y_teacher).all(), f"{name}: the two models' answers are to other claims"
    for tau in taus:
        reread = student.max(1) < tau
        p = np.where(reread[:, None], teacher, student)
        verdict, share = p.argmax(1), reread.mean()
        label = {0.0: "student alone", 1.01: "teacher alone"}.get(tau, f"{tau:.1f}")
        rps = rps_teacher if tau > 1 else 1 / (1 / rps_student + share / rps_teacher)
        print(f"| {name} | {label} | {share:.2f} | {(verdict == y).mean():.3f} | {f1_score(y, verdict, average='macro'):.3f} | "
              f"{ece(p.max(1), verdict == y):.3f} | {rps:.1f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--student", required=True, help="the student's fit_judge.py --work folder (with --signals: its models folder)")
    ap.add_argument("--teacher", required=True, help="the teacher's")
    ap.add_argument("--rps-student", type=float, required=True)
    ap.add_argument("--rps-teacher", type=float, required=True)
    ap.add_argument("--sets", nargs="+", default=list(PER_CORPUS))
    ap.add_argument("--signals", nargs=3, action="append", metavar=("SET", "STUDENT", "TEACHER"),
                    help="measure on these claims: each model's judge_signals output")
    ap.add_argument("--tau", type=float, help="with --signals: the threshold chosen out of fold")
    args = ap.parse_args()
    print("| set | tau | re-read by the teacher | accuracy | macro-F1 | ECE | VerifyClaim/s (at least) |")
    print("|---|---|---|---|---|---|---|")
    if args.signals:
        taus = (0.0, args.tau, 1.01)
        for name, s, t in args.signals:
            rows(name, (served(args.student, name, s), served(args.teacher, name, t)), taus, args.rps_student, args.rps_teacher)
        return
    for name in args.sets:
        rows(name, (out_of_fold(args.student, name), out_of_fold(args.teacher, name)), TAUS, args.rps_student, args.rps_teacher)


if __name__ == "__main__":
    main()
