// SQLite source on database files made here: columns typed by declared affinity, every common
// type with NULLs and non-ASCII text compared with hand-written DuckDB literals, timestamps in
// SQLite's several formats, values that do not fit their column, a 200k-row table streamed in
// batches, and watermark queries over mixed timestamp formats.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <charconv>
#include <filesystem>

#include "../support/source_servers.h"
#include "duckdb/engine.h"
#include "sources/source.h"

using silt::sources::copy_query;
using silt::sources::SourceConfig;
using silt::sources::table_query;

namespace {

class Sqlite : public silt::testing::SourceTest {
 protected:
  void SetUp() override {
    SourceTest::SetUp();
    dir_ = std::filesystem::temp_directory_path() /
           ("silt_sqlite_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    source_ = SourceConfig{"shop", "sqlite", {{"path", (dir_ / "shop.db").string()}}};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs `sql` on the source database file, creating it.
  void exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(source_.settings["path"].c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << msg;
  }

  std::filesystem::path dir_;
  SourceConfig source_;
};

TEST_F(Sqlite, EveryCommonTypeByDeclaredAffinity) {
  exec(R"(
CREATE TABLE items (id INTEGER PRIMARY KEY, flag BOOLEAN, qty INT, price DECIMAL(10,2), huge NUMERIC(40,2),
  ratio REAL, name TEXT, note VARCHAR(10), day DATE, at TIME, ts DATETIME, tstz TIMESTAMPTZ, data BLOB, misc JSON);
INSERT INTO items VALUES (1, 1, 42, 12.34, 1.5, 0.5, 'Zoë', '東京 🎉', '2024-02-29', '13:45:10.5',
  '2024-02-29 13:45:10.123', '2024-02-29T13:45:10+02:00', x'00ff10', '{"a": 1}');
INSERT INTO items VALUES (2, 0, -9223372036854775808, '-0.5', '7', -1e300, '', 'x', '1970-01-01', '00:00',
  '2024-02-29T13:45:10Z', '2000-01-01 00:00:00', x'', 7);
INSERT INTO items (id) VALUES (3);
)");
  auto rows = copy_query(source_, "SELECT * FROM items ORDER BY id", *conn_, "t");
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  EXPECT_EQ(*rows, 3);
  const std::string null = "NULL";
  silt::testing::expect_columns(
      *conn_, "t", "id",
      {
          {"id", "BIGINT", {"1", "2", "3"}},
          {"flag", "BOOLEAN", {"true", "false", null}},
          {"qty", "BIGINT", {"42", "-9223372036854775808", null}},
          {"price", "DECIMAL(10,2)", {"12.34", "-0.5", null}},
          // Wider than DuckDB's 38 digits: the value's text.
          {"huge", "VARCHAR", {"'1.5'", "'7'", null}},
          {"ratio", "DOUBLE", {"0.5::DOUBLE", "-1e300::DOUBLE", null}},
          {"name", "VARCHAR", {"'Zoë'", "''", null}},
          {"note", "VARCHAR", {"'東京 🎉'", "'x'", null}},
          {"day", "DATE", {"DATE '2024-02-29'", "DATE '1970-01-01'", null}},
          {"at", "TIME", {"TIME '13:45:10.5'", "TIME '00:00:00'", null}},
          {"ts",
           "TIMESTAMP",
           {"TIMESTAMP '2024-02-29 13:45:10.123'", "TIMESTAMP '2024-02-29 13:45:10'", null}},
          {"tstz",
           "TIMESTAMP WITH TIME ZONE",
           {"TIMESTAMPTZ '2024-02-29 11:45:10+00'", "TIMESTAMPTZ '2000-01-01 00:00:00+00'", null}},
          {"data", "BLOB", {"'\\x00\\xFF\\x10'::BLOB", "''::BLOB", null}},
          // An unknown declared type keeps each value's text.
          {"misc", "VARCHAR", {"'{\"a\": 1}'", "'7'", null}},
      });
}

TEST_F(Sqlite, TimestampsInEverySqliteFormat) {
  // Text with and without 'T', offsets, a Julian day number (REAL) and Unix seconds (INTEGER).
  exec(R"(
CREATE TABLE ev (id INTEGER, ts TIMESTAMP);
INSERT INTO ev VALUES (1, '2024-01-01 10:00:00'), (2, '2024-01-01T11:00:00Z'), (3, '2024-01-01 12:30:00+02:00'),
  (4, 2460311.25), (5, 1704114000), (6, '2024-01-01 10:00'), (7, '2024-01-01');
)");
  auto rows = copy_query(source_, "SELECT * FROM ev", *conn_, "t");
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  silt::testing::expect_columns(*conn_, "t", "id",
                                {{"ts",
                                  "TIMESTAMP",
                                  {"TIMESTAMP '2024-01-01 10:00:00'", "TIMESTAMP '2024-01-01 11:00:00'",
                                   "TIMESTAMP '2024-01-01 10:30:00'", "TIMESTAMP '2024-01-01 18:00:00'",
                                   "TIMESTAMP '2024-01-01 13:00:00'", "TIMESTAMP '2024-01-01 10:00:00'",
                                   "TIMESTAMP '2024-01-01 00:00:00'"}}});
}

TEST_F(Sqlite, ValueThatDoesNotFitNamesColumnAndRow) {
  exec("CREATE TABLE items (id INTEGER, qty INT); INSERT INTO items VALUES (1, 5), (2, 'lots');");
  auto rows = copy_query(source_, "SELECT * FROM items ORDER BY id", *conn_, "t");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().kind(), silt::ErrorKind::InvalidArgument);
  EXPECT_EQ(rows.error().message(), "source shop: column qty, row 2: TEXT value 'lots' does not fit BIGINT");
  EXPECT_FALSE(conn_->query("SELECT * FROM t").ok()) << "a failed copy leaves no table";

  exec("CREATE TABLE d (day DATE); INSERT INTO d VALUES ('2024-02-30');");
  rows = copy_query(source_, "SELECT * FROM d", *conn_, "t");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().message(),
            "source shop: column day, row 1: TEXT value '2024-02-30' does not fit DATE");

