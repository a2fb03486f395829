#!/usr/bin/env bash
# Configures (once) and builds silt with both cores. BUILD_TYPE=Debug|Release (default Release).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dir=${BUILD_DIR:-build}
[ -f "$dir/build.ninja" ] || cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
