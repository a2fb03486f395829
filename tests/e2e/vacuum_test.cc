// VACUUM on real files: parquet written by DuckDB, logs written by hand, modification times set
// with utimensat; and shared delta-rs tables (DVs, escaped partition paths) that must read the same
// after a vacuum with zero retention. Single-threaded.
#include "ops/vacuum.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "../support/shared_tables.h"
#include "../support/temp_table.h"
#include "delta/checkpoint/log_cleanup.h"
#include "delta/dv/deletion_vector.h"
#include "util/path.h"
#include "util/time.h"

using silt::testing::in_ci;
using silt::testing::set_mtime;

namespace silt::ops {
namespace {

namespace fs = std::filesystem;
using delta::kMsPerDay;
using delta::kMsPerHour;
using silt::testing::TempTable;

const std::string& kTables = silt::testing::kSharedTables;
constexpr int64_t kNow = 1'700'000'000'000;

void age_every_file(const std::string& root, int64_t mtime_ms) {
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) set_mtime(e.path().string(), mtime_ms);
  }
}

std::vector<std::string> all_files(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), root).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class Vacuum : public ::testing::Test {
 protected:
  // Partitioned by `part`. In the log: live (added), removed_recent (removed a day ago),
  // removed_old (removed ten days ago). Not in the log: orphans old and new, change data, and
  // hidden files. Everything was written 30 days ago except orphan_new (30 minutes ago).
  void SetUp() override {
    session_ = std::move(Session::open().value());
    for (const char* f :
         {"part=a/live.parquet", "part=a/removed_recent.parquet", "part=b/removed_old.parquet",
          "part=b/orphan_old.parquet", "part=b/orphan_new.parquet", "orphan_root.parquet",
          "_change_data/cdc.parquet", "_tmp/junk.parquet", ".hidden.parquet", "_SUCCESS"}) {
      write_parquet(f);
    }
    t_.write("part=a/.live.parquet.crc", "crc");
    auto add = [](const char* path, const char* part) {
      return R"({"add":{"path":")" + std::string(path) + R"(","partitionValues":{"part":")" + part +
             R"("},"size":1,"modificationTime":1,"dataChange":true}})";
    };
    t_.commit(0, {TempTable::protocol(), TempTable::metadata(true, config_), add("part=a/live.parquet", "a"),
                  add("part=a/removed_recent.parquet", "a"), add("part=b/removed_old.parquet", "b")});
    t_.commit(1, {remove("part=a/removed_recent.parquet", kNow - kMsPerDay),
                  remove("part=b/removed_old.parquet", kNow - 10 * kMsPerDay)});
    age_every_file(t_.root(), kNow - 30 * kMsPerDay);
    set_mtime(t_.root() + "/part=b/orphan_new.parquet", kNow - 30 * 60'000);
  }
  void write_parquet(const std::string& rel) {
    fs::create_directories(fs::path(t_.root() + "/" + rel).parent_path());
    ASSERT_TRUE(session_->connection()
                    .execute("COPY (SELECT range AS id FROM range(10)) TO '" + t_.root() + "/" + rel +
                             "' (FORMAT parquet)")
                    .ok());
  }
  static std::string remove(const std::string& path, int64_t ts) {
    return R"({"remove":{"path":")" + path + R"(","deletionTimestamp":)" + std::to_string(ts) +
           R"(,"dataChange":true}})";
  }
  Result<VacuumReport> run(VacuumOptions options) {
    options.now_ms = kNow;
    return vacuum(*session_, t_.root(), options);
  }
  int64_t size_of(const std::vector<std::string>& files) {
    int64_t total = 0;
    for (const auto& f : files) total += int64_t(fs::file_size(t_.root() + "/" + f));
    return total;
  }

  std::string config_ = "{}";
  TempTable t_;
  std::unique_ptr<Session> session_;
};

TEST_F(Vacuum, DeletesUnreferencedFilesPastTheRetentionOnly) {
  std::vector<std::string> before = all_files(t_.root());
  std::vector<std::string> doomed = {"_change_data/cdc.parquet", "orphan_root.parquet",
                                     "part=b/orphan_old.parquet", "part=b/removed_old.parquet"};
  int64_t bytes = size_of(doomed);
  auto report = run({});
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->files, doomed);
  EXPECT_EQ(report->bytes, bytes);
  EXPECT_FALSE(report->dry_run);
  std::vector<std::string> expected;
  std::set_difference(before.begin(), before.end(), doomed.begin(), doomed.end(),
                      std::back_inserter(expected));
  EXPECT_EQ(all_files(t_.root()), expected);  // _delta_log, hidden files and live data untouched
  auto rows = session_->run("SELECT count(*) FROM delta_scan('" + t_.root() + "')");
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  EXPECT_EQ(rows->rows_as_text()->at(0).at(0), "10");
}

TEST_F(Vacuum, DryRunListsButDeletesNothing) {
  std::vector<std::string> before = all_files(t_.root());
  auto report = run({.dry_run = true});
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_TRUE(report->dry_run);
  EXPECT_EQ(report->files.size(), 4u);
  EXPECT_EQ(all_files(t_.root()), before);
}