  exec("CREATE TABLE bad (s TEXT); INSERT INTO bad VALUES (CAST(x'ff41' AS TEXT));");
  rows = copy_query(source_, "SELECT * FROM bad", *conn_, "t");
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.error().message().find("column s, row 1"), std::string::npos) << rows.error().message();
}

// A DECIMAL column gets what DuckDB's own cast makes of each value's text: TEXT as stored,
// INTEGER as its digits, REAL as its shortest round-trip text (so 2.675 rounds up, though the
// double is a little below it). The oracle runs that cast in DuckDB on the same texts.
TEST_F(Sqlite, DecimalsAreWhatDuckDbsCastMakesOfTheirText) {
  // NUMERIC affinity stores numeric-looking text as INTEGER or REAL; '1_000.5' stays TEXT.
  exec(R"(
CREATE TABLE m (id INTEGER, amount DECIMAL(6,2));
INSERT INTO m VALUES (1, '1_000.5'), (2, 2.675), (3, 1.005), (4, 1e-7), (5, 0.0015), (6, -0.005),
  (7, 9999.994), (8, 42), (9, -7), (10, NULL), (11, 61.51), (12, 0.125), (13, -9999.99), (14, 0.1 + 0.2),
  (15, -0.0), (16, 5e-3), (17, 1e3), (18, '12.5');
)");
  // The text each value stands for, read back with SQLite's API as the reader sees it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(source_.settings["path"].c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT id, amount FROM m ORDER BY id", -1, &st, nullptr), SQLITE_OK);
  std::string values;
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::string text = "NULL";
    if (sqlite3_column_type(st, 1) == SQLITE_FLOAT) {
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, sqlite3_column_double(st, 1));
      text = "'" + std::string(buf, end) + "'";
    } else if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
      text = "'" + std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 1))) + "'";
    }
    values += std::string(values.empty() ? "" : ", ") + "(" + std::to_string(sqlite3_column_int64(st, 0)) +
              ", " + text + ")";
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  auto rows = copy_query(source_, "SELECT * FROM m ORDER BY id", *conn_, "t");
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  EXPECT_EQ(*rows, 18);
  EXPECT_EQ(conn_->scalar("SELECT typeof(amount) FROM t LIMIT 1")->value_or(""), "DECIMAL(6,2)");
  auto mismatches = conn_->query_text(
      "SELECT o.id, o.text, t.amount, CAST(o.text AS DECIMAL(6,2)) AS duckdb FROM (VALUES " + values +
      ") o(id, text) JOIN t USING (id) WHERE t.amount IS DISTINCT FROM CAST(o.text AS DECIMAL(6,2))");
  ASSERT_TRUE(mismatches.ok()) << mismatches.error().message();
  for (const auto& m : *mismatches)
    ADD_FAILURE() << "id " << m[0].value_or("") << ": text " << m[1].value_or("NULL") << " copied as "
                  << m[2].value_or("NULL") << ", DuckDB's cast gives " << m[3].value_or("NULL");
  // A few by hand, to show what the oracle says.
  auto got = conn_->query_text("SELECT amount FROM t WHERE id IN (1, 2, 3, 4, 6, 12, 14) ORDER BY id");
  ASSERT_TRUE(got.ok());
  std::vector<std::string> want = {"1000.50", "2.68", "1.01", "0.00", "-0.01", "0.13", "0.30"};
  ASSERT_EQ(got->size(), want.size());
  for (size_t i = 0; i < want.size(); i++) EXPECT_EQ((*got)[i][0].value_or("NULL"), want[i]);
}

