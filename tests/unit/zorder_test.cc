// Z-order keys computed by DuckDB from zorder_keyed()'s SQL, against keys interleaved by hand.
#include "ops/zorder.h"

#include <gtest/gtest.h>

#include "../support/query_rows.h"
#include "scan/session.h"

namespace silt::ops {
namespace {

using silt::testing::text_rows;

std::vector<std::string> keys(Session& s, const std::string& rows, const std::vector<std::string>& columns) {
  auto sql = zorder_keyed("(" + rows + ")", columns);
  if (!sql.ok()) return {"error: " + sql.error().message()};
  return text_rows(s, "SELECT x, y, " + std::string(kZOrderKey) + " FROM (" + *sql + ") ORDER BY x, y");
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

TEST(ZOrder, ColumnCountIsChecked) {
  EXPECT_FALSE(zorder_keyed("t", {}).ok());
  EXPECT_FALSE(zorder_keyed("t", std::vector<std::string>(kMaxZOrderColumns + 1, "c")).ok());
  EXPECT_TRUE(zorder_keyed("t", std::vector<std::string>(kMaxZOrderColumns, "c")).ok());
}

}  // namespace
}  // namespace silt::ops
