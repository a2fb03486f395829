// Pipeline checks: parsing, and failing-row counts on a small table whose answers are counted
// by hand.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace silt::pipeline
