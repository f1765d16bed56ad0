"""A stance cross-encoder exported by train_stance.py, run by ONNX Runtime:
(claim, evidence) pairs in, probabilities of SUPPORTS, REFUTES, NEI out."""
import os

import numpy as np
import onnxruntime as ort
from transformers import AutoTokenizer, PreTrainedTokenizerFast

MAX_LEN = 128


class Stance:
    def __init__(self, model, tokenizer):
        """`model`: a file or the model's bytes; `tokenizer`: a folder, or a
        served `tokenizer.json` (MPNet's, which pads with `<pad>`)."""
        if tokenizer.endswith(".json"):
            self.tok = PreTrainedTokenizerFast(tokenizer_file=tokenizer, pad_token="<pad>")
        else:
            self.tok = AutoTokenizer.from_pretrained(tokenizer)
        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 2
        self.session = ort.InferenceSession(model, options)
        self.inputs = [i.name for i in self.session.get_inputs()]

    def probs(self, claims, evidence):
        enc = self.tok(list(claims), list(evidence), truncation="longest_first", max_length=MAX_LEN, padding=True, return_tensors="np")
        logits = self.session.run(None, {n: enc[n].astype(np.int64) for n in self.inputs})[0]
        p = np.exp(logits - logits.max(-1, keepdims=True))
        return p / p.sum(-1, keepdims=True)
