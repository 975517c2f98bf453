#!/usr/bin/env bash
# A Hono app (bundled once with esbuild) on islet dev and workerd, alternating, same run. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools.sh
exec /usr/bin/python3 hono/bench.py "$@"
