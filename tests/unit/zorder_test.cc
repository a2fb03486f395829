// Z-order keys computed by DuckDB from zorder_keyed()'s SQL, against keys interleaved by hand.
#include "ops/zorder.h"

#include <gtest/gtest.h>

#include "../support/query_rows.h"
#include "scan/session.h"

namespace silt::ops {
namespace {

using silt::testing::text_rows;

// The rows with their keys; the SQL and the C++ interleaving must agree, else an error line.
std::vector<std::string> keys(Session& s, const std::string& rows, const std::vector<std::string>& columns) {
  if (auto st = register_zorder_key_function(s.connection()); !st.ok())
    return {"error: " + st.error().message()};
  std::vector<std::string> out[2];
  for (auto method : {ZOrderKeyMethod::Sql, ZOrderKeyMethod::Function}) {
    auto sql = zorder_keyed("(" + rows + ")", columns, method);
    if (!sql.ok()) return {"error: " + sql.error().message()};
    out[int(method)] =
        text_rows(s, "SELECT x, y, " + std::string(kZOrderKey) + " FROM (" + *sql + ") ORDER BY x, y");
  }
  if (out[0] != out[1]) return {"error: the SQL and function keys differ", out[1].empty() ? "" : out[1][0]};
  return out[0];
}

TEST(ZOrder, KeysInterleaveRankBitsWithTheFirstColumnLeading) {
  auto s = std::move(Session::open().value());
  EXPECT_EQ(zorder_key_bits(2), 40);
  // Four rows, ranks 0..3 in each column: buckets (rank * 2^20 / 4) keep their two top bits at
  // bits 19 and 18, so the key is the 4-bit Morton code x1 y1 x0 y0 shifted left by 36.
  std::string rows = "SELECT * FROM (VALUES (10, 'd'), (20, 'c'), (30, 'b'), (40, 'a')) t(x, y)";
  auto k = [](int morton) { return std::to_string(int64_t(morton) << 36); };
  EXPECT_EQ(keys(*s, rows, {"x", "y"}), (std::vector<std::string>{"10|d|" + k(0b0101), "20|c|" + k(0b0110),
                                                                  "30|b|" + k(0b1001), "40|a|" + k(0b1010)}));
  // y leading: y1 x1 y0 x0.
  EXPECT_EQ(keys(*s, rows, {"y", "x"}), (std::vector<std::string>{"10|d|" + k(0b1010), "20|c|" + k(0b1001),
                                                                  "30|b|" + k(0b0110), "40|a|" + k(0b0101)}));
}

TEST(ZOrder, TiesShareARankAndNullsSortLast) {
  auto s = std::move(Session::open().value());
  // x ranks 0, 0, 2, 3 (a tie, then NULL last); y ranks 0..3.
  std::string rows = "SELECT * FROM (VALUES (1, 1), (1, 2), (5, 3), (NULL, 4)) t(x, y)";
  auto k = [](int morton) { return std::to_string(int64_t(morton) << 36); };
  EXPECT_EQ(keys(*s, rows, {"x", "y"}),
            (std::vector<std::string>{"1|1|" + k(0b0000), "1|2|" + k(0b0001), "5|3|" + k(0b1100),
                                      "NULL|4|" + k(0b1111)}));
}

TEST(ZOrder, SqlAndFunctionKeysAgreeOnManyRowsAndColumns) {
  auto s = std::move(Session::open().value());
  ASSERT_TRUE(register_zorder_key_function(s->connection()).ok());
  ASSERT_TRUE(register_zorder_key_function(s->connection()).ok());  // twice is fine
  std::string rows = "(SELECT i AS a, hash(i, 1) % 977 AS b, hash(i, 2) % 13 AS c FROM range(5000) r(i))";
  for (std::vector<std::string> cols : {std::vector<std::string>{"a"}, {"a", "b"}, {"c", "b", "a"}}) {
    auto by_sql = zorder_keyed(rows, cols, ZOrderKeyMethod::Sql);
    auto by_function = zorder_keyed(rows, cols, ZOrderKeyMethod::Function);
    ASSERT_TRUE(by_sql.ok() && by_function.ok());
    auto differ =
        text_rows(*s, "SELECT count(*) FROM (SELECT a, " + std::string(kZOrderKey) + " FROM (" + *by_sql +
                          ") EXCEPT ALL SELECT a, " + kZOrderKey + " FROM (" + *by_function + "))");
    EXPECT_EQ(differ, std::vector<std::string>{"0"}) << cols.size() << " columns";
  }
}

TEST(ZOrder, ColumnCountIsChecked) {
  EXPECT_FALSE(zorder_keyed("t", {}).ok());
  EXPECT_FALSE(zorder_keyed("t", std::vector<std::string>(kMaxZOrderColumns + 1, "c")).ok());
  EXPECT_TRUE(zorder_keyed("t", std::vector<std::string>(kMaxZOrderColumns, "c")).ok());
}

}  // namespace
}  // namespace silt::ops
