"""The served stance model's weights, for training to start from: the int8
ONNX file of models/stance (with `patch.onnx`'s tensors where there is one)
dequantised into the state dict of transformers' MPNetForSequenceClassification.

    state = served.state_dict("models/stance")
    model.load_state_dict(state, strict=False)  # missing: none but position ids
"""
import os

import numpy as np
import onnx
import torch
from onnx import numpy_helper


def state_dict(folder):
    model = onnx.load(os.path.join(folder, "model.onnx"))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    patch = os.path.join(folder, "patch.onnx")
    if os.path.exists(patch):
        inits.update({i.name: numpy_helper.to_array(i) for i in onnx.load(patch).graph.initializer})
    state = {}
    for n in model.graph.node:
        if n.op_type != "MatMulInteger":
            continue
        # "/mpnet/encoder/layer.0/attention/attn/q/MatMul_quant" -> "mpnet.encoder.layer.0.attention.attn.q"
        path = n.name.removesuffix("_quant").removesuffix("/MatMul").removesuffix("/Gemm_MatMul").strip("/").replace("/", ".")
        w, z = inits[n.input[1]], inits[n.input[3]]
        s = inits[n.input[1].removesuffix("_quantized") + "_scale"]
        state[path + ".weight"] = torch.tensor(((w.astype(np.float32) - z.astype(np.float32)) * s).T.copy())
    for name, value in inits.items():
        if name.endswith("_quantized") and name.startswith(("mpnet.", "classifier.")) and "_Transposed" not in name:
            base = name.removesuffix("_quantized")  # a quantised Gather: embeddings, relative positions
            state[base] = torch.tensor((value.astype(np.float32) - np.float32(inits[base + "_zero_point"])) * inits[base + "_scale"])
        elif name.startswith(("mpnet.", "classifier.")) and not name.endswith(("_scale", "_zero_point", "_quantized")):
            state[name] = torch.tensor(value.astype(np.float32))
    return state
