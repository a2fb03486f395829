// Change data feed round trip: a fixed-seed random sequence of appends, UPDATEs, DELETEs (one of
// everything) and MERGEs on a CDF table, in deletion-vector and copy-on-write mode. A plain DuckDB
// model table gets each operation's logic in SQL; each step's expected feed rows are derived
// from the model before and after by key (id): gone = delete, new = insert, changed = pre/post
// image. A final RECOVER shows as deletes + inserts of the rows that differ. The whole feed read back
// (table_changes) must equal those rows exactly. Plus a small partitioned case derived by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>

#include "../support/query_rows.h"
#include "../support/temp_table.h"
#include "ops/dml.h"
#include "ops/merge.h"
#include "ops/recover.h"
#include "ops/write.h"
#include "util/sql_text.h"

namespace silt::ops {
namespace {

using silt::testing::sorted_rows;
using silt::testing::TempTable;
using Kind = MergeClause::Kind;

class CdfRoundTrip : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    session_ = std::move(Session::open().value());
    path_ = dir_.root() + "/t";
    exec("CREATE TABLE model (id BIGINT, v BIGINT)");
    exec("CREATE TABLE expected (id BIGINT, v BIGINT, _change_type VARCHAR, _commit_version BIGINT)");
    WriteOptions o;
    o.properties["delta.enableChangeDataFeed"] = "true";
    o.properties["delta.enableDeletionVectors"] = GetParam() ? "true" : "false";
    auto r = create_table(*session_, path_, "id BIGINT, v BIGINT", o);
    ASSERT_TRUE(r.ok()) << r.error().message();
  }

  void exec(const std::string& sql) {
    auto st = session_->connection().execute(sql);
    ASSERT_TRUE(st.ok()) << sql << ": " << st.error().message();
  }

  // Applies `model_sql` (statements changing `model`, in order) and records the feed rows it implies for
  // `version`, by key: rows of ids only before are deletes, only after inserts, and ids in both
  // with another v an update pre-image and post-image.
  void apply_to_model(const std::vector<std::string>& model_sql, int64_t version) {
    exec("CREATE OR REPLACE TABLE before AS SELECT * FROM model");
    for (const auto& sql : model_sql) exec(sql);
    std::string v = std::to_string(version);
    exec("INSERT INTO expected SELECT b.id, b.v, 'delete', " + v +
         " FROM before b ANTI JOIN model a ON a.id = b.id");
    exec("INSERT INTO expected SELECT a.id, a.v, 'insert', " + v +
         " FROM model a ANTI JOIN before b ON a.id = b.id");
    exec("INSERT INTO expected SELECT b.id, b.v, 'update_preimage', " + v +
         " FROM before b JOIN model a ON a.id = b.id WHERE a.v <> b.v");
    exec("INSERT INTO expected SELECT a.id, a.v, 'update_postimage', " + v +
         " FROM before b JOIN model a ON a.id = b.id WHERE a.v <> b.v");
    exec("CREATE TABLE state_" + v + " AS SELECT * FROM model");
    latest_ = version;
  }

  // Appends rows (id, id % 97) for ids [from, to): ids are never reused.
  void append(int64_t from, int64_t to) {
    std::string rows = "SELECT range AS id, range % 97 AS v FROM range(" + std::to_string(from) + ", " +
                       std::to_string(to) + ")";
    auto r = write_table(*session_, path_, rows, WriteOptions{});
    ASSERT_TRUE(r.ok()) << r.error().message();
    apply_to_model({"INSERT INTO model " + rows}, r->version);
  }

  // UPDATE ... SET v = v + 1000: v always changes, so every updated row shows in a key diff.
  void update(const std::string& where) {
    DmlOptions o;
    o.where = where;
    auto r = update_rows(*session_, path_, {{"v", "v + 1000"}}, o);
    ASSERT_TRUE(r.ok()) << r.error().message();
    if (!r->committed) return;
    EXPECT_GT(r->change_files_added, 0);
    apply_to_model({"UPDATE model SET v = v + 1000 WHERE " + where}, r->version);
  }