TEST_F(Vacuum, RetentionBelowTheTablesIsRefusedUnlessForced) {
  std::vector<std::string> before = all_files(t_.root());
  auto refused = run({.retain_hours = 1});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(refused.error().message().find("delta.deletedFileRetentionDuration"), std::string::npos)
      << refused.error().message();
  EXPECT_EQ(all_files(t_.root()), before);
  for (double bad : {-1.0, std::nan("")}) {
    auto negative = run({.retain_hours = bad, .force = true});
    ASSERT_FALSE(negative.ok());
    EXPECT_EQ(negative.error().kind(), ErrorKind::InvalidArgument);
  }
  // Forced: the tombstone of a day ago has expired too; the orphan of 30 minutes is still fresh.
  auto forced = run({.retain_hours = 1, .force = true});
  ASSERT_TRUE(forced.ok()) << forced.error().message();
  EXPECT_EQ(forced->files,
            (std::vector<std::string>{"_change_data/cdc.parquet", "orphan_root.parquet",
                                      "part=a/removed_recent.parquet", "part=b/orphan_old.parquet",
                                      "part=b/removed_old.parquet"}));
  EXPECT_TRUE(fs::exists(t_.root() + "/part=b/orphan_new.parquet"));
  EXPECT_TRUE(fs::exists(t_.root() + "/part=a/live.parquet"));
}

TEST_F(Vacuum, LongerRetentionKeepsMore) {
  auto report = run({.retain_hours = 24 * 20});
  ASSERT_TRUE(report.ok()) << report.error().message();
  // removed_old's tombstone (10 days) is within 20 days: kept.
  EXPECT_EQ(report->files, (std::vector<std::string>{"_change_data/cdc.parquet", "orphan_root.parquet",
                                                     "part=b/orphan_old.parquet"}));
}

// delta.deletedFileRetentionDuration sets both the default retention and the floor.
class VacuumTableRetention : public Vacuum {
 protected:
  void SetUp() override {
    config_ = R"({"delta.deletedFileRetentionDuration":"interval 12 hours"})";
    Vacuum::SetUp();
  }
};

TEST_F(VacuumTableRetention, IsTheDefaultAndTheFloor) {
  auto refused = run({.retain_hours = 6, .dry_run = true});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("12 hours"), std::string::npos) << refused.error().message();
  auto report = run({});
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->files,
            (std::vector<std::string>{"_change_data/cdc.parquet", "orphan_root.parquet",
                                      "part=a/removed_recent.parquet", "part=b/orphan_old.parquet",
                                      "part=b/removed_old.parquet"}));
}

TEST_F(Vacuum, UnknownWriterFeatureIsRefused) {
  t_.commit(2, {R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":[],)"
                R"("writerFeatures":["someFutureFeature"]}})"});
  std::vector<std::string> before = all_files(t_.root());
  auto report = run({});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().kind(), ErrorKind::Unsupported);
  EXPECT_EQ(all_files(t_.root()), before);
}

Result<db::QueryResult::TextRows> rows_text(Session& session, const std::string& sql) {
  auto r = session.run(sql);
  if (!r.ok()) return r.error();
  return r->rows_as_text();
}

// Shared tables vacuumed with zero retention keep every file their latest version reads: data files
// behind escaped paths, and the deletion vector files of live adds. An unreferenced DV file goes.
TEST(VacuumSharedTables, ZeroRetentionKeepsWhatTheTableReads) {
  if (!fs::is_directory(kTables)) {
    if (in_ci()) FAIL() << "missing " << kTables;
    GTEST_SKIP() << "shared tables not found at " << kTables;
  }
  auto session = std::move(Session::open().value());
  for (const char* name : {"table-with-dv-small", "delta-0.8.0-special-partition", "delta-0.8.0-partitioned",
                           "cdf-table-with-cdc-and-dvs"}) {
    SCOPED_TRACE(name);
    TempTable t;
    fs::copy(kTables + "/" + name, t.root(),
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    t.write("deletion_vector_00000000-0000-0000-0000-000000000000.bin", "orphan dv");
    age_every_file(t.root(), now_ms() - kMsPerDay);
    std::string digest = "SELECT count(*), sum(hash(t))::VARCHAR FROM delta_scan('" + t.root() + "') t";
    auto before = rows_text(*session, digest);
    ASSERT_TRUE(before.ok()) << before.error().message();
    auto report = vacuum(*session, t.root(), {.retain_hours = 0, .force = true});
    ASSERT_TRUE(report.ok()) << report.error().message();
    EXPECT_NE(std::find(report->files.begin(), report->files.end(),
                        "deletion_vector_00000000-0000-0000-0000-000000000000.bin"),
              report->files.end());
    auto after = rows_text(*session, digest);
    ASSERT_TRUE(after.ok()) << after.error().message();
    EXPECT_EQ(*after, *before);
    auto snapshot = session->snapshot(t.root());
    ASSERT_TRUE(snapshot.ok());
    for (const auto& f : snapshot->files()) {
      EXPECT_TRUE(fs::exists(*resolve_log_path(t.root(), f.path))) << f.path;
      if (!f.deletion_vector || f.deletion_vector->storage_type == 'i') continue;
      EXPECT_TRUE(fs::exists(*delta::deletion_vector_file_path(*f.deletion_vector, t.root()))) << f.path;
    }
    if (std::getenv("SILT_VACUUM_VERBOSE")) {
      for (const auto& f : report->files) std::fprintf(stderr, "  [%s] deleted %s\n", name, f.c_str());
    }
    auto again = vacuum(*session, t.root(), {.retain_hours = 0, .force = true});
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->files.empty());
  }
}

}  // namespace
}  // namespace silt::ops
