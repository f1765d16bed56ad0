#!/usr/bin/env python3
"""Contrastive (claim, evidence) pairs made by minimal edits of true sentences,
each labelled by construction (VitaminC's and FactCC's recipe, aimed at the
inference errors the judge makes: negation, degree, entity and role swaps,
numbers and dates, tense and modality).

Sources: corpus sentences only, never a claim file: the seed articles and
samples of the public corpora (FEVER-lite, Climate-FEVER, SciFact abstracts).
The evidence of every pair is the unedited sentence ("title | sentence" where
the corpus has titles); the claim is the sentence edited:

  SUPPORTS  identity      the sentence itself
            clause        its main clause without a trailing relative or
                          participial clause ("Italy, which holds…" → "Italy …")
            weaker        a lower bound lowered, an upper bound raised
                          ("more than 70%" → "more than 50%")
  REFUTES   antonym       a verb or adjective replaced by its WordNet antonym
            negation+     "not" inserted after the first auxiliary
            negation-     the sentence's own "not"/"never" removed
            shortage      "a shortage of X" ↔ "plenty of X", "lack of" ↔ "enough"
            number        a number that is no year changed
            comparator    "more than N" ↔ "less than N"
            year          a year moved by 1 to 5
            demonym       the nationality of a person or office swapped
                          ("German Chancellor" → "French Chancellor")
            office        an office swapped ("Foreign Minister X" → "Defense Minister X")
  NEI       tense         past made future, future made past ("visited" ↔ "will visit")
            modal         a hedge made a fact ("may help" → "helped")
            subject       the first name replaced by another name
            target        a place after "to/from/in/with" replaced by another
            swap          two places of the sentence swapped (agent and patient)
            close         another sentence of the same text, lexically close
                          (`--nei-ratio` of them per edited sentence)

WordNet 3.0 comes from Debian's `wordnet-base` (/usr/share/wordnet, WordNet
licence), read directly; inflection from PyPI `lemminflect` (MIT).

    python train/contrastive.py --out target/train-data/contrastive.jsonl [--per-corpus 2000] [--seed 13]
"""
import argparse, collections, glob, json, os, random, re

from lemminflect import getAllInflections, getInflection, getLemma

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
S, R, N = "SUPPORTS", "REFUTES", "NEI"

WORDNET = "/usr/share/wordnet"


def antonyms(wordnet=WORDNET):
    """(word, "v" or "a") → its direct antonyms, for one-word verbs and
    adjectives: the "!" pointers of WordNet's data files (wndb(5WN): offset,
    lexicographer file, type, word count (hex), words with lex ids, pointer
    count, pointers as symbol, offset, part of speech, source/target word
    numbers (hex))."""
    out = collections.defaultdict(set)
    for name, pos in (("data.verb", "v"), ("data.adj", "a")):
        synsets, pointers = {}, []
        with open(os.path.join(wordnet, name)) as f:
            for line in f:
                if line.startswith("  "):
                    continue  # the licence header
                fields = line.split(" | ")[0].split()
                n = int(fields[3], 16)
                names = [w.split("(")[0].lower() for w in fields[4:4 + 2 * n:2]]
                synsets[fields[0]] = names
                at = 4 + 2 * n
                for k in range(int(fields[at])):
                    symbol, target, _, st = fields[at + 1 + 4 * k: at + 5 + 4 * k]
                    if symbol == "!":
                        pointers.append((names, int(st[:2], 16), target, int(st[2:], 16)))
        for names, source, target, word in pointers:
            a, b = names[source - 1], synsets[target][word - 1]
            if "_" not in a and "_" not in b:
                out[(a, pos)].add(b)
    return out


AUX = re.compile(r"\b(is|was|are|were|has|have|had|will|would|can|could|does|did|should)\b")
NEGATED = re.compile(r"\b(is|was|are|were|has|have|had|will|would|can|could|does|did) (not|never) ")
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
COMPARATOR = re.compile(r"\b(more|less|fewer|greater) than (\d+(?:\.\d+)?)")
NAME = re.compile(r"\b[A-Z][a-z]{2,}(?: [A-Z][a-z]+)+\b")
HEDGE = re.compile(r"\b(may|might|could) ([a-z]+)\b(?<!ly)")
FUTURE = re.compile(r"\bwill (\w+)")
PLACE_AFTER = re.compile(r"\b(to|from|in|with|against) ([A-Z][a-z]+(?: [A-Z][a-z]+)?)")
CLAUSE = re.compile(r", (which|who|whose|while|where|although|as|after|before|following|according)\b")
SHORTAGE = [("a shortage of", "plenty of"), ("shortages of", "plenty of"), ("a lack of", "enough"), ("plenty of", "a shortage of")]
DEMONYMS = ["American", "British", "Chinese", "French", "German", "Indian", "Italian", "Japanese", "Russian",
            "Ukrainian", "Canadian", "Spanish", "Turkish", "Iranian", "Polish", "Australian", "Brazilian", "Mexican"]
