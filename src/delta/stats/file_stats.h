// Per-file statistics (PROTOCOL.md "Per-file Statistics"): the `stats` JSON of an add action parsed
// into numRecords, tightBounds and per-leaf-column min / max / nullCount, optionally only for the
// columns a caller asks for. Values keep their JSON token type; keys are PHYSICAL column names.
// Pure value types; a FileStatsParser is used by one thread at a time, the free functions are
// thread-safe (each thread reuses its own parser).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "util/result.h"

namespace silt::delta {

// Nested field names from the top of the schema down to a leaf: {"a", "b"} for `a.b`.
using ColumnPath = std::vector<std::string>;

// A min/max value as its JSON token: integers that fit int64 as int64, other numbers as double,
// strings (dates, timestamps, sometimes decimals) as written, booleans as bool.
using StatValue = std::variant<int64_t, double, bool, std::string>;

struct ColumnStats {
  ColumnPath path;
  std::optional<StatValue> min;  // absent: not recorded, or JSON null
  std::optional<StatValue> max;
  std::optional<int64_t> null_count;
};

struct FileStats {
  std::optional<int64_t> num_records;
  std::optional<bool> tight_bounds;  // absent means true (PROTOCOL.md)
  std::vector<ColumnStats> columns;  // sorted by path, one entry per leaf with any statistic

  bool bounds_are_tight() const { return tight_bounds.value_or(true); }
  // nullptr when the file has no statistics for `path`. O(log columns).
  const ColumnStats* find(const ColumnPath& path) const;
};

// Reusable parser: keeps its simdjson buffers across calls, so parsing 300k stats strings does
// not allocate parser state per file.
class FileStatsParser {
 public:
  // Parses every leaf. An empty (or all-blank) string means "no statistics" and gives an empty
  // FileStats. Corruption on malformed JSON or a non-integer numRecords / nullCount.
  Result<FileStats> parse(std::string_view stats_json);
  // As above, but keeps only the leaves in `wanted`; the rest of the JSON is skipped unparsed.
  Result<FileStats> parse(std::string_view stats_json, std::span<const ColumnPath> wanted);

 private:
  Result<FileStats> parse_impl(std::string_view stats_json, const std::span<const ColumnPath>* wanted);
  simdjson::ondemand::parser parser_;
  std::string scratch_;  // the input copied with simdjson padding
};

Result<FileStats> parse_file_stats(std::string_view stats_json);
Result<FileStats> parse_file_stats(std::string_view stats_json, std::span<const ColumnPath> wanted);

}  // namespace silt::delta
