#!/usr/bin/env bash
# Builds app.wasm from main.go with Debian's Go 1.19 (GOOS=js GOARCH=wasm) and copies Go's wasm_exec.js glue from
# the same Go installation next to it (scripts/setup.sh installs golang-go).
set -euo pipefail
cd "$(dirname "$0")"
GO=$(command -v go || echo /usr/lib/go-1.19/bin/go)
GOROOT=$("$GO" env GOROOT)
cp "$GOROOT/misc/wasm/wasm_exec.js" wasm_exec.js
GOOS=js GOARCH=wasm GO111MODULE=off "$GO" build -trimpath -ldflags=-s -o app.wasm main.go
echo "built $(pwd)/app.wasm ($(stat -c %s app.wasm) bytes) and wasm_exec.js from $GOROOT"