# The direction of a finding, both ways: what scientific and climate claims
# assert ("X increases Y", "higher risk") and WordNet has no antonym for
# ("inhibits", "upregulates", "higher").
DIRECTION = dict(p for a, b in [
    ("increases", "decreases"), ("increase", "decrease"), ("increased", "decreased"), ("increasing", "decreasing"),
    ("higher", "lower"), ("greater", "smaller"), ("larger", "smaller"), ("faster", "slower"), ("more", "less"),
    ("upregulates", "downregulates"), ("up-regulates", "down-regulates"), ("upregulation", "downregulation"),
    ("activates", "inhibits"), ("promotes", "suppresses"), ("enhances", "impairs"), ("induces", "prevents"),
    ("improves", "worsens"), ("improved", "worsened"), ("reduces", "raises"), ("reduced", "raised"),
    ("positive", "negative"), ("positively", "negatively"), ("rises", "falls"), ("rise", "fall"),
    ("high", "low"), ("beneficial", "harmful"), ("effective", "ineffective"), ("accelerates", "slows"),
    ("warming", "cooling"), ("warmer", "cooler"), ("gain", "loss"), ("above", "below"),
] for p in ((a, b), (b, a)))
OFFICES = ["Foreign Minister", "Defense Minister", "Finance Minister", "Prime Minister", "President",
           "Chancellor", "Secretary of State", "Treasury Secretary", "Ambassador", "Vice President"]


def inflect_like(word, lemma):
    """`lemma` in the form `word` has (lemminflect's tag of it), or None."""
    for tag in ("VBD", "VBN", "VBZ", "VBG", "VBP", "VB", "JJR", "JJS", "JJ"):
        forms = getAllInflections(getLemma(word, upos="VERB" if tag.startswith("V") else "ADJ")[0]).get(tag, ())
        if word in forms:
            out = getInflection(lemma, tag=tag)
            return out[0] if out else None
    return None


def edits(sentence, ctx, rng):
    """(claim, label, kind) variants of a true sentence."""
    out = [(sentence, S, "identity")]
    m = CLAUSE.search(sentence)
    if m and len(sentence[: m.start()].split()) >= 6:
        out.append((sentence[: m.start()] + ".", S, "clause"))
    m = COMPARATOR.search(sentence)
    if m:
        n = float(m.group(2))
        lower = m.group(1) in ("more", "greater")
        weaker = int(n * 0.7) if lower else int(n * 1.4) + 1
        if weaker != n and weaker > 0:
            out.append((sentence[: m.start(2)] + str(weaker) + sentence[m.end(2):], S, "weaker"))
        flip = {"more": "less", "greater": "less", "less": "more", "fewer": "more"}[m.group(1)]
        out.append((sentence[: m.start(1)] + flip + sentence[m.end(1):], R, "comparator"))
    out += refuting(sentence, ctx, rng)
    out += unverifiable(sentence, ctx, rng)
    return out


