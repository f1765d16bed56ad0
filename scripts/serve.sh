#!/usr/bin/env bash
# The README's run command: fetches the models (once), builds the release
# server and serves the seed articles. Arguments go to factcheck-server.
# Without the models (no network) the server still serves, lexically.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-models.sh || echo "serve: models unavailable; the server will run its lexical engine" >&2
exec cargo run --release -p factcheck-server -- "$@"
