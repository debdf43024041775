#!/usr/bin/env bash
# Builds the release desktop app and its .deb with the Tauri CLI (from ui/node_modules):
# target/release/bundle/deb/Careline_<version>_amd64.deb
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
install_all
install_packages file
ui/node_modules/.bin/tauri build --bundles deb "$@"
ls -l target/release/bundle/deb/*.deb
