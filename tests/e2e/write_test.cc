// The writer under real conditions: concurrent `silt write` processes on one table, crashes
// (SIGKILL at named steps and at seeded random moments), bad input, a round trip of every
// type, and time travel over a 30-commit history checked against an independent model kept
// in plain DuckDB.
#include "ops/write.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "../support/cli_runner.h"
#include "../support/query_rows.h"
#include "../support/temp_table.h"
#include "scan/session.h"

using silt::testing::run_silt;
using silt::testing::TempTable;

namespace {

std::unique_ptr<silt::Session> open_session() { return std::move(silt::Session::open().value()); }

// Rows of a query as sorted text lines, for order-independent comparison.
std::vector<std::string> rows_of(silt::Session& s, const std::string& sql) {
  return silt::testing::sorted_rows(s, sql);
}

std::vector<std::string> scan_rows(silt::Session& s, const std::string& table, std::optional<int64_t> version,
                                   const std::string& cols = "*") {
  std::string call =
      "delta_scan('" + table + "'" + (version ? ", version => " + std::to_string(*version) : "") + ")";
  auto expanded = s.expand_sql("SELECT " + cols + " FROM " + call);
  if (!expanded.ok()) return {"error: " + expanded.error().message()};
  return rows_of(s, *expanded);
}

int64_t latest_version(silt::Session& s, const std::string& table) {
  auto snap = s.snapshot(table);
  return snap.ok() ? snap->version() : -1;
}

size_t count_files(const std::string& dir, const std::string& suffix) {
  size_t n = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().string().ends_with(suffix)) n++;
  }
  return n;
}

TEST(WriteConcurrency, EightProcessesFiftyAppendsEach) {
  TempTable t;
  ASSERT_EQ(run_silt({"create", t.root(), "--schema", "w BIGINT, i BIGINT"}).code, 0);
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; w++) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 50; i++) {
        silt::testing::Run r =
            run_silt({"write", t.root(), "--sql",
                      "SELECT " + std::to_string(w) + " AS w, " + std::to_string(i) + " AS i"});
        if (r.code != 0) {
          failures++;
          ADD_FAILURE() << "writer " << w << " op " << i << ": " << r.err;
        }
      }
    });
  }
  for (auto& th : writers) th.join();
  EXPECT_EQ(failures, 0);
  auto s = open_session();
  EXPECT_EQ(latest_version(*s, t.root()), 400);
  // Every version exists once and holds one commit's single add: nothing was overwritten.
  for (int v = 0; v <= 400; v++) {
    ASSERT_TRUE(std::filesystem::exists(t.log_dir() + "/" + TempTable::version_file(v))) << v;
  }
  auto rows = scan_rows(*s, t.root(), std::nullopt,
                        "count(*), count(DISTINCT (w, i)), min(i), max(i), count(DISTINCT w)");
  EXPECT_EQ(rows, std::vector<std::string>{"400|400|0|49|8"});
}

// Commit `v`'s mode and the rows of the files it added, read independently of silt's reader:
// the JSON log through DuckDB's read_json and the data files through read_parquet.
struct CommitEffect {
  std::string mode;
  std::vector<std::string> rows;
};

CommitEffect effect_of(silt::Session& s, const TempTable& t, int64_t v) {
  std::string file = t.log_dir() + "/" + TempTable::version_file(v);
  auto mode =
      rows_of(s, "SELECT commitInfo.operationParameters.mode FROM read_json('" + file +
                     "', format='newline_delimited', columns={'commitInfo': 'STRUCT(operationParameters "
                     "STRUCT(mode VARCHAR))'}) WHERE commitInfo IS NOT NULL");
  auto paths = rows_of(
      s, "SELECT add.path FROM read_json('" + file +
             "', format='newline_delimited', columns={'add': 'STRUCT(path VARCHAR)'}) WHERE add IS NOT NULL");
  CommitEffect e{mode.empty() ? "" : mode[0], {}};
  for (const auto& p : paths) {
    auto r = rows_of(s, "SELECT w, i FROM read_parquet('" + t.root() + "/" + p + "')");
    e.rows.insert(e.rows.end(), r.begin(), r.end());
  }
  std::sort(e.rows.begin(), e.rows.end());
  return e;
}