def refuting(sentence, ctx, rng):
    out = []
    words = re.findall(r"[A-Za-z]+", sentence)
    candidates = [w for w in words if w.islower() and len(w) > 3]
    rng.shuffle(candidates)
    for w in candidates:
        for pos, upos in (("v", "VERB"), ("a", "ADJ")):
            lemma = getLemma(w, upos=upos)[0].lower()
            # An adjective only in its base form, and not a participle
            # ("inhibited", "abstracts" are no adjectives to flip).
            if pos == "a" and (lemma != w or w.endswith(("ed", "ing"))):
                continue
            ants = sorted(ctx["antonyms"].get((lemma, pos), ()))
            if ants:
                new = inflect_like(w, rng.choice(ants)) if lemma != w else rng.choice(ants)
                if new and new != w:
                    out.append((re.sub(rf"\b{w}\b", new, sentence, count=1), R, "antonym"))
                    break
        if out:
            break
    m = NEGATED.search(sentence)
    if m:
        out.append((sentence[: m.start(2)] + sentence[m.end(2) + 1:], R, "negation-"))
    else:
        m = AUX.search(sentence)
        if m:
            out.append((sentence[: m.end()] + " not" + sentence[m.end():], R, "negation+"))
    for a, b in SHORTAGE:
        if a in sentence:
            out.append((sentence.replace(a, b, 1), R, "shortage"))
            break
    years = YEAR.findall(sentence)
    if years:
        y = rng.choice(years)
        out.append((sentence.replace(y, str(int(y) + rng.choice([-3, -2, -1, 1, 2, 5])), 1), R, "year"))
    # A bound ("more than 70%") is the comparator kinds' to change.
    bounds = {m.group(2) for m in COMPARATOR.finditer(sentence)}
    nums = [n for n in NUMBER.findall(sentence) if n not in years and n not in bounds and n != "1"]
    if nums:
        n = rng.choice(nums)
        value = float(n.replace(",", ""))
        new = rng.choice([value * 2, value * 3, value / 2 + 1, value + rng.randint(2, 9)])
        new = f"{new:.1f}" if "." in n else str(int(new))
        if new != n:
            out.append((re.sub(rf"\b{re.escape(n)}\b", new, sentence, count=1), R, "number"))
    for d in DEMONYMS:
        if re.search(rf"\b{d} [A-Z]", sentence):
            other = rng.choice([x for x in DEMONYMS if x != d])
            out.append((re.sub(rf"\b{d} (?=[A-Z])", other + " ", sentence, count=1), R, "demonym"))
            break
    for o in OFFICES:
        if re.search(rf"\b{o} [A-Z]", sentence):
            other = rng.choice([x for x in OFFICES if x != o])
            out.append((re.sub(rf"\b{o} (?=[A-Z])", other + " ", sentence, count=1), R, "office"))
            break
    return out


def contradicted(claim, ctx, rng):
    """A claim made false by one minimal edit (the direction of its finding,
    else a negation), or None: the refuted twin of a supported claim, read
    against the same evidence. Not WordNet's antonyms: without a tagger they
    turn a claim's nouns into nonsense ("climate change" → "climate stay")."""
    for m in re.finditer(r"[A-Za-z-]+", claim):
        flip = DIRECTION.get(m.group().lower())
        # "warming and cooling feedbacks": both poles named, flipping one says nothing.
        if flip and not re.search(rf"\b{flip}\b", claim, re.I):
            flip = flip.capitalize() if m.group()[0].isupper() else flip
            return claim[: m.start()] + flip + claim[m.end():]
    edits = [c for c, _, kind in refuting(claim, ctx, rng) if kind in ("negation+", "negation-")]
    return edits[0] if edits else None


def unverifiable(sentence, ctx, rng):
    out = []
    m = FUTURE.search(sentence)
    if m:
        past = getInflection(m.group(1), tag="VBD")
        if past:
            out.append((sentence[: m.start()] + past[0] + sentence[m.end():], N, "tense"))
    else:
        # A past tense right after a name: "Blinken visited" → "Blinken will visit".
        for name, w in re.findall(r"\b([A-Z][a-z]+) ([a-z]+ed)\b", sentence):
            lemma = getLemma(w, upos="VERB")[0]
            if lemma != w and getInflection(lemma, tag="VBD") == (w,):
                out.append((sentence.replace(f"{name} {w}", f"{name} will {lemma}", 1), N, "tense"))
                break
    m = HEDGE.search(sentence)
    if m:
        past = getInflection(m.group(2), tag="VBD")
        if past:
            out.append((sentence[: m.start()] + past[0] + sentence[m.end():], N, "modal"))
    names = NAME.findall(sentence)
    if names and ctx["names"]:
        other = rng.choice(ctx["names"])
        if other not in sentence:
            out.append((sentence.replace(names[0], other, 1), N, "subject"))
    places = [p for _, p in PLACE_AFTER.findall(sentence) if p in ctx["places"]]
    if places:
        p = places[0]
        other = rng.choice([x for x in ctx["places"] if x not in sentence])
        out.append((re.sub(rf"\b{p}\b", other, sentence, count=1), N, "target"))
    found = sorted((m.start(), p) for p in ctx["places"] for m in [re.search(rf"\b{p}\b", sentence)] if m)
    # Two places a predicate relates ("China helps Russia"), not two items of a list.
    between = sentence[found[0][0]:found[1][0]] if len(found) >= 2 else ","
    if "," not in between and " and " not in between and len(between.split()) >= 3:
        a, b = found[0][1], found[1][1]
        swapped = re.sub(rf"\b({a}|{b})\b", lambda x: b if x.group(1) == a else a, sentence)
        if swapped != sentence:
            out.append((swapped, N, "swap"))
    return out


