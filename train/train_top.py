#!/usr/bin/env python3
"""Trains the stance model's top layers again, on the target corpora, from the
committed int8 model (models/stance/model.onnx) and without its fp32 weights:
the "train on FEVER first, then on the target sets" step of issue 15.

The lower layers stay frozen, so their output for each training pair is
computed once, by ONNX Runtime on the served graph (with that layer's output
added), and each epoch runs only the top layers and the classification head
in PyTorch. Those start from the served model's int8 weights, dequantised.
The lower layers' outputs are kept under --cache (target/train-cache/), so a
second run with other training settings starts training at once.

It reads model.onnx alone, never a patch beside it: the patch it writes
replaces the last one, so a rerun rebuilds the shipped patch rather than
training on top of it.

The result is a patch: the new tensors of the top layers (uint8 weights with a
scale and zero point per output column; biases and layer norms
in fp32), under the names they have in the served graph, so that the graph
with them swapped in is the new model (`--write-model` writes it; the patch
is what a clone carries: ~7 MB a layer, not the 110 MB model).

Pairs: the target sets (by default SciFact and Climate-FEVER train, and the
refuted twins of their supported claims), without the claims the aggregator is
fitted on (train/folds.py), plus --replay pairs sampled from the other sets the
model was trained on, against forgetting. The held-out pairs are those of the
judge-fold claims of the target sets: claims neither model saw.

    python train/train_top.py --layers 2 --epochs 3 --out target/stance-top
"""
import argparse, hashlib, json, math, os, random, sys, time

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import folds
import train_stance as ts

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYERS = 12
HIDDEN, HEADS = 768, 12
# Bumped when lower_outputs() or unsigned() computes anything else: the key of the cached outputs.
CACHE_VERSION = 1


