#!/usr/bin/env bash
# Installs everything islet needs to build and test on Debian 12, idempotently:
# Debian packages, and V8 10.2 from libnode108/libnode-dev unpacked into .deps/libnode
# (a project-local prefix, so the system's Node.js is left alone).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libboost-dev libssl-dev libicu-dev zlib1g-dev libbrotli-dev libsqlite3-dev
  # the process sandbox of `islet serve` (src/server/sandbox.h)
  libseccomp-dev
  nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # the shared libraries libnode.so.108 links against
  libuv1 libc-ares2 libnghttp2-14 libicu72 libbrotli1
  curl wrk python3
  # strips comments and indentation from the API's JS before it is embedded (src/api/CMakeLists.txt)
  esbuild
  # WebAssembly examples and benchmarks (examples/wasm-*, bench/wasm): C, Rust, Go and WAT toolchains
  wasi-libc libclang-rt-14-dev-wasm32 clang lld rustc libstd-rust-dev-wasm32 golang-go wabt
)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# V8 from libnode. Prefer an installed libnode-dev; otherwise unpack the two packages locally.
PREFIX=.deps/libnode
if [ -f /usr/include/nodejs/v8.h ] || [ -f /usr/include/node/v8-version.h -a -f /usr/lib/x86_64-linux-gnu/libnode.so.108 -a -f /usr/include/nodejs/v8-version.h ]; then
  : # system libnode-dev (Debian's headers live in /usr/include/nodejs)
fi
if [ ! -f "$PREFIX/.complete" ]; then
  if dpkg-query -W -f='${Status}' libnode-dev 2>/dev/null | grep -q "install ok installed"; then
    mkdir -p "$PREFIX"
    echo system > "$PREFIX/.complete"
  else
    echo "setup: unpacking libnode108 + libnode-dev into $PREFIX"
    rm -rf "$PREFIX" .deps/debs && mkdir -p .deps/debs "$PREFIX"
    if ! (cd .deps/debs && apt-get download libnode108 libnode-dev >/dev/null); then
      $SUDO apt-get update -qq
      (cd .deps/debs && apt-get download libnode108 libnode-dev >/dev/null)
    fi
    for deb in .deps/debs/*.deb; do dpkg -x "$deb" "$PREFIX"; done
    echo local > "$PREFIX/.complete"
  fi
fi
