#!/usr/bin/env bash
# Set up vramscribe on a fresh Debian/Ubuntu machine: ffmpeg from apt, a .venv with the pinned stack.
# Idempotent: a second run reuses what is there.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
    SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends ffmpeg
fi

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# constraints.txt pins every transitive package to the set this release was tested with.
.venv/bin/python -m pip install -q -c constraints.txt -e ".[test]"
echo "vramscribe installed in $(pwd)/.venv"
