#!/usr/bin/env bash
# Installs what silt needs on Debian 12: apt packages, and DuckDB's prebuilt library and C header
# from npm, each tarball checked against the SHA-256 in cmake/duckdb.lock. Idempotent and quick
# when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake ninja-build pkg-config ca-certificates zlib1g-dev libsimdjson-dev libroaring-dev
          libcli11-dev libfmt-dev libreadline-dev libgtest-dev libgmock-dev libbenchmark-dev
          libtomlplusplus-dev libssl-dev libsqlite3-dev libpq-dev firebird-dev sqlite3)
command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then echo "error: missing packages (${missing[*]}); run as root" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

deps=.deps/duckdb
stamp="$deps/.lock"
if [ -f "$stamp" ] && cmp -s "$stamp" cmake/duckdb.lock && [ -f "$deps/libduckdb.so" ] && [ -f "$deps/duckdb.h" ]; then
  exit 0
fi
echo "setup: fetching DuckDB from npm"
rm -rf "$deps" && mkdir -p "$deps"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep -v '^#' cmake/duckdb.lock | while read -r name version sha; do
  (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null)
  tgz=$(ls "$tmp"/*.tgz)
  echo "$sha  $tgz" | sha256sum -c --quiet - || { echo "error: checksum mismatch for $name@$version" >&2; exit 1; }
  mkdir -p "$tmp/x" && tar xzf "$tgz" -C "$tmp/x" && rm "$tgz"
done
cp "$tmp/x/package/libduckdb.so" "$deps/"
cp "$tmp/x/package/src/duckdb/src/include/duckdb.h" "$deps/"
cp cmake/duckdb.lock "$stamp"
