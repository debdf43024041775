#!/usr/bin/env bash
# Runs a command inside a desktop-like session for the tests: to be started under
# `xvfb-run … dbus-run-session --`. Unlocks a throwaway GNOME keyring (the OS keychain the app
# keeps its token in; its notifications go to dunst, D-Bus activated), then runs "$@".
set -euo pipefail
if command -v gnome-keyring-daemon >/dev/null; then
  echo -n "careline-test-keyring" | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
fi
exec "$@"
