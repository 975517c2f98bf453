#!/usr/bin/env bash
# A Hono app (bundled once with esbuild) on islet dev and workerd, alternating, same run; prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools.sh
exec /usr/bin/python3 hono/bench.py "$@"
