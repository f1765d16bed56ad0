#!/usr/bin/env python3
"""Milliseconds per sentence of embedder files on one thread, batched as the
server batches at ingest (sorted by length), and each file's cosine with the
first one's vectors. Run it with the ONNX Runtime the server loads:

    python3 -m venv /tmp/v && /tmp/v/bin/pip install onnxruntime==1.23.2 tokenizers numpy
    /tmp/v/bin/python scripts/embed_speed.py PUBLISHED.onnx models/base/embed.onnx

Sentences: the first 1,024 of FEVER-lite's corpus (~34 word pieces each).
"""
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "..", "shared", "eval", "external", "feverlite_corpus.jsonl")


def main():
    tok = Tokenizer.from_file(os.path.join(ROOT, "models", "base", "tokenizer.json"))
    tok.enable_truncation(128)
    tok.no_padding()
    with open(CORPUS) as f:
        sentences = [json.loads(line)["text"] for line, _ in zip(f, range(1024))]
    sentences.sort(key=lambda s: len(tok.encode(s).ids))
    tok.enable_padding(pad_id=0)
    first = None
    for path in sys.argv[1:]:
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        row = {}
        for batch in (1, 8, 32):
            vectors, started = [], time.time()
            for i in range(0, len(sentences), batch):
                enc = tok.encode_batch(sentences[i:i + batch])
                ids = np.array([e.ids for e in enc], dtype=np.int64)
                mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
                out = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
                pooled = out if out.ndim == 2 else (out * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
                vectors.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
            row[f"batch {batch}"] = f"{(time.time() - started) / len(sentences) * 1000:.2f} ms"
        vectors = np.vstack(vectors)
        first = vectors if first is None else first
        cos = (vectors * first).sum(1)
        print(json.dumps({"model": path, **row, "cosine with the first: mean": round(float(cos.mean()), 4), "min": round(float(cos.min()), 4)}))


if __name__ == "__main__":
    main()
