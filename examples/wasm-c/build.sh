#!/usr/bin/env bash
# Builds app.wasm from main.c with Debian's clang and wasi-libc (scripts/setup.sh installs clang, wasi-libc,
# libclang-rt-14-dev-wasm32 and lld).
set -euo pipefail
cd "$(dirname "$0")"
CC=$(command -v clang || command -v clang-14)
"$CC" --target=wasm32-wasi -O2 -Wall -Wextra -Wl,--strip-all -o app.wasm main.c
echo "built $(pwd)/app.wasm ($(stat -c %s app.wasm) bytes)"
