#!/usr/bin/env bash
# Checks the systemd unit with `systemd-analyze verify` against the server just built: the
# unit's syntax, its directives, and that the program it starts exists. Any warning fails.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/debug/careline-server}
[ -x "$binary" ] || { echo "$binary is not built" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|^ExecStart=/usr/local/bin/careline-server|ExecStart=$(realpath "$binary")|" deploy/careline-server.service > "$dir/careline-server.service"
out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$dir/careline-server.service" 2>&1 || echo "systemd-analyze failed: $?")
# Messages about other units of this machine are not the unit's.
out=$(printf '%s\n' "$out" | grep -v '^$' | grep -F "careline-server.service" || true)
if [ -n "$out" ]; then
  printf 'the unit does not verify:\n%s\n' "$out" >&2
  exit 1
fi
echo "deploy/careline-server.service verifies"
