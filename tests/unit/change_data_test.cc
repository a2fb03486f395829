// Tests for the change data writer against real DuckDB and real files: rows round-trip through the
// written parquet (read back with plain read_parquet), partition directories and the actions'
// partition values, _change_type checks, and a commit of adds + cdc actions built with
// delta::Transaction that the change feed then reads from the cdc files only.
#include "ops/change_data.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "../support/query_rows.h"
#include "../support/temp_table.h"
#include "delta/log/action_writer.h"
#include "delta/txn/transaction.h"
#include "ops/write.h"
#include "scan/session.h"
#include "util/path.h"
#include "util/sql_text.h"

namespace silt::ops {
namespace {

namespace fs = std::filesystem;
using testing::sorted_rows;

class ChangeDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Session::open();
    ASSERT_TRUE(s.ok());
    session_ = std::move(*s);
  }
  db::Connection& conn() { return session_->connection(); }
  // A CDF table with (id BIGINT, day VARCHAR), partitioned by day when asked, holding 3 rows.
  std::string make_table(bool partitioned) {
    WriteOptions o;
    o.properties["delta.enableChangeDataFeed"] = "true";
    if (partitioned) o.partition_by = {"day"};
    auto r = write_table(*session_, table_.root(),
                         "SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, 'b')) AS t(id, day)", o);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
    return table_.root();
  }
  Result<std::vector<delta::AddCdcFile>> write_cdc(const std::string& sql) {
    auto snap = session_->snapshot(table_.root());
    if (!snap.ok()) return snap.error();
    auto schema = delta::parse_schema(snap->metadata().schema_string);
    if (!schema.ok()) return schema.error();
    DataWriteOptions o;
    o.partition_columns = snap->metadata().partition_columns;
    return write_change_data_files(conn(), table_.root(), sql, *schema, o);
  }
  std::string files_of(const std::vector<delta::AddCdcFile>& cdc) {
    std::string list = "[";
    for (const auto& c : cdc) {
      list += (list.size() > 1 ? ", " : "") + quote_literal(*resolve_log_path(table_.root(), c.path));
    }
    return list + "]";
  }

  // The column names stored in a written file (relative path), sorted, comma-separated.
  std::string file_columns(const std::string& rel) {
    auto rows =
        testing::text_rows(*session_,
                           "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM "
                           "(DESCRIBE SELECT * FROM read_parquet(" +
                               quote_literal(table_.root() + "/" + rel) + ", hive_partitioning = false))");
    return rows.empty() ? "" : rows[0];
  }

  testing::TempTable table_;
  std::unique_ptr<Session> session_;
};

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

const char* kChanges =
    "SELECT * FROM (VALUES (2, 'b', 'update_preimage'), (20, 'b', 'update_postimage'), (1, 'a', 'delete'), "
    "(7, 'c', 'insert')) AS t(id, day, _change_type)";

TEST_F(ChangeDataTest, UnpartitionedRowsRoundTripUnderChangeData) {
  make_table(false);
  auto cdc = write_cdc(kChanges);
  ASSERT_TRUE(cdc.ok()) << cdc.error().message();
  ASSERT_EQ(cdc->size(), 1u);
  EXPECT_TRUE((*cdc)[0].path.starts_with("_change_data/cdc-")) << (*cdc)[0].path;
  EXPECT_TRUE((*cdc)[0].partition_values.empty());
  EXPECT_FALSE((*cdc)[0].data_change);
  EXPECT_EQ((*cdc)[0].size, int64_t(fs::file_size(table_.root() + "/" + (*cdc)[0].path)));
  EXPECT_EQ(sorted_rows(*session_, "SELECT id, day, _change_type FROM read_parquet(" + files_of(*cdc) + ")"),
            sorted({"1|a|delete", "2|b|update_preimage", "20|b|update_postimage", "7|c|insert"}));
}