TEST(WriteConcurrency, AppendsAndOverwritesEqualASerialReplay) {
  TempTable t;
  ASSERT_EQ(run_silt({"create", t.root(), "--schema", "w BIGINT, i BIGINT"}).code, 0);
  std::mutex mu;
  std::map<std::pair<int, int>, silt::testing::Run> outcomes;
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; w++) {
    writers.emplace_back([&, w] {
      std::mt19937 rng(1234 + w);
      for (int i = 0; i < 15; i++) {
        bool overwrite = rng() % 3 == 0;
        silt::testing::Run r =
            run_silt({"write", t.root(), "--mode", overwrite ? "overwrite" : "append", "--sql",
                      "SELECT " + std::to_string(w) + " AS w, " + std::to_string(i) + " AS i"});
        std::lock_guard<std::mutex> lock(mu);
        outcomes[{w, i}] = r;
      }
    });
  }
  for (auto& th : writers) th.join();
  auto s = open_session();
  int64_t latest = latest_version(*s, t.root());
  size_t committed = 0;
  for (const auto& [op, r] : outcomes) {
    if (r.code == 0) {
      committed++;
      continue;
    }
    // A lost race is reported as a conflict naming the winner, on one line.
    EXPECT_NE(r.err.find("error: concurrent commit at version"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1);
  }
  EXPECT_EQ(int64_t(committed), latest) << "one version per successful write";
  std::vector<std::string> state;
  std::set<std::string> seen;
  for (int64_t v = 1; v <= latest; v++) {
    CommitEffect e = effect_of(*s, t, v);
    ASSERT_EQ(e.rows.size(), 1u) << "version " << v;
    EXPECT_TRUE(seen.insert(e.rows[0]).second) << "op committed twice: " << e.rows[0];
    if (e.mode == "Overwrite") state.clear();
    state.push_back(e.rows[0]);
    std::sort(state.begin(), state.end());
    EXPECT_EQ(scan_rows(*s, t.root(), v, "w, i"), state) << "version " << v;
  }
  // Failed writes left nothing behind in any version.
  for (const auto& [op, r] : outcomes) {
    std::string row = std::to_string(op.first) + "|" + std::to_string(op.second);
    EXPECT_EQ(seen.count(row) == 1, r.code == 0) << row;
  }
}

