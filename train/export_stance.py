#!/usr/bin/env python3
"""Exports the fp32 weights of a run (train_stance.py --save-fp32) as the
served int8 ONNX model, without training again: for trying quantisation
settings on a finished run.

    python train/export_stance.py target/teacher-v2/fp32 target/teacher-v2-pc --per-channel
    python train/export_stance.py target/teacher-v2/fp32 target/teacher-v2-mm --per-channel --ops MatMul
    python train/eval_pairs.py HELD target/teacher-v2-pc/model.onnx:mpnet
"""
import argparse, os, sys

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
    args = ap.parse_args()
    tok = AutoTokenizer.from_pretrained(args.fp32)
    model = AutoModelForSequenceClassification.from_pretrained(args.fp32).eval()
    os.makedirs(args.out, exist_ok=True)
    print(export(model, tok, SAMPLE, args.out, args.per_channel, args.ops, args.unbiased_rounding))


if __name__ == "__main__":
    main()
