#!/usr/bin/env bash
# make bench: hello-world on islet dev, workerd and Deno, alternating, same run. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools.sh
exec /usr/bin/python3 hello/bench.py "$@"