def words(s):
    return set(w for w in re.findall(r"[a-z0-9]+", s.lower()) if len(w) > 3)


def close(sentence, others, rng, tries=60):
    cw, best, best_n = words(sentence), None, 0
    for o in rng.sample(others, min(tries, len(others))):
        n = len(cw & words(o))
        if n > best_n:
            best, best_n = o, n
    return best


def jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def sentences_of(text):
    return [s.strip() for s in re.split(r"(?<=[.!?”\"])\s+(?=[A-Z“\"])", text) if 40 <= len(s.strip()) <= 300]


def documents(eval_dir, per_corpus, rng):
    """(title, sentences) of the seeds and of `per_corpus` documents of each public corpus."""
    docs = []
    for path in sorted(glob.glob(os.path.join(ROOT, "seeds", "*.txt"))):
        text = open(path).read()
        docs.append((text.split("\n", 1)[0].strip(), sentences_of(text)))
    d = os.path.join(eval_dir, "external")
    by_title = collections.defaultdict(list)
    for r in jsonl(f"{d}/climate_fever_corpus.jsonl"):
        by_title[r["title"]].append(r["text"])
    docs += [(t, by_title[t]) for t in rng.sample(sorted(by_title), min(per_corpus, len(by_title)))]
    # FEVER-lite's documents are single sentences without titles: one pool,
    # whose close sentences stand for the same text's.
    fever = [r["text"] for r in jsonl(f"{d}/feverlite_corpus.jsonl")]
    docs.append(("", rng.sample(fever, min(per_corpus, len(fever)))))
    scifact = jsonl(f"{d}/scifact_corpus.jsonl")
    docs += [(r["title"], [s for s in r["sentences"] if 40 <= len(s) <= 300]) for r in rng.sample(scifact, min(per_corpus, len(scifact)))]
    return [(t, ss) for t, ss in docs if ss]


def generate(eval_dir, per_corpus=2000, nei_ratio=1.0, seed=13):
    rng = random.Random(seed)
    docs = documents(eval_dir, per_corpus, rng)
    all_sentences = [s for _, ss in docs for s in ss]
    ctx = {
        "antonyms": antonyms(),
        "names": sorted({n for s in all_sentences for n in NAME.findall(s)}),
        "places": ["China", "Russia", "Ukraine", "Iran", "India", "Japan", "Germany", "France", "Italy", "Canada",
                   "Turkey", "Poland", "Brazil", "Mexico", "Australia", "Spain", "Britain", "Israel", "Taiwan",
                   "North Korea", "South Korea", "Belarus", "Europe", "Africa", "Asia"],
    }
    pairs = []
    for title, sentences in docs:
        for s in sentences:
            ev = f"{title} | {s}" if title else s
            for claim, label, kind in edits(s, ctx, rng):
                pairs.append({"claim": claim, "evidence": ev, "label": label, "kind": kind})
            others = [o for o in sentences if o != s]
            for _ in range(int(nei_ratio) + (rng.random() < nei_ratio % 1)):
                o = close(s, others, rng) if others else None
                if o:
                    pairs.append({"claim": o, "evidence": ev, "label": N, "kind": "close"})
    return pairs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval-dir", default=os.path.join(ROOT, "..", "shared", "eval"))
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "train-data", "contrastive.jsonl"))
    ap.add_argument("--per-corpus", type=int, default=2000)
    ap.add_argument("--nei-ratio", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    pairs = generate(args.eval_dir, args.per_corpus, args.nei_ratio, args.seed)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        for p in pairs:
            f.write(json.dumps(p) + "\n")
    kinds = collections.Counter((p["label"], p["kind"]) for p in pairs)
    print(json.dumps({"pairs": len(pairs), "by_kind": {f"{l} {k}": n for (l, k), n in sorted(kinds.items())}}, indent=1))


if __name__ == "__main__":
    main()
