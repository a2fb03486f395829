// sources/decimal_text against DuckDB's own VARCHAR -> DECIMAL cast, run in a real DuckDB as the
// oracle: hand-picked edge cases (signs, leading zeros, rounding at .5, the widths of each
// storage type, overflow by digits and by rounding) and seeded random plain texts, for several
// DECIMAL(w,s); then the double shortcut against printing the double with std::to_chars.
#include "sources/decimal_text.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "duckdb/engine.h"

using silt::sources::DecimalText;
using silt::sources::read_double_as_decimal;
using silt::sources::read_plain_decimal;

namespace {

struct DecimalType {
  int width, scale;
};
// One of each storage (int16, int32, int64, int128), the widest scales and no fraction.
const std::vector<DecimalType> kTypes = {{4, 2},  {1, 0},  {5, 5},   {9, 3},  {10, 2}, {18, 4},
                                         {18, 0}, {19, 4}, {38, 10}, {38, 0}, {38, 38}};

// `unscaled` / 10^scale as DuckDB prints a DECIMAL(width, scale): "-1.50", "0.05", "12"; with
// no integer digits at all (width == scale) without the 0: ".50000".
std::string decimal_string(__int128 unscaled, int width, int scale) {
  bool negative = unscaled < 0;
  unsigned __int128 u = negative ? -(unsigned __int128)unscaled : (unsigned __int128)unscaled;
  std::string digits;
  do {
    digits.insert(digits.begin(), char('0' + int(u % 10)));
    u /= 10;
  } while (u);
  if (scale > 0) {
    size_t integer_digits = width == scale ? 0 : 1;
    if (digits.size() < size_t(scale) + integer_digits)
      digits.insert(0, size_t(scale) + integer_digits - digits.size(), '0');
    digits.insert(digits.size() - size_t(scale), ".");
  }
  return (negative ? "-" : "") + digits;
}

class DecimalOracle : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(silt::db::Database::open_in_memory().value());
    conn_ = std::move(silt::db::Connection::open(*db_).value());
  }

  // DuckDB's TRY_CAST of each text (NULL when the cast fails), as DuckDB prints the value.
  std::vector<std::optional<std::string>> duckdb_casts(const std::vector<std::string>& texts, DecimalType t) {
    EXPECT_TRUE(conn_->execute("CREATE OR REPLACE TEMP TABLE texts (i BIGINT, t VARCHAR)").ok());
    auto app = silt::db::Appender::open(*conn_, "texts");
    EXPECT_TRUE(app.ok());
    for (size_t i = 0; i < texts.size(); i++) {
      app->append(int64_t(i));
      app->append(texts[i]);
      EXPECT_TRUE(app->end_row().ok());
    }
    EXPECT_TRUE(app->flush().ok());
    auto rows = conn_->query_text("SELECT TRY_CAST(t AS DECIMAL(" + std::to_string(t.width) + "," +
                                  std::to_string(t.scale) + ")) FROM texts ORDER BY i");
    EXPECT_TRUE(rows.ok()) << rows.error().message();
    std::vector<std::optional<std::string>> out;
    for (auto& row : *rows) out.push_back(row[0]);
    return out;
  }

  // Every text read here (Read or OutOfRange) must agree with DuckDB. Returns how many were.
  int expect_agrees(const std::vector<std::string>& texts) {
    int decided = 0;
    for (DecimalType t : kTypes) {
      auto oracle = duckdb_casts(texts, t);
      for (size_t i = 0; i < texts.size(); i++) {
        __int128 v = 0;
        DecimalText got = read_plain_decimal(texts[i], t.width, t.scale, v);
        std::string what =
            "'" + texts[i] + "' as DECIMAL(" + std::to_string(t.width) + "," + std::to_string(t.scale) + ")";
        if (got == DecimalText::Read) {
          EXPECT_EQ(oracle[i].value_or("NULL"), decimal_string(v, t.width, t.scale)) << what;
          decided++;
        } else if (got == DecimalText::OutOfRange) {
          EXPECT_FALSE(oracle[i].has_value()) << what << ": DuckDB reads " << *oracle[i];
          decided++;
        }
      }
    }
    return decided;
  }

  std::optional<silt::db::Database> db_;
  std::optional<silt::db::Connection> conn_;
};

