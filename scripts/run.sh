#!/usr/bin/env bash
# Starts Careline on this machine with demo data: installs what is missing, builds, fills a
# demo clinic (once), starts the server, the client simulator and the desktop app logged in
# as the demo operator anna. Closing the window or Ctrl-C stops everything.
#   CARELINE_LISTEN   (default 127.0.0.1:8080)
#   CARELINE_DATA_DIR (default .data/demo in this checkout)
#   CARELINE_LOGIN    (default anna; any demo login: admin, anna, li, john, olga)
# Without a display (a server, CI) the app runs under Xvfb: set CARELINE_HEADLESS=1 to force it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
install_all

export CARELINE_LISTEN=${CARELINE_LISTEN:-127.0.0.1:8080}
export CARELINE_DATA_DIR=${CARELINE_DATA_DIR:-$PWD/.data/demo}
echo "==> building the UI and the programs (the \`app\` profile: optimised for size, LTO)"
(cd ui && npm run --silent build)
cargo build --profile app --locked -p careline-server -p careline-sim -p careline-desktop
bin=target/app

if [ ! -f "$CARELINE_DATA_DIR/careline.db" ]; then
  echo "==> filling the demo clinic"
  "$bin/careline-server" demo
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# The simulator plays every patient from 127.0.0.1: the per-address registration limit is
# for the open internet, not for the demo's one address.
CARELINE_REGISTER_PER_ADDRESS_PER_HOUR=${CARELINE_REGISTER_PER_ADDRESS_PER_HOUR:-100000} "$bin/careline-server" serve &
pids+=($!)
url="http://$CARELINE_LISTEN"
for _ in $(seq 1 100); do curl -fs "$url/healthz" >/dev/null && break; sleep 0.1; done
curl -fs "$url/healthz" >/dev/null || { echo "the server did not start" >&2; exit 1; }
echo "==> server at $url (OpenAPI: $url/api/openapi.json); log in as anna / careline-demo"

"$bin/careline-sim" --server "$url" run --clients 12 --rate 0.3 &
pids+=($!)
echo "==> simulator producing consultations, messages and callback requests"

export CARELINE_SERVER=$url CARELINE_LOGIN=${CARELINE_LOGIN:-anna} CARELINE_PASSWORD=careline-demo
export CARELINE_HOME=${CARELINE_HOME:-$PWD/.data/desk}
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "${CARELINE_HEADLESS:-0}" = 1 ]; then
  echo "==> no display: the app runs under Xvfb (no keychain there: nobody could unlock it)"
  CARELINE_NO_KEYCHAIN=1 xvfb-run -a -s "-screen 0 1440x900x24" dbus-run-session -- "$bin/careline-desktop" &
else
  "$bin/careline-desktop" &
fi
pids+=($!)
echo "==> the desk is open, logged in as $CARELINE_LOGIN; close the window or press Ctrl-C to stop"
wait -n "${pids[@]}"
