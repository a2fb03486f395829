// The public C++ API (include/silt/silt.h) as an embedding program uses it: snapshots, files
// with stats, scans with file skipping, SQL with delta_scan. Real parquet files written by
// DuckDB, a log written by hand with stats that match them.
#include <gtest/gtest.h>
#include <silt/silt.h>

#include "../support/temp_table.h"

using silt::testing::TempTable;

namespace {

// Three files of ten ids each (0-9, 10-19, 20-29), partitioned by `part` = a, a, b.
class Api : public ::testing::Test {
 protected:
  void SetUp() override {
    session_ = std::move(silt::Session::open().value());
    std::vector<std::string> actions = {TempTable::protocol(), TempTable::metadata(true)};
    for (int f = 0; f < 3; f++) {
      std::string name = "part=" + std::string(f < 2 ? "a" : "b") + "/f" + std::to_string(f) + ".parquet";
      std::filesystem::create_directories(t_.root() + "/" + name.substr(0, 6));
      ASSERT_TRUE(session_->connection()
                      .execute("COPY (SELECT range::BIGINT AS id FROM range(" + std::to_string(f * 10) +
                               ", " + std::to_string(f * 10 + 10) + ")) TO '" + t_.root() + "/" + name +
                               "' (FORMAT parquet)")
                      .ok());
      std::string stats = R"({\"numRecords\":10,\"minValues\":{\"id\":)" + std::to_string(f * 10) +
                          R"(},\"maxValues\":{\"id\":)" + std::to_string(f * 10 + 9) +
                          R"(},\"nullCount\":{\"id\":0}})";
      actions.push_back(R"({"add":{"path":")" + name + R"(","partitionValues":{"part":")" +
                        (f < 2 ? "a" : "b") +
                        R"("},"size":1,"modificationTime":1,"dataChange":true,"stats":")" + stats + R"("}})");
    }
    t_.commit(0, actions);
  }
  TempTable t_;
  std::unique_ptr<silt::Session> session_;
};

TEST_F(Api, SnapshotFilesCarryStats) {
  auto snap = session_->snapshot(t_.root(), {.version = 0});
  ASSERT_TRUE(snap.ok()) << snap.error().message();
  ASSERT_EQ(snap->files().size(), 3u);
  auto stats = silt::delta::parse_file_stats(snap->files()[2].stats);
  ASSERT_TRUE(stats.ok()) << stats.error().message();
  EXPECT_EQ(stats->num_records, 10);
  const auto* id = stats->find({"id"});
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(std::get<int64_t>(*id->min), 20);
  EXPECT_EQ(std::get<int64_t>(*id->max), 29);
}

std::string count(silt::Session& s, const std::string& sql) {
  auto r = s.run(sql);
  if (!r.ok()) return "error: " + r.error().message();
  auto rows = r->rows_as_text();
  if (!rows.ok()) return "error: " + rows.error().message();
  return rows->at(0).at(0).value_or("NULL");
}

TEST_F(Api, FilterSkipsFilesByStatsAndPartitions) {
  struct Case {
    std::string filter;
    size_t files;
    std::string rows;
  };
  for (const Case& c : std::vector<Case>{{"id >= 25", 1, "5"},
                                         {"id BETWEEN 9 AND 10", 2, "2"},
                                         {"part = 'b'", 1, "10"},
                                         {"part = 'a' AND id > 15", 1, "4"},
                                         {"id < 0", 0, "0"},
                                         {"id + 1 > 25", 3, "5"}}) {  // not a simple predicate: no skipping
    auto plan = session_->scan(t_.root(), {}, {.filter_sql = c.filter});
    ASSERT_TRUE(plan.ok()) << c.filter << ": " << plan.error().message();
    EXPECT_EQ(plan->files_total, 3u);
    EXPECT_EQ(plan->files_scanned, c.files) << c.filter;
    auto rows = session_->connection().query("SELECT count(*) FROM " + plan->sql);
    ASSERT_TRUE(rows.ok()) << rows.error().message();
    EXPECT_EQ(rows->rows_as_text().value()[0][0], c.rows) << c.filter;
  }
}

