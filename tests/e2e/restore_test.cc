// RESTORE and DIFF over a history written by silt itself (appends, overwrites, replace-where,
// DV deletes), checked against a plain DuckDB model table that gets the same changes: every
// version's rows are kept as state_<v>, and restores and diffs are compared to those states.
// Single-threaded.
#include "ops/restore.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../support/cli_runner.h"
#include "../support/temp_table.h"
#include "ops/diff.h"
#include "ops/dml.h"
#include "ops/vacuum.h"
#include "ops/write.h"
#include "util/sql_text.h"

namespace silt::ops {
namespace {

using silt::testing::run_silt;
using silt::testing::TempTable;

class RestoreHistory : public ::testing::Test {
 protected:
  void SetUp() override {
    session_ = std::move(Session::open().value());
    path_ = dir_.root() + "/t";
    exec("CREATE TABLE model (id BIGINT, v VARCHAR, p INTEGER)");
  }

  void exec(const std::string& sql) { ASSERT_TRUE(session_->connection().execute(sql).ok()) << sql; }
  std::string scan(int64_t v) const {
    return "delta_scan(" + quote_literal(path_) + ", version => " + std::to_string(v) + ")";
  }
  int64_t count(const std::string& sql) {
    auto expanded = session_->expand_sql("SELECT count(*) FROM (" + sql + ")");
    EXPECT_TRUE(expanded.ok()) << (expanded.ok() ? "" : expanded.error().message());
    if (!expanded.ok()) return -1;
    auto v = session_->connection().scalar(*expanded);
    EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().message()) << "\n" << *expanded;
    return v.ok() && *v ? std::stoll(**v) : -1;
  }
  // Rows of `a` and `b` are equal as multisets.
  void expect_same(const std::string& a, const std::string& b, const std::string& what) {
    EXPECT_EQ(count("SELECT * FROM (" + a + ") EXCEPT ALL SELECT * FROM (" + b + ")"), 0) << what;
    EXPECT_EQ(count("SELECT * FROM (" + b + ") EXCEPT ALL SELECT * FROM (" + a + ")"), 0) << what;
  }
  // Records the model as the state of the version just committed.
  void record(int64_t version) {
    ASSERT_EQ(version, int64_t(states_));
    exec("CREATE TABLE state_" + std::to_string(version) + " AS SELECT * FROM model");
    states_++;
  }
  void append(const std::string& select) {
    WriteOptions o;
    o.properties["delta.enableDeletionVectors"] = "true";
    auto r = write_table(*session_, path_, select, o);
    ASSERT_TRUE(r.ok()) << r.error().message();
    exec("INSERT INTO model " + select);
    record(r->version);
  }
  void del(const std::string& where, int64_t max_inline = 64) {
    DmlOptions o;
    o.where = where;
    o.max_inline_dv_bytes = max_inline;
    auto r = delete_rows(*session_, path_, o);
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_TRUE(r->committed);
    exec("DELETE FROM model WHERE " + where);
    record(r->version);
  }
  // Overwrite (replace_where empty: the whole table) with `select`, whose model form is `model_select`.
  void overwrite(const std::string& select, const std::string& model_select, const std::string& where) {
    WriteOptions o;
    o.mode = WriteMode::Overwrite;
    o.replace_where = where;
    exec("CREATE OR REPLACE TABLE incoming AS " + model_select);
    auto r = write_table(*session_, path_, select, o);
    ASSERT_TRUE(r.ok()) << r.error().message();
    exec(where.empty() ? "DELETE FROM model" : "DELETE FROM model WHERE " + where);
    exec("INSERT INTO model SELECT * FROM incoming");
    record(r->version);
  }
  // Versions 0..10.
  void build_history() {
    append("SELECT range AS id, 'a' || range AS v, (range % 3)::INTEGER AS p FROM range(0, 20)");
    append("SELECT range AS id, 'b' || range AS v, (range % 3)::INTEGER AS p FROM range(20, 30)");
    del("id % 5 = 0");
    overwrite("SELECT id, 'r' || v AS v, p FROM " + scan(2) + " WHERE p = 1",
              "SELECT id, 'r' || v AS v, p FROM model WHERE p = 1", "p = 1");
    append("SELECT range AS id, 'c' || range AS v, (range % 3)::INTEGER AS p FROM range(30, 40)");
    del("id BETWEEN 30 AND 33", 0);  // a DV file, not inline
    del("id = 7");
    overwrite("SELECT range AS id, 'd' || range AS v, (range % 3)::INTEGER AS p FROM range(200, 215)",
              "SELECT range AS id, 'd' || range AS v, (range % 3)::INTEGER AS p FROM range(200, 215)", "");
    append("SELECT range AS id, 'e' || range AS v, (range % 3)::INTEGER AS p FROM range(0, 5)");
    del("id = 201", 0);
    overwrite("SELECT id, 'x' || v AS v, p FROM " + scan(9) + " WHERE p = 2",
              "SELECT id, 'x' || v AS v, p FROM model WHERE p = 2", "p = 2");
    ASSERT_EQ(states_, 11);
  }
  void expect_version_is_state(int64_t version, int64_t state) {
    expect_same("SELECT * FROM " + scan(version), "SELECT * FROM state_" + std::to_string(state),
                "version " + std::to_string(version) + " vs state " + std::to_string(state));
  }
  std::string commit_text(int64_t v) const {
    std::ifstream in(path_ + "/_delta_log/" + TempTable::version_file(v));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  TempTable dir_;
  std::string path_;
  std::unique_ptr<Session> session_;
  int states_ = 0;
};

TEST_F(RestoreHistory, EveryVersionMatchesTheModel) {
  build_history();
  for (int64_t v = 0; v < 11; v++) expect_version_is_state(v, v);
}

TEST_F(RestoreHistory, RestoresEachEarlierVersionExactly) {
  build_history();
  int64_t latest = 10;
  for (int64_t target : {8, 2, 5, 0, 9, 3, 6}) {
    auto r = restore_table(*session_, path_, {.version = target});
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_TRUE(r->committed) << target;
    EXPECT_EQ(r->version, latest + 1);
    latest = r->version;
    expect_version_is_state(latest, target);
    std::string commit = commit_text(latest);
    EXPECT_NE(commit.find("\"operation\":\"RESTORE\""), std::string::npos) << commit;
    EXPECT_NE(commit.find("\"version\":\"" + std::to_string(target) + "\""), std::string::npos) << commit;
    EXPECT_NE(commit.find("\"numRestoredFiles\":\""), std::string::npos) << commit;
    EXPECT_NE(commit.find("\"numOfFilesAfterRestore\":\"" + std::to_string(r->files_after) + "\""),
              std::string::npos);
    auto snap = session_->snapshot(path_);
    ASSERT_TRUE(snap.ok());
    EXPECT_EQ(int64_t(snap->files().size()), r->files_after);
  }
  // The original history is still there, unchanged.
  for (int64_t v = 0; v < 11; v++) expect_version_is_state(v, v);
}

TEST_F(RestoreHistory, RestoringTheCurrentVersionCommitsNothing) {
  build_history();
  auto r = restore_table(*session_, path_, {.version = 10});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->committed);
  EXPECT_EQ(r->version, 10);
  EXPECT_FALSE(std::filesystem::exists(path_ + "/_delta_log/" + TempTable::version_file(11)));
  // Restoring a version, then that version again: the second commits nothing.
  ASSERT_TRUE(restore_table(*session_, path_, {.version = 4}).ok());
  auto again = restore_table(*session_, path_, {.version = 4});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->committed);
  EXPECT_EQ(again->version, 11);
}

