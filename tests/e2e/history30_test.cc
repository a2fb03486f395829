// Restore, diff and recover on a 30-version history (DV mode) built from a fixed-seed mix of
// appends, replace-where overwrites, UPDATEs, DELETEs and MERGEs. A plain DuckDB model gets the
// same operations in SQL (never by reading silt), and each version's model is kept as state_<v>.
// The history is built once per suite; tests that change the table work on a copy of it.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <set>

#include "../support/cli_runner.h"
#include "../support/query_rows.h"
#include "../support/temp_table.h"
#include "ops/diff.h"
#include "ops/dml.h"
#include "ops/merge.h"
#include "ops/recover.h"
#include "ops/restore.h"
#include "ops/vacuum.h"
#include "ops/write.h"
#include "util/sql_text.h"

namespace silt::ops {
namespace {

using silt::testing::run_silt;
using silt::testing::sorted_rows;
using silt::testing::TempTable;
using Kind = MergeClause::Kind;

constexpr int kVersions = 30;

// Builds the history into `path` and the model states into the session's database.
class HistoryBuilder {
 public:
  HistoryBuilder(Session& s, std::string path) : s_(s), path_(std::move(path)) {}

  void build() {
    exec("CREATE TABLE model (id BIGINT, v VARCHAR, p INTEGER)");
    append(20);
    std::mt19937 rng(30);
    auto pick = [&](int n) { return int(rng() % unsigned(n)); };
    for (int step = 1; states_ < kVersions && step < 200; step++) {
      std::string mod = std::to_string(5 + pick(5));
      std::string where = "id % " + mod + " = " + std::to_string(pick(5));
      int kind = pick(5);
      int64_t before = states_;
      switch (kind) {
        case 0:
          append(3 + pick(10));
          break;
        case 1:
          replace_where(pick(4), 2 + pick(6), step);
          break;
        case 2:
          update(where, step);
          break;
        case 3:
          del(where);
          break;
        default:
          merge(pick, step);
      }
      if (::testing::Test::HasFatalFailure()) return;
      if (states_ > before) commits_[kind]++;
    }
    ASSERT_EQ(states_, kVersions);
    for (int kind = 0; kind < 5; kind++) EXPECT_GE(commits_[kind], 2) << "commits of kind " << kind;
  }

