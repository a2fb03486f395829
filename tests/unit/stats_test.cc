// Tests for per-file statistics parsing, data skipping and predicate extraction from DuckDB's
// json_serialize_sql. Expected values are worked out by hand from the inputs shown here.
// Real stats come from the shared delta-rs conformance tables (skipped if absent, unless CI=true).
#include <duckdb.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "delta/stats/file_stats.h"
#include "delta/stats/skipping.h"

namespace silt::delta {
namespace {

namespace fs = std::filesystem;
using Op = ColumnPredicate::Op;

// ---------------------------------------------------------------------------------------------
// Helpers

FileStats parse_ok(std::string_view json) {
  Result<FileStats> r = parse_file_stats(json);
  EXPECT_TRUE(r.ok()) << json << ": " << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(r).value() : FileStats{};
}

const ColumnStats& col(const FileStats& s, const ColumnPath& path) {
  const ColumnStats* c = s.find(path);
  EXPECT_NE(c, nullptr) << "no stats for " << path.back();
  static const ColumnStats kNone;
  return c ? *c : kNone;
}

ColumnPredicate cmp(ColumnPath column, Op op, Literal lit) {
  return {std::move(column), op, {std::move(lit)}};
}
ColumnPredicate test(ColumnPath column, Op op) { return {std::move(column), op, {}}; }
Predicate all_of(std::vector<ColumnPredicate> c) { return Predicate{std::move(c), {}}; }

Literal i(int64_t v) { return Literal::integer(v); }
Literal d(double v) { return Literal::real(v); }
Literal dec(std::string v) { return Literal::decimal(std::move(v)); }
Literal s(std::string v) { return Literal::string(std::move(v)); }
Literal date(std::string v) { return Literal::date(std::move(v)); }
Literal ts(std::string v) { return Literal::timestamp(std::move(v)); }

std::optional<fs::path> conformance_dir() {
  fs::path dir = fs::path(SILT_SOURCE_DIR) / ".." / "shared" / "conformance" / "delta-rs";
  if (fs::is_directory(dir)) return dir;
  return std::nullopt;
}

#define REQUIRE_CONFORMANCE(dir)                                                 \
  auto dir##_opt = conformance_dir();                                            \
  if (!dir##_opt) {                                                              \
    const char* ci = std::getenv("CI");                                          \
    if (ci && std::string(ci) == "true") FAIL() << "conformance tables missing"; \
    GTEST_SKIP() << "conformance tables missing";                                \
  }                                                                              \
  const fs::path dir = *dir##_opt

// The add.stats strings of one table's JSON commits, in commit order.
std::vector<std::string> add_stats(const fs::path& table) {
  std::vector<fs::path> commits;
  for (const auto& e : fs::directory_iterator(table / "_delta_log")) {
    if (e.path().extension() == ".json") commits.push_back(e.path());
  }
  std::sort(commits.begin(), commits.end());
  std::vector<std::string> out;
  simdjson::dom::parser parser;
  for (const fs::path& commit : commits) {
    std::ifstream in(commit);
    std::string line;
    while (std::getline(in, line)) {
      simdjson::dom::element doc;
      std::string_view stats;
      if (parser.parse(line).get(doc) || doc["add"]["stats"].get_string().get(stats)) continue;
      out.emplace_back(stats);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing

constexpr std::string_view kStructStats =
    R"({"numRecords":1,"minValues":{"integer":0,"double":1.234,"decimal":-5.67800,"string":"string",)"
    R"("date":"2022-10-24","timestamp":"2022-10-24T22:59:32.846Z","struct":{"struct_element":"struct_value"},)"
    R"("nested_struct":{"struct_element":{"nested_struct_element":"nested_struct_value"}}},"maxValues":)"
    R"({"integer":0,"double":1.234,"decimal":-5.67800,"string":"string","date":"2022-10-24",)"
    R"("timestamp":"2022-10-24T22:59:32.846Z","struct":{"struct_element":"struct_value"},"nested_struct":)"
    R"({"struct_element":{"nested_struct_element":"nested_struct_value"}}},"nullCount":{"integer":0,)"
    R"("null":1,"boolean":0,"double":0,"decimal":0,"string":0,"binary":0,"date":0,"timestamp":0,"struct":)"
    R"({"struct_element":0},"map":0,"array":0,"nested_struct":{"struct_element":{"nested_struct_element":0}},)"
    R"("struct_of_array_of_map":{"struct_element":0}}})";

TEST(StatsParse, KeepsJsonTokenTypesAndNesting) {
  FileStats st = parse_ok(kStructStats);
  EXPECT_EQ(st.num_records, 1);
  EXPECT_FALSE(st.tight_bounds.has_value());
  EXPECT_TRUE(st.bounds_are_tight());
  EXPECT_EQ(col(st, {"integer"}).min, StatValue(int64_t(0)));
  EXPECT_EQ(col(st, {"double"}).max, StatValue(1.234));
  EXPECT_EQ(col(st, {"decimal"}).min, StatValue(-5.678));
  EXPECT_EQ(col(st, {"string"}).min, StatValue(std::string("string")));
  EXPECT_EQ(col(st, {"date"}).max, StatValue(std::string("2022-10-24")));
  EXPECT_EQ(col(st, {"timestamp"}).min, StatValue(std::string("2022-10-24T22:59:32.846Z")));
  EXPECT_EQ(col(st, {"struct", "struct_element"}).max, StatValue(std::string("struct_value")));
  const ColumnStats& deep = col(st, {"nested_struct", "struct_element", "nested_struct_element"});
  EXPECT_EQ(deep.min, StatValue(std::string("nested_struct_value")));
  EXPECT_EQ(deep.null_count, 0);
  EXPECT_EQ(col(st, {"null"}).null_count, 1);
  EXPECT_FALSE(col(st, {"null"}).min.has_value());
  EXPECT_EQ(col(st, {"binary"}).null_count, 0);
  EXPECT_EQ(col(st, {"struct_of_array_of_map", "struct_element"}).null_count, 0);
  EXPECT_EQ(st.find({"struct"}), nullptr);  // a struct is not a leaf
  EXPECT_EQ(st.find({"nope"}), nullptr);
  EXPECT_EQ(st.columns.size(), 14u);  // 8 leaves with min/max/nullCount + 6 with nullCount only
}

TEST(StatsParse, WantedColumnsOnly) {
  std::vector<ColumnPath> wanted = {{"struct", "struct_element"}, {"integer"}, {"missing"}};
  Result<FileStats> r = parse_file_stats(kStructStats, wanted);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->num_records, 1);
  ASSERT_EQ(r->columns.size(), 2u);
  EXPECT_EQ(r->columns[0].path, (ColumnPath{"integer"}));
  EXPECT_EQ(r->columns[0].null_count, 0);
  EXPECT_EQ(r->columns[1].path, (ColumnPath{"struct", "struct_element"}));
  EXPECT_EQ(r->columns[1].min, StatValue(std::string("struct_value")));
  // A wanted path that names a struct keeps nothing: only leaves carry statistics.
  std::vector<ColumnPath> parent = {{"nested_struct"}};
  EXPECT_TRUE(parse_file_stats(kStructStats, parent)->columns.empty());
}

TEST(StatsParse, MissingSectionsAndNulls) {
  EXPECT_TRUE(parse_ok("").columns.empty());
  EXPECT_FALSE(parse_ok("  ").num_records.has_value());
  EXPECT_FALSE(parse_ok("{}").num_records.has_value());
  FileStats only_count = parse_ok(R"({"numRecords":7})");
  EXPECT_EQ(only_count.num_records, 7);
  EXPECT_TRUE(only_count.columns.empty());

  FileStats st =
      parse_ok(R"({"numRecords":null,"tightBounds":false,"minValues":{"a":null,"b":{"c":null},)"
               R"("e":[1,2]},"maxValues":null,"nullCount":{"a":3,"b":{"c":null}},"future":{"x":1}})");
  EXPECT_FALSE(st.num_records.has_value());
  EXPECT_EQ(st.tight_bounds, false);
  EXPECT_FALSE(st.bounds_are_tight());
  ASSERT_EQ(st.columns.size(), 1u);
  EXPECT_EQ(st.columns[0].path, (ColumnPath{"a"}));
  EXPECT_EQ(st.columns[0].null_count, 3);
  EXPECT_FALSE(st.columns[0].min.has_value());
}

TEST(StatsParse, NumbersEscapesAndBooleans) {
  FileStats st = parse_ok(R"({"minValues":{"big":123456789012345678901234567890,"u":18446744073709551615,)"
                          R"("neg":-9223372036854775808,"exp":1e3,"b":true,"k\"ey":"a\u00e9\n"}})");
  EXPECT_EQ(col(st, {"big"}).min, StatValue(123456789012345678901234567890.0));
  EXPECT_EQ(col(st, {"u"}).min, StatValue(18446744073709551615.0));
  EXPECT_EQ(col(st, {"neg"}).min, StatValue(INT64_MIN));
  EXPECT_EQ(col(st, {"exp"}).min, StatValue(1000.0));
  EXPECT_EQ(col(st, {"b"}).min, StatValue(true));
  EXPECT_EQ(col(st, {"k\"ey"}).min, StatValue(std::string("a\xc3\xa9\n")));
}

TEST(StatsParse, MalformedIsCorruption) {
  for (std::string_view bad :
       {R"({"numRecords":1,)", R"([1,2])", "not json", R"({"numRecords":"1"})", R"({"numRecords":1.5})",
        R"({"tightBounds":1})", R"({"minValues":5})", R"({"nullCount":{"a":"x"}})",
        R"({"nullCount":{"a":1.5}})", R"({"numRecords":1} x)", R"({"minValues":{"a":1)",
        R"({"minValues":{"a":tru}})"}) {
    Result<FileStats> r = parse_file_stats(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind(), ErrorKind::Corruption) << bad;
  }
}

TEST(StatsParse, ReusableParserAndFind) {
  FileStatsParser parser;
  for (int n = 0; n < 3; n++) {
    std::string json = R"({"numRecords":)" + std::to_string(n) + R"(,"minValues":{"z":1,"a":{"b":2},"m":3}})";
    Result<FileStats> r = parser.parse(json);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->num_records, n);
    ASSERT_NE(r->find({"a", "b"}), nullptr);
    EXPECT_EQ(r->find({"a", "b"})->min, StatValue(int64_t(2)));
    EXPECT_EQ(r->find({"m"})->min, StatValue(int64_t(3)));
    EXPECT_EQ(r->find({"a"}), nullptr);
  }
}

TEST(StatsConformance, OnlyStructStats) {
  REQUIRE_CONFORMANCE(dir);
  std::vector<std::string> stats = add_stats(dir / "delta-1.2.1-only-struct-stats");
  ASSERT_EQ(stats.size(), 12u);  // commits 1..12, one add each
  for (size_t n = 0; n < stats.size(); n++) {
    FileStats st = parse_ok(stats[n]);
    EXPECT_EQ(col(st, {"integer"}).min, StatValue(int64_t(n)));
    EXPECT_EQ(col(st, {"integer"}).max, StatValue(int64_t(n)));
    EXPECT_EQ(col(st, {"decimal"}).max, StatValue(-5.678));
    EXPECT_EQ(col(st, {"null"}).null_count, 1);
    EXPECT_EQ(st.find({"new_column"}) != nullptr, n == 9) << n;  // only commit 10 has it
  }
  EXPECT_EQ(col(parse_ok(stats[0]), {"timestamp"}).min, StatValue(std::string("2022-10-24T22:59:32.846Z")));
  EXPECT_EQ(col(parse_ok(stats[11]), {"timestamp"}).max, StatValue(std::string("2022-10-24T22:59:46.083Z")));
}

TEST(StatsConformance, NullStatsInNotNullStruct) {
  REQUIRE_CONFORMANCE(dir);
  std::vector<std::string> stats = add_stats(dir / "table_with_null_stats_in_notnull_struct");
  ASSERT_EQ(stats.size(), 2u);
  FileStats a = parse_ok(stats[0]), b = parse_ok(stats[1]);
  EXPECT_EQ(col(a, {"s", "l"}).min, StatValue(int64_t(10)));
  EXPECT_EQ(col(b, {"s", "l"}).max, StatValue(int64_t(20)));
  EXPECT_EQ(col(a, {"s", "b"}).null_count, 0);
  EXPECT_FALSE(col(a, {"s", "b"}).min.has_value());

  // s.l = 20 can only be in the second file.
  SkippingFilter f(all_of({cmp({"s", "l"}, Op::Eq, i(20))}), {{{"s", "l"}, StatKind::Int}});
  EXPECT_FALSE(f.may_contain_match(a));
  EXPECT_TRUE(f.may_contain_match(b));
}

TEST(StatsConformance, EdgeTimestamps) {
  REQUIRE_CONFORMANCE(dir);
  std::vector<std::string> stats = add_stats(dir / "table_with_edge_timestamps");
  ASSERT_EQ(stats.size(), 2u);
  FileStats a = parse_ok(stats[0]), b = parse_ok(stats[1]);
  EXPECT_EQ(col(a, {"BIG_DATE"}).max, StatValue(std::string("9999-12-31T00:00:00.000Z")));
  EXPECT_EQ(col(b, {"SOME_VALUE"}).min, StatValue(int64_t(2)));
  ColumnKinds kinds = {{{"BIG_DATE"}, StatKind::Timestamp}, {{"NORMAL_DATE"}, StatKind::Timestamp}};
  // a: BIG_DATE = 9999-12-31 00:00:00.000 (+ up to 999us), b: 9999-12-30.
  auto match = [&](const FileStats& f, Op op, std::string lit) {
    return may_contain_match(all_of({cmp({"BIG_DATE"}, op, ts(lit))}), f, kinds);
  };
  EXPECT_TRUE(match(a, Op::Eq, "9999-12-31 00:00:00"));
  EXPECT_FALSE(match(b, Op::Eq, "9999-12-31 00:00:00"));
  EXPECT_TRUE(match(a, Op::Ge, "9999-12-31T00:00:00.000999Z"));
  EXPECT_FALSE(match(a, Op::Ge, "9999-12-31T00:00:00.001Z"));
  EXPECT_FALSE(match(a, Op::Lt, "9999-12-31"));
  EXPECT_TRUE(match(b, Op::Lt, "9999-12-31"));
  EXPECT_FALSE(may_contain_match(all_of({cmp({"NORMAL_DATE"}, Op::Gt, date("2022-01-02"))}), a, kinds));
  EXPECT_TRUE(may_contain_match(all_of({cmp({"NORMAL_DATE"}, Op::Gt, date("2022-01-02"))}), b, kinds));
}

TEST(StatsConformance, StatsOptionalTightBoundsAndTruncatedStrings) {
  REQUIRE_CONFORMANCE(dir);
  std::vector<std::string> optional = add_stats(dir / "delta-stats-optional");
  ASSERT_EQ(optional.size(), 1u);
  EXPECT_EQ(col(parse_ok(optional[0]), {"nested_struct", "struct_element", "nested_struct_element"}).max,
            StatValue(std::string("nested_struct_value")));

  std::vector<std::string> dv = add_stats(dir / "table-with-dv-small");
  ASSERT_EQ(dv.size(), 2u);
  EXPECT_EQ(parse_ok(dv[0]).tight_bounds, true);
  EXPECT_EQ(parse_ok(dv[1]).tight_bounds, false);

  std::vector<std::string> logs = add_stats(dir / "table_with_deletion_logs");
  ASSERT_FALSE(logs.empty());
  FileStats st = parse_ok(logs[0]);
  // 32 characters: Spark's cut prefix of a longer address.
  EXPECT_EQ(col(st, {"address"}).min, StatValue(std::string("002 Mark Tunnel\nNew Robert, GU 4")));
  EXPECT_EQ(col(st, {"age"}).max, StatValue(512.421052631579));
  ColumnKinds kinds = {{{"address"}, StatKind::String}};
  // A value that extends the cut min prefix is still >= the min: must not be skipped.
  EXPECT_TRUE(may_contain_match(all_of({cmp({"address"}, Op::Eq, s("002 Mark Tunnel\nNew Robert, GU 45"))}),
                                st, kinds));
  EXPECT_FALSE(may_contain_match(all_of({cmp({"address"}, Op::Lt, s("002"))}), st, kinds));
}

TEST(StatsConformance, EveryStatsStringParses) {
  REQUIRE_CONFORMANCE(dir);
  size_t count = 0;
  for (const auto& table : fs::directory_iterator(dir)) {
    if (!fs::is_directory(table.path() / "_delta_log")) continue;
    for (const std::string& json : add_stats(table.path())) {
      Result<FileStats> r = parse_file_stats(json);
      EXPECT_TRUE(r.ok()) << table.path() << ": " << json;
      count++;
    }
  }
  EXPECT_GT(count, 50u);
}

// ---------------------------------------------------------------------------------------------
// Skipping on statistics

class StatsSkip : public ::testing::Test {
 protected:
  // a: long in [10, 20], no nulls, 10 rows.
  FileStats ints =
      parse_ok(R"({"numRecords":10,"minValues":{"a":10},"maxValues":{"a":20},"nullCount":{"a":0}})");
  ColumnKinds kinds = {
      {{"a"}, StatKind::Int},     {{"f"}, StatKind::Float},     {{"x"}, StatKind::Double},
      {{"m"}, StatKind::Decimal}, {{"s"}, StatKind::String},    {{"b"}, StatKind::Bool},
      {{"d"}, StatKind::Date},    {{"t"}, StatKind::Timestamp}, {{"n"}, StatKind::TimestampNtz}};