TEST(WriteCrash, KilledWritersNeverCorruptTheTable) {
  TempTable t;
  ASSERT_EQ(run_silt({"create", t.root(), "--schema", "k BIGINT, v VARCHAR"}).code, 0);
  auto s = open_session();
  int64_t expected_rows = 0;
  std::mt19937 rng(42);
  auto sql = [](int k) {
    return "SELECT range + " + std::to_string(k * 1000) + " AS k, 'x' || range AS v FROM range(20000)";
  };
  int k = 0;
  for (const char* point : {"before_data", "before_commit", "mid_publish"}) {
    for (int rep = 0; rep < 2; rep++, k++) {
      silt::testing::Run r =
          run_silt({"write", t.root(), "--sql", sql(k)}, "", std::string("SILT_CRASH_AT=") + point);
      EXPECT_NE(r.code, 0) << point;
      EXPECT_EQ(scan_rows(*s, t.root(), std::nullopt, "count(*)"),
                std::vector<std::string>{std::to_string(expected_rows)})
          << "after a crash at " << point;
    }
  }
  // SIGKILL from outside at seeded random moments: each write either committed whole or not at all.
  for (int rep = 0; rep < 8; rep++, k++) {
    pid_t pid = fork();
    if (pid == 0) {
      execl(SILT_BINARY, SILT_BINARY, "write", t.root().c_str(), "--sql", sql(k).c_str(), (char*)nullptr);
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 150));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    bool finished = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    auto count = scan_rows(*s, t.root(), std::nullopt, "count(*)");
    ASSERT_EQ(count.size(), 1u);
    int64_t now = std::stoll(count[0]);
    EXPECT_TRUE(now == expected_rows || now == expected_rows + 20000) << "partial commit: " << now;
    if (finished) EXPECT_EQ(now, expected_rows + 20000);
    expected_rows = now;
  }
  // Whatever the crashes left, the table still takes writes.
  ASSERT_EQ(run_silt({"write", t.root(), "--sql", sql(99)}).code, 0);
  expected_rows += 20000;
  EXPECT_EQ(scan_rows(*s, t.root(), std::nullopt, "count(*)"),
            std::vector<std::string>{std::to_string(expected_rows)});
  // Vacuum removes the crashed writers' orphan files and nothing the table needs.
  auto snap = s->snapshot(t.root());
  ASSERT_TRUE(snap.ok());
  EXPECT_GT(count_files(t.root(), ".parquet"), snap->files().size())
      << "the crashes should have left orphans";
  silt::testing::Run v = run_silt({"vacuum", t.root(), "--retain-hours", "0", "--force"});
  ASSERT_EQ(v.code, 0) << v.err;
  EXPECT_EQ(count_files(t.root(), ".parquet"), snap->files().size());
  EXPECT_EQ(scan_rows(*s, t.root(), std::nullopt, "count(*)"),
            std::vector<std::string>{std::to_string(expected_rows)});
}

TEST(WriteCrash, KilledMidCheckpointLeavesAReadableTable) {
  TempTable t;
  auto write = [&](int i, const std::string& env = "") {
    return run_silt({"write", t.root(), "--sql", "SELECT " + std::to_string(i) + " AS id"}, "", env);
  };
  for (int i = 0; i < 10; i++) ASSERT_EQ(write(i).code, 0);
  // Version 10 is due a checkpoint: the commit lands, the writer dies inside the checkpoint.
  EXPECT_NE(write(10, "SILT_CRASH_AT=mid_checkpoint").code, 0);
  auto s = open_session();
  EXPECT_EQ(latest_version(*s, t.root()), 10);
  EXPECT_EQ(scan_rows(*s, t.root(), std::nullopt, "count(*), sum(id)"), std::vector<std::string>{"11|55"});
  // The next due commit checkpoints normally and the table reads the same from it.
  for (int i = 11; i <= 20; i++) ASSERT_EQ(write(i).code, 0);
  EXPECT_TRUE(
      std::filesystem::exists(t.log_dir() + "/" + TempTable::version_file(20, ".checkpoint.parquet")));
  EXPECT_EQ(scan_rows(*s, t.root(), std::nullopt, "count(*), sum(id)"), std::vector<std::string>{"21|210"});
}

void expect_error_and_unchanged(const TempTable& t, const std::vector<std::string>& args,
                                const std::string& needle) {
  auto s = open_session();
  int64_t before_version = latest_version(*s, t.root());
  auto before_rows = scan_rows(*s, t.root(), std::nullopt);
  silt::testing::Run r = run_silt(args);
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(latest_version(*s, t.root()), before_version);
  EXPECT_EQ(scan_rows(*s, t.root(), std::nullopt), before_rows);
}