def unsigned(model):
    """int8 MatMulInteger weights and zero points made uint8 (+128, exact), as the
    server does at load (server/src/engine/models/unsigned.rs): ONNX Runtime's
    u8s8 kernels saturate on x86 CPUs without VNNI."""
    inits = {i.name: i for i in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == "MatMulInteger":
            for name in n.input[1:4:2]:
                t = inits.get(name)
                if t is not None and t.data_type == TensorProto.INT8:
                    t.CopyFrom(numpy_helper.from_array((numpy_helper.to_array(t).astype(np.int16) + 128).astype(np.uint8), name))
    return model


def linears(model, first):
    """torch parameter name -> (weight, scale, zero point) initializer names of
    every quantised Linear of layers `first`.. and the head."""
    out = {}
    for n in model.graph.node:
        if n.op_type != "MatMulInteger":
            continue
        path = n.name.removesuffix("_quant").removesuffix("/MatMul").removesuffix("/Gemm_MatMul").strip("/").replace("/", ".")
        keep = path.startswith("classifier.") or any(f"encoder.layer.{i}." in path + "." for i in range(first, LAYERS))
        if keep:
            w = n.input[1]
            out[path + ".weight"] = (w, w.removesuffix("_quantized") + "_scale", n.input[3])
    return out


class Top(torch.nn.Module):
    """Layers `first`..11 of MPNet and its classification head."""

    def __init__(self, first):
        super().__init__()
        from transformers import MPNetConfig
        from transformers.models.mpnet.modeling_mpnet import MPNetClassificationHead, MPNetEncoder, MPNetLayer
        config = MPNetConfig(hidden_size=HIDDEN, num_attention_heads=HEADS, intermediate_size=3072, num_labels=3, layer_norm_eps=1e-5)
        self.first = first
        self.layer = torch.nn.ModuleList([MPNetLayer(config) for _ in range(first, LAYERS)])
        self.classifier = MPNetClassificationHead(config)
        self.relative_attention_bias = torch.nn.Embedding(32, HEADS).requires_grad_(False)
        self.bucket = MPNetEncoder.relative_position_bucket

    def forward(self, hidden, mask):
        t = hidden.shape[1]
        pos = torch.arange(t)
        bias = self.relative_attention_bias(self.bucket(pos[None, :] - pos[:, None])).permute(2, 0, 1)[None]
        attn = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layer:
            hidden = layer(hidden, attn, position_bias=bias)[0]
        return self.classifier(hidden)

    def torch_name(self, name):
        """`mpnet.encoder.layer.10.x` -> `layer.0.x` (this module's numbering)."""
        if name.startswith("mpnet.encoder.layer."):
            i, rest = name.removeprefix("mpnet.encoder.layer.").split(".", 1)
            return f"layer.{int(i) - self.first}.{rest}"
        return name.removeprefix("mpnet.encoder.")


def load_top(model, first):
    """The top module with the served model's weights (int8 ones dequantised)."""
    top = Top(first)
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    state = {}
    for name, (w, s, z) in linears(model, first).items():
        state[top.torch_name(name)] = torch.tensor(((inits[w].astype(np.float32) - inits[z].astype(np.float32)) * inits[s]).T)
    for name in top.state_dict():
        if name in state:
            continue
        served = name if name.startswith("classifier.") else f"mpnet.encoder.layer.{int(name.split('.')[1]) + first}.{name.split('.', 2)[2]}" if name.startswith("layer.") else f"mpnet.encoder.{name}"
        if served in inits:
            state[name] = torch.tensor(inits[served].astype(np.float32))
        elif served + "_quantized" in inits:  # the relative position table (a quantised Gather)
            q, s, z = (inits[served + k] for k in ("_quantized", "_scale", "_zero_point"))
            state[name] = torch.tensor((q.astype(np.float32) - np.float32(z)) * s)
        else:
            raise KeyError(f"{served}: not in the served graph")
    top.load_state_dict(state)
    return top


def quantise(w):
    """A [in, out] weight as uint8 with a scale and zero point per output column
    (asymmetric, over each column's range including 0)."""
    lo, hi = np.minimum(w.min(0), 0), np.maximum(w.max(0), 0)
    scale = np.maximum(hi - lo, 1e-8) / 255.0
    zero = np.clip(np.round(-lo / scale), 0, 255)
    q = np.clip(np.round(w / scale + zero), 0, 255)
    return q.astype(np.uint8), scale.astype(np.float32), zero.astype(np.uint8)


def patch(top, model, first):
    """The served-graph initializers that the trained top module replaces."""
    state = {k: v.detach().numpy() for k, v in top.state_dict().items()}
    tensors = []
    lin = linears(model, first)
    for name, (w, s, z) in lin.items():
        q, scale, zero = quantise(state.pop(top.torch_name(name)).T)
        tensors += [numpy_helper.from_array(q, w), numpy_helper.from_array(scale, s), numpy_helper.from_array(zero, z)]
    state.pop("relative_attention_bias.weight")
    served = {top.torch_name(i.name): i.name for i in model.graph.initializer}
    for name, value in state.items():
        tensors.append(numpy_helper.from_array(value.astype(np.float32), served[name]))
    return tensors


def apply(model, tensors):
    by_name = {t.name: t for t in tensors}
    for i in model.graph.initializer:
        if i.name in by_name:
            new = by_name.pop(i.name)
            assert list(new.dims) == list(i.dims), f"{i.name}: {new.dims} != {i.dims}"
            i.CopyFrom(new)
    assert not by_name, f"not in the graph: {sorted(by_name)[:3]}"
    return model


def served(folder):
    """The stance model of `folder` as the server serves it: weights unsigned,
    then `patch.onnx`'s tensors swapped in where there is one."""
    model = unsigned(onnx.load(os.path.join(folder, "model.onnx")))
    patch_file = os.path.join(folder, "patch.onnx")
    return apply(model, list(onnx.load(patch_file).graph.initializer)) if os.path.exists(patch_file) else model


def lower_outputs(model, first, pairs, tok, batch=16):
    """Layer `first - 1`'s output for each pair (fp16, unpadded), by ORT."""
    name = f"/mpnet/encoder/layer.{first - 1}/output/LayerNorm/LayerNormalization_output_0"
    m = onnx.ModelProto()
    m.CopyFrom(model)
    m.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 2
    session = ort.InferenceSession(m.SerializeToString(), options)
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
    out, logits = [None] * len(pairs), np.zeros((len(pairs), 3), np.float32)
    started = time.time()
    for k in range(0, len(order), batch):
        idx = order[k:k + batch]
        enc = tok.encode_batch([(pairs[i][0], pairs[i][1]) for i in idx])
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        lo, h = session.run(None, {"input_ids": ids, "attention_mask": mask})
        for j, i in enumerate(idx):
            out[i] = h[j, :mask[j].sum()].astype(np.float16)
            logits[i] = lo[j]
        if k // batch % 50 == 0:
            print(f"  lower layers: {k + len(idx)}/{len(pairs)} pairs, {time.time() - started:.0f} s", flush=True)
    return out, logits


def cached_lower_outputs(path, model_file, model, first, pairs, tok):
    """`lower_outputs` of `model` (read from `model_file`), kept under `path`
    for the next run with the same model file, layer and pairs (each run otherwise spends ~18 min on them)."""
    key = hashlib.sha256()
    for file in (model_file, os.path.join(os.path.dirname(model_file), "tokenizer.json")):
        with open(file, "rb") as f:
            key.update(hashlib.file_digest(f, "sha256").digest())
    key.update(json.dumps([CACHE_VERSION, ort.__version__, ts.MAX_LEN, first, pairs]).encode())
    file = os.path.join(path, f"lower-{key.hexdigest()[:16]}.npz")
    if os.path.exists(file):
        saved = np.load(file)
        print(f"lower layers: read from {file}", flush=True)
        return np.split(saved["hidden"], saved["ends"][:-1]), saved["logits"]
    hidden, logits = lower_outputs(model, first, pairs, tok)
    os.makedirs(path, exist_ok=True)
    np.savez(file + ".part.npz", hidden=np.concatenate(hidden), ends=np.cumsum([len(h) for h in hidden]), logits=logits)
    os.replace(file + ".part.npz", file)
    return hidden, logits


def batches(hidden, labels, idx, size):
    for k in range(0, len(idx), size):
        b = idx[k:k + size]
        t = max(len(hidden[i]) for i in b)
        h = torch.zeros(len(b), t, HIDDEN)
        mask = torch.zeros(len(b), t, dtype=torch.long)
        for j, i in enumerate(b):
            h[j, :len(hidden[i])] = torch.from_numpy(hidden[i].astype(np.float32))
            mask[j, :len(hidden[i])] = 1
        yield h, mask, torch.tensor([labels[i] for i in b])


def accuracy(top, hidden, labels, idx):
    top.eval()
    right = 0
    with torch.no_grad():
        for h, mask, y in batches(hidden, labels, idx, 64):
            right += int((top(h, mask).argmax(1) == y).sum())
    top.train()
    return right / max(1, len(idx))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "stance"))
    ap.add_argument("--eval-dir", default=os.path.join(ROOT, "..", "shared", "eval"))
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "stance-top"))
    ap.add_argument("--layers", type=int, default=2, help="top layers to train (and the head)")
    ap.add_argument("--focus", nargs="+", default=["scifact", "climate", "flips"])
    ap.add_argument("--replay", type=int, default=2500, help="pairs of the other sets, against forgetting")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--cache", default=os.path.join(ROOT, "target", "train-cache"), help="where the lower layers' outputs are kept between runs")
    ap.add_argument("--limit", type=int, default=0, help="only this many train and held-out pairs (a smoke test)")
    ap.add_argument("--write-model", action="store_true", help="also write the patched model (OUT/model.onnx)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    torch.manual_seed(args.seed)
    started = time.time()
    d = os.path.join(args.eval_dir, "external")
    first = LAYERS - args.layers
    model = unsigned(onnx.load(os.path.join(args.model, "model.onnx")))
    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    tok.enable_truncation(ts.MAX_LEN)
    tok.enable_padding()

    builders = {"scifact": lambda: ts.scifact(d, rng, True), "climate": lambda: ts.climate(d, rng), "flips": lambda: ts.flips(d, rng, True),
                "fever": lambda: ts.fever(d, rng), "synthetic": lambda: ts.synthetic(os.path.join(ROOT, "seeds"), d, rng, 500),
                "contrastive": lambda: ts.contrastive_pairs(args.eval_dir, 1500, rng)}
    sets = {name: build() for name, build in builders.items()}
    held = [p for name in args.focus if name != "flips" for p in sets[name] if folds.for_judge(p[0])]
    train = [p for name in args.focus for p in sets[name] if not folds.for_judge(p[0])]
    others = [p for name, ps in sets.items() if name not in args.focus for p in ps if not folds.for_judge(p[0])]
    train += rng.sample(others, min(args.replay, len(others)))
    rng.shuffle(train)
    if args.limit:
        train, held = train[:args.limit], held[:args.limit]
    counts = {k: len(v) for k, v in sets.items()}
    print(f"pairs: {counts}; train {len(train)}, held out {len(held)}", flush=True)

    pairs = train + held
    hidden, served_logits = cached_lower_outputs(args.cache, os.path.join(args.model, "model.onnx"), model, first, pairs, tok)
    labels = [l for _, _, l in pairs]
    tr, ho = list(range(len(train))), list(range(len(train), len(pairs)))
    served = float((served_logits[ho].argmax(1) == np.array(labels)[ho]).mean())
    top = load_top(model, first)
    top.train()
    start_acc = accuracy(top, hidden, labels, ho)
    print(f"held-out pair accuracy: served {served:.4f}, dequantised top {start_acc:.4f}", flush=True)
    params = [p for p in top.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps = args.epochs * math.ceil(len(tr) / args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, s / (0.06 * steps + 1)) * max(0.0, 1 - s / steps))
    curve, step = [], 0
    for epoch in range(args.epochs):
        order = tr[:]
        rng.shuffle(order)
        for h, mask, y in batches(hidden, labels, order, args.batch):
            loss = torch.nn.functional.cross_entropy(top(h, mask), y)
            loss.backward()
            opt.step(), sched.step(), opt.zero_grad()
            step += 1
            if step % 100 == 0:
                print(f"  epoch {epoch + 1} step {step}/{steps} loss {loss.item():.3f} {time.time() - started:.0f} s", flush=True)
        curve.append(round(accuracy(top, hidden, labels, ho), 4))
        print(f"epoch {epoch + 1}: held-out pair accuracy {curve[-1]}", flush=True)

    os.makedirs(args.out, exist_ok=True)
    tensors = patch(top, model, first)
    patched = apply(model, tensors)
    session = ort.InferenceSession(patched.SerializeToString())
    right = 0
    for k in range(0, len(ho), 32):
        b = [pairs[i] for i in ho[k:k + 32]]
        enc = tok.encode_batch([(c, e) for c, e, _ in b])
        lo = session.run(None, {"input_ids": np.array([e.ids for e in enc], dtype=np.int64), "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64)})[0]
        right += int((lo.argmax(1) == np.array([l for _, _, l in b])).sum())
    int8 = right / len(ho)
    graph = helper.make_graph([], "patch", [], [], initializer=tensors)
    onnx.save(helper.make_model(graph), os.path.join(args.out, "patch.onnx"))
    if args.write_model:
        onnx.save(patched, os.path.join(args.out, "model.onnx"))
    card = {"base": "models/stance/model.onnx (int8, dequantised)", "layers_trained": list(range(first, LAYERS)) + ["classifier"],
            "focus": args.focus, "replay": args.replay, "data": counts, "train_pairs": len(tr), "held_out_pairs": len(ho),
            "epochs": args.epochs, "lr": args.lr, "batch": args.batch, "seed": args.seed,
            "held_out_accuracy_served": round(served, 4), "held_out_accuracy_by_epoch": curve, "held_out_accuracy_int8": round(int8, 4),
            "seconds": round(time.time() - started), "torch": torch.__version__, "threads": torch.get_num_threads()}
    json.dump(card, open(os.path.join(args.out, "card.json"), "w"), indent=1)
    print(json.dumps(card, indent=1))


if __name__ == "__main__":
    main()