  bool match(const FileStats& st, ColumnPredicate p) {
    return may_contain_match(all_of({std::move(p)}), st, kinds);
  }
  bool match(std::string_view json, ColumnPredicate p) { return match(parse_ok(json), std::move(p)); }
};

TEST_F(StatsSkip, IntBoundaries) {
  EXPECT_FALSE(match(ints, cmp({"a"}, Op::Eq, i(9))));
  EXPECT_TRUE(match(ints, cmp({"a"}, Op::Eq, i(10))));
  EXPECT_TRUE(match(ints, cmp({"a"}, Op::Eq, i(15))));
  EXPECT_TRUE(match(ints, cmp({"a"}, Op::Eq, i(20))));
  EXPECT_FALSE(match(ints, cmp({"a"}, Op::Eq, i(21))));
  EXPECT_FALSE(match(ints, cmp({"a"}, Op::Lt, i(10))));
  EXPECT_TRUE(match(ints, cmp({"a"}, Op::Lt, i(11))));
  EXPECT_FALSE(match(ints, cmp({"a"}, Op::Le, i(9))));
  EXPECT_TRUE(match(ints, cmp({"a"}, Op::Le, i(10))));
  EXPECT_FALSE(match(ints, cmp({"a"}, Op::Gt, i(20))));
  EXPECT_TRUE(match(ints, cmp({"a"}, Op::Gt, i(19))));
  EXPECT_FALSE(match(ints, cmp({"a"}, Op::Ge, i(21))));
  EXPECT_TRUE(match(ints, cmp({"a"}, Op::Ge, i(20))));
  EXPECT_TRUE(match(ints, cmp({"a"}, Op::Ne, i(15))));
  EXPECT_FALSE(match(ints, {{"a"}, Op::In, {i(1), i(5), i(25)}}));
  EXPECT_TRUE(match(ints, {{"a"}, Op::In, {i(1), i(15)}}));
}

TEST_F(StatsSkip, IntAgainstDecimalAndDoubleLiterals) {
  EXPECT_TRUE(match(ints, cmp({"a"}, Op::Gt, dec("19.5"))));
  EXPECT_FALSE(match(ints, cmp({"a"}, Op::Gt, dec("20.5"))));
  EXPECT_FALSE(match(ints, cmp({"a"}, Op::Gt, dec("20"))));
  EXPECT_TRUE(match(ints, cmp({"a"}, Op::Lt, dec("10.5"))));
  EXPECT_FALSE(match(ints, cmp({"a"}, Op::Le, dec("9.99"))));
  EXPECT_FALSE(match(ints, cmp({"a"}, Op::Eq, dec("123456789012345678901234567890"))));
  EXPECT_FALSE(match(ints, cmp({"a"}, Op::Ge, d(20.000001))));
  EXPECT_TRUE(match(ints, cmp({"a"}, Op::Ge, d(20.0))));
  EXPECT_FALSE(match(ints, cmp({"a"}, Op::Lt, d(10.0))));
  // A string literal is not compared with a number column: unknown, kept.
  EXPECT_TRUE(match(ints, cmp({"a"}, Op::Eq, s("99"))));
}

TEST_F(StatsSkip, NeSkipsOnlyWhenEveryValueIsTheLiteral) {
  std::string_view seven = R"({"numRecords":3,"minValues":{"a":7},"maxValues":{"a":7},"nullCount":{"a":1}})";
  EXPECT_FALSE(match(seven, cmp({"a"}, Op::Ne, i(7))));  // the null row does not match either
  EXPECT_TRUE(match(seven, cmp({"a"}, Op::Ne, i(8))));
}

TEST_F(StatsSkip, NullCounts) {
  std::string_view some = R"({"numRecords":10,"minValues":{"a":1},"maxValues":{"a":2},"nullCount":{"a":3}})";
  std::string_view all = R"({"numRecords":10,"nullCount":{"a":10}})";
  EXPECT_FALSE(match(ints, test({"a"}, Op::IsNull)));
  EXPECT_TRUE(match(ints, test({"a"}, Op::IsNotNull)));
  EXPECT_TRUE(match(some, test({"a"}, Op::IsNull)));
  EXPECT_TRUE(match(some, test({"a"}, Op::IsNotNull)));
  EXPECT_TRUE(match(all, test({"a"}, Op::IsNull)));
  EXPECT_FALSE(match(all, test({"a"}, Op::IsNotNull)));
  EXPECT_FALSE(match(all, cmp({"a"}, Op::Eq, i(1))));  // comparisons with NULL never hold
  EXPECT_FALSE(match(all, cmp({"a"}, Op::Ne, i(1))));
  // Without numRecords, nullCount cannot say "all null".
  EXPECT_TRUE(match(R"({"nullCount":{"a":10}})", test({"a"}, Op::IsNotNull)));
  // An empty file matches nothing.
  std::string_view empty = R"({"numRecords":0,"nullCount":{"a":0}})";
  EXPECT_FALSE(match(empty, test({"a"}, Op::IsNull)));
  EXPECT_FALSE(match(empty, test({"a"}, Op::IsNotNull)));
  EXPECT_FALSE(match(empty, cmp({"a"}, Op::Eq, i(1))));
}

TEST_F(StatsSkip, WideBounds) {
  // tightBounds=false (a deletion vector): bounds are still bounds, and nullCount == numRecords
  // still means every valid row is null; any other nullCount says nothing.
  std::string_view all = R"({"numRecords":4,"tightBounds":false,"minValues":{"a":1},"maxValues":{"a":9},)"
                         R"("nullCount":{"a":4}})";
  std::string_view some = R"({"numRecords":4,"tightBounds":false,"minValues":{"a":1},"maxValues":{"a":9},)"
                          R"("nullCount":{"a":2}})";
  EXPECT_FALSE(match(all, test({"a"}, Op::IsNotNull)));
  EXPECT_FALSE(match(all, cmp({"a"}, Op::Eq, i(5))));
  EXPECT_TRUE(match(some, test({"a"}, Op::IsNull)));
  EXPECT_TRUE(match(some, test({"a"}, Op::IsNotNull)));
  EXPECT_TRUE(match(some, cmp({"a"}, Op::Eq, i(5))));
  EXPECT_FALSE(match(some, cmp({"a"}, Op::Gt, i(9))));
}

TEST_F(StatsSkip, MissingStatsAndUnknownKindsKeepFiles) {
  FileStats none;
  for (Op op : {Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge}) {
    EXPECT_TRUE(match(none, cmp({"a"}, op, i(1))));
    EXPECT_TRUE(match(ints, cmp({"zzz"}, op, i(1))));  // no kind given for zzz
  }
  EXPECT_TRUE(match(none, test({"a"}, Op::IsNull)));
  EXPECT_TRUE(match(none, test({"a"}, Op::IsNotNull)));
  EXPECT_TRUE(match(R"({"numRecords":5,"maxValues":{"a":3}})", cmp({"a"}, Op::Lt, i(1))));  // no min
  EXPECT_FALSE(match(R"({"numRecords":5,"maxValues":{"a":3}})", cmp({"a"}, Op::Gt, i(3))));
  EXPECT_TRUE(match(ints, {{"a"}, Op::Eq, {}}));  // malformed predicate: never skips
  // Null tests need no kind (e.g. a binary column).
  std::string_view bin = R"({"numRecords":3,"nullCount":{"bin":0,"all":3}})";
  EXPECT_FALSE(match(bin, test({"bin"}, Op::IsNull)));
  EXPECT_TRUE(match(bin, test({"bin"}, Op::IsNotNull)));
  EXPECT_FALSE(match(bin, test({"all"}, Op::IsNotNull)));
  EXPECT_TRUE(match(bin, cmp({"bin"}, Op::Eq, s("x"))));
  EXPECT_TRUE(may_contain_match(Predicate{}, ints, kinds));
}

TEST_F(StatsSkip, DoubleKeepsMaxSideOpenForNaN) {
  std::string_view x = R"({"numRecords":5,"minValues":{"x":1.5},"maxValues":{"x":2.5},"nullCount":{"x":0}})";
  EXPECT_FALSE(match(x, cmp({"x"}, Op::Lt, d(1.5))));
  EXPECT_TRUE(match(x, cmp({"x"}, Op::Le, d(1.5))));
  EXPECT_FALSE(match(x, cmp({"x"}, Op::Le, i(1))));
  EXPECT_FALSE(match(x, cmp({"x"}, Op::Eq, d(3.0))));
  EXPECT_TRUE(match(x, cmp({"x"}, Op::Eq, dec("2.5"))));
  // NaN sorts above every number in DuckDB and some writers leave it out of max.
  EXPECT_TRUE(match(x, cmp({"x"}, Op::Gt, d(3.0))));
  EXPECT_TRUE(match(x, cmp({"x"}, Op::Ge, d(3.0))));
  EXPECT_TRUE(match(x, cmp({"x"}, Op::Eq, d(NAN))));
  std::string_view point =
      R"({"numRecords":5,"minValues":{"x":2.0},"maxValues":{"x":2.0},"nullCount":{"x":0}})";
  EXPECT_TRUE(match(point, cmp({"x"}, Op::Ne, d(2.0))));
}

TEST_F(StatsSkip, FloatBoundsAreWidened) {
  std::string_view f = R"({"numRecords":5,"minValues":{"f":0.1},"maxValues":{"f":0.2},"nullCount":{"f":0}})";
  // The file may hold 0.1f = 0.100000001490116..., written as "0.1": keep f < 0.1.
  EXPECT_TRUE(match(f, cmp({"f"}, Op::Lt, d(0.1))));
  EXPECT_FALSE(match(f, cmp({"f"}, Op::Lt, d(0.09))));
  EXPECT_FALSE(match(f, cmp({"f"}, Op::Eq, d(0.2000001))));
  EXPECT_TRUE(match(f, cmp({"f"}, Op::Eq, d(0.20000005))));
  EXPECT_FALSE(match(f, cmp({"f"}, Op::Eq, dec("0.3"))));
}

TEST_F(StatsSkip, Decimal) {
  std::string_view num = R"({"numRecords":5,"minValues":{"m":-5.67800},"maxValues":{"m":-5.67800},)"
                         R"("nullCount":{"m":0}})";
  // Stats read as doubles: a tie with the literal proves nothing, strict order does.
  EXPECT_TRUE(match(num, cmp({"m"}, Op::Eq, dec("-5.678"))));
  EXPECT_TRUE(match(num, cmp({"m"}, Op::Lt, dec("-5.678"))));
  EXPECT_TRUE(match(num, cmp({"m"}, Op::Ne, dec("-5.678"))));
  EXPECT_FALSE(match(num, cmp({"m"}, Op::Lt, dec("-5.679"))));
  EXPECT_FALSE(match(num, cmp({"m"}, Op::Gt, dec("-5.677"))));
  EXPECT_FALSE(match(num, cmp({"m"}, Op::Eq, i(-5))));
  EXPECT_TRUE(match(num, cmp({"m"}, Op::Gt, i(-6))));
  // Stats written as strings or integers are exact.
  std::string_view text =
      R"({"numRecords":5,"minValues":{"m":"1.50"},"maxValues":{"m":"1.50"},"nullCount":{"m":0}})";
  EXPECT_FALSE(match(text, cmp({"m"}, Op::Ne, dec("1.5"))));
  EXPECT_FALSE(match(text, cmp({"m"}, Op::Gt, dec("1.5"))));
  EXPECT_TRUE(match(text, cmp({"m"}, Op::Ge, dec("1.5000"))));
  EXPECT_FALSE(match(text, cmp({"m"}, Op::Lt, dec("1.4999999999999999999999"))));
  EXPECT_FALSE(match(R"({"minValues":{"m":100},"maxValues":{"m":200}})", cmp({"m"}, Op::Gt, dec("200.0"))));
  EXPECT_TRUE(match(R"({"minValues":{"m":100},"maxValues":{"m":200}})", cmp({"m"}, Op::Ge, i(200))));
}

TEST_F(StatsSkip, StringMaxMayBeATruncatedPrefix) {
  std::string_view fruit =
      R"({"numRecords":5,"minValues":{"s":"apple"},"maxValues":{"s":"melon"},"nullCount":{"s":0}})";
  EXPECT_FALSE(match(fruit, cmp({"s"}, Op::Eq, s("aardvark"))));
  EXPECT_TRUE(match(fruit, cmp({"s"}, Op::Eq, s("apple"))));
  EXPECT_TRUE(match(fruit, cmp({"s"}, Op::Eq, s("melon"))));
  // "melon" may be the cut prefix of "melonade": anything starting with it is kept.
  EXPECT_TRUE(match(fruit, cmp({"s"}, Op::Eq, s("melonzzz"))));
  EXPECT_TRUE(match(fruit, cmp({"s"}, Op::Gt, s("melon"))));
  EXPECT_TRUE(match(fruit, cmp({"s"}, Op::Ge, s("melonade"))));
  // ...but nothing at or above "meloo" (the prefix's successor).
  EXPECT_FALSE(match(fruit, cmp({"s"}, Op::Eq, s("meloo"))));
  EXPECT_FALSE(match(fruit, cmp({"s"}, Op::Eq, s("mf"))));
  EXPECT_FALSE(match(fruit, cmp({"s"}, Op::Ge, s("melp"))));
  EXPECT_FALSE(match(fruit, cmp({"s"}, Op::Gt, s("n"))));
  EXPECT_FALSE(match(fruit, cmp({"s"}, Op::Lt, s("apple"))));
  EXPECT_TRUE(match(fruit, cmp({"s"}, Op::Lt, s("apple0"))));
  EXPECT_FALSE(match(fruit, cmp({"s"}, Op::Le, s("appl"))));
  EXPECT_TRUE(match(fruit, cmp({"s"}, Op::Le, s("apple"))));
  std::string_view same =
      R"({"numRecords":5,"minValues":{"s":"x"},"maxValues":{"s":"x"},"nullCount":{"s":0}})";
  EXPECT_TRUE(match(same, cmp({"s"}, Op::Ne, s("x"))));  // "x" may be a prefix of longer values
  EXPECT_TRUE(match(fruit, cmp({"s"}, Op::Eq, i(1))));   // a number is not compared with a string column
}

TEST_F(StatsSkip, StringSparkTieBreakerAndUnicode) {
  // Spark cuts at 32 characters and appends U+10FFFF (F4 8F BF BF) to the max.
  std::string prefix(32, 'a');
  std::string json = R"({"numRecords":5,"minValues":{"s":")" + prefix + R"("},"maxValues":{"s":")" + prefix +
                     R"(\udbff\udfff"},"nullCount":{"s":0}})";
  FileStats st = parse_ok(json);
  EXPECT_EQ(col(st, {"s"}).max, StatValue(prefix + "\xF4\x8F\xBF\xBF"));
  EXPECT_TRUE(match(st, cmp({"s"}, Op::Eq, s(prefix + "zzzz"))));
  EXPECT_TRUE(match(st, cmp({"s"}, Op::Gt, s(prefix + "\xF4\x8F\xBF\xBF"))));
  EXPECT_FALSE(match(st, cmp({"s"}, Op::Gt, s("b"))));
  // U+00E9 (C3 A9) as max: U+00EA (C3 AA) is above every value starting with it.
  std::string_view e =
      R"({"numRecords":5,"minValues":{"s":"a"},"maxValues":{"s":"\u00e9"},"nullCount":{"s":0}})";
  EXPECT_FALSE(match(e, cmp({"s"}, Op::Eq, s("\xC3\xAA"))));
  EXPECT_TRUE(match(e, cmp({"s"}, Op::Eq, s("\xC3\xA9zz"))));
  // An empty max bounds nothing.
  EXPECT_TRUE(match(R"({"minValues":{"s":""},"maxValues":{"s":""}})", cmp({"s"}, Op::Gt, s("zz"))));
}

