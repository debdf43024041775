#!/usr/bin/env bash
# The server benchmarks of the product's quality targets, each against fresh release servers on loopback,
# loaded by careline-sim on the same machine. Prints one JSON line per benchmark (the sim's
# figures), then one with the servers' CPU seconds during the load (and memory, for idle).
#   bash scripts/bench-server.sh [ingest|delivery|failover|presence|idle ...]
#   (default: ingest delivery presence idle)
# Settings (environment):
#   CARELINE_BENCH_DB=sqlite|postgres   the engine (default sqlite: one file in WAL mode).
#       postgres starts a throwaway cluster from Debian's packages with its durable defaults
#       (fsync, synchronous_commit on) and gives each benchmark a fresh database.
#   CARELINE_BENCH_INSTANCES=N          server instances on one database (postgres; default 1):
#       clients and operators are spread over them.
#   failover                             delivery on N >= 2 instances, one killed (SIGKILL)
#       CARELINE_BENCH_KILL_AFTER seconds (default 8) into the load.
#   CARELINE_BENCH_SERVER=PATH           another build of the server (an older commit's).
#   CARELINE_BENCH_IDLE=N                idle connections to open (default 10,000; each side
#       needs N open files: see `ulimit -n`).
#   CARELINE_PROFILE=DIR                 also record the load with `perf` on every CPU (servers
#       and load generator alike) and draw DIR/<bench>.svg, a flame graph whose first frame is
#       the program's thread (needs perf and inferno: `cargo install inferno`).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p careline-server -p careline-sim
bin=${CARGO_TARGET_DIR:-target}/release
server_bin=${CARELINE_BENCH_SERVER:-$bin/careline-server}
# One key for the secrets the database keeps, shared by the set-up and every instance.
export CARELINE_SECRET_KEY=${CARELINE_SECRET_KEY:-$(printf '5e%.0s' $(seq 32))}
benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(ingest delivery presence idle)
port=${CARELINE_BENCH_PORT:-18190}
engine=${CARELINE_BENCH_DB:-sqlite}
instances=${CARELINE_BENCH_INSTANCES:-1}
[ "$engine" = postgres ] || [ "$instances" = 1 ] || { echo "several instances need CARELINE_BENCH_DB=postgres" >&2; exit 2; }
work=$(mktemp -d)
pids=()
pg_url=
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  cpu_unwatch
  stop
  [ -z "$pg_url" ] || CARELINE_PG_PORT=$((port + 50)) CARELINE_PG_DIR="/tmp/careline-bench-pg-$port" tests/postgres.sh stop
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$engine" = postgres ]; then
  pg_url=$(CARELINE_PG_DURABLE=1 CARELINE_PG_PORT=$((port + 50)) CARELINE_PG_DIR="/tmp/careline-bench-pg-$port" tests/postgres.sh start)
