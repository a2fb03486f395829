// Turns a Snapshot into SQL that DuckDB runs: read_parquet over exactly the live files (passed
// through a DuckDB variable, not inlined), partition values joined in as typed constants,
// physical column names mapped to logical ones, and rows deleted by deletion vectors removed
// by an anti-join on (file, row number). DuckDB's projection and filter pushdown reach
// read_parquet through the generated subquery. Uses the given connection; one thread at a time.
#pragma once

#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "delta/snapshot/snapshot.h"
#include "delta/stats/skipping.h"
#include "duckdb/engine.h"
#include "util/storage.h"

namespace silt::scan {

struct ScanOptions {
  // Optional SQL predicate over the table's logical columns: files whose partition values or
  // stats prove no row matches are skipped, and the predicate is applied to the rows.
  std::string filter_sql;
  // A predicate used only to skip files (the caller applies it to rows itself), e.g. the
  // WHERE of the statement around delta_scan. Column paths are logical.
  std::optional<delta::Predicate> skip_predicate;
  // When set, only these files (paths as logged) are read; for rewriting chosen files.
  std::optional<std::set<std::string>> only_paths;
  // Adds the columns kFileColumn (the data file as read_parquet names it: the logged path
  // resolved against the table root) and kRowColumn (the row's 0-based index in that file, as
  // deletion vectors count rows), for operations that mark rows deleted.
  bool with_row_positions = false;
  // Columns read from the files as they are, after the table's columns (e.g. _change_type of
  // change data files). Corruption when the files lack one. Typed VARCHAR when no file is read.
  std::vector<std::string> extra_file_columns;
};

inline constexpr const char* kFileColumn = "__silt_file";
inline constexpr const char* kRowColumn = "__silt_row";

struct ScanPlan {
  std::string sql;           // parenthesized subquery
  size_t files_total = 0;    // live files in the snapshot
  size_t files_scanned = 0;  // after skipping
};

// Creates the temporary DuckDB objects the scan needs (named with `scan_id`) and returns the
// plan. NotFound/Corruption errors name the file (missing DV file, bad partition value).
Result<ScanPlan> plan_scan(db::Connection& conn, const Storage& storage, const delta::Snapshot& snapshot,
                           const ScanOptions& options, int scan_id);

// The same over exactly `files` (no skipping; only_paths and filter_sql still apply), each read
// minus its own deletion vector, with the schema, partition columns and column mapping of
// `metadata`. For files that are not a snapshot's live files, such as those one commit added or
// removed. `files` must outlive the call only.
Result<ScanPlan> plan_files_scan(db::Connection& conn, const Storage& storage, const std::string& table_root,
                                 const delta::Metadata& metadata, std::span<const delta::AddFile> files,
                                 const ScanOptions& options, int scan_id);

}  // namespace silt::scan