TEST_F(StatsSkip, DateAndBool) {
  std::string_view dt = R"({"numRecords":5,"minValues":{"d":"2022-10-24","b":false},)"
                        R"("maxValues":{"d":"2022-10-30","b":false},"nullCount":{"d":0,"b":0}})";
  EXPECT_FALSE(match(dt, cmp({"d"}, Op::Eq, date("2022-10-23"))));
  EXPECT_TRUE(match(dt, cmp({"d"}, Op::Eq, date("2022-10-24"))));
  EXPECT_FALSE(match(dt, cmp({"d"}, Op::Gt, date("2022-10-30"))));
  EXPECT_TRUE(match(dt, cmp({"d"}, Op::Ge, date("2022-10-30"))));
  EXPECT_FALSE(match(dt, cmp({"d"}, Op::Eq, s("2022-10-31"))));  // a string is cast to DATE
  EXPECT_FALSE(match(dt, cmp({"d"}, Op::Lt, s("2022-09-30"))));
  EXPECT_TRUE(match(dt, cmp({"d"}, Op::Eq, date("2022-13-01"))));         // not a date: unknown
  EXPECT_TRUE(match(dt, cmp({"d"}, Op::Eq, ts("2022-10-20 00:00:00"))));  // not modelled
  EXPECT_FALSE(match(dt, cmp({"b"}, Op::Eq, Literal::boolean(true))));
  EXPECT_TRUE(match(dt, cmp({"b"}, Op::Eq, Literal::boolean(false))));
  EXPECT_FALSE(match(dt, cmp({"b"}, Op::Ne, Literal::boolean(false))));
  std::string_view day = R"({"numRecords":5,"minValues":{"d":"2020-02-29"},"maxValues":{"d":"2020-02-29"}})";
  EXPECT_FALSE(match(day, cmp({"d"}, Op::Ne, date("2020-02-29"))));
  EXPECT_TRUE(match(day, cmp({"d"}, Op::Ne, date("2020-03-01"))));
}