TEST(WriteBadInput, OneLineErrorsAndTheTableIsUnchanged) {
  TempTable t;
  ASSERT_EQ(
      run_silt({"write", t.root(), "--sql", "SELECT 1::BIGINT AS id, 'a' AS name, DATE '2024-01-01' AS day",
                "--partition-by", "day"})
          .code,
      0);
  expect_error_and_unchanged(t,
                             {"write", t.root(), "--sql",
                              "SELECT 2::BIGINT AS id, 'b' AS name, DATE '2024-01-02' AS day, 5 AS extra"},
                             "column(s) not in the table: extra");
  expect_error_and_unchanged(
      t, {"write", t.root(), "--sql", "SELECT 'x' AS id, 'b' AS name, DATE '2024-01-02' AS day"},
      "id (table long, data string)");
  expect_error_and_unchanged(t,
                             {"write", t.root(), "--partition-by", "name", "--sql",
                              "SELECT 2::BIGINT AS id, 'b' AS name, DATE '2024-01-02' AS day"},
                             "partitioned by [day]");
  expect_error_and_unchanged(
      t,
      {"write", t.root(), "--mode", "overwrite", "--replace-where", "day = DATE '2024-01-01'", "--sql",
       "SELECT 2::BIGINT AS id, 'b' AS name, DATE '2024-01-02' AS day"},
      "do not match --replace-where");
  TempTable fresh;
  silt::testing::Run r =
      run_silt({"write", fresh.root() + "/t", "--partition-by", "nope", "--sql", "SELECT 1 AS id"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("partition column nope"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(fresh.root() + "/t/_delta_log/" + TempTable::version_file(0)));
  // A directory that can't be created (its parent is a file).
  fresh.write("file", "x");
  r = run_silt({"write", fresh.root() + "/file/t", "--sql", "SELECT 1 AS id"});
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  // A corrupt _last_checkpoint is only a hint (PROTOCOL.md): reads and writes go on by listing.
  t.write("_delta_log/_last_checkpoint", "{garbage");
  EXPECT_EQ(
      run_silt({"write", t.root(), "--sql", "SELECT 3::BIGINT AS id, 'c' AS name, DATE '2024-01-03' AS day"})
          .code,
      0);
  auto s = open_session();
  EXPECT_EQ(scan_rows(*s, t.root(), std::nullopt, "count(*)"), std::vector<std::string>{"2"});
}

TEST(WriteBadInput, DiskFullFailsCleanly) {
  TempTable t;
  std::string mnt = t.root() + "/small";
  std::filesystem::create_directories(mnt);
  if (std::system(("mount -t tmpfs -o size=256k tmpfs " + mnt + " 2>/dev/null").c_str()) != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs here";
  }
  std::string table = mnt + "/t";
  silt::testing::Run ok = run_silt({"write", table, "--sql", "SELECT 1 AS id"});
  silt::testing::Run full =
      run_silt({"write", table, "--sql", "SELECT range AS id, md5(range::VARCHAR) AS h FROM range(200000)",
                "--schema-mode", "merge"});
  auto s = open_session();
  auto rows = scan_rows(*s, table, std::nullopt, "count(*)");
  ignore_result(silt::Status());
  std::system(("umount " + mnt).c_str());
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(full.code, 0);
  EXPECT_EQ(full.err.rfind("error: ", 0), 0u) << full.err;
  EXPECT_EQ(rows, std::vector<std::string>{"1"});
}

// Names of the regular files under `dir` (recursively), for before/after comparisons.
std::set<std::string> files_under(const std::string& dir) {
  std::set<std::string> out;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.insert(e.path().string());
  return out;
}

// The hook sees exactly the rows being added (not the table's others), before anything is
// published; its error leaves the table and its folder as they were.
TEST(WriteBeforeCommit, SeesOnlyTheNewRowsAndItsErrorCommitsNothing) {
  TempTable t;
  auto s = open_session();
  silt::ops::WriteOptions w;
  w.partition_by = {"day"};
  ASSERT_TRUE(
      silt::ops::write_table(
          *s, t.root(), "SELECT range AS id, DATE '2024-01-01' + (range % 3)::INT AS day FROM range(100)", w)
          .ok());
  std::set<std::string> before = files_under(t.root());
  std::vector<std::string> seen;
  int64_t seen_rows = -1;
  size_t seen_files = 0;
  w.before_commit = [&](const silt::ops::PendingRows& rows) -> silt::Status {
    seen_files = rows.files.size();
    seen = rows_of(*s, "SELECT min(id), max(id), count(*), count(DISTINCT day), max(day) FROM " + rows.sql);
    seen_rows = rows.count;
    EXPECT_EQ(rows.metadata->partition_columns, std::vector<std::string>{"day"});
    EXPECT_EQ(latest_version(*s, t.root()), 0);  // not yet published
    return silt::Error(silt::ErrorKind::InvalidArgument, "rejected by the hook");
  };
  std::string more = "SELECT 1000 + range AS id, DATE '2024-02-01' + (range % 4)::INT AS day FROM range(50)";
  auto rejected = silt::ops::write_table(*s, t.root(), more, w);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().message(), "rejected by the hook");
  EXPECT_EQ(seen, std::vector<std::string>{"1000|1049|50|4|2024-02-04"});
  EXPECT_EQ(seen_rows, 50);
  EXPECT_EQ(seen_files, 4u);  // one per new day
  EXPECT_EQ(latest_version(*s, t.root()), 0);
  EXPECT_EQ(files_under(t.root()), before);  // the 4 new partition files are gone again
  w.before_commit = [&](const silt::ops::PendingRows& rows) -> silt::Status {
    seen_rows = rows.count;
    return silt::ok_status();
  };
  auto accepted = silt::ops::write_table(*s, t.root(), more, w);
  ASSERT_TRUE(accepted.ok()) << accepted.error().message();
  EXPECT_EQ(accepted->version, 1);
  EXPECT_EQ(scan_rows(*s, t.root(), std::nullopt, "count(*)"), std::vector<std::string>{"150"});
  // An append of nothing with skip_empty_append: the hook still runs (0 rows), no commit.
  w.skip_empty_append = true;
  seen_rows = -1;
  auto empty = silt::ops::write_table(*s, t.root(), more + " WHERE false", w);
  ASSERT_TRUE(empty.ok()) << empty.error().message();
  EXPECT_EQ(seen_rows, 0);
  EXPECT_EQ(empty->version, 1);
  EXPECT_EQ(latest_version(*s, t.root()), 1);
  // --replace-where is checked on the written rows: a row outside it fails the write, and the
  // new files and the rewritten survivors of the replaced files are deleted.
  before = files_under(t.root());
  silt::ops::WriteOptions replace;
  replace.mode = silt::ops::WriteMode::Overwrite;
  replace.replace_where = "id >= 1000";
  auto outside = silt::ops::write_table(*s, t.root(), "SELECT 999 AS id, DATE '2024-02-01' AS day", replace);
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.error().message().find("do not match --replace-where"), std::string::npos);
  EXPECT_EQ(files_under(t.root()), before);
  EXPECT_EQ(latest_version(*s, t.root()), 1);
}

