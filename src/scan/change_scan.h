// The change data feed of a table (PROTOCOL.md "Change Data Files") as SQL that DuckDB runs: for
// each commit in a version range, the rows of its cdc files, or else the rows its data-changing
// adds inserted and its removes deleted, each tagged with _change_type, _commit_version and
// _commit_timestamp. Uses the given connection; one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "delta/log/log_listing.h"
#include "duckdb/engine.h"
#include "util/result.h"
#include "util/storage.h"

namespace silt::scan {

// The versions to read, both ends inclusive. Each end is a version or a timestamp (ms since
// the epoch), not both; no end means the latest version. A start timestamp resolves to the
// first commit at or after it, an end timestamp to the last commit at or before it.
struct ChangeRange {
  std::optional<int64_t> from_version;
  std::optional<int64_t> to_version;
  std::optional<int64_t> from_timestamp_ms;
  std::optional<int64_t> to_timestamp_ms;
};

struct ChangePlan {
  // Parenthesized subquery: the table's columns as of to_version (logical names; columns a
  // file lacks read as NULL), then _change_type VARCHAR, _commit_version BIGINT and
  // _commit_timestamp TIMESTAMPTZ (the in-commit timestamp when enabled, else the commit
  // file's modification time). Rows come in no particular order.
  std::string sql;
  int64_t from_version = 0;
  int64_t to_version = 0;
};

// Plans the feed. Errors (InvalidArgument unless said), each naming the version at fault:
// the start after the latest version or after the end, an end beyond the latest version, a
// version whose commit file was cleaned up (NotFound), a version at which
// delta.enableChangeDataFeed was not true (Unsupported), a remove without partition values in a
// partitioned table (Unsupported). Temporary DuckDB objects are named from `next_scan_id`,
// which is advanced past the ids used.
Result<ChangePlan> plan_changes(db::Connection& conn, const Storage& storage,
                                const delta::LogListing& listing, const ChangeRange& range,
                                int& next_scan_id);

}  // namespace silt::scan