TEST_F(StatsSkip, TimestampMaxIsOnlyGoodToTheMillisecond) {
  std::string_view t =
      R"({"numRecords":5,"minValues":{"t":"2022-10-24T22:59:32.846Z","n":"2022-10-24T22:59:32.846"},)"
      R"("maxValues":{"t":"2022-10-24T22:59:41.637Z","n":"2022-10-24T22:59:41.637"},)"
      R"("nullCount":{"t":0,"n":0}})";
  EXPECT_TRUE(match(t, cmp({"t"}, Op::Gt, ts("2022-10-24 22:59:41.637"))));  // e.g. 41.637500 exists
  EXPECT_TRUE(match(t, cmp({"t"}, Op::Gt, ts("2022-10-24T22:59:41.637998Z"))));
  EXPECT_FALSE(match(t, cmp({"t"}, Op::Gt, ts("2022-10-24T22:59:41.637999Z"))));
  EXPECT_TRUE(match(t, cmp({"t"}, Op::Ge, ts("2022-10-24T22:59:41.637999Z"))));
  EXPECT_FALSE(match(t, cmp({"t"}, Op::Ge, ts("2022-10-24T22:59:41.638Z"))));
  EXPECT_FALSE(match(t, cmp({"t"}, Op::Lt, ts("2022-10-24T22:59:32.846Z"))));
  EXPECT_TRUE(match(t, cmp({"t"}, Op::Lt, ts("2022-10-24T22:59:32.846001Z"))));
  EXPECT_FALSE(match(t, cmp({"t"}, Op::Lt, ts("2022-10-25T00:59:32.846+02:00"))));  // = 22:59:32.846Z
  EXPECT_TRUE(match(t, cmp({"t"}, Op::Lt, ts("2022-10-24T23:59:32.847+01"))));
  EXPECT_FALSE(match(t, cmp({"t"}, Op::Lt, date("2022-10-24"))));
  EXPECT_FALSE(match(t, cmp({"t"}, Op::Ge, date("2022-10-25"))));
  EXPECT_TRUE(match(t, cmp({"t"}, Op::Eq, s("2022-10-24 22:59:35"))));
  EXPECT_FALSE(match(t, cmp({"t"}, Op::Eq, s("2022-10-24 22:59"))));
  EXPECT_TRUE(match(t, cmp({"t"}, Op::Lt, ts("2022-10-24T22:59:32.846000001Z"))));  // ns: unknown
  EXPECT_TRUE(match(t, cmp({"t"}, Op::Ne, ts("2022-10-24T22:59:32.846Z"))));
  EXPECT_FALSE(match(t, cmp({"n"}, Op::Gt, ts("2022-10-24 22:59:41.638"))));
  EXPECT_TRUE(match(t, cmp({"n"}, Op::Le, ts("2022-10-24 22:59:32.846"))));
}

