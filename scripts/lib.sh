# Shared by run.sh and test.sh: install what is missing on a Debian/Ubuntu machine.
# shellcheck shell=bash

# Debian packages the project needs: building (C for SQLite; WebKitGTK and the tray library for
# the desktop app; Noto fonts so Russian, Chinese and the emoji patients write render — without a CJK font every Chinese
# character is an empty box), Node.js for the UI, PostgreSQL for the server's tests, and for the window
# under test: Xvfb, WebKitWebDriver, a D-Bus session with a notification daemon; GStreamer's base
# and good plugins so the window plays voice and video messages (WebKitGTK plays media through them);
# Chromium and its chromedriver for the patients' web page, tested headless; systemd for
# `systemd-analyze verify` of the server's unit; tzdata for the time zones of specialists' schedules
# (the server reads the system's zone files); coturn, the call relay the calls' browser test talks
# through (a clinic runs it beside the server: README, "Calls").
CARELINE_APT_PACKAGES=(build-essential pkg-config curl ca-certificates tzdata postgresql
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  xvfb xauth webkit2gtk-driver dbus dbus-x11 dunst imagemagick gnome-keyring libdbus-1-dev
  fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji chromium chromium-driver systemd coturn)

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root for: $*" >&2; return 1; fi
}

# Installs the missing packages (apt-get update once, only when something is missing).
install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# A Rust toolchain: the machine's, or rustup's stable.
ensure_rust() {
  if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
  if ! command -v cargo >/dev/null; then
    echo "==> installing Rust (rustup, stable)"
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >/dev/null
    . "$HOME/.cargo/env"
  fi
  # The test command checks formatting and lints: both tools must be there.
  if command -v rustup >/dev/null; then
    cargo clippy --version >/dev/null 2>&1 || rustup component add clippy >/dev/null
    cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt >/dev/null
  fi
}

# Node.js and npm: the machine's, or Debian's.
ensure_node() {
  if ! command -v npm >/dev/null; then install_packages nodejs npm; fi
}

# The UI's packages, from the committed lockfile: `npm install` (`npm ci` refuses it: the registry here answers 404 for @tauri-apps/cli's other-platform packages, so the lockfile never lists them).
ui_install() {
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    echo "==> installing the UI's packages"
    (cd ui && npm install --no-audit --no-fund --loglevel=error)
  fi
}

# tauri-driver (WebDriver for Tauri apps) from crates.io, for the end-to-end tests.
ensure_tauri_driver() {
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! command -v tauri-driver >/dev/null; then
    echo "==> installing tauri-driver"
    cargo install tauri-driver --locked --quiet
  fi
}

# Python with venv and pip, for the API fuzzer (schemathesis, from PyPI).
ensure_python() {
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then install_packages python3 python3-venv; fi
}

install_all() {
  install_packages "${CARELINE_APT_PACKAGES[@]}"
  ensure_python
  ensure_rust
  ensure_node
  ui_install
}
