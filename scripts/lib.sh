# Shared by run.sh and test.sh: install what is missing on a Debian/Ubuntu machine.
# shellcheck shell=bash

# Debian packages the project needs: building (C for SQLite), PostgreSQL for its tests.
CARELINE_APT_PACKAGES=(build-essential pkg-config curl ca-certificates postgresql)

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
  if command -v rustup >/dev/null && ! cargo clippy --version >/dev/null 2>&1; then
    rustup component add clippy >/dev/null 2>&1 || true
  fi
}

install_all() {
  install_packages "${CARELINE_APT_PACKAGES[@]}"
  ensure_rust
}
