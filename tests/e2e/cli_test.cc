// The CLI as a user runs it: real `silt` processes over real files. Checks output formats,
// one-line errors with non-zero exits and nothing on stdout, time travel, the shell, and that
// DuckDB's projection and filter pushdown reach the parquet scan under delta_scan.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "../support/cli_runner.h"
#include "../support/temp_table.h"
#include "duckdb/engine.h"

using silt::testing::Run;
using silt::testing::run_silt;
using silt::testing::TempTable;

namespace {

Run silt(const std::vector<std::string>& args, const std::string& input = "") {
  return run_silt(args, input);
}

// A two-version table: v0 ids 1..3, v1 appends ids 4..5 with a NULL and an empty string name.
class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = silt::db::Database::open_in_memory();
    auto conn = silt::db::Connection::open(*db);
    ASSERT_TRUE(
        conn->execute("COPY (SELECT range::BIGINT AS id, 'n' || range AS name FROM range(1, 4)) TO '" +
                      t_.root() + "/a.parquet' (FORMAT parquet)")
            .ok());
    ASSERT_TRUE(
        conn->execute("COPY (SELECT * FROM (VALUES (4::BIGINT, NULL::VARCHAR), (5, '')) v(id, name)) TO '" +
                      t_.root() + "/b.parquet' (FORMAT parquet)")
            .ok());
    std::string schema =
        R"({\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},)"
        R"({\"name\":\"name\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]})";
    t_.commit(0, {R"({"commitInfo":{"timestamp":1,"operation":"CREATE TABLE"}})", TempTable::protocol(),
                  R"({"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":")" +
                      schema + R"(","partitionColumns":[],"configuration":{},"createdTime":1}})",
                  TempTable::add("a.parquet")});
    t_.commit(
        1, {R"({"commitInfo":{"timestamp":2,"operation":"WRITE","operationParameters":{"mode":"Append"}}})",
            TempTable::add("b.parquet")});
  }
  std::string scan(const std::string& extra = "") const {
    return "delta_scan('" + t_.root() + "'" + extra + ")";
  }
  TempTable t_;
};

void expect_one_line_error(const Run& r, const std::string& needle) {
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(r.out.empty()) << "stdout: " << r.out;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST_F(Cli, CsvIsExactlyWhatDuckDbCopyWrites) {
  auto r = silt({"query", "--format", "csv", "SELECT * FROM " + scan() + " ORDER BY id"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "id,name\n1,n1\n2,n2\n3,n3\n4,\n5,\"\"\n");
}

TEST_F(Cli, TimeTravelByVersion) {
  auto r = silt({"query", "--format", "csv", "SELECT count(*) AS n FROM " + scan(", version => 0")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "n\n3\n");
  auto bad = silt({"query", "SELECT * FROM " + scan(", version => 7")});
  expect_one_line_error(bad, "latest version is 1");
}

TEST_F(Cli, JsonAndParquetOutputs) {
  auto r = silt({"query", "--format", "json", "SELECT * FROM " + scan() + " WHERE id >= 4 ORDER BY id"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"id\":4,\"name\":null}\n{\"id\":5,\"name\":\"\"}\n");
  std::string out = t_.root() + "/out.parquet";
  auto p = silt({"query", "--format", "parquet", "--output", out, "SELECT * FROM " + scan()});
  ASSERT_EQ(p.code, 0) << p.err;
  auto back = silt({"query", "--format", "csv", "SELECT count(*) AS n, sum(id) AS s FROM '" + out + "'"});
  EXPECT_EQ(back.out, "n,s\n5,15\n");
}

TEST_F(Cli, TableFormatIsAligned) {
  auto r = silt({"query", "SELECT id, name FROM " + scan() + " WHERE id IN (1, 4) ORDER BY id"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, " id | name\n----+------\n  1 | n1\n  4 | NULL\n(2 rows)\n");
}

TEST_F(Cli, PushdownSurvivesTheScan) {
  auto r = silt({"query", "EXPLAIN ANALYZE SELECT name FROM " + scan() + " WHERE id > 3"});
  ASSERT_EQ(r.code, 0) << r.err;
  // The filter is pushed into the parquet scan, and only the needed columns are read.
  EXPECT_NE(r.out.find("READ_PARQUET"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Filters"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("id>3"), std::string::npos) << r.out;
}

TEST_F(Cli, BadInputIsOneLineError) {
  expect_one_line_error(silt({"describe", t_.root() + "/missing"}), "no such table path");
  expect_one_line_error(silt({"query", "SELECT * FROM delta_scan('" + t_.root() + "/..')"}),
                        "not a Delta table");
  expect_one_line_error(silt({"query", "SELECT * FROM " + scan(", version => -1")}), "non-negative");
  expect_one_line_error(silt({"query", "SELECT * FROM " + scan(", bogus => 1")}),
                        "unknown delta_scan() argument");
  expect_one_line_error(silt({"query", "SELEC 1"}), "syntax error");
  expect_one_line_error(silt({"describe", t_.root(), "--timestamp", "yesterday"}), "bad timestamp");
}

TEST_F(Cli, MissingDataFileFailsInsteadOfPartialRows) {
  std::filesystem::remove(t_.root() + "/b.parquet");
  expect_one_line_error(silt({"query", "SELECT count(*) FROM " + scan()}), "data file missing");
  // The version that does not need the file still reads.
  auto r = silt({"query", "--format", "csv", "SELECT count(*) AS n FROM " + scan(", version => 0")});
  EXPECT_EQ(r.out, "n\n3\n");
}

TEST_F(Cli, CorruptCommitIsAnError) {
  t_.commit(2, {R"({"add":{"path":"c.parquet", BROKEN)"});
  expect_one_line_error(silt({"query", "SELECT * FROM " + scan()}), "00000000000000000002.json line 1");
}

TEST_F(Cli, HistoryAndDescribe) {
  auto h = silt({"history", t_.root(), "--format", "json"});
  ASSERT_EQ(h.code, 0) << h.err;
  EXPECT_EQ(h.out.find("{\"version\":1"), 1u) << h.out;  // newest first
  EXPECT_NE(h.out.find("\"operation\":\"CREATE TABLE\""), std::string::npos);
  auto d = silt({"describe", t_.root(), "--format", "json"});
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_NE(d.out.find("\"version\":1"), std::string::npos);
  EXPECT_NE(d.out.find("\"numFiles\":2"), std::string::npos);
  EXPECT_NE(d.out.find("{\"name\":\"id\",\"type\":\"long\",\"nullable\":true}"), std::string::npos) << d.out;
}

TEST_F(Cli, ShellReadsStatementsFromStdin) {
  auto r = silt({"shell"}, "SELECT count(*) AS n\n  FROM " + scan() + ";\nSELECT 'done' AS s;\n");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("done"), std::string::npos) << r.out;
}

}  // namespace

namespace {

TEST_F(Cli, TableFormatRendersNestedTypesAndStatements) {
  auto r = silt({"query", "SELECT list(id ORDER BY id) AS ids, {'n': max(name)} AS s FROM " + scan()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            " ids             | s\n-----------------+-----------\n [1, 2, 3, 4, 5] | {'n': n3}\n(1 row)\n");
  auto d = silt({"query", "DESCRIBE SELECT * FROM " + scan()});
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_NE(d.out.find(" id          | BIGINT"), std::string::npos) << d.out;
}

}  // namespace
