#!/usr/bin/env bash
# Builds the release desktop app and its .deb with the Tauri CLI (from ui/node_modules):
# target/release/bundle/deb/Careline_<version>_amd64.deb
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
install_all
install_packages file
# Without the debug info the benchmarks' release profile keeps (a 50 MB package becomes ~15 MB).
CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=true ui/node_modules/.bin/tauri build --bundles deb "$@"
ls -l target/release/bundle/deb/*.deb
