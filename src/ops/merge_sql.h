// MERGE INTO as a SQL statement: `MERGE INTO delta_table('path') AS t USING <source> AS s ON ...
// WHEN ...` parsed into the MergeOptions of ops/merge.h, so `silt query` can run it. Text-level
// parsing on top-level keywords (strings, brackets and CASE ... END respected). Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ops/merge.h"

namespace silt::ops {

struct MergeStatement {
  std::string path;  // the delta_table argument
  MergeOptions options;
};

// nullopt when `sql` is not a MERGE INTO delta_table(...) statement (other MERGEs are DuckDB's).
// Grammar (keywords case-insensitive; the aliases must be t and s):
//   MERGE INTO delta_table('path') AS t USING <table, function call or (query)> AS s ON <cond>
//   { WHEN MATCHED [AND <cond>] THEN { UPDATE SET * | UPDATE SET col = expr, ... | DELETE }
//   | WHEN NOT MATCHED [BY TARGET] [AND <cond>] THEN { INSERT * | INSERT (cols) VALUES (exprs) }
//   | WHEN NOT MATCHED BY SOURCE [AND <cond>] THEN { UPDATE SET col = expr, ... | DELETE } } ...
// InvalidArgument naming the part that does not fit.
Result<std::optional<MergeStatement>> parse_merge_statement(std::string_view sql);

}  // namespace silt::ops
