#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit, conformance, e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" -j "$(nproc)" --output-on-failure
