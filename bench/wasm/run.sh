#!/usr/bin/env bash
# bench/wasm: SHA-256 of 1 MB as JS and as Rust→Wasm, on islet and workerd, same run. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools.sh
exec /usr/bin/python3 wasm/bench.py "$@"
