// Test support: a query's rows as "a|b|c" text lines (NULL as "NULL"), cast to VARCHAR by
// DuckDB itself, so results of any type compare as plain strings.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "scan/session.h"

namespace silt::testing {

inline std::vector<std::string> text_rows(silt::db::Connection& conn, const std::string& sql) {
  auto rows = conn.query_text(sql);
  if (!rows.ok()) return {"error: " + rows.error().message()};
  std::vector<std::string> out;
  for (const auto& row : *rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); i++) {
      if (i) line += '|';  // by index: an empty first value still gets its separator
      line += row[i].value_or("NULL");
    }
    out.push_back(line);
  }
  return out;
}

inline std::vector<std::string> text_rows(silt::Session& s, const std::string& sql) {
  return text_rows(s.connection(), sql);
}

// The same lines, sorted: for comparisons that ignore row order.
inline std::vector<std::string> sorted_rows(silt::Session& s, const std::string& sql) {
  auto out = text_rows(s, sql);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace silt::testing