  void del(const std::string& where) {
    DmlOptions o;
    o.where = where;
    auto r = delete_rows(*session_, path_, o);
    ASSERT_TRUE(r.ok()) << r.error().message();
    if (!r->committed) return;
    EXPECT_GT(r->change_files_added, 0);
    apply_to_model({where.empty() ? "DELETE FROM model" : "DELETE FROM model WHERE " + where}, r->version);
  }

  // MERGE of source rows (id, v): matched with v < 0 deleted, other matched rows updated to the
  // source's v, unmatched ones inserted. Source values never equal a table value.
  void merge(const std::string& source) {
    MergeOptions o;
    o.source_sql = source;
    o.on = "t.id = s.id";
    o.clauses = {{Kind::MatchedDelete, "s.v < 0", {}, false},
                 {Kind::MatchedUpdate, "", {{"v", "s.v"}}, false},
                 {Kind::NotMatchedInsert, "", {{"id", "s.id"}, {"v", "s.v"}}, false}};
    auto r = merge_into(*session_, path_, o);
    ASSERT_TRUE(r.ok()) << r.error().message();
    if (!r->committed) return;
    EXPECT_GT(r->change_files_added, 0);
    apply_to_model(
        {"CREATE OR REPLACE TABLE src AS SELECT *, id IN (SELECT id FROM model) AS matched FROM (" + source +
             ")",
         "DELETE FROM model WHERE id IN (SELECT id FROM src WHERE matched AND v < 0)",
         "UPDATE model SET v = src.v FROM src WHERE model.id = src.id AND src.v >= 0",
         "INSERT INTO model SELECT id, v FROM src WHERE NOT matched"},
        r->version);
  }

  TempTable dir_;
  std::string path_;
  std::unique_ptr<Session> session_;
  int64_t latest_ = 0;  // the last version applied to the model (kept as state_<version>)
};

TEST_P(CdfRoundTrip, FeedEqualsTheChangesApplied) {
  std::mt19937 rng(20261125);
  auto pick = [&](int n) { return int(rng() % unsigned(n)); };
  int64_t next_id = 0, merge_value = 1000000;
  append(0, 40);
  next_id = 40;
  // Each kind of change three times (and one DELETE of everything), in a random order.
  std::vector<int> kinds = {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 0};
  std::shuffle(kinds.begin(), kinds.end(), rng);
  for (int kind : kinds) {
    int mod = 3 + pick(5), rem = pick(mod);
    std::string where = "id % " + std::to_string(mod) + " = " + std::to_string(rem);
    switch (kind) {
      case 0: {
        int n = 5 + pick(20);
        append(next_id, next_id + n);
        next_id += n;
        break;
      }
      case 1:
        update(where);
        break;
      case 2:
        del(where);
        break;
      case 3: {
        // Some existing ids (a few of them deleted through v < 0) and some new ones.
        std::string rows;
        std::set<int64_t> ids;
        while (ids.size() < 8) ids.insert(pick(int(next_id)));  // some deleted already: inserts
        for (int i = 0; i < 4; i++) ids.insert(next_id++);
        for (int64_t id : ids) {
          int64_t v = pick(4) == 0 ? -merge_value : merge_value;
          merge_value++;
          rows += (rows.empty() ? "" : ", ") + ("(" + std::to_string(id) + ", " + std::to_string(v) + ")");
        }
        merge("SELECT * FROM (VALUES " + rows + ") s(id, v)");
        break;
      }
      default:
        del("");  // DELETE without WHERE: every row a delete in the feed
    }
    if (HasFatalFailure()) return;
  }
  // RECOVER deletes the matching rows the earlier version does not have and inserts those it lacks (whole
  // rows, as multisets): only those show in the feed.
  std::string where = "id % 3 <> 1";
  std::string from = "state_" + std::to_string(latest_ - 3);
  auto r = recover_rows(*session_, path_, {.from_version = latest_ - 3, .where = where});
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_TRUE(r->committed);
  EXPECT_GT(r->change_files_added, 0);
  std::string v = std::to_string(r->version);
  std::string now_rows = "SELECT * FROM model WHERE " + where;
  std::string then_rows = "SELECT * FROM " + from + " WHERE " + where;
  // Some matching rows are the same at both ends: those must not show.
  EXPECT_FALSE(sorted_rows(*session_, now_rows + " INTERSECT ALL " + then_rows).empty());
  exec("INSERT INTO expected SELECT *, 'delete', " + v + " FROM (" + now_rows + " EXCEPT ALL " + then_rows +
       ")");
  exec("INSERT INTO expected SELECT *, 'insert', " + v + " FROM (" + then_rows + " EXCEPT ALL " + now_rows +
       ")");
  exec("CREATE OR REPLACE TABLE model AS SELECT * FROM model WHERE NOT (" + where + ") UNION ALL " +
       then_rows);

  auto feed = session_->expand_sql("SELECT id, v, _change_type, _commit_version FROM table_changes(" +
                                   quote_literal(path_) + ", 1)");
  ASSERT_TRUE(feed.ok()) << feed.error().message();
  auto expected = sorted_rows(*session_, "SELECT * FROM expected");
  EXPECT_GT(expected.size(), 100u);
  EXPECT_EQ(sorted_rows(*session_, *feed), expected);
  auto latest = session_->expand_sql("SELECT * FROM delta_scan(" + quote_literal(path_) + ")");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(sorted_rows(*session_, *latest), sorted_rows(*session_, "SELECT * FROM model"));
}

