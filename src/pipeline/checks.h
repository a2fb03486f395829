// Data checks declared in an asset header ("not_null(id); unique(a, b); row_count(min=1)"):
// parsed into SQL over the rows about to be committed (the relation `self`) and evaluated
// before the commit.
// Pure parsing; evaluation runs on the caller's connection (one thread).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duckdb/engine.h"
#include "util/result.h"

namespace silt::pipeline {

// One check, measured by one BIGINT that must lie in [min, max]: either `aggregate`, an
// aggregate expression over the rows of `self` (the checks that have one share a single scan),
// or else `count_sql`, a whole SELECT returning one value.
struct Check {
  std::string text;       // as written, for reports
  bool blocking = true;   // "warn " prefix: reported, never fails the asset
  std::string aggregate;  // e.g. count(*) FILTER (WHERE c IS NULL)
  std::string count_sql;  // when there is no aggregate
  std::string kind;       // not_null, unique, accepted_values, row_count, freshness, sql
  std::string column;     // not_null's, or unique's when it has one; empty when quoted
  int64_t min = 0, max = 0;
};

struct CheckResult {
  std::string check;
  bool passed = false;
  bool blocking = true;
  int64_t value = 0;  // failing rows, or the row count for row_count
};

// Parses one check: not_null(col), unique(col[, col...]), accepted_values(col, 'a', ...),
// row_count(min=N, max=N), freshness(col, N unit), sql(SELECT failing rows FROM self ...),
// each optionally prefixed by "warn ". InvalidArgument naming the check otherwise.
Result<Check> parse_check(std::string_view text);

// Parses a ';'-separated list of checks.
Result<std::vector<Check>> parse_checks(std::string_view text);

// What is known of `self` without reading it (the statistics of freshly written files), so that
// checks need not scan for it. Column names lower-cased.
struct KnownFacts {
  std::optional<int64_t> rows;
  struct Column {
    std::optional<int64_t> null_count, min, max;  // min/max only for integer columns
  };
  std::map<std::string, Column> columns;
};

// Evaluates each check on the relation `self` of `conn`: row_count and not_null from `known`
// when it has the answer, every aggregate check (and unique of one integer column, by a bitmap
// of its range) in one shared scan, the rest one query each. An error running a check's SQL is
// an error (the asset fails), not a failed check.
Result<std::vector<CheckResult>> run_checks(db::Connection& conn, const std::vector<Check>& checks,
                                            const KnownFacts& known = {});

// JSON array of results: [{"check":..., "passed":..., "blocking":..., "value":...}].
std::string checks_json(const std::vector<CheckResult>& results);

}  // namespace silt::pipeline
