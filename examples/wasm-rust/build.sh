#!/usr/bin/env bash
# Builds app.wasm from main.rs with Debian's rustc and its wasm32-wasi standard library (scripts/setup.sh installs
# rustc and libstd-rust-dev-wasm32). Debian's rustc is called by its full path: a rustup toolchain earlier on PATH
# would lack the wasm32-wasi target and cannot download it here.
set -euo pipefail
cd "$(dirname "$0")"
RUSTC=/usr/bin/rustc
[ -x "$RUSTC" ] || RUSTC=$(command -v rustc)
"$RUSTC" --edition 2021 --target wasm32-wasi -C opt-level=2 -C strip=symbols -o app.wasm main.rs
echo "built $(pwd)/app.wasm ($(stat -c %s app.wasm) bytes)"
