#!/usr/bin/env bash
# Configures (once) and builds silt with both cores. BUILD_DIR (default build), BUILD_TYPE
# (Release), SILT_SANITIZE=1 for an ASan/UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dir=${BUILD_DIR:-build}
[ -f "$dir/build.ninja" ] || cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" \
  -DSILT_SANITIZE="$([ "${SILT_SANITIZE:-0}" = 1 ] && echo ON || echo OFF)" >/dev/null
cmake --build "$dir" -j "$(nproc)"
