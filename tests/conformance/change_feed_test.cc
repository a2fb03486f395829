// The change data feed of every shared CDF table, over its whole version range, against an
// expectation built here from the JSON log (read_json_objects) and the parquet files read directly
// with DuckDB: cdc files when a commit has them, else dataChange adds as inserts and removes as
// deletes; a file removed and re-added with a new DV (a DELETE with deletion vectors) contributes
// the rows of the removed file that match the DELETE predicate in its commitInfo.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "../support/query_rows.h"
#include "../support/shared_tables.h"
#include "scan/session.h"
#include "util/sql_text.h"

namespace silt {
namespace {

using testing::kSharedTables;
using testing::sorted_rows;
using testing::text_rows;

struct FeedCase {
  const char* table;
  int64_t from;  // first version whose commit file is still in the log
};

class ChangeFeedConformance : public ::testing::TestWithParam<FeedCase> {
 protected:
  void SetUp() override {
    REQUIRE_SHARED_TABLES();
    auto s = Session::open();
    ASSERT_TRUE(s.ok());
    session_ = std::move(*s);
  }
  std::string root() const { return kSharedTables + "/" + GetParam().table; }
  std::string commit(int64_t v) const {
    char name[32];
    std::snprintf(name, sizeof name, "%020lld.json", static_cast<long long>(v));
    return root() + "/_delta_log/" + name;
  }
  // Rows of one column of a query over commit v's actions (column `json`).
  std::vector<std::string> actions(int64_t v, const std::string& select, const std::string& where) {
    return text_rows(*session_, "SELECT " + select + " FROM read_json_objects(" + quote_literal(commit(v)) +
                                    ", format = 'newline_delimited') WHERE " + where);
  }
  std::string files_list(const std::vector<std::string>& rel) const {
    std::string out = "[";
    for (const auto& p : rel) out += (out.size() > 1 ? ", " : "") + quote_literal(root() + "/" + p);
    return out + "]";
  }
  std::unique_ptr<Session> session_;
};

TEST_P(ChangeFeedConformance, FeedOfWholeRangeMatchesLogAndFiles) {
  std::vector<std::string> latest_files;
  for (const auto& e : std::filesystem::directory_iterator(root() + "/_delta_log")) {
    if (e.path().extension() == ".json") latest_files.push_back(e.path().string());
  }
  int64_t last = int64_t(latest_files.size()) - 1 + GetParam().from;
  ASSERT_TRUE(std::filesystem::exists(commit(last)));
  // Column names from the schema of the last metaData in the log (every table here has one in
  // a commit file still present, or the checkpoint: read both).
  auto names = text_rows(*session_,
                         "SELECT unnest(json_extract_string(json_extract_string(json, "
                         "'$.metaData.schemaString'), '$.fields[*].name')) FROM read_json_objects(" +
                             quote_literal(root() + "/_delta_log/*.json") +
                             ", format = 'newline_delimited') WHERE (json->'metaData') IS NOT NULL "
                             "QUALIFY row_number() OVER (ORDER BY filename DESC) = 1");
  if (names.empty()) {  // metadata only in the checkpoint
    names = text_rows(*session_,
                      "SELECT unnest(json_extract_string(metaData.schemaString, '$.fields[*].name')) "
                      "FROM read_parquet(" +
                          quote_literal(root() + "/_delta_log/*.checkpoint.parquet") +
                          ") WHERE metaData IS NOT NULL");
  }
  ASSERT_FALSE(names.empty());
  std::string cols;
  for (const auto& n : names) cols += "CAST(" + quote_ident(n) + " AS VARCHAR), ";

  std::string expected;
  auto part = [&](const std::string& sql) { expected += (expected.empty() ? "" : " UNION ALL ") + sql; };
  for (int64_t v = GetParam().from; v <= last; v++) {
    std::string ver = std::to_string(v);
    auto cdc = actions(v, "json->'cdc'->>'path'", "(json->'cdc') IS NOT NULL");
    if (!cdc.empty()) {
      part("SELECT " + cols + "_change_type, " + ver + " FROM read_parquet(" + files_list(cdc) +
           ", hive_partitioning = true, union_by_name = true)");
      continue;
    }
    auto dc = "(json->'X'->>'dataChange')::BOOLEAN";
    auto adds = actions(v, "json->'add'->>'path' || '|' || coalesce(json->'add'->>'deletionVector', 'null')",
                        "(json->'add') IS NOT NULL AND " + std::regex_replace(dc, std::regex("X"), "add"));
    auto removes =
        actions(v, "json->'remove'->>'path'",
                "(json->'remove') IS NOT NULL AND " + std::regex_replace(dc, std::regex("X"), "remove") +
                    " AND coalesce(json->'remove'->>'deletionVector', 'null') = 'null'");
    auto predicate = actions(v,
                             "regexp_replace(json->'commitInfo'->'operationParameters'->>'predicate', "
                             "'#[0-9]+', '', 'g')",
                             "(json->'commitInfo') IS NOT NULL");
    std::vector<std::string> inserted;
    std::set<std::string> redeleted;  // removed without a DV, re-added with one
    for (const auto& a : adds) {
      auto bar = a.find('|');
      std::string path = a.substr(0, bar);
      if (a.substr(bar + 1) == "null") {
        inserted.push_back(path);
      } else {
        ASSERT_NE(std::find(removes.begin(), removes.end(), path), removes.end())
            << "unpaired DV add " << path;
        redeleted.insert(path);
      }
    }
    if (!inserted.empty())
      part("SELECT " + cols + "'insert', " + ver + " FROM read_parquet(" + files_list(inserted) +
           ", hive_partitioning = true, union_by_name = true)");
    for (const auto& r : removes) {
      std::string where;
      if (redeleted.count(r)) {
        ASSERT_EQ(predicate.size(), 1u);
        // ["(id = 3)"] -> (id = 3)
        auto p = text_rows(*session_, "SELECT string_agg(x, ' AND ') FROM (SELECT unnest(from_json(" +
                                          quote_literal(predicate[0]) + ", '[\"VARCHAR\"]')) AS x)");
        where = " WHERE " + p[0];
      }
      part("SELECT " + cols + "'delete', " + ver + " FROM read_parquet(" + files_list({r}) +
           ", hive_partitioning = true)" + where);
    }
  }
  ASSERT_FALSE(expected.empty());
  std::string got_cols;
  for (const auto& n : names) got_cols += "CAST(" + quote_ident(n) + " AS VARCHAR), ";
  auto want = sorted_rows(*session_, expected);
  ASSERT_EQ(want.front().rfind("error", 0), std::string::npos) << want.front();
  auto sql =
      *session_->expand_sql("SELECT " + got_cols + "_change_type, _commit_version FROM table_changes(" +
                            quote_literal(root()) + ", " + std::to_string(GetParam().from) + ")");
  EXPECT_EQ(sorted_rows(*session_, sql), want);

  // One commit timestamp per version, increasing with the version.
  sql = *session_->expand_sql(
      "SELECT count(*) FROM (SELECT _commit_version, min(_commit_timestamp) AS lo, max(_commit_timestamp) AS "
      "hi "
      "FROM table_changes(" +
      quote_literal(root()) + ", " + std::to_string(GetParam().from) +
      ") GROUP BY 1) WHERE lo <> hi OR lo <= (SELECT max(_commit_timestamp) FROM table_changes(" +
      quote_literal(root()) + ", " + std::to_string(GetParam().from) +
      ") AS t2 WHERE t2._commit_version < _commit_version)");
  EXPECT_EQ(text_rows(*session_, sql), std::vector<std::string>{"0"});
}

INSTANTIATE_TEST_SUITE_P(Tables, ChangeFeedConformance,
                         ::testing::Values(FeedCase{"cdf-table", 0}, FeedCase{"cdf-table-non-partitioned", 0},
                                           FeedCase{"cdf-table-with-cdc-and-dvs", 0},
                                           FeedCase{"checkpoint-cdf-table", 3},
                                           FeedCase{"simple_table_with_cdc", 0},
                                           FeedCase{"cdc_ict_table", 0}),
                         [](const auto& info) {
                           std::string n = info.param.table;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// With in-commit timestamps, _commit_timestamp is the commitInfo's inCommitTimestamp (here not
// even increasing: version 1's is years before version 0's), for every version with data changes.
TEST(ChangeFeedTimestamps, InCommitTimestampsAreUsed) {
  REQUIRE_SHARED_TABLES();
  auto s = Session::open();
  ASSERT_TRUE(s.ok());
  std::string root = kSharedTables + "/cdc_ict_table";
  auto want =
      sorted_rows(**s,
                  "SELECT CAST(regexp_extract(filename, '([0-9]+)\\.json$', 1) AS BIGINT), "
                  "json->'commitInfo'->>'inCommitTimestamp' FROM read_json_objects(" +
                      quote_literal(root + "/_delta_log/*.json") +
                      ", format = 'newline_delimited', filename = true) WHERE (json->'commitInfo') "
                      "IS NOT NULL AND filename IN (SELECT filename FROM read_json_objects(" +
                      quote_literal(root + "/_delta_log/*.json") +
                      ", format = 'newline_delimited', filename = true) WHERE (json->'add') IS NOT NULL "
                      "OR (json->'remove') IS NOT NULL OR (json->'cdc') IS NOT NULL)");
  auto sql =
      *(*s)->expand_sql("SELECT DISTINCT _commit_version, epoch_ms(_commit_timestamp) FROM table_changes(" +
                        quote_literal(root) + ", 0)");
  auto got = sorted_rows(**s, sql);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace silt
