// DIFF: the rows that differ between two versions of a table, as one SQL statement over two
// delta_scan(...) time-travel reads. Without a key, rows are compared whole (as multisets);
// with a key, rows with the same key and different values are reported as 'changed'.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scan/session.h"

namespace silt::ops {

// SQL (using delta_scan, to be run through Session::run or expand_sql) whose rows are the diff
// from version `from` to version `to`: a leading `_change` column ('added', 'removed', or with
// a key 'changed', which shows the new values), then the table's columns (the union of both
// versions' columns; a column missing from one version reads as NULL there).
// REQUIRES: both versions exist (InvalidArgument otherwise); every key column is a column of
// both versions. With a key, each key should identify at most one row per version.
Result<std::string> diff_sql(Session& session, std::string_view path, int64_t from, int64_t to,
                             const std::vector<std::string>& key);

}  // namespace silt::ops