fi
database=0
urls=
start() {
  rm -rf "$work/data"; mkdir -p "$work/data"
  local db="sqlite://$work/data/careline.db"
  if [ -n "$pg_url" ]; then
    database=$((database + 1))
    psql -q "$pg_url" -c "CREATE DATABASE bench$database" >/dev/null
    db="${pg_url%/*}/bench$database"
  fi
  CARELINE_DATA_DIR="$work/data" CARELINE_DATABASE_URL="$db" "$server_bin" create-operator --login admin --password careline-demo --name Admin --role admin >/dev/null
  urls=
  for i in $(seq 0 $((instances - 1))); do
    local p=$((port + i))
    mkdir -p "$work/data/$i"
    # Every simulated client comes from 127.0.0.1: no cap on connections per address here.
    CARELINE_DATA_DIR="$work/data/$i" CARELINE_DATABASE_URL="$db" CARELINE_LISTEN="127.0.0.1:$p" CARELINE_LOG=warn \
      CARELINE_MAX_CONNECTIONS_PER_ADDRESS=0 CARELINE_REGISTER_PER_ADDRESS_PER_HOUR=1000000 CARELINE_REGISTER_PER_HOUR=1000000 "$server_bin" serve &
    pids+=($!)
    urls="${urls:+$urls,}http://127.0.0.1:$p"
    local up=
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$p/healthz" >/dev/null && { up=1; break; }; sleep 0.1; done
    [ -n "$up" ] || { echo "the server did not start" >&2; exit 1; }
  done
}
cpu_ticks() {
  local t=0
  for p in "${pids[@]}"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo $t
}
# The servers' CPU seconds from the start of the load (the sim touches $work/loading) to its
# end (an instance killed on the way stops counting there).
watch_pid=
cpu_watch() {
  rm -f "$work/loading" "$work/cpu0"
  ( while [ ! -f "$work/loading" ]; do sleep 0.05; done; cpu_ticks > "$work/cpu0" ) &
  watch_pid=$!
}
# A watcher whose load never started (idle has none) must not poll on after the benchmark.
cpu_unwatch() { [ -z "$watch_pid" ] || kill "$watch_pid" 2>/dev/null || true; watch_pid=; }
# `server_cpu NAME [SECONDS]`: with the load's length, also its share of one core.
server_cpu() {
  local s
  s=$(awk -v a="$(cat "$work/cpu0")" -v b="$(cpu_ticks)" 'BEGIN {print (b - a) / 100}')
  local share=
  [ -z "${2:-}" ] || share=",\"share_of_one_core\":$(awk -v s="$s" -v t="$2" 'BEGIN {printf "%.3f", s / t}')"
  echo "{\"bench\":\"$1\",\"engine\":\"$engine\",\"instances\":$instances,\"server_cpu_s\":$s$share}"
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/${pids[0]}/status"; }

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

sim() { "$bin/careline-sim" --server "$urls" "$@"; }
for b in "${benches[@]}"; do
  start
  cpu_watch
  profile_start
  case "$b" in
    ingest)   sim ingest --senders 1000 --messages 100000 --loading-file "$work/loading"; server_cpu ingest ;;
    delivery) sim delivery --operators 50 --rate 2000 --seconds 20 --senders 200 --loading-file "$work/loading"; server_cpu delivery ;;
    failover)
      [ "$instances" -ge 2 ] || { echo "failover needs CARELINE_BENCH_INSTANCES >= 2" >&2; exit 2; }
      victim=${pids[$((instances - 1))]}
      ( while [ ! -f "$work/loading" ]; do sleep 0.05; done; sleep "${CARELINE_BENCH_KILL_AFTER:-8}"
        kill -KILL "$victim"; echo "failover: instance $instances (pid $victim) killed" >&2 ) &
      sim delivery --operators 50 --rate 2000 --seconds 20 --senders 200 --loading-file "$work/loading"; server_cpu failover ;;
    presence)
      # 1,000 operators online, each changing status every CARELINE_BENCH_PRESENCE_EVERY
      # seconds (default 60; the server pings every socket every 20 s); the servers' CPU over
      # the 60 s, as a share of one core.
      sim presence --operators 1000 --every "${CARELINE_BENCH_PRESENCE_EVERY:-60}" --seconds 60 --loading-file "$work/loading"
      server_cpu presence 60 ;;
    idle)
      before=$(rss_kb)
      sim idle --connections "${CARELINE_BENCH_IDLE:-10000}" --hold 15 --ready-file "$work/ready" &
      simpid=$!
      while [ ! -f "$work/ready" ] && kill -0 $simpid 2>/dev/null; do sleep 0.5; done
      sleep 5
      echo "{\"bench\":\"idle_memory\",\"connections\":$(cat "$work/ready"),\"server_rss_mb_before\":$((before / 1024)),\"server_rss_mb_with_connections\":$(( $(rss_kb) / 1024 ))}"
      wait $simpid
      rm -f "$work/ready" ;;
    *) echo "unknown benchmark $b" >&2; exit 2 ;;
  esac
  profile_stop "$b"
  cpu_unwatch
  stop
done
