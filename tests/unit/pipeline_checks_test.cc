// Pipeline checks: parsing, and failing-row counts on a small table whose answers are counted
// by hand.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>

#include "pipeline/checks.h"
#include "scan/session.h"

namespace silt::pipeline {
namespace {

class PipelineChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Session::open();
    ASSERT_TRUE(s.ok());
    session_ = std::move(*s);
    // id 2 twice, one NULL status, one status outside the accepted set, one negative amount.
    ASSERT_TRUE(session_->connection()
                    .execute("CREATE TEMP TABLE self AS SELECT * FROM (VALUES "
                             "(1, 'open', 10.0, now()::TIMESTAMP), (2, 'paid', -5.0, now()::TIMESTAMP), "
                             "(2, NULL, 7.0, now()::TIMESTAMP - INTERVAL 10 DAY), (3, 'void', 1.0, NULL)) "
                             "t(id, status, amount, updated_at)")
                    .ok());
  }
  CheckResult run(const std::string& text) {
    auto check = parse_check(text);
    EXPECT_TRUE(check.ok()) << check.error().message();
    auto results = run_checks(session_->connection(), {*check});
    EXPECT_TRUE(results.ok()) << results.error().message();
    return results->at(0);
  }
  std::unique_ptr<Session> session_;
};

TEST_F(PipelineChecks, CountsFailingRows) {
  EXPECT_TRUE(run("not_null(id)").passed);
  auto nulls = run("not_null(status)");
  EXPECT_FALSE(nulls.passed);
  EXPECT_EQ(nulls.value, 1);
  auto dup = run("unique(id)");
  EXPECT_FALSE(dup.passed);
  EXPECT_EQ(dup.value, 2);  // both rows with id 2
  EXPECT_TRUE(run("unique(id, status)").passed);
  auto values = run("accepted_values(status, 'open', 'paid')");
  EXPECT_EQ(values.value, 1);  // 'void'; NULL is not_null's business
  EXPECT_TRUE(run("accepted_values(status, 'open', 'paid', 'void')").passed);
  auto negative = run("sql(SELECT * FROM self WHERE amount < 0)");
  EXPECT_EQ(negative.value, 1);
  EXPECT_FALSE(negative.passed);
}

TEST_F(PipelineChecks, RowCountAndFreshness) {
  auto count = run("row_count(min=1, max=4)");
  EXPECT_TRUE(count.passed);
  EXPECT_EQ(count.value, 4);
  EXPECT_FALSE(run("row_count(min=5)").passed);
  EXPECT_FALSE(run("row_count(max=3)").passed);
  EXPECT_TRUE(run("freshness(updated_at, 2 days)").passed);  // the newest row is now
  ASSERT_TRUE(session_->connection()
                  .execute("DELETE FROM self WHERE updated_at > now()::TIMESTAMP - INTERVAL 1 DAY")
                  .ok());
  EXPECT_FALSE(run("freshness(updated_at, 2 days)").passed);  // only the 10-day-old row is left
}

TEST_F(PipelineChecks, WarnChecksDoNotBlock) {
  auto warn = run("warn unique(id)");
  EXPECT_FALSE(warn.passed);
  EXPECT_FALSE(warn.blocking);
  EXPECT_EQ(checks_json({warn}),
            R"j([{"check":"warn unique(id)","passed":false,"blocking":false,"value":2}])j");
}

TEST_F(PipelineChecks, ParseErrorsNameTheCheck) {
  for (const char* bad : {"unique()", "row_count(least=3)", "accepted_values(status)",
                          "freshness(updated_at)", "not_null", "sql()", "not_null(id); x"}) {
    auto checks = parse_checks(bad);
    EXPECT_FALSE(checks.ok()) << bad;
    if (!checks.ok()) {
      EXPECT_NE(checks.error().message().find("bad check"), std::string::npos) << bad;
    }
  }
  auto list = parse_checks("not_null(id); accepted_values(status, 'a;b', 'c'); ");
  ASSERT_TRUE(list.ok()) << list.error().message();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].text, "accepted_values(status, 'a;b', 'c')");
}

TEST_F(PipelineChecks, BrokenCheckSqlIsAnErrorNotAFailure) {
  auto check = parse_check("not_null(no_such_column)");
  ASSERT_TRUE(check.ok());
  auto results = run_checks(session_->connection(), {*check});
  ASSERT_FALSE(results.ok());
  EXPECT_NE(results.error().message().find("check not_null(no_such_column)"), std::string::npos);
}