TEST_F(StatsSkip, DisjunctionsAndFilterColumns) {
  // a in [10, 20], s unknown in these stats.
  Predicate p;
  p.disjunctions.push_back({all_of({cmp({"a"}, Op::Eq, i(5))}), all_of({cmp({"a"}, Op::Eq, i(50))})});
  EXPECT_FALSE(may_contain_match(p, ints, kinds));
  p.disjunctions[0].push_back(all_of({cmp({"a"}, Op::Eq, i(15))}));
  EXPECT_TRUE(may_contain_match(p, ints, kinds));
  Predicate q;
  q.disjunctions.push_back({all_of({cmp({"a"}, Op::Eq, i(5))}), all_of({cmp({"s"}, Op::Eq, s("x"))})});
  EXPECT_TRUE(may_contain_match(q, ints, kinds));
  q.conjuncts.push_back(cmp({"a"}, Op::Gt, i(30)));
  EXPECT_FALSE(may_contain_match(q, ints, kinds));

  Predicate r = all_of({cmp({"a"}, Op::Gt, i(1)), cmp({"zzz"}, Op::Eq, i(1)), test({"s"}, Op::IsNull),
                        cmp({"a"}, Op::Lt, i(100))});
  r.disjunctions.push_back({all_of({cmp({"x"}, Op::Eq, d(1))}), all_of({cmp({"b"}, Op::Eq, i(1))})});
  SkippingFilter filter(r, kinds);
  // zzz has no kind; b = 1 compares a bool with an integer: neither is read.
  EXPECT_EQ(filter.stats_columns(), (std::vector<ColumnPath>{{"a"}, {"s"}, {"x"}}));
  EXPECT_EQ(SkippingFilter(all_of({test({"zzz"}, Op::IsNull)}), kinds).stats_columns(),
            (std::vector<ColumnPath>{{"zzz"}}));
}

