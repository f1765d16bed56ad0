# Sourced by the evaluation, benchmark and image scripts: start a release server on
# a store and wait until it answers health checks (polled every 50 ms, so
# that restart times can be read off it).
#   serve_corpus BIN PORT MODELS DATA_DIR CORPUS LOG   sets $server (its pid)
# MODELS "" runs the lexical engine. Exits with the server's log if it dies.

serve_corpus() {
  local bin=$1 port=$2 models=$3 data=$4 corpus=$5 log=$6
  FACTCHECK_MODELS=$models "$bin/factcheck-server" --listen "127.0.0.1:$port" --metrics-listen "" \
    --data-dir "$data" --corpus "$corpus" >"$log" 2>&1 &
  server=$!
  until "$bin/factcheck" --addr "127.0.0.1:$port" health >/dev/null 2>&1; do
    kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.05
  done
}

# A free loopback port.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
