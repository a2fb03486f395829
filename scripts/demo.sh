#!/usr/bin/env bash
# The main job until pipelines exist: installs what is missing, builds, then shows silt reading
# real Delta tables (written by Spark and delta-rs) from ../shared/conformance: a table's
# history, a query at two versions (time travel), a partitioned table, deletion vectors,
# column mapping, and a table feature refused by name.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
silt=build/silt
tables=${SILT_DEMO_TABLES:-../shared/conformance/delta-rs}
if [ ! -d "$tables" ]; then echo "error: $tables not found (set SILT_DEMO_TABLES)" >&2; exit 1; fi
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
step $silt history "$tables/simple_table"
step $silt query "SELECT list(id ORDER BY id) AS ids FROM delta_scan('$tables/simple_table', version => 0)"
step $silt query "SELECT list(id ORDER BY id) AS ids FROM delta_scan('$tables/simple_table')"
step $silt describe "$tables/delta-0.8.0-partitioned"
step $silt query "SELECT year, month, count(*) AS n, string_agg(value, ',' ORDER BY value) AS v FROM delta_scan('$tables/delta-0.8.0-partitioned') GROUP BY ALL ORDER BY ALL"
step $silt query "SELECT count(*) AS rows_after_deletion_vector FROM delta_scan('$tables/table-with-dv-small')"
step $silt query "SELECT * FROM delta_scan('$tables/table_with_column_mapping') LIMIT 3"
printf '\n\033[1m$ %s\033[0m\n' "$silt query \"SELECT * FROM delta_scan('$tables/spark-variant-checkpoint')\""
$silt query "SELECT * FROM delta_scan('$tables/spark-variant-checkpoint')" || echo "(refused by name, as it should be)"
