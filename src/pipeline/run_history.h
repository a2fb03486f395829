// Run history: one row per asset materialization (run id, asset, times, status, rows, the
// Delta version produced, the upstream versions read, check results, error) in the Delta
// table <lake>/_silt/runs. Rows are blind appends, so parallel writers never conflict.
// One thread per Session.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scan/session.h"

namespace silt::pipeline {

struct AssetRun {
  std::string run_id;
  std::string asset;
  int64_t started_ms = 0, ended_ms = 0;
  std::string status;                 // success | failed | skipped | cancelled
  int64_t rows = 0;                   // rows written by this materialization
  int64_t version = -1;               // table version produced (or current, when nothing was committed)
  std::string input_versions = "{}";  // JSON object: upstream asset -> version read
  std::string checks = "[]";          // JSON array, see checks_json
  std::string error;
  int attempts = 0;
  std::string partition;  // the day built, for partitioned assets
};

std::string runs_table_path(const std::string& lake);

// The latest version of the table at `path`, or nullopt when there is no table there yet.
Result<std::optional<int64_t>> latest_table_version(Session& session, const std::string& path);

// Appends the rows as one commit.
Status record_runs(Session& session, const std::string& lake, const std::vector<AssetRun>& runs);

// Rows, newest first: of one run (`run_id`), or of all runs; at most `limit`. No table yet = none.
Result<std::vector<AssetRun>> load_runs(Session& session, const std::string& lake,
                                        const std::optional<std::string>& run_id = std::nullopt,
                                        std::optional<int64_t> limit = std::nullopt);

// The newest row per asset (of one run when `run_id` is given).
Result<std::vector<AssetRun>> latest_per_asset(Session& session, const std::string& lake,
                                               const std::optional<std::string>& run_id = std::nullopt);

// Ids are the UTC start time, "YYYYMMDD-HHMMSS-mmm", so they sort by time and map to an
// increasing number (the idempotent app version of the commits the run makes).
std::string new_run_id();
// A new id sorting after `previous` (waits for the clock to pass it), for runs started in a row.
std::string new_run_id_after(const std::string& previous);
// The number of a run id; InvalidArgument for text not in that form.
Result<int64_t> run_number(const std::string& run_id);

}  // namespace silt::pipeline