TEST_F(ChangeDataTest, PartitionedFilesGoInPartitionDirectoriesWithoutThePartitionColumn) {
  make_table(true);
  auto cdc = write_cdc(kChanges);
  ASSERT_TRUE(cdc.ok()) << cdc.error().message();
  ASSERT_EQ(cdc->size(), 3u);  // days a, b, c
  std::set<std::string> days;
  for (const auto& c : *cdc) {
    ASSERT_EQ(c.partition_values.size(), 1u);
    ASSERT_TRUE(c.partition_values[0].second);
    const std::string& day = *c.partition_values[0].second;
    days.insert(day);
    EXPECT_TRUE(c.path.starts_with("_change_data/day=" + day + "/cdc-")) << c.path;
    // The file holds only id and _change_type.
    EXPECT_EQ(file_columns(c.path), "_change_type,id");
  }
  EXPECT_EQ(days, (std::set<std::string>{"a", "b", "c"}));
  EXPECT_EQ(sorted_rows(*session_, "SELECT id, day, _change_type FROM read_parquet(" + files_of(*cdc) +
                                       ", hive_partitioning = true)"),
            sorted({"1|a|delete", "2|b|update_preimage", "20|b|update_postimage", "7|c|insert"}));
}

TEST_F(ChangeDataTest, RefusesMissingOrBadChangeType) {
  make_table(false);
  auto missing = write_cdc("SELECT 1 AS id, 'a' AS day");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("_change_type"), std::string::npos) << missing.error().message();
  auto bad = write_cdc("SELECT 1 AS id, 'a' AS day, 'upsert' AS _change_type");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("upsert"), std::string::npos) << bad.error().message();
  auto null = write_cdc("SELECT 1 AS id, 'a' AS day, NULL::VARCHAR AS _change_type");
  ASSERT_FALSE(null.ok());
  auto empty = write_cdc("SELECT 1 AS id, 'a' AS day, 'insert' AS _change_type WHERE false");
  ASSERT_TRUE(empty.ok()) << empty.error().message();
  EXPECT_TRUE(empty->empty());
}

TEST_F(ChangeDataTest, ActionWriterSerializesCdc) {
  delta::AddCdcFile c;
  c.path = "_change_data/day=a/cdc-1.parquet";
  c.partition_values = {{"day", "a"}, {"n", std::nullopt}};
  c.size = 42;
  std::string json = delta::action_json(c);
  EXPECT_EQ(json,
            R"({"cdc":{"path":"_change_data/day=a/cdc-1.parquet","partitionValues":{"day":"a","n":null},)"
            R"("size":42,"dataChange":false}})");
}

// An UPDATE done by hand, as DML will: rewrite the file of day b with id 2 -> 20, remove the old
// file, and record the change in cdc files. The feed must show the cdc rows only (not the
// rewritten file's 2 inserts and the old file's 2 deletes).
TEST_F(ChangeDataTest, CommitWithCdcIsReadFromTheCdcFilesOnly) {
  make_table(true);
  auto snap = session_->snapshot(table_.root());
  ASSERT_TRUE(snap.ok());
  auto schema = *delta::parse_schema(snap->metadata().schema_string);
  DataWriteOptions o;
  o.partition_columns = {"day"};
  auto adds = write_data_files(conn(), table_.root(), "SELECT * FROM (VALUES (20, 'b'), (3, 'b')) t(id, day)",
                               schema, o);
  ASSERT_TRUE(adds.ok()) << adds.error().message();
  auto cdc = write_cdc(
      "SELECT * FROM (VALUES (2, 'b', 'update_preimage'), (20, 'b', 'update_postimage')) t(id, day, "
      "_change_type)");
  ASSERT_TRUE(cdc.ok()) << cdc.error().message();

  delta::Transaction txn(snap->table_root(), snap->version(), schema, delta::ColumnMappingMode::None);
  for (const auto& f : snap->files()) {
    if (f.partition_values[0].second == "b") txn.add_action(delta::remove_for(f, 1));
  }
  for (auto& a : *adds) txn.add_action(a);
  for (auto& c : *cdc) txn.add_action(c);
  txn.set_operation("UPDATE", "{}", "{}");
  auto committed = txn.commit(session_->storage());
  ASSERT_TRUE(committed.ok()) << committed.error().message();

  std::string v = std::to_string(committed->version);
  auto sql = session_->expand_sql("SELECT id, day, _change_type, _commit_version FROM table_changes(" +
                                  quote_literal(table_.root()) + ", 0)");
  ASSERT_TRUE(sql.ok()) << sql.error().message();
  EXPECT_EQ(sorted_rows(*session_, *sql), sorted({"1|a|insert|0", "2|b|insert|0", "2|b|update_preimage|" + v,
                                                  "20|b|update_postimage|" + v, "3|b|insert|0"}));
  // The table itself reads the rewritten rows.
  auto scan = session_->expand_sql("SELECT id FROM delta_scan(" + quote_literal(table_.root()) + ")");
  EXPECT_EQ(sorted_rows(*session_, *scan), (std::vector<std::string>{"1", "20", "3"}));
}