 private:
  void exec(const std::string& sql) {
    auto st = s_.connection().execute(sql);
    ASSERT_TRUE(st.ok()) << sql << ": " << st.error().message();
  }
  // Records the model as the state of `version`, which must be the next one.
  void record(int64_t version) {
    ASSERT_EQ(version, states_);
    exec("CREATE TABLE state_" + std::to_string(version) + " AS SELECT * FROM model");
    states_++;
  }
  std::string fresh_rows(int n, const std::string& prefix, const std::string& p) {
    std::string sql = "SELECT range AS id, '" + prefix + "' || range AS v, (" + p +
                      ")::INTEGER AS p FROM range(" + std::to_string(next_id_) + ", " +
                      std::to_string(next_id_ + n) + ")";
    next_id_ += n;
    return sql;
  }
  void append(int n) {
    std::string rows = fresh_rows(n, "a", "range % 4");
    WriteOptions o;
    auto r = write_table(s_, path_, rows, o);
    ASSERT_TRUE(r.ok()) << r.error().message();
    exec("INSERT INTO model " + rows);
    record(r->version);
  }
  // Overwrite of partition value p = k with n new rows.
  void replace_where(int k, int n, int step) {
    std::string rows = fresh_rows(n, "o" + std::to_string(step) + "_", std::to_string(k));
    WriteOptions o;
    o.mode = WriteMode::Overwrite;
    o.replace_where = "p = " + std::to_string(k);
    auto r = write_table(s_, path_, rows, o);
    ASSERT_TRUE(r.ok()) << r.error().message();
    exec("DELETE FROM model WHERE p = " + std::to_string(k));
    exec("INSERT INTO model " + rows);
    record(r->version);
  }
  void update(const std::string& where, int step) {
    std::string value = "v || '+u" + std::to_string(step) + "'";
    DmlOptions o;
    o.where = where;
    auto r = update_rows(s_, path_, {{"v", value}}, o);
    ASSERT_TRUE(r.ok()) << r.error().message();
    if (!r->committed) return;
    exec("UPDATE model SET v = " + value + " WHERE " + where);
    record(r->version);
  }
  void del(const std::string& where) {
    DmlOptions o;
    o.where = where;
    auto r = delete_rows(s_, path_, o);
    ASSERT_TRUE(r.ok()) << r.error().message();
    if (!r->committed) return;
    exec("DELETE FROM model WHERE " + where);
    record(r->version);
  }
  // Source (id, v, p, gone): matched rows deleted when gone, else given the source's v; source
  // rows matching nothing inserted.
  template <class Pick>
  void merge(Pick& pick, int step) {
    std::set<int64_t> ids;
    while (ids.size() < 6) ids.insert(pick(int(next_id_)));
    for (int i = 0; i < 3; i++) ids.insert(next_id_++);
    std::string rows;
    for (int64_t id : ids) {
      rows += std::string(rows.empty() ? "" : ", ") + "(" + std::to_string(id) + ", 'm" +
              std::to_string(step) + "_" + std::to_string(id) + "', " + std::to_string(id % 4) + ", " +
              (pick(3) == 0 ? "true" : "false") + ")";
    }
    std::string source = "SELECT * FROM (VALUES " + rows + ") s(id, v, p, gone)";
    MergeOptions o;
    o.source_sql = source;
    o.on = "t.id = s.id";
    o.clauses = {{Kind::MatchedDelete, "s.gone", {}, false},
                 {Kind::MatchedUpdate, "", {{"v", "s.v"}}, false},
                 {Kind::NotMatchedInsert, "", {{"id", "s.id"}, {"v", "s.v"}, {"p", "s.p"}}, false}};
    auto r = merge_into(s_, path_, o);
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_TRUE(r->committed);
    exec("CREATE OR REPLACE TABLE src AS SELECT *, id IN (SELECT id FROM model) AS matched FROM (" + source +
         ")");
    exec("DELETE FROM model WHERE id IN (SELECT id FROM src WHERE matched AND gone)");
    exec("UPDATE model SET v = src.v FROM src WHERE model.id = src.id AND NOT src.gone");
    exec("INSERT INTO model SELECT id, v, p FROM src WHERE NOT matched");
    record(r->version);
  }

  Session& s_;
  std::string path_;
  int64_t states_ = 0;
  int64_t next_id_ = 0;
  int commits_[5] = {};  // versions made by each kind of operation, as numbered in build()
};

class History30 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempTable();
    session_ = Session::open().value().release();
    HistoryBuilder(*session_, dir_->root() + "/history").build();
  }
  static void TearDownTestSuite() {
    delete session_;
    delete dir_;
  }
  void SetUp() override {
    if (HasFatalFailure()) GTEST_SKIP();
  }

  // A copy of the history for a test that changes it.
  std::string copy_of_history(const std::string& name) {
    std::string to = dir_->root() + "/" + name;
    std::filesystem::copy(dir_->root() + "/history", to, std::filesystem::copy_options::recursive);
    return to;
  }
  static std::string scan(const std::string& path, int64_t v = -1) {
    return "delta_scan(" + quote_literal(path) + (v < 0 ? "" : ", version => " + std::to_string(v)) + ")";
  }
  static std::string state(int64_t v) { return "state_" + std::to_string(v); }
  std::vector<std::string> rows(const std::string& sql) {
    auto expanded = session_->expand_sql(sql);
    if (!expanded.ok()) return {"error: " + expanded.error().message()};
    return sorted_rows(*session_, *expanded);
  }
  int64_t count(const std::string& sql) {
    auto n = session_->connection().scalar("SELECT count(*) FROM (" + sql + ")");
    return n.ok() && *n ? std::stoll(**n) : -1;
  }
  void exec(const std::string& sql) {
    auto st = session_->connection().execute(sql);
    ASSERT_TRUE(st.ok()) << sql << ": " << st.error().message();
  }
  static bool version_exists(const std::string& path, int64_t v) {
    return std::filesystem::exists(path + "/_delta_log/" + TempTable::version_file(v));
  }

