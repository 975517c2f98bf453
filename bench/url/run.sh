#!/usr/bin/env bash
# bench/url: `new URL()` parses per second, islet dev against workerd, alternating, same run. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools.sh
exec /usr/bin/python3 url/bench.py "$@"
