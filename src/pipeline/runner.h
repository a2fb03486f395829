// Runs a project's selected assets in dependency order: independent assets at once on a
// bounded number of threads (each asset in its own Session on the caller's DuckDB, which gets
// every core and the project's memory_mb), retries with backoff, downstream of a failure
// skipped, every outcome recorded in the run history as it happens. A run id is the app version
// of every commit it makes, so running the same id again commits nothing twice. The caller's
// Session is used by the calling thread only (for the history).
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/project.h"
#include "pipeline/run_history.h"

namespace silt::pipeline {

struct RunOptions {
  std::vector<std::string> select;    // selectors (asset_graph.h); empty = all
  bool full_refresh = false;          // ignore watermarks; overwrite every selected asset
  std::optional<std::string> resume;  // re-run only what failed or was skipped in this run
  std::optional<std::string> run_id;  // run under this id (default: a new one)
  int threads = 0;                    // assets at once; 0 = silt.toml's, else the cores
  std::string partition;              // the day partitioned assets build (resume: the run's)
  // Progress events: an asset starts (run.status empty) or ends. Called on the calling thread.
  std::function<void(const AssetRun& run, size_t done, size_t total)> on_progress;
  // Rows an asset has read from a database source so far, after each batch. Called on the
  // asset's thread (several may call at once).
  std::function<void(const std::string& asset, int64_t rows)> on_rows;
  // Cooperative cancellation: once true, no asset starts, assets in flight stop before their
  // commit (tables keep their versions; an asset already committing completes), and every asset
  // not run is recorded as "cancelled". May be set from another thread or a signal handler.
  const std::atomic<bool>* cancel = nullptr;
};

struct RunReport {
  std::string run_id;
  std::string partition;         // the day partitioned assets built, if any
  std::vector<AssetRun> assets;  // in completion order
  size_t count(const std::string& status) const;
};

// Runs the selection once per day from `from` to `to` (YYYY-MM-DD, inclusive), each day as its
// own run with that partition, in order; days after a failed one still run.
Result<std::vector<RunReport>> backfill(Session& session, const Project& project, const RunOptions& options,
                                        const std::string& from, const std::string& to);

// Errors only for what stops the run from starting (bad selection, unknown resume id) or from
// recording it; asset failures are in the report.
Result<RunReport> run_pipeline(Session& session, const Project& project, const RunOptions& options);

}  // namespace silt::pipeline
