#!/usr/bin/env bash
# The server benchmarks of PRODUCT.md §7 (ingest, delivery, idle connections), each against a
# fresh release server on an embedded SQLite database on loopback, loaded by careline-sim.
# Prints one JSON line per benchmark, and the server's memory for the idle one.
#   bash scripts/bench-server.sh [ingest|delivery|idle ...]   (default: all three)
# With CARELINE_PROFILE=DIR, each load is also recorded by `perf` on every CPU (the server and
# the load generator alike) and drawn as DIR/<bench>.svg, a flame graph whose first frame is the
# program (needs perf and inferno: `cargo install inferno`).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p careline-server -p careline-sim
bin=${CARGO_TARGET_DIR:-target}/release
benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(ingest delivery idle)
port=${CARELINE_BENCH_PORT:-18190}
work=$(mktemp -d)
server_pid=
stop() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true; server_pid=; }
trap 'stop; rm -rf "$work"' EXIT

start() {
  rm -rf "$work/data"; mkdir -p "$work/data"
  CARELINE_DATA_DIR="$work/data" "$bin/careline-server" create-operator --login admin --password careline-demo --name Admin --role admin >/dev/null
  # Every simulated client comes from 127.0.0.1: no cap on connections per address here.
  CARELINE_DATA_DIR="$work/data" CARELINE_LISTEN="127.0.0.1:$port" CARELINE_LOG=warn CARELINE_MAX_CONNECTIONS_PER_ADDRESS=0 "$bin/careline-server" serve &
  server_pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done
  echo "the server did not start" >&2; exit 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
# The server's CPU seconds from the start of the load (the sim touches $work/loading) to its end.
cpu_watch() {
  rm -f "$work/loading" "$work/cpu0"
  ( while [ ! -f "$work/loading" ]; do sleep 0.05; done; cpu_ticks > "$work/cpu0" ) &
}
server_cpu() { echo "{\"bench\":\"$1\",\"server_cpu_s\":$(awk -v a="$(cat "$work/cpu0")" -v b="$(cpu_ticks)" 'BEGIN {print (b - a) / 100}')}"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$server_pid/status"; }
url="http://127.0.0.1:$port"

profile=${CARELINE_PROFILE:-}
perf_pid=
profile_start() {
  [ -n "$profile" ] || return 0
  mkdir -p "$profile"
  # Only the load itself: registering the senders (Argon2) would fill the graph.
  ( while [ ! -f "$work/loading" ]; do sleep 0.1; done
    exec perf record -q -a -F 149 --call-graph dwarf,8192 -o "$work/perf.data" 2>/dev/null ) &
  perf_pid=$!
}
profile_stop() {
  [ -n "$perf_pid" ] || return 0
  kill -INT "$perf_pid"; wait "$perf_pid" || true; perf_pid=
  perf script -i "$work/perf.data" 2>/dev/null | inferno-collapse-perf --all > "$profile/$1.folded"
  inferno-flamegraph --title "careline $1" --width 1600 --minwidth 1 < "$profile/$1.folded" > "$profile/$1.svg"
  rm -f "$work/perf.data"
  echo "profile: $profile/$1.svg" >&2
}

for b in "${benches[@]}"; do
  start
  cpu_watch
  profile_start
  case "$b" in
    ingest)   "$bin/careline-sim" --server "$url" ingest --senders 1000 --messages 100000 --loading-file "$work/loading"; server_cpu ingest ;;
    delivery) "$bin/careline-sim" --server "$url" delivery --operators 50 --rate 2000 --seconds 20 --senders 200 --loading-file "$work/loading"; server_cpu delivery ;;
    idle)
      before=$(rss_kb)
      "$bin/careline-sim" --server "$url" idle --connections 10000 --hold 15 --ready-file "$work/ready" &
      sim=$!
      while [ ! -f "$work/ready" ] && kill -0 $sim 2>/dev/null; do sleep 0.5; done
      sleep 5
      echo "{\"bench\":\"idle_memory\",\"connections\":$(cat "$work/ready"),\"server_rss_mb_before\":$((before / 1024)),\"server_rss_mb_with_connections\":$(( $(rss_kb) / 1024 ))}"
      wait $sim
      rm -f "$work/ready" ;;
    *) echo "unknown benchmark $b" >&2; exit 2 ;;
  esac
  profile_stop "$b"
  stop
done