TEST_F(Api, WhereOfASingleScanSkipsFiles) {
  std::string scan = "delta_scan('" + t_.root() + "')";
  EXPECT_EQ(count(*session_, "SELECT count(*) FROM " + scan + " AS t WHERE t.id >= 25"), "5");
  ASSERT_EQ(session_->last_scans().size(), 1u);
  EXPECT_EQ(session_->last_scans()[0].files_scanned, 1u);
  // A join: the WHERE may name the other side's columns, so nothing is skipped.
  EXPECT_EQ(count(*session_, "SELECT count(*) FROM " + scan +
                                 " a JOIN (SELECT 27 AS id) b ON a.id = b.id WHERE b.id >= 25"),
            "1");
  ASSERT_EQ(session_->last_scans().size(), 1u);
  EXPECT_EQ(session_->last_scans()[0].files_scanned, 3u);
  // Two scans in one statement: neither takes the WHERE.
  EXPECT_EQ(count(*session_,
                  "SELECT count(*) FROM " + scan + " WHERE id >= 25 AND id IN (SELECT id FROM " + scan + ")"),
            "5");
  ASSERT_EQ(session_->last_scans().size(), 2u);
  EXPECT_EQ(session_->last_scans()[0].files_scanned, 3u);
}

TEST_F(Api, TextOfEveryTypeIsExactOrAnExplicitError) {
  auto r = session_->connection().query("SELECT [1, 2] AS l, TIMESTAMPTZ '2024-01-01 10:00:00' AS t");
  ASSERT_TRUE(r.ok());
  auto text = r->rows_as_text();
  ASSERT_FALSE(text.ok()) << "nested values must not come back blank";
  EXPECT_EQ(text.error().kind(), silt::ErrorKind::Unsupported);
  auto cast = session_->connection().query_text("SELECT [1, 2] AS l, TIMESTAMPTZ '2024-01-01 10:00:00' AS t");
  ASSERT_TRUE(cast.ok()) << cast.error().message();
  EXPECT_EQ((*cast)[0][0], "[1, 2]");
  EXPECT_EQ((*cast)[0][1], "2024-01-01 10:00:00+00");
}

TEST_F(Api, HistoryAndTimeTravelErrors) {
  auto h = silt::ops::table_history(*session_, t_.root(), std::nullopt);
  ASSERT_TRUE(h.ok()) << h.error().message();
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0].version, 0);
  auto bad = session_->snapshot(t_.root(), {.version = 1});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), silt::ErrorKind::InvalidArgument);
}

}  // namespace

namespace {

// Spark writes `timestamp` columns as zone-less INT96; they hold UTC instants.
TEST(ApiTimestamps, ZonelessParquetTimestampsAreUtcWhateverTheSessionZone) {
  auto session = std::move(silt::Session::open().value());
  TempTable t;
  ASSERT_TRUE(
      session->connection()
          .execute("COPY (SELECT TIMESTAMP '2024-01-01 00:00:00' AS ts) TO '" + t.root() + "/a.parquet'")
          .ok());
  t.commit(
      0,
      {TempTable::protocol(),
       R"({"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"ts\",\"type\":\"timestamp\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":[],"configuration":{}}})",
       TempTable::add("a.parquet")});
  for (const char* zone : {"UTC", "America/New_York", "Asia/Tokyo"}) {
    ASSERT_TRUE(session->connection().execute(std::string("SET TimeZone = '") + zone + "'").ok());
    auto r = session->run("SELECT epoch_ms(ts) FROM delta_scan('" + t.root() + "')");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->rows_as_text().value()[0][0], "1704067200000") << zone;
  }
}

}  // namespace
