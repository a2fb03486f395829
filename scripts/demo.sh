#!/usr/bin/env bash
# The main job: installs what is missing, builds, then runs the clinic pipeline demo end to end
# on the embedded default: a synthetic SQLite billing source -> bronze (PII anonymized) ->
# silver -> gold, checks, a report and a gold query; then the source changes (new rows, a new
# column) and a second run shows the incremental ingest, schema evolution and time travel.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
silt=build/silt
work=build/demo
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
say() { printf '\n\033[1m# %s\033[0m\n' "$*"; }
# A pipeline run with its log lines kept in a file (shown when the run fails).
run() {
  local log=$work/$1.log
  printf '\n\033[1m$ silt pipeline run --project %s\033[0m\n' "$work"
  local t0=$(date +%s.%N)
  if ! $silt pipeline run --project "$work" 2>"$log"; then cat "$log" >&2; exit 1; fi
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "(whole run: %.1f s; log in '"$log"')\n", b-a}'
}
gold=$work/lake/gold/revenue_by_region_month
revenue_sql() {  # the gold query, optionally as of a version
  echo "SELECT region, sum(visits) AS visits, sum(billed) AS billed, sum(paid) AS paid,
    max(month) AS last_month FROM delta_scan('$gold'${1:-}) GROUP BY region ORDER BY region"
}

say "A fresh project in $work: examples/clinic and a generated SQLite source"
rm -rf "$work" && mkdir -p "$(dirname "$work")" && cp -r examples/clinic "$work" && mkdir -p "$work/data"
sqlite3 "$work/data/clinic.db" <examples/clinic/source/generate.sql >/dev/null
sqlite3 -column -header "$work/data/clinic.db" "SELECT (SELECT count(*) FROM patients) AS patients,
  (SELECT count(*) FROM facilities) AS facilities, (SELECT count(*) FROM billing) AS billing_rows,
  (SELECT min(visit_date) || ' .. ' || max(visit_date) FROM billing) AS visit_dates"
if [ -z "${SILT_PII_KEY:-}" ]; then
  export SILT_PII_KEY=silt-demo-key-not-secret
  echo "SILT_PII_KEY is not set: using the demo key '$SILT_PII_KEY' to hash names (set your own for real data)"
fi

step $silt pipeline plan --project "$work"
run run-1
say "Gold: revenue by region (all months)"
step $silt query "$(revenue_sql)"
step $silt query "SELECT facility_name, sum(care_minutes) AS care_minutes, sum(visits) AS visits
  FROM delta_scan('$work/lake/gold/care_minutes_by_facility_day') GROUP BY ALL ORDER BY care_minutes DESC LIMIT 5"
say "Bronze patients: names hashed, birth dates to the year, postcodes to the area, phones masked"
step $silt query "SELECT * FROM delta_scan('$work/lake/bronze/patients') ORDER BY patient_id LIMIT 3"

say "The next day: 5,000 new billing rows and a new source column, referral_code (source/change.sql)"
sqlite3 "$work/data/clinic.db" <examples/clinic/source/change.sql
run run-2
say "Bronze billing took only the new rows and gained the new column (NULL for older rows)"
step $silt describe "$work/lake/bronze/billing"
step $silt query "SELECT referral_code IS NOT NULL AS has_referral, count(*) AS rows,
  count(DISTINCT referral_code) AS codes FROM delta_scan('$work/lake/bronze/billing') GROUP BY ALL ORDER BY ALL"
say "Gold now, and as of the first run (time travel to version 0)"
step $silt query "$(revenue_sql)"
step $silt query "$(revenue_sql ", version => 0")"
step $silt pipeline runs --project "$work" --limit 7
step $silt pipeline status --project "$work"

# A short look at tables other engines wrote, when the conformance tables are at hand.
tables=${SILT_DEMO_TABLES:-../shared/conformance/delta-rs}
if [ -d "$tables" ]; then
  say "silt reads tables written by Spark and delta-rs too ($tables)"
  step $silt query "SELECT list(id ORDER BY id) AS ids FROM delta_scan('$tables/simple_table', version => 0)"
  step $silt query "SELECT count(*) AS rows_after_deletion_vector FROM delta_scan('$tables/table-with-dv-small')"
fi
