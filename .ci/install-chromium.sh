#!/usr/bin/env bash
# Install headless Chromium for tests/test_analytics.py (renders the HTML report). Idempotent: does
# nothing when `chromium` is already on PATH. Debian/Ubuntu CI images, run as root (or via sudo).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    echo "[ci] chromium already installed: $(command -v chromium)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y chromium
command -v chromium