// A query that fails after DuckDB has begun writing files leaves none of them behind.
TEST(WriteBadInput, FailedCopyLeavesNoPartialFiles) {
  TempTable t;
  auto s = open_session();
  silt::ops::WriteOptions w;
  w.target_file_size = 1 << 20;
  ASSERT_TRUE(
      silt::ops::write_table(*s, t.root(), "SELECT range AS id, md5(range::VARCHAR) AS h FROM range(1000)", w)
          .ok());
  std::set<std::string> before = files_under(t.root());
  auto failed = silt::ops::write_table(
      *s, t.root(),
      "SELECT range AS id, CASE WHEN range = 1500000 THEN error('boom') ELSE md5(range::VARCHAR) END AS h "
      "FROM range(2000000)",
      w);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message().find("boom"), std::string::npos) << failed.error().message();
  EXPECT_EQ(files_under(t.root()), before);
  EXPECT_EQ(latest_version(*s, t.root()), 0);
}

TEST(WriteIdempotency, ReplayedAppVersionCommitsNothing) {
  TempTable t;
  std::vector<std::string> args = {"write",         t.root(), "--app-id", "loader",
                                   "--app-version", "7",      "--sql",    "SELECT 1 AS id"};
  silt::testing::Run first = run_silt(args);
  ASSERT_EQ(first.code, 0) << first.err;
  silt::testing::Run again = run_silt(args);
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("already committed"), std::string::npos) << again.out;
  auto s = open_session();
  EXPECT_EQ(latest_version(*s, t.root()), 0);
  args[5] = "8";
  ASSERT_EQ(run_silt(args).code, 0);
  EXPECT_EQ(scan_rows(*s, t.root(), std::nullopt, "count(*)"), std::vector<std::string>{"2"});
}

