#!/usr/bin/env bash
# Builds app.wasm from app.wat with wabt's wat2wasm (Debian package wabt; scripts/setup.sh installs it).
set -euo pipefail
cd "$(dirname "$0")"
wat2wasm app.wat -o app.wasm
echo "built $(pwd)/app.wasm ($(stat -c %s app.wasm) bytes)"