// ---------------------------------------------------------------------------------------------
// Partition values

class StatsPartition : public ::testing::Test {
 protected:
  PartitionValues pv = {{"p", "5"},
                        {"d", "2021-01-01"},
                        {"s", "x"},
                        {"n", std::nullopt},
                        {"e", ""},
                        {"t", "2021-01-01 10:00:00"},
                        {"tz", "2021-01-01T10:00:00.000000Z"},
                        {"ntz", "2021-01-01 10:00:00"},
                        {"dec", "1.50"},
                        {"b", "true"},
                        {"x", "1.5"},
                        {"bad", "abc"}};
  ColumnKinds kinds = {
      {{"p"}, StatKind::Int},        {{"d"}, StatKind::Date},           {{"s"}, StatKind::String},
      {{"n"}, StatKind::Int},        {{"e"}, StatKind::String},         {{"t"}, StatKind::Timestamp},
      {{"tz"}, StatKind::Timestamp}, {{"ntz"}, StatKind::TimestampNtz}, {{"dec"}, StatKind::Decimal},
      {{"b"}, StatKind::Bool},       {{"x"}, StatKind::Double},         {{"bad"}, StatKind::Int},
      {{"a"}, StatKind::Int}};

  bool match(ColumnPredicate p) { return partition_may_match(all_of({std::move(p)}), pv, kinds); }
};

TEST_F(StatsPartition, ExactComparisons) {
  EXPECT_TRUE(match(cmp({"p"}, Op::Eq, i(5))));
  EXPECT_FALSE(match(cmp({"p"}, Op::Eq, i(6))));
  EXPECT_FALSE(match(cmp({"p"}, Op::Ne, i(5))));
  EXPECT_TRUE(match(cmp({"p"}, Op::Ne, i(6))));
  EXPECT_FALSE(match(cmp({"p"}, Op::Gt, i(5))));
  EXPECT_TRUE(match(cmp({"p"}, Op::Ge, i(5))));
  EXPECT_FALSE(match(cmp({"p"}, Op::Lt, i(5))));
  EXPECT_TRUE(match(cmp({"p"}, Op::Le, i(5))));
  EXPECT_TRUE(match({{"p"}, Op::In, {i(1), i(5)}}));
  EXPECT_FALSE(match({{"p"}, Op::In, {i(1), i(2)}}));
  EXPECT_TRUE(match(cmp({"s"}, Op::Eq, s("x"))));
  EXPECT_FALSE(match(cmp({"s"}, Op::Gt, s("x"))));  // partition strings are whole values
  EXPECT_FALSE(match(cmp({"s"}, Op::Eq, s("xy"))));
  EXPECT_FALSE(match(cmp({"s"}, Op::Ne, s("x"))));
  EXPECT_TRUE(match(cmp({"d"}, Op::Eq, date("2021-01-01"))));
  EXPECT_FALSE(match(cmp({"d"}, Op::Eq, s("2021-01-02"))));
  EXPECT_TRUE(match(cmp({"dec"}, Op::Eq, dec("1.5"))));
  EXPECT_FALSE(match(cmp({"dec"}, Op::Ne, dec("1.5"))));
  EXPECT_TRUE(match(cmp({"dec"}, Op::Gt, dec("1.49"))));
  EXPECT_TRUE(match(cmp({"dec"}, Op::Gt, i(1))));
  EXPECT_FALSE(match(cmp({"dec"}, Op::Lt, i(1))));
  EXPECT_TRUE(match(cmp({"b"}, Op::Eq, Literal::boolean(true))));
  EXPECT_FALSE(match(cmp({"b"}, Op::Eq, Literal::boolean(false))));
  EXPECT_TRUE(match(cmp({"x"}, Op::Eq, d(1.5))));
  EXPECT_FALSE(match(cmp({"x"}, Op::Ne, d(1.5))));
  EXPECT_FALSE(match(cmp({"x"}, Op::Gt, dec("1.5"))));
}

TEST_F(StatsPartition, NullsAndUnknowns) {
  EXPECT_TRUE(match(test({"n"}, Op::IsNull)));
  EXPECT_FALSE(match(test({"n"}, Op::IsNotNull)));
  EXPECT_FALSE(match(cmp({"n"}, Op::Eq, i(1))));
  EXPECT_FALSE(match(cmp({"n"}, Op::Ne, i(1))));
  EXPECT_TRUE(match(test({"e"}, Op::IsNull)));  // "" is null
  EXPECT_FALSE(match(cmp({"e"}, Op::Eq, s(""))));
  EXPECT_FALSE(match(test({"p"}, Op::IsNull)));
  EXPECT_TRUE(match(test({"p"}, Op::IsNotNull)));
  EXPECT_TRUE(match(cmp({"a"}, Op::Eq, i(1))));    // not a partition column
  EXPECT_TRUE(match(cmp({"bad"}, Op::Eq, i(1))));  // unparseable value
  EXPECT_TRUE(match(cmp({"zzz"}, Op::Eq, i(1))));  // no kind
  pv.emplace_back("blob", std::nullopt);           // a binary partition column: null tests work
  EXPECT_FALSE(match(test({"blob"}, Op::IsNotNull)));
  EXPECT_TRUE(match(test({"blob"}, Op::IsNull)));
}