// unique(col) on integers may be proven by a bitmap; its value must still be the exact number of
// rows in duplicated groups (NULLs forming one group, as GROUP BY does), counted here in C++.
TEST_F(PipelineChecks, UniqueOnIntegersMatchesACountInCpp) {
  std::mt19937_64 rng(7);
  struct Case {
    const char* type;
    int64_t lo, span;
    int rows, duplicates, nulls;
  };
  const Case cases[] = {{"BIGINT", 1, 5000, 3000, 0, 0},
                        {"BIGINT", 1, 5000, 3000, 1, 0},
                        {"BIGINT", -2000, 9000, 3000, 0, 1},
                        {"BIGINT", -2000, 9000, 3000, 0, 2},
                        {"INTEGER", 100, 100000, 3000, 3, 0},
                        {"SMALLINT", -300, 600, 400, 0, 0},
                        {"SMALLINT", -300, 600, 400, 2, 3},
                        {"UINTEGER", 0, 4000, 2000, 0, 0},
                        {"BIGINT", -(int64_t(1) << 40), int64_t(1) << 41, 3000, 0, 0},  // too wide: exact
                        {"BIGINT", -(int64_t(1) << 40), int64_t(1) << 41, 3000, 2, 0},
                        {"HUGEINT", 1, 5000, 1000, 1, 0},
                        {"BIGINT", 1, 10, 0, 0, 0}};
  for (const Case& c : cases) {
    std::vector<std::optional<int64_t>> values;
    std::map<std::optional<int64_t>, int> groups;
    for (int i = 0; i < c.rows; i++) {
      int64_t v = c.lo + int64_t(rng() % uint64_t(c.span));
      if (groups.count(v)) continue;  // distinct first; duplicates are planted below
      values.push_back(v);
      groups[v]++;
    }
    for (int i = 0; i < c.duplicates && !values.empty(); i++) {
      auto v = values[rng() % values.size()];
      values.push_back(v);
      groups[v]++;
    }
    for (int i = 0; i < c.nulls; i++) {
      values.push_back(std::nullopt);
      groups[std::nullopt]++;
    }
    int64_t expected = 0;
    for (const auto& [v, n] : groups)
      if (n > 1) expected += n;
    std::string rows;
    for (const auto& v : values)
      rows += (rows.empty() ? "(" : ", (") + (v ? std::to_string(*v) : "NULL") + ")";
    std::string sql =
        "CREATE OR REPLACE TEMP TABLE self AS SELECT CAST(k AS " + std::string(c.type) + ") AS k FROM ";
    sql += rows.empty() ? "(SELECT 1 AS k) WHERE false" : "(VALUES " + rows + ") t(k)";
    ASSERT_TRUE(session_->connection().execute(sql).ok()) << c.type;
    auto r = run("unique(k)");
    EXPECT_EQ(r.value, expected) << c.type << " lo " << c.lo << " dups " << c.duplicates << " nulls "
                                 << c.nulls;
    EXPECT_EQ(r.passed, expected == 0);
  }
}

// All aggregate checks share one scan; each still gets its own value, and a broken one among
// good ones is reported by name.
TEST_F(PipelineChecks, ChecksRunTogetherGiveTheirOwnValues) {
  auto list = parse_checks(
      "not_null(status); unique(id); accepted_values(status, 'open', 'paid'); row_count(min=1); "
      "sql(SELECT * FROM self WHERE amount < 0); warn not_null(updated_at)");
  ASSERT_TRUE(list.ok()) << list.error().message();
  auto together = run_checks(session_->connection(), *list);
  ASSERT_TRUE(together.ok()) << together.error().message();
  ASSERT_EQ(together->size(), list->size());
  const int64_t expected[] = {1, 2, 1, 4, 1, 1};
  for (size_t i = 0; i < list->size(); i++) {
    EXPECT_EQ((*together)[i].check, (*list)[i].text);
    EXPECT_EQ((*together)[i].value, expected[i]) << (*list)[i].text;
    EXPECT_EQ((*together)[i].value, run((*list)[i].text).value) << (*list)[i].text;
  }
  auto broken = parse_checks("not_null(id); accepted_values(nope, 1); row_count(min=1)");
  ASSERT_TRUE(broken.ok());
  auto failed = run_checks(session_->connection(), *broken);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message().find("check accepted_values(nope, 1)"), std::string::npos)
      << failed.error().message();
}

}  // namespace
}  // namespace silt::pipeline
