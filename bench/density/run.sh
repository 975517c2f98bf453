#!/usr/bin/env bash
# bench/density: see bench.py. Installs wrk/workerd first (bench/tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools.sh
exec /usr/bin/python3 density/bench.py "$@"
