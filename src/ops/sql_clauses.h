// Parsing and binding of the SQL fragments that row-level statements take from the user: SET
// assignments ("col = expr, ..."), top-level splitting of a condition into its AND-ed parts.
// Text-level only (strings, quoted identifiers and brackets respected); DuckDB binds the rest.
// Pure functions, thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "delta/schema/schema.h"
#include "util/result.h"
#include "util/sql_text.h"

namespace silt::ops {

// One `column = expression` of an UPDATE's SET.
struct Assignment {
  std::string column;      // top-level column name, double quotes removed
  std::string expression;  // DuckDB SQL over the table's columns (values before the update)
};

// Parses "col = expr, ...": items are split at top-level commas and each at its first top-level
// '=' (not part of <=, >=, !=, ==, =>), ignoring text in strings, quoted identifiers and
// brackets. InvalidArgument on an item without '=' or with an empty side.
Result<std::vector<Assignment>> parse_assignments(std::string_view set_clause);

// A word outside strings, quoted identifiers, brackets and CASE ... END, upper-cased.
struct Keyword {
  size_t offset;
  std::string word;
};
std::vector<Keyword> top_level_keywords(std::string_view text);

// The parts of `condition` joined by top-level AND keywords, trimmed. A condition with a
// top-level OR or BETWEEN is returned whole (splitting it would change its meaning).
std::vector<std::string> split_conjuncts(std::string_view condition);

// "name" -> name (doubled quotes undone); anything else unchanged.
std::string unquote_identifier(std::string name);

// Table column name (as the schema spells it) -> SQL expression.
using ColumnValues = std::map<std::string, std::string>;

// Checks that every assigned column exists in `schema`, once. InvalidArgument naming it, with
// `clause` ("SET", "UPDATE SET", ...) in front, otherwise.
Result<ColumnValues> bind_assignments(const delta::StructType& schema, const std::vector<Assignment>& set,
                                      const std::string& clause = "SET");

// `expression` cast to the column's DuckDB type.
std::string cast_to_column(const delta::StructField& field, const std::string& expression);

}  // namespace silt::ops