TEST(WriteRoundTrip, EveryTypeReadsBackIdentical) {
  auto s = open_session();
  std::string source =
      "SELECT * FROM (VALUES "
      "(1::TINYINT, 2::SMALLINT, 3::INTEGER, 4::BIGINT, 1.5::FLOAT, 2.25::DOUBLE, true, 'héllo', "
      "'\\x00\\xff'::BLOB, "
      " DATE '2024-02-29', TIMESTAMPTZ '2024-03-01 12:34:56.789012+00', TIMESTAMP '2024-03-01 "
      "12:34:56.789012', "
      " 12345.67::DECIMAL(10,2), 123456789012345678.0123456789::DECIMAL(38,10), {'a': 1, 'b': 'x'}, [1, 2, "
      "NULL], "
      " MAP {'k': 1.5}, 'p1'),"
      "(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
      "NULL, NULL),"
      "(-128, -32768, -2147483648, -9223372036854775808, -0.0, 'inf'::DOUBLE, false, '', ''::BLOB, DATE "
      "'1970-01-01', "
      " TIMESTAMPTZ '1900-01-01 00:00:00+00', TIMESTAMP '2262-01-01 00:00:00', -0.01, 0, {'a': NULL, 'b': "
      "NULL}, [], MAP {}, 'p2')"
      ") AS v(i8, i16, i32, i64, f32, f64, b, s, bin, d, ts, tsntz, dec, bigdec, st, lst, m, part)";
  ASSERT_TRUE(s->connection().execute("CREATE TABLE source AS " + source).ok());
  for (const char* part : {"", "part"}) {
    TempTable t;
    silt::ops::WriteOptions o;
    if (*part) o.partition_by = {part};
    auto w = silt::ops::write_table(*s, t.root(), "SELECT * FROM source", o);
    ASSERT_TRUE(w.ok()) << w.error().message();
    auto expanded = s->expand_sql("SELECT * FROM delta_scan('" + t.root() + "')");
    ASSERT_TRUE(expanded.ok()) << expanded.error().message();
    std::string scan = "(" + *expanded + ")";
    EXPECT_EQ(rows_of(*s, "SELECT * FROM source EXCEPT ALL SELECT * FROM " + scan),
              std::vector<std::string>{})
        << part;
    EXPECT_EQ(rows_of(*s, "SELECT * FROM " + scan + " EXCEPT ALL SELECT * FROM source"),
              std::vector<std::string>{})
        << part;
    EXPECT_EQ(rows_of(*s, "SELECT count(*) FROM " + scan), std::vector<std::string>{"3"});
    // Types come back as written, not widened or stringified.
    EXPECT_EQ(
        rows_of(*s, "SELECT string_agg(column_type, ',' ORDER BY column_name) FROM (DESCRIBE SELECT * FROM " +
                        scan + ")"),
        rows_of(*s, "SELECT string_agg(column_type, ',' ORDER BY column_name) FROM (DESCRIBE source)"));
  }
}