TEST_F(RestoreHistory, RefusesWhenANeededFileWasVacuumed) {
  build_history();
  VacuumOptions vo;
  vo.force = true;
  vo.retain_hours = 0;
  auto vac = vacuum(*session_, path_, vo);
  ASSERT_TRUE(vac.ok()) << vac.error().message();
  ASSERT_FALSE(vac->files.empty());
  auto r = restore_table(*session_, path_, {.version = 1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::NotFound);
  EXPECT_NE(r.error().message().find(".parquet"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("vacuum"), std::string::npos) << r.error().message();
  EXPECT_EQ(r.error().message().find('\n'), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path_ + "/_delta_log/" + TempTable::version_file(11)));
  expect_version_is_state(10, 10);
}

TEST_F(RestoreHistory, RefusesWhenADeletionVectorFileIsGone) {
  build_history();
  int removed = 0;
  for (const auto& e : std::filesystem::directory_iterator(path_)) {
    if (e.path().filename().string().starts_with("deletion_vector_")) {
      std::filesystem::remove(e.path());
      removed++;
    }
  }
  ASSERT_GT(removed, 0);
  auto r = restore_table(*session_, path_, {.version = 5});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("deletion vector file"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("deletion_vector_"), std::string::npos) << r.error().message();
  EXPECT_FALSE(std::filesystem::exists(path_ + "/_delta_log/" + TempTable::version_file(11)));
}

TEST_F(RestoreHistory, RestoresMetadataAfterSchemaEvolution) {
  append("SELECT range AS id, 'a' AS v, 1 AS p FROM range(0, 3)");
  WriteOptions o;
  o.schema_mode = SchemaMode::Merge;
  auto w = write_table(*session_, path_, "SELECT 9::BIGINT AS id, 'z' AS v, 1 AS p, 'new' AS extra", o);
  ASSERT_TRUE(w.ok()) << w.error().message();
  auto before = session_->snapshot(path_, {.version = 0});
  ASSERT_TRUE(before.ok());
  auto r = restore_table(*session_, path_, {.version = 0});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->committed);
  EXPECT_TRUE(r->metadata_changed);
  EXPECT_FALSE(r->protocol_changed);
  auto after = session_->snapshot(path_);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->version(), 2);
  EXPECT_EQ(after->metadata().schema_string, before->metadata().schema_string);
  expect_version_is_state(2, 0);
  // Version 1 still reads with its own schema.
  EXPECT_EQ(count("SELECT extra FROM " + scan(1) + " WHERE extra = 'new'"), 1);
}

