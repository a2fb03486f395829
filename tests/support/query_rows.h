// Test support: a query's rows as "a|b|c" text lines (NULL as "NULL"), cast to VARCHAR by
// DuckDB itself, so results of any type compare as plain strings.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "scan/session.h"

namespace silt::testing {

inline std::vector<std::string> text_rows(silt::Session& s, const std::string& sql) {
  auto rows = s.connection().query_text(sql);
  if (!rows.ok()) return {"error: " + rows.error().message()};
  std::vector<std::string> out;
  for (const auto& row : *rows) {
    std::string line;
    for (const auto& v : row) line += (line.empty() ? "" : "|") + v.value_or("NULL");
    out.push_back(line);
  }
  return out;
}

// The same lines, sorted: for comparisons that ignore row order.
inline std::vector<std::string> sorted_rows(silt::Session& s, const std::string& sql) {
  auto out = text_rows(s, sql);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace silt::testing