TEST(WriteHistory, EveryVersionOfThirtyCommitsMatchesAnIndependentModel) {
  auto s = open_session();
  TempTable t;
  ASSERT_TRUE(s->connection().execute("CREATE TABLE model (v BIGINT, k BIGINT, g VARCHAR, x DOUBLE)").ok());
  ASSERT_TRUE(s->connection().execute("CREATE TABLE model_now (k BIGINT, g VARCHAR, x DOUBLE)").ok());
  std::mt19937 rng(7);
  for (int v = 0; v < 30; v++) {
    int op = v == 0 ? 0 : int(rng() % 4);
    std::string rows = "SELECT (range + " + std::to_string(v * 100) +
                       ")::BIGINT AS k, ['a','b','c'][1 + (range % 3)::INT] AS g, "
                       "range * 0.5 AS x FROM range(" +
                       std::to_string(5 + rng() % 20) + ")";
    silt::ops::WriteOptions o;
    if (v == 0) o.partition_by = {"g"};
    std::string model_sql;
    if (op == 1) {
      o.mode = silt::ops::WriteMode::Overwrite;
      model_sql = "DELETE FROM model_now; INSERT INTO model_now " + rows;
    } else if (op == 2) {
      o.mode = silt::ops::WriteMode::Overwrite;
      o.replace_where = "g = 'b'";
      rows = "SELECT * FROM (" + rows + ") WHERE g = 'b'";
      model_sql = "DELETE FROM model_now WHERE g = 'b'; INSERT INTO model_now " + rows;
    } else if (op == 3) {
      o.mode = silt::ops::WriteMode::Overwrite;
      o.replace_where = "k % 2 = 0";  // a data-column predicate: partly matching files are rewritten
      rows = "SELECT * FROM (" + rows + ") WHERE k % 2 = 0";
      model_sql = "DELETE FROM model_now WHERE k % 2 = 0; INSERT INTO model_now " + rows;
    } else {
      model_sql = "INSERT INTO model_now " + rows;
    }
    auto w = silt::ops::write_table(*s, t.root(), rows, o);
    ASSERT_TRUE(w.ok()) << "version " << v << ": " << w.error().message();
    ASSERT_EQ(w->version, v);
    ASSERT_TRUE(s->connection().execute(model_sql).ok());
    ASSERT_TRUE(
        s->connection().execute("INSERT INTO model SELECT " + std::to_string(v) + ", * FROM model_now").ok());
  }
  for (int v = 0; v < 30; v++) {
    EXPECT_EQ(scan_rows(*s, t.root(), v, "k, g, x"),
              rows_of(*s, "SELECT k, g, x FROM model WHERE v = " + std::to_string(v)))
        << "version " << v;
  }
}

}  // namespace

namespace {

TEST(WriteRoundTrip, TimestampPartitionsAreUtcWhateverTheSessionZone) {
  auto s = open_session();
  TempTable t;
  silt::ops::WriteOptions o;
  o.partition_by = {"ts"};
  auto w =
      silt::ops::write_table(*s, t.root(), "SELECT TIMESTAMPTZ '2024-03-01 12:34:56.5+00' AS ts, 1 AS v", o);
  ASSERT_TRUE(w.ok()) << w.error().message();
  ASSERT_TRUE(s->connection().execute("SET TimeZone = 'Asia/Tokyo'").ok());
  auto r = s->run("SELECT epoch_ms(ts) FROM delta_scan('" + t.root() + "')");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->rows_as_text().value()[0][0], "1709296496500");
}

}  // namespace

