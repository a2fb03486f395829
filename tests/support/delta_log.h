// Test support: what a table's log says, read independently of the code under test where it
// can be: commitInfo fields straight from the commit file (DuckDB's JSON functions), live files
// from the snapshot.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "scan/session.h"
#include "temp_table.h"
#include "util/sql_text.h"

namespace silt::testing {

// A field of the commitInfo of `version` (a JSON path below commitInfo, e.g.
// "operationMetrics.numCopiedRows"), as text; "NULL" when absent.
inline std::string commit_info(silt::Session& s, const std::string& root, int64_t version,
                               const std::string& field) {
  std::ifstream in(root + "/_delta_log/" + TempTable::version_file(version));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("{\"commitInfo\"")) continue;
    auto v = s.connection().scalar("SELECT json_extract_string(" + silt::quote_literal(line) + ", " +
                                   silt::quote_literal("$.commitInfo." + field) + ")");
    return v.ok() ? v->value_or("NULL") : "error: " + v.error().message();
  }
  return "no commitInfo";
}

// The live files of the latest version, by logged path.
inline std::map<std::string, silt::delta::AddFile> live_files(silt::Session& s, const std::string& root) {
  std::map<std::string, silt::delta::AddFile> out;
  auto snap = s.snapshot(root);
  EXPECT_TRUE(snap.ok()) << snap.error().message();
  if (!snap.ok()) return out;
  for (const auto& f : snap->files()) out[f.path] = f;
  return out;
}

}  // namespace silt::testing
