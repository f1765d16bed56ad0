#!/usr/bin/env python3
"""A cascade of two stance models, measured before it is built (issue 15, "the
serving model: the teacher, a student, or a cascade; choose by measurement").

The student (cheap) judges every claim; a claim whose verdict it is less than
`tau` sure of is judged again, from the start, by the teacher. Each model's
answers are the out-of-fold ones that `train/fit_judge.py` writes
(`WORK/SET-oof.json`: each model's own aggregator, fitted on its own signals,
over the same claims), so the cascade's answer on a claim is what a served
cascade would answer, on "train on" claims only.

Cost: a claim costs the student's pipeline, plus the teacher's for the share
re-read; with each alone measured by `factcheck bench` (VerifyClaim/s at 16
callers), the cascade serves at least 1 / (1/rps_student + share/rps_teacher).

    python train/cascade.py --student target/judge-student --teacher target/judge-top \\
        --rps-student 60 --rps-teacher 16.5
"""
import argparse, json, os

import numpy as np
from sklearn.metrics import f1_score

from fit_judge import PER_CORPUS, ece

TAUS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


def answers(work, name):
    d = json.load(open(os.path.join(work, f"{name}-oof.json")))
    return np.array(d["labels"]), np.array(d["probabilities"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--student", required=True, help="the student's fit_judge.py --work folder")
    ap.add_argument("--teacher", required=True, help="the teacher's")
    ap.add_argument("--rps-student", type=float, required=True)
    ap.add_argument("--rps-teacher", type=float, required=True)
    ap.add_argument("--sets", nargs="+", default=list(PER_CORPUS))
    args = ap.parse_args()
    print("| set | tau | re-read by the teacher | accuracy | macro-F1 | ECE | VerifyClaim/s (at least) |")
    print("|---|---|---|---|---|---|---|")
    for name in args.sets:
        y, student = answers(args.student, name)
        y_teacher, teacher = answers(args.teacher, name)
        assert (y == y_teacher).all(), f"{name}: the two folders hold other claims"
        for tau in TAUS:
            reread = student.max(1) < tau
            p = np.where(reread[:, None], teacher, student)
            verdict, share = p.argmax(1), reread.mean()
            rps = 1 / (1 / args.rps_student + share / args.rps_teacher)
            label = {0.0: "student alone", 1.01: "teacher alone"}.get(tau, f"{tau:.1f}")
            print(f"| {name} | {label} | {share:.2f} | {(verdict == y).mean():.3f} | "
                  f"{f1_score(y, verdict, average='macro'):.3f} | {ece(p.max(1), verdict == y):.3f} | {rps:.1f} |")


if __name__ == "__main__":
    main()
