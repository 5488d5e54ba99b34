#!/usr/bin/env bash
# Set up voiceshop on Debian, Ubuntu or Raspberry Pi OS: system packages, a virtualenv in .venv and the
# Python dependencies. Safe to run again: it only installs what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: espeak-ng (speech out), PortAudio (microphone), PostgreSQL (the shared store for
# several devices; its initdb/pg_ctl also let the tests and benchmarks/store.py run a throwaway
# server), venv support.
APT_PACKAGES=(espeak-ng libportaudio2 postgresql chromium)
python3 -m venv --help >/dev/null 2>&1 || APT_PACKAGES+=(python3-venv)
if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    echo "setup: installing system packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
else
  echo "setup: not a Debian-like system; install espeak-ng, PortAudio, PostgreSQL and Chromium with your package manager" >&2
fi

# Python environment, reinstalled only when pyproject.toml changes.
[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=.venv/.voiceshop-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python dependencies into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
  echo "$want" >"$stamp"
fi
