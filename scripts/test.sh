#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian/Ubuntu machine: installs what is missing,
# starts a throwaway PostgreSQL, builds the workspace once, runs all suites, stops what it
# started. `.ci/run` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
install_all

export CARELINE_PG_DIR=${CARELINE_PG_DIR:-/tmp/careline-test-pg-$$}
cleanup() { tests/postgres.sh stop || true; }
trap cleanup EXIT
echo "==> starting PostgreSQL"
CARELINE_TEST_POSTGRES=$(tests/postgres.sh start)
export CARELINE_TEST_POSTGRES

ensure_tauri_driver

echo "==> the UI: type check, build, unit tests"
(cd ui && npm run --silent build && npx --no-install vitest run)

# One-shot build: incremental state would only take disk (gigabytes) and time.
export CARGO_INCREMENTAL=0
echo "==> building the workspace"
cargo build --workspace --all-targets --locked
echo "==> target/ now takes $(du -sh target | cut -f1); $(df -h --output=avail . | tail -1 | tr -d ' ') left on the disk"
echo "==> rustfmt and clippy"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -q -- -D warnings
# The shells as they ship: over the core without its `testing` feature (which the workspace's
# test build turns on), so a shell that reaches past the desk, or core code only the tests use,
# fails here.
cargo clippy -p careline-desktop -p careline-cli --locked -q -- -D warnings
echo "==> the server's systemd unit"
tests/systemd.sh target/debug/careline-server
echo "==> running the tests (SQLite and PostgreSQL)"
log=$(mktemp)
set +e
cargo test --workspace --locked --no-fail-fast --lib --bins --tests 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
echo "==> end to end: the app window under Xvfb, driven by WebDriver (screenshots in target/screenshots)"
export HOME_KEYRING_DIR=$(mktemp -d)
# gnome-keyring keeps its keyrings under XDG_DATA_HOME: a throwaway one.
XDG_DATA_HOME=$HOME_KEYRING_DIR xvfb-run -a -s "-screen 0 1440x900x24" dbus-run-session -- tests/desktop-session.sh \
  cargo test -p careline-desktop --locked --test e2e -- --ignored --test-threads=1 2>&1 | tee -a "$log"
e2e=${PIPESTATUS[0]}
# --workspace: the features the build above unified, so nothing is compiled again.
echo "==> the session token in the OS keychain (a GNOME keyring in a D-Bus session)"
XDG_DATA_HOME=$HOME_KEYRING_DIR dbus-run-session -- tests/desktop-session.sh \
  env CARELINE_EXPECT_KEYCHAIN=1 cargo test --workspace --locked --test desk 2>&1 | tee -a "$log"
keychain=${PIPESTATUS[0]}
rm -rf "$HOME_KEYRING_DIR"
echo "==> the API under attack: schemathesis as every role, on SQLite and PostgreSQL"
tests/fuzz/api.sh target/debug/careline-server 2>&1 | tee -a "$log"
fuzz=${PIPESTATUS[0]}
[ "$keychain" = 0 ] && keychain=$fuzz
echo "==> target/ took $(du -sh target | cut -f1) in the end"
[ "$e2e" = 0 ] && e2e=$keychain
[ "$status" = 0 ] && status=$e2e
set -e
passed=$(grep -oE '^test result: .* ([0-9]+) passed' "$log" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -oE '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
rm -f "$log"
echo
echo "$passed passed, $failed failed"
exit "$status"