TEST_F(DecimalOracle, EdgeCasesAgreeWithDuckDbsCast) {
  const std::vector<std::string> texts = {"0",
                                          "-0",
                                          "0.0",
                                          "1",
                                          "-1",
                                          "12.34",
                                          "-12.34",
                                          "0.5",
                                          "-0.5",
                                          "0.05",
                                          "-0.05",
                                          "1.005",
                                          "-1.005",
                                          "1.004999",
                                          "2.5",
                                          "-2.5",
                                          "0.45",
                                          "0.049",
                                          "99.99",
                                          "99.994",
                                          "99.995",
                                          "-99.995",
                                          "99.9949999",
                                          "9",
                                          "9.5",
                                          "10",
                                          "0.99999",
                                          "00000001.50",
                                          "-0007.0",
                                          ".5",
                                          "-.5",
                                          "5.",
                                          "-5.",
                                          "0000",
                                          "0.00000000000000000000000000000000000000000001",
                                          "1.23456789012345678901234567890123456789",
                                          "32767",
                                          "32768",
                                          "99999",
                                          "999999999",
                                          "1000000000",
                                          "2147483647.5",
                                          "9999999999999999.99",
                                          "99999999999999999.995",
                                          "922337203685477.5807",
                                          "9223372036854775807",
                                          "-9223372036854775808",
                                          "99999999999999999999999999999999999999",
                                          "-99999999999999999999999999999999999999",
                                          "99999999999999999999999999999999999999.5",
                                          "9999999999999999999999999999.9999999999",
                                          "9999999999999999999999999999.99999999995",
                                          "170141183460469231731687303715884105727",
                                          "0.12345678901234567890123456789012345678",
                                          "0.99999999999999999999999999999999999999",
                                          "0.999999999999999999999999999999999999995"};
  int decided = expect_agrees(texts);
  EXPECT_EQ(decided, int(texts.size() * kTypes.size())) << "every plain text is decided without DuckDB";
}

TEST_F(DecimalOracle, OtherFormsAreLeftToDuckDb) {
  // Blanks, '+', exponents, separators and words: DuckDB's cast has rules of its own for them.
  for (std::string text :
       {"",    "-",   ".",   "-.",        " 1",   "1 ",    "+1",  "1e2", "1E2", "1.5e-3", "1_000",
        "1,5", "NaN", "inf", "-Infinity", "0x10", "1.2.3", "--1", "1-",  "abc", "1.5\n"}) {
    __int128 v;
    EXPECT_EQ(read_plain_decimal(text, 10, 2, v), DecimalText::NotPlain) << "'" << text << "'";
  }
}

TEST_F(DecimalOracle, RandomPlainTextsAgreeWithDuckDbsCast) {
  std::mt19937_64 rng(20261125);
  std::vector<std::string> texts;
  for (int i = 0; i < 3000; i++) {
    std::string t = rng() % 3 == 0 ? "-" : "";
    int int_digits = int(rng() % 42), frac_digits = int(rng() % 42);
    for (int k = 0; k < int_digits; k++) t += char('0' + (k == 0 && rng() % 4 == 0 ? 0 : rng() % 10));
    if (frac_digits > 0 || int_digits == 0) {
      t += ".";
      for (int k = 0; k < std::max(frac_digits, int_digits == 0 ? 1 : 0); k++) {
        // Runs of 9s and a 5 after them are where rounding carries.
        uint64_t r = rng() % 10;
        t += char(r < 3 ? '9' : r == 3 ? '5' : r == 4 ? '0' : '0' + rng() % 10);
      }
    }
    texts.push_back(t);
  }
  EXPECT_EQ(expect_agrees(texts), int(texts.size() * kTypes.size()));
}

// read_double_as_decimal must give read_plain_decimal(to_chars(v)) whenever it decides.
void expect_double_agrees(double v, int width, int scale, int& decided) {
  __int128 fast = 0, slow = 0;
  DecimalText got = read_double_as_decimal(v, width, scale, fast);
  if (got == DecimalText::NotPlain) return;
  decided++;
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string text(buf, end);
  ASSERT_EQ(read_plain_decimal(text, width, scale, slow), got) << text << " at scale " << scale;
  if (got == DecimalText::Read) {
    EXPECT_EQ(decimal_string(fast, width, scale), decimal_string(slow, width, scale)) << text;
  }
}