namespace {

std::string schema_json(silt::Session& s, const std::string& table) {
  auto snap = s.snapshot(table);
  return snap.ok() ? snap->metadata().schema_string : "error: " + snap.error().message();
}

TEST(WriteSchema, MergeAddsColumnsAndWidensTypes) {
  auto s = open_session();
  TempTable t;
  ASSERT_TRUE(silt::ops::write_table(*s, t.root(), "SELECT 1::INTEGER AS id, 'a' AS name", {}).ok());
  silt::ops::WriteOptions merge;
  merge.schema_mode = silt::ops::SchemaMode::Merge;
  auto w = silt::ops::write_table(*s, t.root(), "SELECT 5000000000::BIGINT AS id, 'b' AS name, 2.5 AS score",
                                  merge);
  ASSERT_TRUE(w.ok()) << w.error().message();
  std::string schema = schema_json(*s, t.root());
  EXPECT_NE(schema.find(R"({"name":"id","type":"long")"), std::string::npos) << schema;
  EXPECT_NE(schema.find(R"("delta.typeChanges":[{"fromType":"integer","toType":"long"}])"), std::string::npos)
      << schema;
  EXPECT_NE(schema.find(R"("name":"score")"), std::string::npos) << schema;
  auto snap = s->snapshot(t.root());
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->protocol().min_reader_version, 3);
  EXPECT_EQ(snap->protocol().min_writer_version, 7);
  ASSERT_TRUE(snap->protocol().reader_features.has_value());
  EXPECT_NE(std::find(snap->protocol().reader_features->begin(), snap->protocol().reader_features->end(),
                      "typeWidening"),
            snap->protocol().reader_features->end());
  // Old files keep their narrower type and lack the new column: both read correctly.
  EXPECT_EQ(scan_rows(*s, t.root(), std::nullopt, "id, name, score"),
            (std::vector<std::string>{"1|a|NULL", "5000000000|b|2.5"}));
  // Strict appends may omit nullable columns (null) and use narrower types (cast).
  ASSERT_TRUE(silt::ops::write_table(*s, t.root(), "SELECT 7::SMALLINT AS id", {}).ok());
  EXPECT_EQ(scan_rows(*s, t.root(), std::nullopt, "count(*), sum(id), count(name)"),
            (std::vector<std::string>{"3|5000000008|2"}));
}

TEST(WriteSchema, OverwriteReplacesSchemaAndPartitioning) {
  auto s = open_session();
  TempTable t;
  silt::ops::WriteOptions first;
  first.partition_by = {"p"};
  ASSERT_TRUE(silt::ops::write_table(*s, t.root(), "SELECT 1 AS id, 'x' AS p", first).ok());
  silt::ops::WriteOptions o;
  o.mode = silt::ops::WriteMode::Overwrite;
  o.schema_mode = silt::ops::SchemaMode::Overwrite;
  auto w = silt::ops::write_table(*s, t.root(), "SELECT 'k' AS key, 3.5 AS v", o);
  ASSERT_TRUE(w.ok()) << w.error().message();
  EXPECT_EQ(w->files_removed, 1);
  EXPECT_EQ(scan_rows(*s, t.root(), std::nullopt), std::vector<std::string>{"k|3.5"});
  EXPECT_TRUE(s->snapshot(t.root())->metadata().partition_columns.empty());
  // The old schema is still there at version 0.
  EXPECT_EQ(scan_rows(*s, t.root(), 0), std::vector<std::string>{"1|x"});
  silt::ops::WriteOptions bad;
  bad.schema_mode = silt::ops::SchemaMode::Overwrite;
  auto refused = silt::ops::write_table(*s, t.root(), "SELECT 1 AS z", bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("needs --mode overwrite"), std::string::npos);
}

TEST(WriteFiles, CsvJsonAndParquetInputs) {
  TempTable t, data;
  data.write("in.csv", "id,name\n1,a\n2,\n");
  data.write("in.json", "{\"id\": 3, \"name\": \"c\"}\n");
  ASSERT_EQ(run_silt({"write", t.root(), "--file", data.root() + "/in.csv"}).code, 0);
  silt::testing::Run j = run_silt({"write", t.root(), "--file", data.root() + "/in.json"});
  ASSERT_EQ(j.code, 0) << j.err;
  auto s = open_session();
  ASSERT_TRUE(s->connection()
                  .execute("COPY (SELECT 4::BIGINT AS id, 'd' AS name) TO '" + data.root() + "/in.parquet'")
                  .ok());
  ASSERT_EQ(run_silt({"write", t.root(), "--file", data.root() + "/in.parquet"}).code, 0);
  EXPECT_EQ(scan_rows(*s, t.root(), std::nullopt, "id, name"),
            (std::vector<std::string>{"1|a", "2|NULL", "3|c", "4|d"}));
  silt::testing::Run bad = run_silt({"write", t.root(), "--file", data.root() + "/in.txt"});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("cannot tell the format"), std::string::npos) << bad.err;
}

}  // namespace