TEST_F(Sqlite, DecimalThatDoesNotFitNamesColumnRowAndValue) {
  auto expect_error = [&](const std::string& value, const std::string& message) {
    exec(
        "DROP TABLE IF EXISTS m; CREATE TABLE m (id INTEGER, amount DECIMAL(6,2));"
        "INSERT INTO m VALUES (1, 1.5), (2, " +
        value + ");");
    auto rows = copy_query(source_, "SELECT * FROM m ORDER BY id", *conn_, "t");
    ASSERT_FALSE(rows.ok()) << value;
    EXPECT_EQ(rows.error().kind(), silt::ErrorKind::InvalidArgument);
    EXPECT_EQ(rows.error().message(), "source shop: column amount, row 2: " + message);
  };
  expect_error("123456", "INTEGER value '123456' does not fit DECIMAL(6,2)");
  expect_error("9999.995", "REAL value '9999.995' does not fit DECIMAL(6,2)");  // rounds to 10000.00
  expect_error("1e300", "REAL value '1.0e+300' does not fit DECIMAL(6,2)");
  expect_error("'NaN'", "TEXT value 'NaN' does not fit DECIMAL(6,2)");
  expect_error("''", "TEXT value '' does not fit DECIMAL(6,2)");
  expect_error("x'01'", "BLOB value '<1 bytes>' does not fit DECIMAL(6,2)");
}

TEST_F(Sqlite, ExpressionsTakeTheTypeOfTheirFirstValue) {
  exec("CREATE TABLE n (a INTEGER); INSERT INTO n VALUES (2), (3);");
  auto rows = copy_query(
      source_, "SELECT a * 2 AS twice, a / 2.0 AS half, 'x' || a AS label FROM n ORDER BY a", *conn_, "t");
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  auto got =
      conn_->query_text("SELECT typeof(twice), typeof(half), typeof(label), twice, half, label FROM t");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)[0][0].value_or(""), "BIGINT");
  EXPECT_EQ((*got)[0][1].value_or(""), "DOUBLE");
  EXPECT_EQ((*got)[0][2].value_or(""), "VARCHAR");
  EXPECT_EQ((*got)[1][3].value_or(""), "6");
  EXPECT_EQ((*got)[1][4].value_or(""), "1.5");
  EXPECT_EQ((*got)[1][5].value_or(""), "x3");
}

