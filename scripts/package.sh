#!/usr/bin/env bash
# Builds the release desktop app and its .deb with the Tauri CLI (from ui/node_modules):
# target/release/bundle/deb/Careline_<version>_amd64.deb
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
install_all
install_packages file
# The Tauri CLI builds the `release` profile: give it the settings of the `app` profile (size,
# LTO; Cargo.toml), without the debug info the benchmarks' release profile keeps.
CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
  CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=true ui/node_modules/.bin/tauri build --bundles deb "$@"
ls -l target/release/bundle/deb/*.deb