// Under column mapping the files use physical names (and _change_type as is), and the feed reads
// them back under the logical names. The table is hand-made: one metaData with mapped columns.
TEST_F(ChangeDataTest, ColumnMappingWritesPhysicalNamesAndReadsLogicalOnes) {
  const std::string schema_json =
      R"({"type":"struct","fields":[)"
      R"({"name":"id","type":"long","nullable":true,"metadata":{"delta.columnMapping.id":1,"delta.columnMapping.physicalName":"col-1"}},)"
      R"({"name":"day","type":"string","nullable":true,"metadata":{"delta.columnMapping.id":2,"delta.columnMapping.physicalName":"col-2"}}]})";
  auto schema = delta::parse_schema(schema_json);
  ASSERT_TRUE(schema.ok()) << schema.error().message();
  std::string escaped;
  for (char c : schema_json) escaped += c == '"' ? std::string("\\\"") : std::string(1, c);
  table_.commit(
      0,
      {testing::TempTable::protocol(2, 5),
       R"({"metaData":{"id":"t","format":{"provider":"parquet","options":{}},"schemaString":")" + escaped +
           R"(","partitionColumns":["day"],"configuration":{"delta.columnMapping.mode":"name",)"
           R"("delta.enableChangeDataFeed":"true","delta.columnMapping.maxColumnId":"2"},"createdTime":1}})"});
  DataWriteOptions o;
  o.partition_columns = {"day"};
  o.mapping = delta::ColumnMappingMode::Name;
  auto cdc = write_change_data_files(conn(), table_.root(), kChanges, *schema, o);
  ASSERT_TRUE(cdc.ok()) << cdc.error().message();
  ASSERT_EQ(cdc->size(), 3u);
  for (const auto& c : *cdc) {
    EXPECT_TRUE(c.path.starts_with("_change_data/col-2=")) << c.path;
    EXPECT_EQ(c.partition_values[0].first, "col-2");
    EXPECT_EQ(file_columns(c.path), "_change_type,col-1");
  }
  std::vector<std::string> lines;
  for (const auto& c : *cdc) lines.push_back(delta::action_json(c));
  table_.commit(1, lines);
  auto sql = session_->expand_sql("SELECT id, day, _change_type, _commit_version FROM table_changes(" +
                                  quote_literal(table_.root()) + ", 0)");
  ASSERT_TRUE(sql.ok()) << sql.error().message();
  EXPECT_EQ(sorted_rows(*session_, *sql),
            sorted({"1|a|delete|1", "2|b|update_preimage|1", "20|b|update_postimage|1", "7|c|insert|1"}));
}

}  // namespace
}  // namespace silt::ops
