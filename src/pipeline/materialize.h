// Materializes one asset as one atomic Delta commit: opens its own Session (on the run's shared
// DuckDB when given), reads upstream tables at versions pinned when it starts and sources (files
// through DuckDB, databases through sources/source.h), applies PII policies to every input
// first, writes the SELECT's rows to data files, runs the checks on those files, and only then
// commits them. Any failure leaves the table at its previous version (and deletes the files).
// Safe to call from several threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "duckdb/engine.h"
#include "pipeline/project.h"
#include "pipeline/run_history.h"

namespace silt::pipeline {

struct MaterializeOptions {
  int64_t app_version = 0;    // the run's number: a commit is made at most once per run
  bool full_refresh = false;  // ignore watermarks and overwrite
  std::string partition;      // the day (YYYY-MM-DD) partitioned assets build; getvariable('partition')
  // The run's DuckDB, shared by the assets running at once: each gets its own connection and
  // its own catalog for its inputs' views, and DuckDB spreads their queries over one thread pool
  // within one memory limit (set by the caller). Null: the asset opens a DuckDB of its own.
  std::shared_ptr<db::Database> database;
  std::function<void(int64_t rows)> on_rows;  // rows read from a database source so far, per batch
  // When set and true, the asset stops before its commit (the table keeps its version) with an
  // error is_cancellation recognizes. Checked after the rows are written and checked, so a
  // running query finishes first (its files are then deleted).
  const std::atomic<bool>* cancel = nullptr;
};

// Fills run.rows, version, input_versions and checks (also when a blocking check fails).
// Errors are recorded with the asset's name, so they do not repeat it; for assets with PII policies, DuckDB's
// details (which can quote values) are withheld.
Status materialize(const Project& project, const Asset& asset, const MaterializeOptions& options,
                   AssetRun& run);

// True for an error from a failed blocking check (not worth retrying).
bool is_check_failure(const Error& error);
// True for the error of an asset stopped by MaterializeOptions::cancel.
bool is_cancellation(const Error& error);

}  // namespace silt::pipeline