INSTANTIATE_TEST_SUITE_P(Modes, CdfRoundTrip, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "DeletionVectors" : "CopyOnWrite"; });

}  // namespace
}  // namespace silt::ops

namespace silt::ops {
namespace {

// A partitioned CDF table (copy-on-write): an UPDATE that moves rows to another partition, a
// MERGE that only inserts, and a failed UPDATE, with the feed derived by hand.
TEST(CdfPartitioned, FeedOfMovedAndInsertedRows) {
  silt::testing::TempTable dir;
  auto session = std::move(Session::open().value());
  std::string path = dir.root() + "/t";
  WriteOptions o;
  o.partition_by = {"p"};
  o.properties["delta.enableChangeDataFeed"] = "true";
  o.properties["delta.enableDeletionVectors"] = "false";
  ASSERT_TRUE(
      write_table(*session, path, "SELECT * FROM (VALUES (1, 'a'), (2, 'a'), (3, 'b')) t(id, p)", o).ok());
  DmlOptions where;
  where.where = "id = 2";
  auto moved = update_rows(*session, path, {{"p", "'c'"}}, where);
  ASSERT_TRUE(moved.ok()) << moved.error().message();
  EXPECT_EQ(moved->change_files_added, 2);  // one per partition: a (pre-image) and c (post-image)
  MergeOptions m;
  m.source_sql = "SELECT 4 AS id, 'b' AS p";
  m.on = "t.id = s.id";
  m.clauses = {{Kind::NotMatchedInsert, "", {}, true}};
  auto merged = merge_into(*session, path, m);
  ASSERT_TRUE(merged.ok()) << merged.error().message();
  auto bad = update_rows(*session, path, {{"id", "'x'"}}, where);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message().find('\n'), std::string::npos) << bad.error().message();
  auto feed = session->expand_sql("SELECT id, p, _change_type, _commit_version FROM table_changes(" +
                                  quote_literal(path) + ", 0)");
  ASSERT_TRUE(feed.ok()) << feed.error().message();
  EXPECT_EQ(sorted_rows(*session, *feed),
            (std::vector<std::string>{"1|a|insert|0", "2|a|insert|0", "2|a|update_preimage|1",
                                      "2|c|update_postimage|1", "3|b|insert|0", "4|b|insert|2"}));
  EXPECT_FALSE(std::filesystem::exists(path + "/_delta_log/" + TempTable::version_file(3)));
}

}  // namespace
}  // namespace silt::ops
