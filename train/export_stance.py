#!/usr/bin/env python3
"""Exports the fp32 weights of a run (train_stance.py --save-fp32) as the
served int8 ONNX model, without training again: for trying quantisation
settings on a finished run, or for averaging the run's weights with those of
the served model it started from (`--served`, `--alpha`: WiSE-FT, Wortsman
et al. 2022, which keeps much of what a fine-tuning stage gained on its data
and much of what the model knew before it).

    python train/export_stance.py target/teacher-v2/fp32 target/teacher-v2-pc --per-channel
    python train/export_stance.py target/teacher-v2/fp32 target/teacher-v2-mm --per-channel --ops MatMul
    python train/export_stance.py target/stage6/fp32 target/stage6-avg --per-channel --unbiased-rounding --served models/stance --alpha 0.5
    python train/eval_pairs.py HELD target/teacher-v2-pc/model.onnx:mpnet
"""
import argparse, json, os, sys

from transformers import AutoModelForSequenceClassification, AutoTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_stance import export  # noqa: E402

SAMPLE = [("A claim.", "A title | An evidence sentence.", 0), ("Another claim about a thing.", "More evidence.", 2)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("fp32")
    ap.add_argument("out")
    ap.add_argument("--per-channel", action="store_true")
    ap.add_argument("--unbiased-rounding", action="store_true", help="see train_stance.unbiased_rounding")
    ap.add_argument("--ops", nargs="+", help="quantise only these op types (default: every one ONNX Runtime can)")
    ap.add_argument("--served", help="average the weights with those of the served model in this folder (dequantised)")
    ap.add_argument("--alpha", type=float, default=0.5, help="with --served: the run's share of the average")
    args = ap.parse_args()
    if not 0 <= args.alpha <= 1:
        ap.error("--alpha is a share, between 0 and 1")
    tok = AutoTokenizer.from_pretrained(args.fp32)
    model = AutoModelForSequenceClassification.from_pretrained(args.fp32).eval()
    os.makedirs(args.out, exist_ok=True)
    card_path = os.path.join(os.path.dirname(os.path.abspath(args.fp32)), "card.json")
    card = None
    if os.path.exists(card_path):
        with open(card_path) as f:
            card = json.load(f)
    if args.served:
        import served
        state = model.state_dict()
        other = served.state_dict(args.served)
        # The served file holds every weight but the position ids (train/served.py).
        missing = [n for n in state if n not in other and "position_ids" not in n]
        if missing or any(n not in state for n in other):
            sys.exit(f"{args.served} and {args.fp32} hold different weights: {missing[:3]}")
        for name, value in other.items():
            state[name] = (1 - args.alpha) * value + args.alpha * state[name]
        model.load_state_dict(state)
        print(f"averaged {len(other)} of {len(state)} tensors: {args.alpha:g} of these, {1 - args.alpha:g} of {args.served}")
        card = {**(card or {}), "averaged": f"{args.alpha:g} of these weights, {1 - args.alpha:g} of the served model in {args.served}"}
    print(export(model, tok, SAMPLE, args.out, args.per_channel, args.ops, args.unbiased_rounding))
    if card:
        with open(os.path.join(args.out, "card.json"), "w") as f:
            json.dump(card, f, indent=2)


if __name__ == "__main__":
    main()
