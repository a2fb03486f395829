// util/sql_text's subquery(): what it returns, and that DuckDB runs it where the bare query
// would break the enclosing statement (a trailing -- comment, a trailing semicolon).
#include "util/sql_text.h"

#include <gtest/gtest.h>

#include "scan/session.h"

namespace silt {
namespace {

TEST(Subquery, ParenthesizesOnANewLineWithoutTrailingSemicolons) {
  EXPECT_EQ(subquery("SELECT 1"), "(SELECT 1\n)");
  EXPECT_EQ(subquery("SELECT 1 ;; \n"), "(SELECT 1\n)");
  EXPECT_EQ(subquery("SELECT 1 -- one"), "(SELECT 1 -- one\n)");
}

TEST(Subquery, DuckDbReadsQueriesEndingInACommentOrSemicolon) {
  auto session = Session::open();
  ASSERT_TRUE(session.ok());
  for (const char* q : {"SELECT 7 AS x -- the answer", "SELECT 7 AS x;", "SELECT 7 AS x\n-- done\n"}) {
    auto rows = (*session)->connection().query_text(q);  // wraps its query with subquery()
    ASSERT_TRUE(rows.ok()) << q << ": " << rows.error().message();
    ASSERT_EQ(rows->size(), 1u) << q;
    EXPECT_EQ((*rows)[0][0].value_or(""), "7") << q;
  }
}

}  // namespace
}  // namespace silt