TEST_F(RestoreHistory, RestoresByTimestamp) {
  build_history();
  auto r = restore_table(*session_, path_, {.timestamp_ms = int64_t(4'000'000'000'000)});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->restored_version, 10);
  EXPECT_FALSE(r->committed);
  auto early = restore_table(*session_, path_, {.timestamp_ms = int64_t(1'000)});
  EXPECT_FALSE(early.ok());
  auto cli = run_silt({"restore", path_, "--timestamp", "2100-01-01 00:00:00"});
  EXPECT_EQ(cli.code, 0) << cli.err;
  EXPECT_EQ(cli.out, "nothing to restore: version 10 already equals version 10\n");
}

TEST_F(RestoreHistory, RejectsVersionsThatDoNotExist) {
  build_history();
  for (int64_t v : {-1, 11, 99}) {
    auto r = restore_table(*session_, path_, {.version = v});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
  }
}

class DiffHistory : public RestoreHistory {};

TEST_F(DiffHistory, WithoutKeyEqualsTheModel) {
  build_history();
  for (auto [a, b] :
       std::vector<std::pair<int64_t, int64_t>>{{0, 1}, {1, 2}, {2, 5}, {5, 2}, {3, 10}, {4, 4}}) {
    auto sql = diff_sql(*session_, path_, a, b, {});
    ASSERT_TRUE(sql.ok()) << sql.error().message();
    std::string sa = "state_" + std::to_string(a), sb = "state_" + std::to_string(b);
    std::string expected =
        "SELECT 'added' AS _change, * FROM (SELECT * FROM " + sb + " EXCEPT ALL SELECT * FROM " + sa +
        ") UNION ALL SELECT 'removed', * FROM (SELECT * FROM " + sa + " EXCEPT ALL SELECT * FROM " + sb + ")";
    expect_same(*sql, expected, "diff " + std::to_string(a) + " -> " + std::to_string(b));
    if (a == b) {
      EXPECT_EQ(count(*sql), 0);
    }
  }
}

TEST_F(DiffHistory, WithKeyReportsChangedRows) {
  build_history();
  for (auto [a, b] : std::vector<std::pair<int64_t, int64_t>>{{2, 3}, {0, 5}, {9, 10}, {10, 9}, {1, 10}}) {
    auto sql = diff_sql(*session_, path_, a, b, {"id"});
    ASSERT_TRUE(sql.ok()) << sql.error().message();
    std::string sa = "state_" + std::to_string(a), sb = "state_" + std::to_string(b);
    std::string expected = "SELECT 'added' AS _change, * FROM " + sb + " WHERE id NOT IN (SELECT id FROM " +
                           sa + ") UNION ALL SELECT 'removed', * FROM " + sa +
                           " WHERE id NOT IN (SELECT id FROM " + sb +
                           ") UNION ALL SELECT 'changed', nb.* FROM " + sb + " nb JOIN " + sa +
                           " oa USING (id) WHERE nb.v IS DISTINCT FROM oa.v OR nb.p IS DISTINCT FROM oa.p";
    expect_same(*sql, expected, "keyed diff " + std::to_string(a) + " -> " + std::to_string(b));
  }
  // 2 -> 3 rewrote the p = 1 rows with new values: all of them are 'changed'.
  auto sql = diff_sql(*session_, path_, 2, 3, {"id"});
  ASSERT_TRUE(sql.ok());
  EXPECT_EQ(count("SELECT * FROM (" + *sql + ") WHERE _change = 'changed'"),
            count("SELECT * FROM state_2 WHERE p = 1"));
  EXPECT_GT(count("SELECT * FROM state_2 WHERE p = 1"), 0);
}

TEST_F(DiffHistory, RejectsBadArguments) {
  build_history();
  EXPECT_FALSE(diff_sql(*session_, path_, 0, 11, {}).ok());
  EXPECT_FALSE(diff_sql(*session_, path_, -1, 3, {}).ok());
  auto bad_key = diff_sql(*session_, path_, 0, 3, {"nope"});
  ASSERT_FALSE(bad_key.ok());
  EXPECT_NE(bad_key.error().message().find("nope"), std::string::npos);
}

TEST_F(RestoreHistory, CliRestoreAndDiff) {
  build_history();
  auto bad = run_silt({"restore", path_, "--version", "42"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_TRUE(bad.out.empty());
  EXPECT_EQ(bad.err.rfind("error: ", 0), 0u) << bad.err;
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;

  auto not_table = run_silt({"restore", dir_.root(), "--version", "0"});
  EXPECT_EQ(not_table.code, 1);
  EXPECT_EQ(not_table.err.rfind("error: ", 0), 0u) << not_table.err;
  EXPECT_EQ(std::count(not_table.err.begin(), not_table.err.end(), '\n'), 1) << not_table.err;

  auto neither = run_silt({"restore", path_});
  EXPECT_NE(neither.code, 0);
  EXPECT_EQ(neither.err.rfind("error: ", 0), 0u) << neither.err;

  auto same = run_silt({"restore", path_, "--version", "10"});
  EXPECT_EQ(same.code, 0) << same.err;
  EXPECT_EQ(same.out, "nothing to restore: version 10 already equals version 10\n");

  auto ok = run_silt({"restore", path_, "--version", "3"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(ok.out.rfind("restored " + path_ + " to version 3 as version 11: ", 0), 0u) << ok.out;
  EXPECT_EQ(std::count(ok.out.begin(), ok.out.end(), '\n'), 1);
  expect_version_is_state(11, 3);

  auto csv = run_silt({"diff", path_, "--from", "2", "--to", "3", "--key", "id", "--format", "csv"});
  EXPECT_EQ(csv.code, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("_change,id,v,p\n", 0), 0u) << csv.out;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 1 + count("SELECT * FROM state_2 WHERE p = 1"));
  EXPECT_NE(csv.out.find("changed,1,ra1,1\n"), std::string::npos) << csv.out;

  auto table = run_silt({"diff", path_, "--from", "0", "--to", "1"});
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("_change"), std::string::npos);
  EXPECT_NE(table.out.find("added"), std::string::npos);

  auto bad_diff = run_silt({"diff", path_, "--from", "0", "--to", "99"});
  EXPECT_EQ(bad_diff.code, 1);
  EXPECT_EQ(bad_diff.err.rfind("error: ", 0), 0u) << bad_diff.err;
}

}  // namespace
}  // namespace silt::ops
