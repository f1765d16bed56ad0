#!/usr/bin/env python3
"""Builds a JSONL corpus of about N sentence-level claims for benchmarks.

    scripts/scale_corpus.py N OUT.jsonl [--shared ../shared/eval/external]

It takes the public corpora first (FEVER-lite, Climate-FEVER, SciFact: about
55k sentences), then adds deterministic generated news-like articles (10
sentences each, seeded, so every run writes the same file) until N is reached.
"""
import argparse
import json
import os
import random
import re

PLACES = ["Lisbon", "Osaka", "Quito", "Tallinn", "Accra", "Hanoi", "Perth", "Bergen", "Cusco", "Tunis", "Austin", "Lyon"]
ORGS = ["the port authority", "the central bank", "the health ministry", "the rail operator", "the city council",
        "the weather service", "the energy regulator", "the university", "the fishing cooperative", "the customs office"]
THINGS = ["copper exports", "grain imports", "bus fares", "hospital beds", "wind capacity", "river levels",
          "tourist arrivals", "rice prices", "bridge repairs", "school enrolments", "fuel stocks", "ferry routes"]
VERBS = ["rose", "fell", "doubled", "stabilised", "were cut", "were raised", "were reviewed", "were suspended"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
MONTHS = ["January", "March", "May", "July", "September", "November"]


def sentences_of(text):
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 4]


def public(shared):
    for name in ["feverlite_corpus.jsonl", "climate_fever_corpus.jsonl", "scifact_corpus.jsonl"]:
        path = os.path.join(shared, name)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                yield {"doc_id": row["doc_id"], "title": row.get("title", ""), "text": row["text"]}, len(sentences_of(row["text"]))


def generated(seed=7):
    rng = random.Random(seed)
    i = 0
    while True:
        place = rng.choice(PLACES) + str(i)
        org = rng.choice(ORGS)
        lines = []
        for _ in range(10):
            thing, verb = rng.choice(THINGS), rng.choice(VERBS)
            pct, year = rng.randint(2, 95), rng.randint(1990, 2025)
            form = rng.randint(0, 3)
            if form == 0:
                lines.append(f"In {place}, {thing} {verb} by {pct}% in {rng.choice(MONTHS)} {year}, {org} said.")
            elif form == 1:
                lines.append(f"Officials in {place} said on {rng.choice(DAYS)} that {thing} {verb} after the {year} review.")
            elif form == 2:
                lines.append(f"According to {org}, about {pct} percent of {thing} in {place} {verb} last year.")
            else:
                lines.append(f"{org.capitalize()} did not confirm that {thing} in {place} {verb} by {pct * 10} tonnes.")
        yield {"doc_id": f"gen-{i:07d}", "title": f"{place} report", "text": " ".join(lines)}, 10
        i += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "../../shared/eval/external"))
    args = ap.parse_args()
    total = 0
    with open(args.out, "w") as out:
        for source in (public(args.shared), generated()):
            for row, n in source:
                if total >= args.n:
                    break
                out.write(json.dumps(row) + "\n")
                total += n
    print(f"{args.out}: about {total} sentences")


if __name__ == "__main__":
    main()
