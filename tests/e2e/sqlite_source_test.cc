// SQLite source on database files made here: columns typed by declared affinity, every common
// type with NULLs and non-ASCII text compared with hand-written DuckDB literals, timestamps in
// SQLite's several formats, values that do not fit their column, a 200k-row table streamed in
// batches, and watermark queries over mixed timestamp formats.
#include <gtest/gtest.h>
#include <sqlite3.h>

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