TEST_F(StatsPartition, Timestamps) {
  EXPECT_TRUE(match(cmp({"ntz"}, Op::Eq, ts("2021-01-01 10:00:00"))));
  EXPECT_FALSE(match(cmp({"ntz"}, Op::Eq, ts("2021-01-01 10:00:01"))));
  EXPECT_FALSE(match(cmp({"ntz"}, Op::Ne, ts("2021-01-01T10:00:00Z"))));
  EXPECT_TRUE(match(cmp({"tz"}, Op::Eq, ts("2021-01-01 11:00:00+01:00"))));
  EXPECT_FALSE(match(cmp({"tz"}, Op::Eq, ts("2021-01-01 11:00:00"))));
  // No zone on a timestamp partition value: the writer's zone is unknown, +-18h.
  EXPECT_TRUE(match(cmp({"t"}, Op::Eq, ts("2021-01-01 10:00:00"))));
  EXPECT_TRUE(match(cmp({"t"}, Op::Eq, ts("2021-01-01T20:00:00Z"))));
  EXPECT_FALSE(match(cmp({"t"}, Op::Eq, ts("2021-01-03 10:00:00"))));
  EXPECT_TRUE(match(cmp({"t"}, Op::Gt, ts("2021-01-02 03:00:00"))));   // 17h later
  EXPECT_FALSE(match(cmp({"t"}, Op::Gt, ts("2021-01-02 05:00:00"))));  // 19h later
  EXPECT_TRUE(match(cmp({"t"}, Op::Ne, ts("2021-01-01 10:00:00"))));
}

TEST_F(StatsPartition, CombinedWithStats) {
  FileStats st =
      parse_ok(R"({"numRecords":3,"minValues":{"a":10},"maxValues":{"a":20},"nullCount":{"a":0}})");
  Predicate p;
  p.disjunctions.push_back({all_of({cmp({"p"}, Op::Eq, i(6))}), all_of({cmp({"a"}, Op::Eq, i(50))})});
  SkippingFilter f(p, kinds);
  EXPECT_TRUE(f.partition_may_match(pv));  // a is unknown without stats
  EXPECT_TRUE(f.may_contain_match(st));    // p is unknown without partition values
  EXPECT_FALSE(f.may_match(st, pv));
  p.disjunctions[0].push_back(all_of({cmp({"a"}, Op::Eq, i(15))}));
  EXPECT_TRUE(SkippingFilter(p, kinds).may_match(st, pv));
}

TEST(StatsKinds, FromDeltaTypeNames) {
  EXPECT_EQ(stat_kind_for_delta_type("byte"), StatKind::Int);
  EXPECT_EQ(stat_kind_for_delta_type("long"), StatKind::Int);
  EXPECT_EQ(stat_kind_for_delta_type("float"), StatKind::Float);
  EXPECT_EQ(stat_kind_for_delta_type("double"), StatKind::Double);
  EXPECT_EQ(stat_kind_for_delta_type("decimal(10,2)"), StatKind::Decimal);
  EXPECT_EQ(stat_kind_for_delta_type("string"), StatKind::String);
  EXPECT_EQ(stat_kind_for_delta_type("boolean"), StatKind::Bool);
  EXPECT_EQ(stat_kind_for_delta_type("date"), StatKind::Date);
  EXPECT_EQ(stat_kind_for_delta_type("timestamp"), StatKind::Timestamp);
  EXPECT_EQ(stat_kind_for_delta_type("timestamp_ntz"), StatKind::TimestampNtz);
  EXPECT_EQ(stat_kind_for_delta_type("binary"), std::nullopt);
  EXPECT_EQ(stat_kind_for_delta_type("variant"), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Predicate extraction from DuckDB's json_serialize_sql

// One in-memory DuckDB for the whole suite, through the raw C API.
class StatsExtract : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_EQ(duckdb_open(nullptr, &db_), DuckDBSuccess);
    ASSERT_EQ(duckdb_connect(db_, &con_), DuckDBSuccess);
  }
  static void TearDownTestSuite() {
    duckdb_disconnect(&con_);
    duckdb_close(&db_);
  }

  static std::string quote(std::string_view sql) {
    std::string out = "'";
    for (char c : sql) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  }

  // The first value of the first row of `query`, as text.
  static std::string scalar(const std::string& query) {
    duckdb_result res;
    if (duckdb_query(con_, query.c_str(), &res) != DuckDBSuccess) {
      std::string error = duckdb_result_error(&res);
      duckdb_destroy_result(&res);
      ADD_FAILURE() << query << ": " << error;
      return "";
    }
    char* text = duckdb_value_varchar(&res, 0, 0);
    std::string out = text ? text : "";
    duckdb_free(text);
    duckdb_destroy_result(&res);
    return out;
  }

  // The where_clause node of `SELECT * FROM t WHERE <where>`, as DuckDB serializes it.
  static std::optional<Predicate> where(std::string_view where_sql) {
    std::string sql = "SELECT * FROM t WHERE " + std::string(where_sql);
    std::string node = scalar("SELECT (json_serialize_sql(" + quote(sql) +
                              ")->'statements'->0->'node'->'where_clause')::VARCHAR");
    Result<std::optional<Predicate>> r = predicate_from_serialized_where(node);
    EXPECT_TRUE(r.ok()) << where_sql << ": " << (r.ok() ? "" : r.error().message());
    return r.ok() ? *r : std::nullopt;
  }

  static Result<std::optional<Predicate>> select(std::string_view sql) {
    return predicate_from_serialized_select(scalar("SELECT json_serialize_sql(" + quote(sql) + ")"));
  }

  static inline duckdb_database db_ = nullptr;
  static inline duckdb_connection con_ = nullptr;
};

std::optional<Predicate> conj(std::vector<ColumnPredicate> c) { return all_of(std::move(c)); }

TEST_F(StatsExtract, Comparisons) {
  EXPECT_EQ(where("a > 5 AND b = 'x'"), conj({cmp({"a"}, Op::Gt, i(5)), cmp({"b"}, Op::Eq, s("x"))}));
  EXPECT_EQ(where("5 < a"), conj({cmp({"a"}, Op::Gt, i(5))}));
  EXPECT_EQ(where("5 >= a"), conj({cmp({"a"}, Op::Le, i(5))}));
  EXPECT_EQ(where("a <= -3"), conj({cmp({"a"}, Op::Le, i(-3))}));
  EXPECT_EQ(where("a <> -5"), conj({cmp({"a"}, Op::Ne, i(-5))}));
  EXPECT_EQ(where("a != 1"), conj({cmp({"a"}, Op::Ne, i(1))}));
  EXPECT_EQ(where("NOT (a < 5)"), conj({cmp({"a"}, Op::Ge, i(5))}));
  EXPECT_EQ(where("s.l = 3"), conj({cmp({"s", "l"}, Op::Eq, i(3))}));
  EXPECT_EQ(where("t.a = 3"), conj({cmp({"t", "a"}, Op::Eq, i(3))}));  // qualification is the caller's
  EXPECT_EQ(where("s = 'it''s'"), conj({cmp({"s"}, Op::Eq, s("it's"))}));
  EXPECT_EQ(where("\"Weird Col\" = 1"), conj({cmp({"Weird Col"}, Op::Eq, i(1))}));
}

TEST_F(StatsExtract, NumericConstants) {
  EXPECT_EQ(where("a >= 5.5"), conj({cmp({"a"}, Op::Ge, dec("5.5"))}));
  EXPECT_EQ(where("a > -5.5"), conj({cmp({"a"}, Op::Gt, dec("-5.5"))}));
  EXPECT_EQ(where("a = 0.000001"), conj({cmp({"a"}, Op::Eq, dec("0.000001"))}));
  EXPECT_EQ(where("a = 12.345678901234567890123"),
            conj({cmp({"a"}, Op::Eq, dec("12.345678901234567890123"))}));
  EXPECT_EQ(where("a = 3000000000"), conj({cmp({"a"}, Op::Eq, i(3000000000))}));
  EXPECT_EQ(where("a = -9223372036854775808"), conj({cmp({"a"}, Op::Eq, i(INT64_MIN))}));
  EXPECT_EQ(where("a = 9223372036854775808"), conj({cmp({"a"}, Op::Eq, dec("9223372036854775808"))}));
  EXPECT_EQ(where("a = 123456789012345678901234567890"),
            conj({cmp({"a"}, Op::Eq, dec("123456789012345678901234567890"))}));
  EXPECT_EQ(where("a = -1.5e3"), conj({cmp({"a"}, Op::Eq, d(-1500.0))}));
  EXPECT_EQ(where("a = 5::DOUBLE"), conj({cmp({"a"}, Op::Eq, d(5.0))}));
  EXPECT_EQ(where("a = 1.5::FLOAT"), conj({cmp({"a"}, Op::Eq, d(1.5))}));
  EXPECT_EQ(where("a = '7'::INTEGER"), conj({cmp({"a"}, Op::Eq, i(7))}));
  EXPECT_EQ(where("a = 5::UBIGINT"), std::nullopt);  // unsigned casts are not modelled
}

