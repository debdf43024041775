#!/usr/bin/env bash
# Starts Careline on this machine with demo data: installs what is missing, builds, fills a
# demo clinic (once), starts the server and the client simulator. Ctrl-C stops everything.
#   CARELINE_LISTEN   (default 127.0.0.1:8080)
#   CARELINE_DATA_DIR (default .data/demo in this checkout)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
install_all

export CARELINE_LISTEN=${CARELINE_LISTEN:-127.0.0.1:8080}
export CARELINE_DATA_DIR=${CARELINE_DATA_DIR:-$PWD/.data/demo}
echo "==> building (release)"
cargo build --release --locked -p careline-server -p careline-sim
bin=target/release

if [ ! -f "$CARELINE_DATA_DIR/careline.db" ]; then
  echo "==> filling the demo clinic"
  "$bin/careline-server" demo
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$bin/careline-server" serve &
pids+=($!)
url="http://$CARELINE_LISTEN"
for _ in $(seq 1 100); do curl -fs "$url/healthz" >/dev/null && break; sleep 0.1; done
curl -fs "$url/healthz" >/dev/null || { echo "the server did not start" >&2; exit 1; }
echo "==> server at $url (OpenAPI: $url/api/openapi.json); log in as anna / careline-demo"

"$bin/careline-sim" --server "$url" run --clients 12 --rate 0.3 &
pids+=($!)
echo "==> simulator producing consultations, messages and callback requests; Ctrl-C stops"
wait -n "${pids[@]}"