  static TempTable* dir_;
  static Session* session_;
};

TempTable* History30::dir_ = nullptr;
Session* History30::session_ = nullptr;

TEST_F(History30, EveryVersionEqualsItsModel) {
  std::string path = dir_->root() + "/history";
  EXPECT_FALSE(version_exists(path, kVersions));
  for (int64_t v = 0; v < kVersions; v++)
    EXPECT_EQ(rows("SELECT * FROM " + scan(path, v)), rows("SELECT * FROM " + state(v))) << "version " << v;
}

TEST_F(History30, DiffsEqualTheModelsDifference) {
  std::string path = dir_->root() + "/history";
  for (auto [a, b] : std::vector<std::pair<int64_t, int64_t>>{
           {0, 29}, {29, 0}, {5, 17}, {10, 11}, {12, 12}, {20, 28}, {1, 15}, {27, 3}}) {
    std::string what = "diff " + std::to_string(a) + " -> " + std::to_string(b);
    auto whole = diff_sql(*session_, path, a, b, {});
    ASSERT_TRUE(whole.ok()) << whole.error().message();
    EXPECT_EQ(rows(*whole), rows("SELECT 'added', * FROM (FROM " + state(b) + " EXCEPT ALL FROM " + state(a) +
                                 ") UNION ALL SELECT 'removed', * FROM (FROM " + state(a) +
                                 " EXCEPT ALL FROM " + state(b) + ")"))
        << what;
    // By key: ids only in b added, only in a removed, in both with another v or p changed (new values).
    auto keyed = diff_sql(*session_, path, a, b, {"id"});
    ASSERT_TRUE(keyed.ok()) << keyed.error().message();
    std::string sa = state(a), sb = state(b);
    EXPECT_EQ(rows(*keyed),
              rows("SELECT 'added', * FROM " + sb + " WHERE id NOT IN (SELECT id FROM " + sa +
                   ") UNION ALL SELECT 'removed', * FROM " + sa + " WHERE id NOT IN (SELECT id FROM " + sb +
                   ") UNION ALL SELECT 'changed', y.* FROM " + sa + " x JOIN " + sb +
                   " y USING (id) WHERE x.v <> y.v OR x.p <> y.p"))
        << what << " by id";
  }
}

TEST_F(History30, RestoresMakeTheLatestEqualTheModel) {
  std::string path = copy_of_history("restore");
  std::vector<std::pair<int64_t, int64_t>> restored;  // (commit, version restored)
  int64_t latest = kVersions - 1;
  for (int64_t v : {7, 22, 0, 15, 28, 3}) {
    auto r = restore_table(*session_, path, {.version = v});
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_TRUE(r->committed) << v;
    EXPECT_EQ(r->version, ++latest);
    EXPECT_EQ(rows("SELECT * FROM " + scan(path)), rows("SELECT * FROM " + state(v))) << "restore " << v;
    restored.emplace_back(r->version, v);
  }
  for (auto [commit, v] : restored)
    EXPECT_EQ(rows("SELECT * FROM " + scan(path, commit)), rows("SELECT * FROM " + state(v))) << commit;
}