TEST_F(Sqlite, LargeTableStreamsInBatches) {
  exec(R"(
CREATE TABLE big (id INTEGER, payload TEXT);
WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 200000)
INSERT INTO big SELECT i, 'row ' || i FROM r;
)");
  silt::testing::expect_streamed_in_batches(*conn_, source_, "SELECT * FROM big", "big", 25'000, 200'000);
  EXPECT_EQ(conn_->scalar("SELECT sum(id) FROM big")->value_or(""), "20000100000");
  EXPECT_EQ(conn_->scalar("SELECT count(*) FROM big WHERE payload <> 'row ' || id")->value_or(""), "0");
}

// The progress callback runs on the caller's thread while no rows are being moved into the
// table, so it may query the connection the copy writes through.
TEST_F(Sqlite, ProgressCallbackMayUseTheConnection) {
  exec(R"(
CREATE TABLE big (id INTEGER, payload TEXT);
WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 300000)
INSERT INTO big SELECT i, 'row ' || i FROM r;
)");
  silt::sources::CopyOptions options;
  options.batch_rows = 20'000;
  std::vector<int64_t> seen;
  options.progress = [&](int64_t rows) {
    auto n = conn_->scalar("SELECT count(*) FROM big_copy");
    ASSERT_TRUE(n.ok()) << n.error().message();
    int64_t in_table = std::stoll(n->value_or("-1"));
    EXPECT_LE(in_table, rows) << "rows in the table by now, at most those copied";
    seen.push_back(rows);
  };
  auto rows = copy_query(source_, "SELECT * FROM big", *conn_, "big_copy", options);
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  EXPECT_EQ(seen.size(), 15u);
  EXPECT_EQ(conn_->scalar("SELECT count(*) FROM big_copy WHERE payload = 'row ' || id")->value_or(""),
            "300000");
}

TEST_F(Sqlite, WatermarkNormalisesTimestampFormats) {
  exec(R"(
CREATE TABLE ev (id INTEGER, day DATE, ts DATETIME);
INSERT INTO ev VALUES (1, '2024-01-01', '2024-01-01 10:00:00'), (2, '2024-01-02', '2024-01-01T11:00:00Z'),
  (3, '2024-01-03', '2024-01-01 12:30:00+02:00'), (4, '2024-01-04', 2460311.25), (10, '2024-01-10', 1704114000);
)");
  auto check = [&](const std::string& col, const std::string& after, const std::string& want) {
    silt::testing::expect_watermark_ids(*conn_, source_, "ev", "id", col, after, want);
  };
  // In UTC: 10:00, 11:00, 10:30, 18:00 (Julian day), 13:00 (Unix seconds). As plain text, id 3
  // would sort after 10:30 and the numbers before every text.
  check("ts", "2024-01-01 10:30:00", "2,4,10");
  check("ts", "2024-01-01 10:30:00+00", "2,4,10");  // TIMESTAMPTZ as DuckDB prints it
  check("day", "2024-01-03", "4,10");
  check("id", "3", "4,10");
}

TEST_F(Sqlite, MissingFileIsAnIoErrorNamingIt) {
  source_.settings["path"] = (dir_ / "absent.db").string();
  auto rows = copy_query(source_, "SELECT 1", *conn_, "t");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().kind(), silt::ErrorKind::Io);
  EXPECT_NE(
      rows.error().message().find("source shop: cannot open SQLite database " + source_.settings["path"]),
      std::string::npos)
      << rows.error().message();
}

}  // namespace