TEST_F(StatsExtract, TypedConstantsThroughCasts) {
  EXPECT_EQ(where("d = DATE '2021-01-01'"), conj({cmp({"d"}, Op::Eq, date("2021-01-01"))}));
  EXPECT_EQ(where("d >= CAST('2021-01-01' AS DATE)"), conj({cmp({"d"}, Op::Ge, date("2021-01-01"))}));
  EXPECT_EQ(where("'2021-01-01'::DATE < d"), conj({cmp({"d"}, Op::Gt, date("2021-01-01"))}));
  EXPECT_EQ(where("t > TIMESTAMP '2021-01-01 10:00:00.123456'"),
            conj({cmp({"t"}, Op::Gt, ts("2021-01-01 10:00:00.123456"))}));
  EXPECT_EQ(where("t > TIMESTAMPTZ '2021-01-01 00:00:00+02'"),
            conj({cmp({"t"}, Op::Gt, ts("2021-01-01 00:00:00+02"))}));
  EXPECT_EQ(where("b = true"), conj({cmp({"b"}, Op::Eq, Literal::boolean(true))}));
  EXPECT_EQ(where("b = false"), conj({cmp({"b"}, Op::Eq, Literal::boolean(false))}));
  EXPECT_EQ(where("s = 'x'::VARCHAR"), conj({cmp({"s"}, Op::Eq, s("x"))}));
  EXPECT_EQ(where("d = TRY_CAST('2021-01-01' AS DATE)"), std::nullopt);
  EXPECT_EQ(where("d = '2021-01-01'::DATE + 1"), std::nullopt);
}

TEST_F(StatsExtract, NullTestsInAndBetween) {
  EXPECT_EQ(where("a IS NULL AND b IS NOT NULL"),
            conj({test({"a"}, Op::IsNull), test({"b"}, Op::IsNotNull)}));
  EXPECT_EQ(where("NOT (a IS NULL)"), conj({test({"a"}, Op::IsNotNull)}));
  EXPECT_EQ(where("NOT (a IS NOT NULL)"), conj({test({"a"}, Op::IsNull)}));
  EXPECT_EQ(where("a IN (1, 2, 3)"), conj({{{"a"}, Op::In, {i(1), i(2), i(3)}}}));
  EXPECT_EQ(where("a IN ('x', 'y')"), conj({{{"a"}, Op::In, {s("x"), s("y")}}}));
  EXPECT_EQ(where("a IN (1, NULL)"), conj({{{"a"}, Op::In, {i(1)}}}));
  EXPECT_EQ(where("a IN (1, b)"), std::nullopt);
  EXPECT_EQ(where("a NOT IN (1, 2)"), conj({cmp({"a"}, Op::Ne, i(1)), cmp({"a"}, Op::Ne, i(2))}));
  EXPECT_EQ(where("a NOT IN (1, b)"), conj({cmp({"a"}, Op::Ne, i(1))}));
  EXPECT_EQ(where("a BETWEEN 1 AND 10"), conj({cmp({"a"}, Op::Ge, i(1)), cmp({"a"}, Op::Le, i(10))}));
  EXPECT_EQ(where("d BETWEEN DATE '2021-01-01' AND b"), conj({cmp({"d"}, Op::Ge, date("2021-01-01"))}));
  EXPECT_EQ(where("a NOT BETWEEN 1 AND 2"), std::nullopt);
}

TEST_F(StatsExtract, AndOrAndDroppedParts) {
  Predicate mixed = all_of({cmp({"a"}, Op::Gt, i(5)), cmp({"d"}, Op::Eq, i(2))});
  mixed.disjunctions.push_back({all_of({cmp({"b"}, Op::Lt, i(3))}), all_of({cmp({"c"}, Op::Eq, i(1))})});
  EXPECT_EQ(where("a > 5 AND (b < 3 OR c = 1) AND d = 2"), mixed);
  Predicate nested;
  nested.disjunctions.push_back(
      {all_of({cmp({"a"}, Op::Eq, i(1)), cmp({"b"}, Op::Eq, i(2))}), all_of({test({"a"}, Op::IsNull)})});
  EXPECT_EQ(where("(a = 1 AND b = 2) OR a IS NULL"), nested);
  // One opaque branch makes the whole OR unconstrained.
  EXPECT_EQ(where("a = 1 OR lower(s) = 'x'"), std::nullopt);
  EXPECT_EQ(where("lower(s) = 'x' AND a = 1"), conj({cmp({"a"}, Op::Eq, i(1))}));
  EXPECT_EQ(where("a + 1 = 2"), std::nullopt);
  EXPECT_EQ(where("a::INT = 5"), std::nullopt);
  EXPECT_EQ(where("a = b"), std::nullopt);
  EXPECT_EQ(where("a = NULL"), std::nullopt);
  EXPECT_EQ(where("b"), std::nullopt);
  EXPECT_EQ(where("NOT (a > 1 AND b < 2)"), std::nullopt);
  EXPECT_EQ(where("a IS NOT DISTINCT FROM 1"), std::nullopt);
  EXPECT_EQ(where("a = 1 AND true"), conj({cmp({"a"}, Op::Eq, i(1))}));
  EXPECT_EQ(where("a LIKE 'x%'"), std::nullopt);
}

TEST_F(StatsExtract, WholeStatementsAndErrors) {
  Result<std::optional<Predicate>> r = select("SELECT * FROM t WHERE a = 1e400 AND b = 2");
  ASSERT_TRUE(r.ok()) << r.error().message();  // DuckDB writes Infinity; that constant is dropped
  EXPECT_EQ(*r, conj({cmp({"b"}, Op::Eq, i(2))}));
  r = select("SELECT * FROM t");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, std::nullopt);
  r = select("SELECT * FROM WHERE");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
  r = predicate_from_serialized_where("{not json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
  r = predicate_from_serialized_where("null");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, std::nullopt);
}

TEST_F(StatsExtract, EndToEndOnConformanceStats) {
  REQUIRE_CONFORMANCE(dir);
  // integer is 0..11 across the 12 files of this table, one value per file.
  std::optional<Predicate> p =
      where("\"integer\" >= 6 AND \"string\" = 'string' AND \"date\" <= DATE '2022-10-24'");
  ASSERT_TRUE(p.has_value());
  ColumnKinds kinds = {
      {{"integer"}, StatKind::Int}, {{"string"}, StatKind::String}, {{"date"}, StatKind::Date}};
  SkippingFilter filter(*p, kinds);
  std::vector<std::string> stats = add_stats(dir / "delta-1.2.1-only-struct-stats");
  ASSERT_EQ(stats.size(), 12u);
  for (size_t n = 0; n < stats.size(); n++) {
    Result<FileStats> st = parse_file_stats(stats[n], filter.stats_columns());
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->columns.size(), 3u);
    EXPECT_EQ(filter.may_contain_match(*st), n >= 6) << n;
  }
}

}  // namespace
}  // namespace silt::delta
