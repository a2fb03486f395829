// Tests for the data writer against real DuckDB and real files: schema_of_query's type mapping, and
// write_data_files' AddFiles (paths, sizes, partition values, stats checked against plain DuckDB SQL
// over each file), with the written table read back through read_parquet and silt's delta_scan.
#include "ops/data_writer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>
#include <set>

#include "../support/temp_table.h"
#include "delta/log/action_writer.h"
#include "delta/schema/partition_value.h"
#include "delta/stats/file_stats.h"
#include "scan/session.h"
#include "util/path.h"
#include "util/sql_text.h"
#include "util/time.h"

// Options are spelled with designated initializers; GCC 12 warns about every member left out.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace silt::ops {
namespace {

namespace fs = std::filesystem;
using delta::AddFile;
using delta::ColumnPath;
using delta::FileStats;
using delta::StatValue;
using delta::StructType;

// ---------------------------------------------------------------------------------------------
// Helpers

class DataWriterTest : public ::testing::Test {
 public:  // the stats and partition checks below are free functions
  void SetUp() override {
    auto session = Session::open();
    ASSERT_TRUE(session.ok()) << session.error().message();
    session_ = std::move(session).value();
  }

  db::Connection& conn() { return session_->connection(); }
  const std::string& root() const { return table_.root(); }

