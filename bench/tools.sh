#!/usr/bin/env bash
# Installs the reference runtimes the benchmarks compare against into bench/.tools (ignored by git):
# workerd and Deno from their npm packages (each ships its Linux binary), plus wrk from Debian; hono and esbuild for
# bench/hono.
set -euo pipefail
cd "$(dirname "$0")"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
if [ ! -x .tools/node_modules/.bin/workerd ] || [ ! -x .tools/node_modules/.bin/deno ]; then
  mkdir -p .tools
  (cd .tools && npm install --no-audit --no-fund --silent workerd deno)
fi
if [ ! -f .tools/node_modules/hono/package.json ] || [ ! -x .tools/node_modules/.bin/esbuild ]; then
  mkdir -p .tools
  (cd .tools && npm install --no-audit --no-fund --silent hono@4 esbuild@0.x)
fi