TEST_F(History30, RecoverReplacesOnlyThePredicatesRows) {
  std::string path = copy_of_history("recover");
  exec("CREATE OR REPLACE TABLE now_model AS SELECT * FROM " + state(kVersions - 1));
  int64_t latest = kVersions - 1, changed = 0;
  for (auto [v, where] : std::vector<std::pair<int64_t, std::string>>{{5, "p = 1"},
                                                                      {18, "id % 7 = 3"},
                                                                      {27, "p = 0 AND id < 40"},
                                                                      {0, "v LIKE 'a%'"},
                                                                      {12, "id >= 30"}}) {
    std::string what = "recover " + where + " from " + std::to_string(v);
    std::string now_rows = "SELECT * FROM now_model WHERE " + where;
    std::string then_rows = "SELECT * FROM " + state(v) + " WHERE " + where;
    int64_t only_now = count(now_rows + " EXCEPT ALL " + then_rows);
    int64_t only_then = count(then_rows + " EXCEPT ALL " + now_rows);
    auto r = recover_rows(*session_, path, {.from_version = v, .where = where});
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->rows_removed, only_now) << what;
    EXPECT_EQ(r->rows_restored, only_then) << what;
    EXPECT_EQ(r->rows_matched_now, count(now_rows)) << what;
    EXPECT_EQ(r->rows_matched_then, count(then_rows)) << what;
    EXPECT_EQ(r->committed, only_now + only_then > 0) << what;
    changed += only_now + only_then;
    if (r->committed) EXPECT_EQ(r->version, ++latest) << what;
    exec("CREATE OR REPLACE TABLE now_model AS SELECT * FROM now_model WHERE (" + where +
         ") IS NOT TRUE UNION ALL " + then_rows);
    EXPECT_EQ(rows("SELECT * FROM " + scan(path)), rows("SELECT * FROM now_model")) << what;
    // Again: the rows already equal version v's, so nothing is committed.
    auto again = recover_rows(*session_, path, {.from_version = v, .where = where});
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_FALSE(again->committed) << what;
    EXPECT_EQ(again->rows_changed(), 0) << what;
  }
  EXPECT_FALSE(version_exists(path, latest + 1));
  EXPECT_GT(changed, 20);
  EXPECT_GE(latest, kVersions + 3);
}

TEST_F(History30, CliRecoverReportsAndRefusesBadInput) {
  std::string path = copy_of_history("cli");
  auto r = run_silt({"recover", path, "--from-version", "4", "--where", "p = 2"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string now_rows = "SELECT * FROM " + state(kVersions - 1) + " WHERE p = 2";
  std::string then_rows = "SELECT * FROM " + state(4) + " WHERE p = 2";
  int64_t removed = count(now_rows + " EXCEPT ALL " + then_rows);
  int64_t restored = count(then_rows + " EXCEPT ALL " + now_rows);
  std::string expected =
      "recovered " + path + " from version 4 as version 30: " + std::to_string(removed + restored) +
      " row(s) changed (" + std::to_string(removed) + " removed, " + std::to_string(restored) +
      " restored); the predicate matched " + std::to_string(count(now_rows)) + " row(s) now and " +
      std::to_string(count(then_rows)) + " at version 4\n";
  EXPECT_GT(removed + restored, 0);
  EXPECT_EQ(r.out, expected);
  EXPECT_EQ(rows("SELECT * FROM " + scan(path)),
            rows("SELECT * FROM " + state(kVersions - 1) + " WHERE p <> 2 UNION ALL " + then_rows));
  auto again = run_silt({"recover", path, "--from-version", "4", "--where", "p = 2"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("nothing to recover"), std::string::npos) << again.out;

  auto fails = [&](std::vector<std::string> args, const std::string& text) {
    args.insert(args.begin(), {"recover", path});
    auto f = run_silt(args);
    EXPECT_EQ(f.code, 1) << f.out;
    EXPECT_EQ(f.err.find("error: "), 0u) << f.err;
    EXPECT_NE(f.err.find(text), std::string::npos) << f.err;
    EXPECT_EQ(std::count(f.err.begin(), f.err.end(), '\n'), 1) << f.err;
  };
  fails({"--from-version", "31", "--where", "p = 1"}, "versions 0 to 30");
  fails({"--from-version", "3", "--where", "no_such_column = 1"}, "WHERE no_such_column = 1");
  fails({"--from-version", "3", "--where", " "}, "predicate");
  VacuumOptions vo;
  vo.force = true;
  vo.retain_hours = 0;
  auto vac = vacuum(*session_, path, vo);
  ASSERT_TRUE(vac.ok()) << vac.error().message();
  fails({"--from-version", "0", "--where", "id < 5"}, "is gone (vacuumed?)");
  EXPECT_FALSE(version_exists(path, 31));
}

}  // namespace
}  // namespace silt::ops
