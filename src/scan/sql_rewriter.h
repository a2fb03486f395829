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

// A table named in a FROM or JOIN clause (or a comma list after FROM) by an unquoted,
// possibly dotted identifier: "orders" or "clinic.billing". Table functions, subqueries and
// FROM inside function calls (EXTRACT(year FROM d)) are not references.
struct TableReference {
  std::vector<std::string> parts;  // lower-cased
  size_t begin = 0, end = 0;       // byte range of the reference in the SQL text
};

// The table references of `sql`, in order, and the names it defines as CTEs (WITH x AS (...)),
// which are not references to anything outside the statement.
struct TableReferences {
  std::vector<TableReference> tables;
  std::vector<std::string> ctes;  // lower-cased
};
TableReferences find_table_references(std::string_view sql);

// Splits a script at top-level semicolons; empty statements are dropped.
std::vector<std::string> split_statements(std::string_view sql);

}  // namespace silt::scan