TEST(DoubleAsDecimal, AgreesWithItsShortestText) {
  std::mt19937_64 rng(7);
  int decided = 0, money_decided = 0, money_tried = 0;
  for (DecimalType t : kTypes) {
    auto check = [&](double v) { expect_double_agrees(v, t.width, t.scale, decided); };
    // Money-like values (decided whenever they fit), halves past the scale, powers of ten
    // (printed "1e+06", "1e-05").
    for (int i = 0; i < 20000; i++) {
      int64_t k = int64_t(rng() % 2000000) - 1000000;
      if (t.scale <= 22) money_tried++;  // 10^scale is exact as a double up to 10^22
      expect_double_agrees(double(k) / std::pow(10.0, std::min(t.scale, 2)), t.width, t.scale, money_decided);
      check(double(k) / std::pow(10.0, int(rng() % 8)));
      check((double(k) + 0.5) / std::pow(10.0, t.scale));
    }
    for (int e = -30; e <= 30; e++) {
      check(std::pow(10.0, e));
      check(-5 * std::pow(10.0, e));
      check(1.5 * std::pow(10.0, e));
    }
    // Near 2^51, where the shortcut stops, and arbitrary bit patterns.
    for (double v : {0x1p51, 0x1p51 - 1, 0x1p52, 0x1p53 + 2, 4503599627370495.5, 1e15, 1e16, 123456789012.34,
                     0.0, -0.0, 0.1, 0.2, 0.3, 1.0 / 3, 2.675, 1.005, 1e-300, 5e-324})
      check(v);
    for (int i = 0; i < 20000; i++) {
      uint64_t bits = rng();
      double v;
      std::memcpy(&v, &bits, sizeof v);
      check(v);
    }
  }
  EXPECT_GT(decided, 0);
  // All but the few printed in scientific form, like 5e+05.
  EXPECT_GT(money_decided, money_tried * 99 / 100) << "the shortcut decides values of the column's scale";
  __int128 v;
  ASSERT_EQ(read_double_as_decimal(61.51, 10, 2, v), DecimalText::Read);
  EXPECT_EQ(int64_t(v), 6151);
  EXPECT_EQ(read_double_as_decimal(1e9, 10, 2, v), DecimalText::NotPlain) << "printed 1e+09";
  EXPECT_EQ(read_double_as_decimal(123456789.5, 10, 2, v), DecimalText::OutOfRange);
  EXPECT_EQ(read_double_as_decimal(0.125, 10, 2, v), DecimalText::NotPlain) << "rounds: left to the text";
  EXPECT_EQ(read_double_as_decimal(NAN, 10, 2, v), DecimalText::NotPlain);
}

TEST_F(DecimalOracle, DoublesAgreeWithDuckDbsCastOfTheirText) {
  std::mt19937_64 rng(11);
  std::vector<double> values;
  for (int i = 0; i < 2000; i++) values.push_back(double(int64_t(rng() % 20000000) - 10000000) / 100.0);
  for (int i = 0; i < 500; i++) values.push_back(double(int64_t(rng() % 2000)) / 1000.0);
  std::vector<std::string> texts;
  for (double v : values) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    texts.emplace_back(buf, end);
  }
  for (DecimalType t : {DecimalType{10, 2}, DecimalType{6, 1}, DecimalType{18, 4}, DecimalType{38, 3}}) {
    auto oracle = duckdb_casts(texts, t);
    for (size_t i = 0; i < values.size(); i++) {
      __int128 v = 0;
      DecimalText got = read_double_as_decimal(values[i], t.width, t.scale, v);
      if (got == DecimalText::Read) {
        EXPECT_EQ(oracle[i].value_or("NULL"), decimal_string(v, t.width, t.scale)) << texts[i];
      } else if (got == DecimalText::OutOfRange) {
        EXPECT_FALSE(oracle[i].has_value()) << texts[i];
      }
    }
  }
}

}  // namespace
