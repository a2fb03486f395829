#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit, conformance, e2e).
# Under CI=true (or SILT_SANITIZE=1) it then builds again with ASan/UBSan and runs the suite
# there too, except the long multi-process concurrency and conformance runs. The source tests'
# database servers (PostgreSQL, Firebird) are started first by scripts/services.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# Under CI a server that cannot start fails the run; elsewhere its tests skip with a message.
if ! bash scripts/services.sh; then
  [ "${CI:-}" = true ] && exit 1
  echo "test: database servers not started: their tests will skip" >&2
fi
ctest --test-dir build -j "$(nproc)" --output-on-failure
if [ "${CI:-}" = true ] || [ "${SILT_SANITIZE:-0}" = 1 ]; then
  BUILD_DIR=build-asan BUILD_TYPE=Debug SILT_SANITIZE=1 bash scripts/build.sh
  ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp ctest --test-dir build-asan -j "$(nproc)" --output-on-failure \
    -E 'WriteConcurrency|DeltaRs/Conformance'
fi