  void exec(const std::string& sql) {
    Status st = conn().execute(sql);
    ASSERT_TRUE(st.ok()) << st.error().message();
  }
  // Every value as DuckDB prints it (NULL -> nullopt).
  db::QueryResult::TextRows rows(const std::string& sql) {
    auto r = conn().query_text(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << (r.ok() ? "" : r.error().message());
    return r.ok() ? std::move(r).value() : db::QueryResult::TextRows{};
  }
  std::string scalar(const std::string& sql) {
    auto r = rows(sql);
    return r.empty() ? "<no rows>" : r[0][0].value_or("NULL");
  }

  StructType schema_of(const std::string& sql) {
    auto schema = schema_of_query(conn(), sql);
    EXPECT_TRUE(schema.ok()) << schema.error().message();
    return schema.ok() ? std::move(schema).value() : StructType{};
  }

  std::vector<AddFile> write(const std::string& sql, const StructType& schema,
                             const DataWriteOptions& options = {}) {
    auto adds = write_data_files(conn(), root(), sql, schema, options);
    EXPECT_TRUE(adds.ok()) << adds.error().message();
    return adds.ok() ? std::move(adds).value() : std::vector<AddFile>{};
  }

  std::string local_path(const AddFile& add) {
    auto decoded = url_decode(add.path);
    EXPECT_TRUE(decoded.ok());
    return root() + "/" + decoded.value();
  }

  // A DuckDB list literal of every file's local path, for read_parquet.
  std::string file_list(const std::vector<AddFile>& adds) {
    std::vector<std::string> paths;
    for (const AddFile& add : adds) paths.push_back(local_path(add));
    return string_list_literal(paths);
  }

  // What every AddFile must satisfy, whatever was written.
  void expect_well_formed(const std::vector<AddFile>& adds, int64_t expected_rows) {
    int64_t rows = 0;
    std::set<std::string> paths;
    for (const AddFile& add : adds) {
      SCOPED_TRACE(add.path);
      EXPECT_FALSE(add.path.starts_with("/"));
      EXPECT_TRUE(paths.insert(add.path).second);
      std::string file = local_path(add);
      ASSERT_TRUE(fs::exists(file));
      EXPECT_EQ(add.size, static_cast<int64_t>(fs::file_size(file)));
      EXPECT_TRUE(add.data_change);
      EXPECT_GT(add.modification_time, now_ms() - 600'000);
      EXPECT_LE(add.modification_time, now_ms());
      auto stats = delta::parse_file_stats(add.stats);
      ASSERT_TRUE(stats.ok()) << add.stats << ": " << stats.error().message();
      ASSERT_TRUE(stats->num_records.has_value());
      EXPECT_GT(*stats->num_records, 0);
      EXPECT_EQ(scalar("SELECT count(*) FROM read_parquet(" + quote_literal(file) + ")"),
                std::to_string(*stats->num_records));
      rows += *stats->num_records;
    }
    EXPECT_EQ(rows, expected_rows);
  }

  // Writes version 0 of the table: protocol, metaData and the adds.
  void commit(const StructType& schema, const std::vector<AddFile>& adds,
              std::vector<std::string> partitions = {}, std::map<std::string, std::string> configuration = {},
              delta::Protocol protocol = {}) {
    delta::Metadata metadata;
    metadata.id = "test-table";
    metadata.schema_string = delta::to_schema_json(schema);
    metadata.partition_columns = std::move(partitions);
    metadata.configuration = std::move(configuration);
    metadata.created_time = now_ms();
    std::vector<delta::Action> actions{protocol, metadata};
    actions.insert(actions.end(), adds.begin(), adds.end());
    table_.write("_delta_log/" + testing::TempTable::version_file(0), delta::commit_text(actions));
  }

  // Rows of `a` missing from `b` plus rows of `b` missing from `a`, duplicates counted.
  std::string difference(const std::string& a, const std::string& b) {
    return run_scalar("SELECT (SELECT count(*) FROM (" + a + " EXCEPT ALL " + b +
                      ")) + (SELECT count(*) FROM (" + b + " EXCEPT ALL " + a + "))");
  }
  std::string delta_scan() { return "SELECT * FROM delta_scan(" + quote_literal(root()) + ")"; }
  // First value of a statement run through silt's SQL front end (delta_scan expanded).
  std::string run_scalar(const std::string& sql) {
    auto r = session_->run(sql);
    if (!r.ok()) return "error: " + r.error().message();
    auto text = r->rows_as_text();
    if (!text.ok()) return "error: " + text.error().message();
    return text->empty() ? "<no rows>" : text->at(0).at(0).value_or("NULL");
  }

  std::unique_ptr<Session> session_;
  testing::TempTable table_;
};

// ---- stats checks: each file's stats against min / max / count over the file, by plain SQL ----

enum class Kind { Number, String, Timestamp, Date, Bool, NullCountOnly, None };

struct Leaf {
  ColumnPath path;  // as in the stats (physical names)
  std::string sql;  // the column in read_parquet of the file
  Kind kind;
};

double as_double(const StatValue& v) {
  if (const int64_t* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (const double* d = std::get_if<double>(&v)) return *d;
  ADD_FAILURE() << "not a number";
  return 0;
}

const std::string& as_string(const StatValue& v) {
  static const std::string kNone = "<not a string>";
  const std::string* s = std::get_if<std::string>(&v);
  EXPECT_NE(s, nullptr);
  return s ? *s : kNone;
}

size_t utf8_chars(std::string_view s) {
  return std::count_if(s.begin(), s.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string utf8_prefix(std::string_view s, size_t chars) {
  size_t seen = 0, pos = 0;
  for (; pos < s.size(); ++pos) {
    if ((static_cast<unsigned char>(s[pos]) & 0xC0) != 0x80 && seen++ == chars) break;
  }
  return std::string(s.substr(0, pos));
}

// A string min is the true min cut to 32 characters; a max is the true max, or a cut of it that
// is still above it (compared as bytes, as Delta compares UTF-8).
void expect_string_bounds(const std::string& min, const std::string& max, const std::string& true_min,
                          const std::string& true_max) {
  EXPECT_EQ(min, utf8_chars(true_min) <= 32 ? true_min : utf8_prefix(true_min, 32));
  if (utf8_chars(true_max) <= 32) {
    EXPECT_EQ(max, true_max);
  } else {
    EXPECT_TRUE(max.starts_with(utf8_prefix(true_max, 32))) << max;
    EXPECT_GT(max, true_max);
    EXPECT_LE(utf8_chars(max), 33u) << max;
  }
}

std::string min_max_sql(const Leaf& leaf) {
  const std::string& c = leaf.sql;
  switch (leaf.kind) {
    case Kind::Number:
      return fmt::format("min({0})::DOUBLE, max({0})::DOUBLE", c);
    case Kind::Timestamp:  // milliseconds: min rounded down, max up
      return fmt::format("floor(epoch_us(min({0})) / 1000)::BIGINT, ceil(epoch_us(max({0})) / 1000)::BIGINT",
                         c);
    case Kind::Date:
      return fmt::format("strftime(min({0}), '%Y-%m-%d'), strftime(max({0}), '%Y-%m-%d')", c);
    default:
      return fmt::format("min({0})::VARCHAR, max({0})::VARCHAR", c);
  }
}

void expect_bounds(const Leaf& leaf, const delta::ColumnStats* stats, const std::optional<std::string>& min,
                   const std::optional<std::string>& max) {
  bool has_bounds = leaf.kind != Kind::NullCountOnly && min.has_value();
  ASSERT_EQ(stats && stats->min.has_value(), has_bounds);
  ASSERT_EQ(stats && stats->max.has_value(), has_bounds);
  if (!has_bounds) return;
  switch (leaf.kind) {
    case Kind::Number:
      EXPECT_EQ(as_double(*stats->min), std::stod(*min));
      EXPECT_EQ(as_double(*stats->max), std::stod(*max));
      break;
    case Kind::Timestamp:
      EXPECT_EQ(parse_timestamp_ms(as_string(*stats->min)).value(), std::stoll(*min))
          << as_string(*stats->min);
      EXPECT_EQ(parse_timestamp_ms(as_string(*stats->max)).value(), std::stoll(*max))
          << as_string(*stats->max);
      break;
    case Kind::Bool:
      EXPECT_EQ(std::get<bool>(*stats->min), *min == "true");
      EXPECT_EQ(std::get<bool>(*stats->max), *max == "true");
      break;
    case Kind::String:
      expect_string_bounds(as_string(*stats->min), as_string(*stats->max), *min, *max);
      break;
    default:
      EXPECT_EQ(as_string(*stats->min), *min);
      EXPECT_EQ(as_string(*stats->max), *max);
  }
}

void DataWriterTest_expect_stats(DataWriterTest* t, const AddFile& add, const std::vector<Leaf>& leaves);

// ---------------------------------------------------------------------------------------------
// schema_of_query

TEST_F(DataWriterTest, SchemaOfEveryPrimitiveType) {
  exec("CREATE TYPE mood AS ENUM ('happy', 'sad')");
  StructType schema = schema_of(
      "SELECT 1::BIGINT AS a, 1::INTEGER AS b, 1::SMALLINT AS c, 1::TINYINT AS d, 1::DOUBLE AS e, 1::FLOAT "
      "AS f, "
      "true AS g, 'x' AS h, 'x'::BLOB AS i, DATE '2024-01-01' AS j, TIMESTAMPTZ '2024-01-01 00:00:00+00' AS "
      "k, "
      "TIMESTAMP '2024-01-01' AS l, '2024-01-01'::TIMESTAMP_MS AS m, '2024-01-01'::TIMESTAMP_S AS n, "
      "'2024-01-01'::TIMESTAMP_NS AS o, 1.5::DECIMAL(10,3) AS p, 1::DECIMAL(38,10) AS q, 1::UTINYINT AS r, "
      "1::USMALLINT AS s, 1::UINTEGER AS t, 1::UBIGINT AS u, 1::HUGEINT AS v, 1::UHUGEINT AS w, "
      "'happy'::mood AS x, uuid() AS y, 1::DECIMAL(4,0) AS z");
  std::vector<std::string> expected = {
      "long",          "integer",       "short",         "byte",          "double",         "float",
      "boolean",       "string",        "binary",        "date",          "timestamp",      "timestamp_ntz",
      "timestamp_ntz", "timestamp_ntz", "timestamp_ntz", "decimal(10,3)", "decimal(38,10)", "short",
      "integer",       "long",          "decimal(20,0)", "decimal(38,0)", "decimal(38,0)",  "string",
      "string",        "decimal(4,0)"};
  ASSERT_EQ(schema.fields.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(schema.fields[i].name, std::string(1, char('a' + i)));
    EXPECT_EQ(delta::delta_type_name(schema.fields[i].type), expected[i]) << schema.fields[i].name;
    EXPECT_TRUE(schema.fields[i].nullable);
  }
}

TEST_F(DataWriterTest, SchemaOfNestedTypes) {
  StructType schema = schema_of(
      "SELECT {'a': 1, 'b': [1.5::DOUBLE], 'c': {'d': TIMESTAMPTZ '2024-01-01 00:00:00+00'}} AS s, [[1]] AS "
      "ll, "
      "MAP {'k': {'x': 1.25::DECIMAL(5,2)}} AS m, [1, 2]::INTEGER[2] AS fixed, [{'q': TIMESTAMP "
      "'2024-01-01'}] AS ls");
  ASSERT_EQ(schema.fields.size(), 5u);
  auto field = [](const char* name, const char* type) {
    return fmt::format(R"({{"name":"{}","type":{},"nullable":true,"metadata":{{}}}})", name, type);
  };
  auto strct = [](const std::string& fields) { return R"({"type":"struct","fields":[)" + fields + "]}"; };
  auto array = [](const std::string& element) {
    return R"({"type":"array","elementType":)" + element + R"(,"containsNull":true})";
  };
  std::string s = strct(field("a", R"("integer")") + "," + field("b", array(R"("double")").c_str()) + "," +
                        field("c", strct(field("d", R"("timestamp")")).c_str()));
  EXPECT_EQ(delta::delta_type_name(schema.fields[0].type), s);
  EXPECT_EQ(delta::delta_type_name(schema.fields[1].type), array(array(R"("integer")")));
  EXPECT_EQ(delta::delta_type_name(schema.fields[2].type),
            R"({"type":"map","keyType":"string","valueType":)" + strct(field("x", R"x("decimal(5,2)")x")) +
                R"(,"valueContainsNull":true})");
  EXPECT_EQ(delta::delta_type_name(schema.fields[3].type), array(R"("integer")"));
  EXPECT_EQ(delta::delta_type_name(schema.fields[4].type), array(strct(field("q", R"("timestamp_ntz")"))));
  // The schema string round-trips through the log's parser.
  auto parsed = delta::parse_schema(delta::to_schema_json(schema));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(*parsed, schema);
}

TEST_F(DataWriterTest, SchemaOfRefusesTypesDeltaCannotHold) {
  struct Case {
    std::string sql, column, type;
  };
  for (const Case& c : std::vector<Case>{{"SELECT 1 AS ok, TIME '10:00' AS t", "'t'", "TIME"},
                                         {"SELECT INTERVAL 1 DAY AS iv", "'iv'", "INTERVAL"},
                                         {"SELECT union_value(k := 1) AS u", "'u'", "UNION"},
                                         {"SELECT {'x': [TIME '10:00']} AS s", "'s.x.element'", "TIME"},
                                         {"SELECT MAP {'k': INTERVAL 1 DAY} AS m", "'m.value'", "INTERVAL"},
                                         {"SELECT '101'::BIT AS b", "'b'", "BIT"}}) {
    auto schema = schema_of_query(conn(), c.sql);
    ASSERT_FALSE(schema.ok()) << c.sql;
    EXPECT_EQ(schema.error().kind(), ErrorKind::Unsupported) << schema.error().message();
    EXPECT_NE(schema.error().message().find(c.column), std::string::npos) << schema.error().message();
    EXPECT_NE(schema.error().message().find(c.type), std::string::npos) << schema.error().message();
  }
  auto bad = schema_of_query(conn(), "SELECT * FROM no_such_table");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_EQ(bad.error().message().find('\n'), std::string::npos);
  // A trailing semicolon or comment does not break the wrapping subquery.
  EXPECT_EQ(schema_of("SELECT 1 AS a; ").fields.size(), 1u);
  EXPECT_EQ(schema_of("SELECT 1 AS a -- comment").fields.size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Unpartitioned writes

constexpr const char* kAllTypes = R"(
  CREATE TABLE src AS SELECT
    i::BIGINT AS id,
    (i % 100)::INTEGER AS i32,
    (i % 7 - 3)::SMALLINT AS i16,
    (i % 5)::TINYINT AS i8,
    CASE WHEN i % 10 = 0 THEN NULL ELSE i * 0.5 - 100 END::DOUBLE AS dbl,
    (i / 3 + 0.1)::FLOAT AS flt,
    (i % 2 = 0) AS flag,
    CASE WHEN i % 11 = 0 THEN NULL ELSE 'name ' || i END AS name,
    CASE WHEN i % 3 = 0 THEN repeat('long-é-', 6) || i ELSE 'short' || i END AS text,
    (i * 1.25 - 50)::DECIMAL(12,2) AS amount,
    DATE '2024-01-01' + (i % 400)::INT AS day,
    TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i * 1000003) MICROSECOND AS ts,
    TIMESTAMP '2023-06-01 12:00:00' + INTERVAL (i * 777) MICROSECOND AS ts_ntz,
    ('blob' || i)::BLOB AS bin,
    {'a': i, 'b': {'c': 'x' || (i % 13)}} AS st,
    CASE WHEN i % 4 = 0 THEN NULL ELSE {'a': i, 'b': {'c': NULL}} END AS st2,
    [i, i + 1] AS arr,
    MAP {'k': i} AS mp,
    NULL::INTEGER AS nothing
  FROM range(5000) r(i))";

std::vector<Leaf> all_types_leaves() {
  return {{{"id"}, "id", Kind::Number},
          {{"i32"}, "i32", Kind::Number},
          {{"i16"}, "i16", Kind::Number},
          {{"i8"}, "i8", Kind::Number},
          {{"dbl"}, "dbl", Kind::Number},
          {{"flt"}, "flt", Kind::Number},
          {{"flag"}, "flag", Kind::Bool},
          {{"name"}, "name", Kind::String},
          {{"text"}, "text", Kind::String},
          {{"amount"}, "amount", Kind::Number},
          {{"day"}, "day", Kind::Date},
          {{"ts"}, "ts", Kind::Timestamp},
          {{"ts_ntz"}, "ts_ntz", Kind::Timestamp},
          {{"bin"}, "bin", Kind::NullCountOnly},
          {{"st", "a"}, "st.a", Kind::Number},
          {{"st", "b", "c"}, "st.b.c", Kind::String},
          {{"st2", "a"}, "st2.a", Kind::Number},
          {{"st2", "b", "c"}, "st2.b.c", Kind::String},
          {{"arr"}, "arr", Kind::None},
          {{"mp"}, "mp", Kind::None},
          {{"nothing"}, "nothing", Kind::Number}};
}

void DataWriterTest_expect_stats(DataWriterTest* t, const AddFile& add, const std::vector<Leaf>& leaves) {
  SCOPED_TRACE(add.stats);
  auto stats = delta::parse_file_stats(add.stats);
  ASSERT_TRUE(stats.ok()) << stats.error().message();
  std::string file = t->root() + "/" + url_decode(add.path).value();
  for (const Leaf& leaf : leaves) {
    SCOPED_TRACE(leaf.sql);
    const delta::ColumnStats* got = stats->find(leaf.path);
    if (leaf.kind == Kind::None) {
      EXPECT_EQ(got, nullptr);
      continue;
    }
    std::string sql = fmt::format("SELECT count(*) - count({0}), {1} FROM read_parquet({2})", leaf.sql,
                                  min_max_sql(leaf), quote_literal(file));
    auto rows = t->conn().query_text(sql);
    ASSERT_TRUE(rows.ok()) << rows.error().message();
    const auto& row = rows->at(0);
    ASSERT_NE(got, nullptr);
    ASSERT_TRUE(got->null_count.has_value());
    EXPECT_EQ(std::to_string(*got->null_count), *row[0]);
    expect_bounds(leaf, got, row[1], row[2]);
  }
}

TEST_F(DataWriterTest, WritesEveryTypeWithExactStats) {
  exec(kAllTypes);
  StructType schema = schema_of("SELECT * FROM src");
  DataWriteOptions options;
  options.num_indexed_cols = -1;
  std::vector<AddFile> adds = write("SELECT * FROM src", schema, options);
  ASSERT_EQ(adds.size(), 1u);
  expect_well_formed(adds, 5000);
  EXPECT_TRUE(adds[0].partition_values.empty());
  EXPECT_TRUE(adds[0].path.starts_with("part-") && adds[0].path.ends_with(".parquet")) << adds[0].path;
  DataWriterTest_expect_stats(this, adds[0], all_types_leaves());
  // Timestamps in the stats: ISO with Z for timestamp, without for timestamp_ntz; milliseconds.
  EXPECT_NE(adds[0].stats.find(R"("ts":"2024-01-01T00:00:00.000Z")"), std::string::npos);
  EXPECT_NE(adds[0].stats.find(R"("ts_ntz":"2023-06-01T12:00:00.000")"), std::string::npos);
  EXPECT_NE(adds[0].stats.find(R"("st2":{"a":1250,"b":{"c":5000}})"), std::string::npos)
      << "nested null counts";
  // Same rows through read_parquet and through silt's reader after a hand-written commit.
  EXPECT_EQ(difference("SELECT * FROM read_parquet(" + file_list(adds) + ")", "SELECT * FROM src"), "0");
  commit(schema, adds);
  EXPECT_EQ(difference(delta_scan(), "SELECT * FROM src"), "0");
}

TEST_F(DataWriterTest, CastsAndOrdersColumnsToTheTableSchema) {
  exec("CREATE TABLE src AS SELECT 'x' || i AS name, i::INTEGER AS ID FROM range(10) r(i)");
  StructType schema = schema_of("SELECT 1::BIGINT AS id, 'a' AS name, 1.5::DOUBLE AS extra");
  std::vector<AddFile> adds = write("SELECT * FROM src", schema);
  ASSERT_EQ(adds.size(), 1u);
  auto described = rows("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(" +
                        file_list(adds) + "))");
  ASSERT_EQ(described.size(), 3u);
  EXPECT_EQ(*described[0][0] + " " + *described[0][1], "id BIGINT");
  EXPECT_EQ(*described[1][0] + " " + *described[1][1], "name VARCHAR");
  EXPECT_EQ(*described[2][0] + " " + *described[2][1], "extra DOUBLE");
  EXPECT_EQ(scalar("SELECT count(*) FROM read_parquet(" + file_list(adds) + ") WHERE extra IS NULL"), "10");
  // Query columns the schema lacks are refused; so is a NULL in a non-nullable column.
  auto extra = write_data_files(conn(), root(), "SELECT 1 AS id, 2 AS other", schema, {});
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(extra.error().message().find("'other'"), std::string::npos);
  schema.fields[0].nullable = false;
  auto null_id = write_data_files(conn(), root(), "SELECT NULL::BIGINT AS id", schema, {});
  ASSERT_FALSE(null_id.ok());
  EXPECT_NE(null_id.error().message().find("non-nullable column id"), std::string::npos)
      << null_id.error().message();
}

TEST_F(DataWriterTest, AwkwardColumnNamesKeepTheirStats) {
  // RETURN_STATS keys columns by quoted, dot-joined paths: dots and quotes inside names must not confuse it.
  exec(R"(CREATE TABLE src AS SELECT i AS "a.b", 'v' || i AS "x""y", {'c.d': i, 'é f': -i} AS "s t" )"
       "FROM range(10) r(i)");
  StructType schema = schema_of("SELECT * FROM src");
  std::vector<AddFile> adds = write("SELECT * FROM src", schema);
  ASSERT_EQ(adds.size(), 1u);
  DataWriterTest_expect_stats(this, adds[0],
                              {{{"a.b"}, R"("a.b")", Kind::Number},
                               {{"x\"y"}, R"("x""y")", Kind::String},
                               {{"s t", "c.d"}, R"("s t"."c.d")", Kind::Number},
                               {{"s t", "é f"}, R"("s t"."é f")", Kind::Number}});
  commit(schema, adds);
  EXPECT_EQ(difference(delta_scan(), "SELECT * FROM src"), "0");
}

TEST_F(DataWriterTest, RefusesBadOptions) {
  StructType schema = schema_of("SELECT 1 AS a, 'x' AS b, 'x'::BLOB AS c, [1] AS d");
  auto fails = [&](DataWriteOptions options, const std::string& text) {
    auto r = write_data_files(conn(), root(), "SELECT 1 AS a", schema, options);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.error().message().find(text), std::string::npos) << r.error().message();
  };
  fails({.partition_columns = {"nope"}}, "'nope'");
  fails({.partition_columns = {"a", "A"}}, "twice");
  fails({.partition_columns = {"a", "b", "c", "d"}}, "all columns");
  fails({.partition_columns = {"c"}}, "binary");
  fails({.partition_columns = {"d"}}, "cannot partition");
  fails({.compression = "gzip"}, "zstd or snappy");
  fails({.target_file_size = 0}, "positive");
  fails({.no_stats_columns = {"ssn"}}, "'ssn'");
  EXPECT_EQ(std::distance(fs::directory_iterator(root()), fs::directory_iterator()), 1) << "only _delta_log";
}

TEST_F(DataWriterTest, TruncatesStringStatsAsSparkDoes) {
  std::string a32(32, 'a');
  // Each column holds one value, so its min and max are that value.
  exec(R"(CREATE TABLE src AS SELECT
      repeat('a', 40) AS ascii,
      repeat('a', 32) || 'éx' AS cut_before_non_ascii,
      repeat('é', 32) || '~~' AS cut_before_tilde,
      repeat('z', 32) || chr(127) || 'a' AS cut_before_del,
      repeat('a', 32) || chr(1114111) || 'b' AS cut_at_max_char,
      repeat(chr(1114111), 70) AS all_max_chars,
      repeat('q', 32) AS exactly_32,
      repeat('ab', 200) || 'z' AS very_long)");
  StructType schema = schema_of("SELECT * FROM src");
  std::vector<AddFile> adds = write("SELECT * FROM src", schema);
  ASSERT_EQ(adds.size(), 1u);
  auto stats = delta::parse_file_stats(adds[0].stats);
  ASSERT_TRUE(stats.ok()) << stats.error().message();
  auto min = [&](const char* c) { return stats->find({c}) ? as_string(*stats->find({c})->min) : "<none>"; };
  auto max = [&](const char* c) {
    const delta::ColumnStats* s = stats->find({c});
    return s && s->max ? as_string(*s->max) : "<none>";
  };
  const std::string kMaxChar = "\xF4\x8F\xBF\xBF";
  EXPECT_EQ(min("ascii"), a32);
  EXPECT_EQ(max("ascii"), a32 + "\x7F");
  EXPECT_EQ(max("cut_before_non_ascii"), a32 + kMaxChar);
  std::string e32;
  for (int i = 0; i < 32; ++i) e32 += "é";
  EXPECT_EQ(min("cut_before_tilde"), e32);
  EXPECT_EQ(max("cut_before_tilde"), e32 + "\x7F");
  EXPECT_EQ(max("cut_before_del"), std::string(32, 'z') + kMaxChar);
  EXPECT_EQ(max("cut_at_max_char"), a32 + kMaxChar + "\x7F");
  EXPECT_EQ(max("all_max_chars"), "<none>") << "no tie-breaker is above U+10FFFF";
  EXPECT_EQ(min("exactly_32"), std::string(32, 'q'));
  EXPECT_EQ(max("exactly_32"), std::string(32, 'q'));
  std::string ab = scalar("SELECT repeat('ab', 16)");
  EXPECT_EQ(min("very_long"), ab);
  EXPECT_EQ(max("very_long"), ab + "\x7F");
  // Every max is still an upper bound of its column, byte-wise.
  for (const auto& field : schema.fields) {
    const char* c = field.name.c_str();
    if (max(c) == "<none>") continue;
    EXPECT_GE(max(c), scalar("SELECT " + quote_ident(c) + " FROM src")) << c;
  }
}

TEST_F(DataWriterTest, HonoursNumIndexedColsAndNoStatsColumns) {
  exec(
      "CREATE TABLE src AS SELECT i AS a, {'x': i, 'y': -i} AS s, 'secret' || i AS ssn, i * 2 AS b, "
      "i % 2 AS p FROM range(100) r(i)");
  // The partition column p comes first but is not in the files, so it is not counted.
  StructType schema = schema_of("SELECT p, a, s, ssn, b FROM src");
  auto keys = [&](const DataWriteOptions& options) {
    fs::remove_all(root());
    std::vector<AddFile> adds = write("SELECT * FROM src", schema, options);
    std::set<std::string> out;
    for (const AddFile& add : adds) {
      auto stats = delta::parse_file_stats(add.stats);
      EXPECT_TRUE(stats.ok());
      EXPECT_EQ(stats->num_records, 50);
      for (const auto& c : stats->columns) {
        std::string key;
        for (const auto& part : c.path) key += (key.empty() ? "" : ".") + part;
        out.insert(key);
      }
    }
    return out;
  };
  using Keys = std::set<std::string>;
  EXPECT_EQ(keys({.partition_columns = {"p"}, .num_indexed_cols = 3}), (Keys{"a", "s.x", "s.y"}));
  EXPECT_EQ(keys({.partition_columns = {"p"}, .num_indexed_cols = 0}), Keys{});
  EXPECT_EQ(keys({.partition_columns = {"p"}, .num_indexed_cols = -1}),
            (Keys{"a", "s.x", "s.y", "ssn", "b"}));
  EXPECT_EQ(keys({.partition_columns = {"p"}, .num_indexed_cols = 3, .no_stats_columns = {"S", "ssn"}}),
            (Keys{"a", "b"}));
  // A no-stats column leaves no trace in the stats, not even its null count.
  std::vector<AddFile> adds = write("SELECT * FROM src", schema, {.no_stats_columns = {"ssn"}});
  ASSERT_FALSE(adds.empty());
  for (const AddFile& add : adds) {
    EXPECT_EQ(add.stats.find("ssn"), std::string::npos) << add.stats;
    EXPECT_EQ(add.stats.find("secret"), std::string::npos) << add.stats;
  }
}

TEST_F(DataWriterTest, FloatingPointStatsStayBounds) {
  exec(
      "CREATE TABLE src AS SELECT * FROM (VALUES (1, 0.1::FLOAT, 1.5::DOUBLE), (2, 'inf'::FLOAT, "
      "'nan'::DOUBLE), "
      "(3, -0.0::FLOAT, -2.0::DOUBLE)) v(id, f, d)");
  StructType schema = schema_of("SELECT * FROM src");
  std::vector<AddFile> adds = write("SELECT * FROM src", schema);
  ASSERT_EQ(adds.size(), 1u);
  auto stats = delta::parse_file_stats(adds[0].stats);
  ASSERT_TRUE(stats.ok()) << stats.error().message();
  const delta::ColumnStats* f = stats->find({"f"});
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(as_double(*f->min), -0.0);
  EXPECT_FALSE(f->max.has_value()) << "infinity is not JSON: no max";
  const delta::ColumnStats* d = stats->find({"d"});
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(as_double(*d->min), -2.0);
  EXPECT_FALSE(d->max.has_value()) << "NaN sorts above every number: no max";
  // A float is written as its exact value, so it bounds the float whether read as float or double.
  exec("CREATE TABLE src2 AS SELECT 0.1::FLOAT AS f");
  adds = write("SELECT * FROM src2", schema_of("SELECT * FROM src2"));
  ASSERT_EQ(adds.size(), 1u);
  auto stats2 = delta::parse_file_stats(adds[0].stats);
  EXPECT_EQ(as_double(*stats2->find({"f"})->max), static_cast<double>(0.1f));
  EXPECT_EQ(static_cast<float>(as_double(*stats2->find({"f"})->max)), 0.1f);
}

TEST_F(DataWriterTest, TimestampStatsAreMillisecondsRoundedOutward) {
  exec("SET TimeZone = 'America/New_York'");  // stats are UTC whatever the session's zone
  exec(
      "CREATE TABLE src AS SELECT * FROM (VALUES "
      "(TIMESTAMPTZ '2024-01-01 10:00:00.123456+00', TIMESTAMP '1969-12-31 23:59:59.999001'), "
      "(TIMESTAMPTZ '2024-01-01 10:00:09.123001+00', TIMESTAMP '1970-01-01 00:00:00.000001')) v(ts, ntz)");
  std::vector<AddFile> adds = write("SELECT * FROM src", schema_of("SELECT * FROM src"));
  ASSERT_EQ(adds.size(), 1u);
  const std::string& s = adds[0].stats;
  EXPECT_NE(s.find(R"("minValues":{"ts":"2024-01-01T10:00:00.123Z","ntz":"1969-12-31T23:59:59.999")"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find(R"("maxValues":{"ts":"2024-01-01T10:00:09.124Z","ntz":"1970-01-01T00:00:00.001")"),
            std::string::npos)
      << s;
}

// ---------------------------------------------------------------------------------------------
// Partitioned writes

constexpr const char* kPartitioned = R"(
  CREATE TABLE src AS SELECT
    i::BIGINT AS id,
    CASE i % 10 WHEN 0 THEN NULL WHEN 1 THEN 'a b' WHEN 2 THEN 'x/y' WHEN 3 THEN 'k=v' WHEN 4 THEN '50%'
      WHEN 5 THEN 'über' WHEN 6 THEN '日本' WHEN 7 THEN 'q?#:' WHEN 8 THEN '__HIVE_DEFAULT_PARTITION__'
      ELSE 'plain' END AS region,
    CASE WHEN i % 13 = 0 THEN NULL ELSE (i % 3)::INTEGER END AS bucket,
    CASE WHEN i % 17 = 0 THEN NULL ELSE DATE '2024-03-01' + (i % 2)::INT END AS day,
    'v' || i AS payload
  FROM range(3000) r(i))";

// Every row of the file has the add's partition values: join the file back to the source by id.
void expect_partition_values_hold(DataWriterTest* t, const StructType& schema, const AddFile& add) {
  std::string mismatch = "FALSE";
  for (const auto& [column, value] : add.partition_values) {
    const delta::StructField* field = delta::find_field(schema, column);
    ASSERT_NE(field, nullptr);
    auto literal = delta::partition_value_sql(value, field->type);
    ASSERT_TRUE(literal.ok()) << literal.error().message();
    mismatch += fmt::format(" OR s.{} IS DISTINCT FROM {}", quote_ident(column), *literal);
  }
  std::string file = t->root() + "/" + url_decode(add.path).value();
  auto n =
      t->conn().scalar(fmt::format("SELECT count(*) FROM read_parquet({}) f JOIN src s USING (id) WHERE {}",
                                   quote_literal(file), mismatch));
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(n->value_or("?"), "0") << add.path;
}

TEST_F(DataWriterTest, WritesHivePartitionsWithTypedValues) {
  exec(kPartitioned);
  StructType schema = schema_of("SELECT * FROM src");
  std::vector<AddFile> adds =
      write("SELECT * FROM src", schema, {.partition_columns = {"region", "bucket", "day"}});
  expect_well_formed(adds, 3000);
  std::set<std::optional<std::string>> regions;
  bool saw_null_bucket = false;
  for (const AddFile& add : adds) {
    SCOPED_TRACE(add.path);
    ASSERT_EQ(add.partition_values.size(), 3u);
    EXPECT_EQ(add.partition_values[0].first, "region");
    EXPECT_EQ(add.partition_values[1].first, "bucket");
    EXPECT_EQ(add.partition_values[2].first, "day");
    regions.insert(add.partition_values[0].second);
    saw_null_bucket |= !add.partition_values[1].second.has_value();
    if (const auto& day = add.partition_values[2].second) {
      EXPECT_TRUE(*day == "2024-03-01" || *day == "2024-03-02") << *day;
    }
    // The directories are DuckDB's escaped hive names, the log path their URL encoding.
    EXPECT_TRUE(add.path.starts_with("region=")) << add.path;
    EXPECT_EQ(add.path.find(' '), std::string::npos);
    expect_partition_values_hold(this, schema, add);
    DataWriterTest_expect_stats(this, add,
                                {{{"id"}, "id", Kind::Number}, {{"payload"}, "payload", Kind::String}});
    auto stats = delta::parse_file_stats(add.stats);
    EXPECT_EQ(stats->find({"region"}), nullptr) << "partition columns have no stats";
  }
  EXPECT_TRUE(saw_null_bucket);
  using Region = std::optional<std::string>;
  EXPECT_EQ(regions, (std::set<Region>{std::nullopt, "a b", "x/y", "k=v", "50%", "über", "日本",
                                       "q?#:", "__HIVE_DEFAULT_PARTITION__", "plain"}));
  // Partition columns are not stored in the files.
  auto described = rows("SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(" + file_list(adds) +
                        ", hive_partitioning = false))");
  ASSERT_EQ(described.size(), 2u);
  EXPECT_EQ(*described[0][0], "id");
  EXPECT_EQ(*described[1][0], "payload");
  commit(schema, adds, {"region", "bucket", "day"});
  EXPECT_EQ(difference(delta_scan(), "SELECT * FROM src"), "0");
}

TEST_F(DataWriterTest, SerializesEveryPartitionType) {
  exec("SET TimeZone = 'Asia/Kolkata'");  // partition timestamps are UTC whatever the session's zone
  exec(R"(CREATE TABLE src AS SELECT * FROM (VALUES
      (1, true, 7::TINYINT, -12.50::DECIMAL(6,2), 2.5::DOUBLE, TIMESTAMPTZ '2024-01-01 10:00:00.123456+00',
       TIMESTAMP '2024-02-03 04:05:06', ''),
      (2, false, NULL, 0.00::DECIMAL(6,2), 'nan'::DOUBLE, NULL, TIMESTAMP '2024-02-03 04:05:06.5', 's')
    ) v(id, b, t, dec, dbl, ts, ntz, str))");
  StructType schema = schema_of("SELECT * FROM src");
  std::vector<std::string> parts = {"b", "t", "dec", "dbl", "ts", "ntz", "str"};
  std::vector<AddFile> adds = write("SELECT * FROM src ORDER BY id", schema, {.partition_columns = parts});
  ASSERT_EQ(adds.size(), 2u);
  std::map<bool, delta::PartitionValues> by_b;
  for (const AddFile& add : adds) by_b[add.partition_values[0].second == "true"] = add.partition_values;
  using V = std::optional<std::string>;
  auto values = [](const delta::PartitionValues& pv) {
    std::vector<V> out;
    for (const auto& [k, v] : pv) out.push_back(v);
    return out;
  };
  EXPECT_EQ(values(by_b[true]), (std::vector<V>{"true", "7", "-12.50", "2.5", "2024-01-01 10:00:00.123456",
                                                "2024-02-03 04:05:06.000000", std::nullopt}))
      << "an empty string partition value is null, as in Spark";
  EXPECT_EQ(values(by_b[false]), (std::vector<V>{"false", std::nullopt, "0.00", "NaN", std::nullopt,
                                                 "2024-02-03 04:05:06.500000", "s"}));
  commit(schema, adds, parts);
  // The reader casts a zoneless timestamp partition value in the session's zone (not UTC, as
  // partition_value_sql documents), so read back in UTC.
  exec("SET TimeZone = 'UTC'");
  EXPECT_EQ(difference(delta_scan(), "SELECT * REPLACE (NULLIF(str, '') AS str) FROM src"), "0");
}

// ---------------------------------------------------------------------------------------------
// File sizes and large writes

TEST_F(DataWriterTest, TwoMillionRowsStreamIntoTargetSizedFiles) {
  std::string source = "SELECT i AS id, md5(i::VARCHAR) AS h, i * 0.5 AS x FROM range(2000000) r(i)";
  StructType schema = schema_of(source);
  std::vector<AddFile> adds = write(source, schema, {.target_file_size = 8 << 20});
  EXPECT_GT(adds.size(), 3u);
  expect_well_formed(adds, 2000000);
  int64_t total = 0;
  for (const AddFile& add : adds) total += add.size;
  EXPECT_GT(total, int64_t{30} << 20) << "md5 text does not compress: the data is big enough to split";
  for (const AddFile& add : adds) EXPECT_LT(add.size, total / 2) << add.path;
  EXPECT_EQ(
      scalar("SELECT count(*) = 2000000 AND sum(id) = 1999999000000 AND count(DISTINCT h) = 2000000 FROM "
             "read_parquet(" +
             file_list(adds) + ")"),
      "true");
  DataWriterTest_expect_stats(this, adds.front(), {{{"id"}, "id", Kind::Number}, {{"h"}, "h", Kind::String}});
  DataWriterTest_expect_stats(this, adds.back(), {{{"id"}, "id", Kind::Number}, {{"h"}, "h", Kind::String}});
}

TEST_F(DataWriterTest, TargetFileSizeSplitsPartitionFiles) {
  exec("CREATE TABLE src AS SELECT i AS id, md5(i::VARCHAR) AS h, i % 2 AS p FROM range(600000) r(i)");
  StructType schema = schema_of("SELECT * FROM src");
  std::vector<AddFile> adds =
      write("SELECT * FROM src", schema, {.partition_columns = {"p"}, .target_file_size = 1 << 20});
  expect_well_formed(adds, 600000);
  std::map<std::string, int> files_per_partition;
  for (const AddFile& add : adds) {
    files_per_partition[add.partition_values.at(0).second.value()]++;
    expect_partition_values_hold(this, schema, add);
    DataWriterTest_expect_stats(this, add, {{{"id"}, "id", Kind::Number}, {{"h"}, "h", Kind::String}});
  }
  ASSERT_EQ(files_per_partition.size(), 2u);
  EXPECT_GT(files_per_partition["0"], 1);
  EXPECT_GT(files_per_partition["1"], 1);
  // The oversized originals are gone: only the files in the log remain in the partition directories.
  size_t on_disk = 0;
  for (const auto& e : fs::recursive_directory_iterator(root()))
    on_disk += e.path().extension() == ".parquet";
  EXPECT_EQ(on_disk, adds.size());
  commit(schema, adds, {"p"});
  EXPECT_EQ(difference(delta_scan(), "SELECT * FROM src"), "0");
}

TEST_F(DataWriterTest, EmptyQueryWritesNoFiles) {
  StructType schema = schema_of("SELECT 1::BIGINT AS id, 'x' AS p");
  EXPECT_TRUE(write("SELECT 1::BIGINT AS id, 'x' AS p WHERE false", schema).empty());
  EXPECT_TRUE(
      write("SELECT 1::BIGINT AS id, 'x' AS p WHERE false", schema, {.partition_columns = {"p"}}).empty());
  size_t on_disk = 0;
  for (const auto& e : fs::recursive_directory_iterator(root()))
    on_disk += e.path().extension() == ".parquet";
  EXPECT_EQ(on_disk, 0u);
}

TEST_F(DataWriterTest, FailureMidWriteReturnsAnError) {
  StructType schema = schema_of("SELECT 1::INTEGER AS id");
  // The cast fails on the last rows, after files may have been started.
  auto r = write_data_files(conn(), root(),
                            "SELECT CASE WHEN i < 1999999 THEN i::VARCHAR ELSE 'oops' END AS id "
                            "FROM range(2000000) r(i)",
                            schema, {.target_file_size = 1 << 20});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("oops"), std::string::npos) << r.error().message();
}

// ---------------------------------------------------------------------------------------------
// Column mapping

StructType mapped_schema() {
  auto schema = delta::parse_schema(R"({"type":"struct","fields":[
    {"name":"id","type":"long","nullable":true,
     "metadata":{"delta.columnMapping.id":1,"delta.columnMapping.physicalName":"col-1a2b"}},
    {"name":"Info","type":{"type":"struct","fields":[
        {"name":"city","type":"string","nullable":true,
         "metadata":{"delta.columnMapping.id":3,"delta.columnMapping.physicalName":"col-c1"}},
        {"name":"zip","type":"integer","nullable":true,
         "metadata":{"delta.columnMapping.id":4,"delta.columnMapping.physicalName":"col-z2"}}]},
     "nullable":true,"metadata":{"delta.columnMapping.id":2,"delta.columnMapping.physicalName":"col-i9"}},
    {"name":"tags","type":{"type":"array","elementType":{"type":"struct","fields":[
        {"name":"t","type":"string","nullable":true,
         "metadata":{"delta.columnMapping.id":6,"delta.columnMapping.physicalName":"col-t5"}}]},
        "containsNull":true},
     "nullable":true,"metadata":{"delta.columnMapping.id":5,"delta.columnMapping.physicalName":"col-tags"}},
    {"name":"part","type":"string","nullable":true,
     "metadata":{"delta.columnMapping.id":7,"delta.columnMapping.physicalName":"col-p7"}}]})");
  EXPECT_TRUE(schema.ok()) << schema.error().message();
  return schema.ok() ? std::move(schema).value() : StructType{};
}

TEST_F(DataWriterTest, ColumnMappedWriteUsesPhysicalNamesAndFieldIds) {
  exec(
      "CREATE TABLE src AS SELECT i::BIGINT AS id, CASE WHEN i % 5 = 0 THEN NULL ELSE "
      "{'city': 'c' || i, 'zip': i::INTEGER} END AS info, [{'t': 'x' || i}, NULL] AS tags, "
      "'p' || (i % 2) AS part FROM range(200) r(i)");
  StructType schema = mapped_schema();
  std::vector<AddFile> adds =
      write("SELECT * FROM src", schema,
            {.partition_columns = {"part"}, .mapping = delta::ColumnMappingMode::Name});
  ASSERT_EQ(adds.size(), 2u);
  expect_well_formed(adds, 200);
  for (const AddFile& add : adds) {
    ASSERT_EQ(add.partition_values.size(), 1u);
    EXPECT_EQ(add.partition_values[0].first, "col-p7");
    EXPECT_TRUE(add.path.starts_with("col-p7=p")) << add.path;
    auto stats = delta::parse_file_stats(add.stats);
    ASSERT_TRUE(stats.ok());
    EXPECT_NE(stats->find({"col-1a2b"}), nullptr) << add.stats;
    EXPECT_NE(stats->find({"col-i9", "col-c1"}), nullptr) << add.stats;
    EXPECT_EQ(stats->find({"col-i9", "col-z2"})->null_count, 20) << add.stats;
  }
  auto fields = rows("SELECT name, field_id FROM parquet_schema(" + quote_literal(local_path(adds[0])) +
                     ") WHERE field_id IS NOT NULL ORDER BY field_id");
  std::vector<std::string> got;
  for (const auto& row : fields) got.push_back(*row[0] + "=" + *row[1]);
  EXPECT_EQ(got, (std::vector<std::string>{"col-1a2b=1", "col-i9=2", "col-c1=3", "col-z2=4", "col-tags=5",
                                           "col-t5=6"}));
  commit(schema, adds, {"part"},
         {{"delta.columnMapping.mode", "name"}, {"delta.columnMapping.maxColumnId", "7"}},
         delta::Protocol{2, 5, std::nullopt, std::nullopt});
  EXPECT_EQ(difference(delta_scan(), "SELECT * FROM src"), "0");
  EXPECT_EQ(run_scalar("SELECT count(*) FROM (" + delta_scan() + ") WHERE Info IS NULL"), "40");
}

}  // namespace
}  // namespace silt::ops
