// The SQL front end: finds silt's table functions (delta_scan(...)) in user SQL and replaces
// each call with a subquery that reads the table, leaving everything else untouched. Also
// splits scripts into statements. Lexing respects strings, quoted identifiers, dollar quotes
// and comments, so text inside them is never rewritten. Pure functions, thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace silt::scan {

struct TableFunctionArg {
  std::string name;  // "" for positional
  std::string expr;  // the argument's SQL text, trimmed
};

struct TableFunctionCall {
  std::string function;  // lower-cased name, e.g. "delta_scan"
  std::vector<TableFunctionArg> args;
};

// Returns the SQL (a parenthesized subquery) that replaces one call.
using CallExpander = std::function<Result<std::string>(const TableFunctionCall&)>;

// Rewrites every call of a function in `functions` (lower-case names) in `sql`.
Result<std::string> rewrite_table_functions(std::string_view sql, const std::vector<std::string>& functions,
                                            const CallExpander& expand);

// Splits a script at top-level semicolons; empty statements are dropped.
std::vector<std::string> split_statements(std::string_view sql);

}  // namespace silt::scan
