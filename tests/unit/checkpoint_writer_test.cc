// Checkpoint writing and log cleanup on real logs: every shared delta-rs table checkpointed by silt
// must read back (from the checkpoint alone) as the same snapshot its JSON log gave; the parquet
// schema is the protocol's; cleanup deletes only what no kept version needs. Single-threaded.
#include "delta/checkpoint/checkpoint_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "../support/shared_tables.h"
#include "../support/temp_table.h"
#include "delta/checkpoint/log_cleanup.h"
#include "delta/log/action_writer.h"
#include "scan/session.h"

using silt::testing::in_ci;
using silt::testing::set_mtime;

namespace silt::delta {
namespace {

namespace fs = std::filesystem;
using silt::testing::TempTable;

const std::string& kTables = silt::testing::kSharedTables;

constexpr int64_t kNow = 1'700'000'000'000;  // 2023-11-14 22:13:20 UTC

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::set<std::string> log_names(const TempTable& t) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(t.log_dir())) out.insert(e.path().filename().string());
  return out;
}

// Everything a snapshot holds, one line per action in a canonical order, so that two snapshots are
// equal exactly when their texts are (and gtest shows the difference when not).
std::string state_text(const Snapshot& s) {
  std::string out = action_json(s.protocol()) + "\n" + action_json(s.metadata()) + "\n";
  for (const auto& [_, t] : s.app_transactions()) out += action_json(t) + "\n";
  for (const auto& [_, d] : s.domains()) out += action_json(d) + "\n";
  std::set<std::string> files, tombstones;
  for (AddFile f : s.files()) {
    std::sort(f.partition_values.begin(), f.partition_values.end());
    files.insert(action_json(f));
  }
  for (RemoveFile r : s.tombstones()) {
    std::sort(r.partition_values.begin(), r.partition_values.end());
    tombstones.insert(action_json(r));
  }
  for (const auto& f : files) out += f + "\n";
  for (const auto& r : tombstones) out += r + "\n";
  return out;
}

class CheckpointWriter : public ::testing::Test {
 protected:
  void SetUp() override {
    session_ = std::move(Session::open().value());
    storage_ = make_local_storage();
  }
  Result<Snapshot> load(std::optional<int64_t> v = std::nullopt) {
    return session_->snapshot(t_.root(), TimeTravel{v, std::nullopt});
  }
  Result<CheckpointSummary> checkpoint(const Snapshot& s, int64_t now = kNow) {
    return write_checkpoint(s, *storage_, session_->connection(), {.now_ms = now});
  }
  // Deletes the JSON commits a checkpoint at `version` covers, so readers must use the checkpoint.
  void drop_commits_through(int64_t version) {
    for (int64_t v = 0; v <= version; v++) fs::remove(t_.log_dir() + "/" + TempTable::version_file(v));
  }
  std::string count_rows() {
    auto r = session_->run("SELECT count(*) FROM delta_scan('" + t_.root() + "')");
    if (!r.ok()) return "error: " + r.error().message();
    auto rows = r->rows_as_text();
    if (!rows.ok()) return "error: " + rows.error().message();
    return rows->at(0).at(0).value_or("NULL");
  }
  std::map<std::string, std::string> checkpoint_columns(int64_t version) {
    std::map<std::string, std::string> cols;
    auto r = session_->connection().query_text("DESCRIBE SELECT * FROM read_parquet('" +
                                               classic_checkpoint_path(t_.log_dir(), version) + "')");
    EXPECT_TRUE(r.ok()) << r.error().message();
    if (!r.ok()) return cols;
    for (auto& row : *r) {
      std::string type = row[1].value_or("");
      std::erase(type, '"');
      cols[row[0].value_or("")] = type;
    }
    return cols;
  }

  TempTable t_;
  std::unique_ptr<Session> session_;
  std::unique_ptr<Storage> storage_;
};

// Each shared table, checkpointed at its latest version, reads back identically from the checkpoint
// alone: live files (stats, DVs, tags, row ids), tombstones, metadata, protocol, txns, domains.
TEST_F(CheckpointWriter, SharedTablesReadBackIdenticallyFromTheCheckpoint) {
  REQUIRE_SHARED_TABLES();
  for (const char* name :
       {"simple_table", "delta-0.8.0-partitioned", "delta-0.8.0-special-partition",
        "delta-0.8.0-null-partition", "table-with-dv-small", "table-with-domain-metadata", "delta-0.2.0",
        "cdf-table-with-cdc-and-dvs", "table_with_deletion_logs", "checkpoint_with_partitions",
        "table_with_column_mapping", "delta-2.2.0-partitioned-types", "table_with_edge_timestamps"}) {
    SCOPED_TRACE(name);
    fs::remove_all(t_.root());
    fs::copy(kTables + "/" + name, t_.root(), fs::copy_options::recursive);
    auto before = load();
    ASSERT_TRUE(before.ok()) << before.error().message();
    std::string rows = count_rows();
    for (const auto& e : fs::directory_iterator(t_.log_dir())) {
      std::string n = e.path().filename().string();
      if (n.find(".checkpoint.") != std::string::npos || n == "_last_checkpoint") fs::remove(e.path());
    }
    // now = 1 ms after the epoch: no tombstone has expired, so all must survive.
    auto written = checkpoint(*before, 1);
    ASSERT_TRUE(written.ok()) << written.error().message();
    EXPECT_TRUE(written->written);
    EXPECT_EQ(written->version, before->version());
    EXPECT_EQ(written->num_of_add_files, int64_t(before->files().size()));
    drop_commits_through(before->version());
    auto after = load();
    ASSERT_TRUE(after.ok()) << after.error().message();
    ASSERT_TRUE(after->checkpoint().has_value());
    EXPECT_EQ(after->version(), before->version());
    EXPECT_EQ(state_text(*after), state_text(*before));
    EXPECT_EQ(count_rows(), rows);
  }
}

TEST_F(CheckpointWriter, LaterCommitsReplayOnTopOfTheCheckpoint) {
  t_.commit(0, {TempTable::protocol(), TempTable::metadata(), TempTable::add("a.parquet"),
                TempTable::add("b.parquet")});
  t_.commit(1, {TempTable::remove("a.parquet"), TempTable::add("c.parquet"),
                R"({"domainMetadata":{"domain":"d1","configuration":"{}","removed":false}})",
                R"({"domainMetadata":{"domain":"d2","configuration":"{\"x\":1}","removed":false}})"});
  t_.commit(2, {R"({"txn":{"appId":"app","version":3,"lastUpdated":5}})", TempTable::add("d.parquet"),
                R"({"domainMetadata":{"domain":"d1","configuration":"{}","removed":true}})"});
  t_.commit(3, {TempTable::remove("c.parquet"), TempTable::add("a.parquet")});
  auto latest = load();
  auto at2 = load(2);
  ASSERT_TRUE(latest.ok() && at2.ok());
  ASSERT_TRUE(checkpoint(*at2, 1).ok());
  drop_commits_through(2);
  auto again = load();
  ASSERT_TRUE(again.ok()) << again.error().message();
  ASSERT_EQ(again->checkpoint()->version, 2);
  EXPECT_EQ(state_text(*again), state_text(*latest));
  ASSERT_EQ(again->domains().size(), 1u);
  EXPECT_EQ(again->domains().begin()->second.configuration, R"({"x":1})");
}

// Tables whose checkpoint silt cannot write faithfully are refused, the log untouched:
// "liquid" is the pre-release name of the clustering writer feature, unknown to silt;
// checkpoint-v2-table sets delta.checkpoint.writeStatsAsStruct, and silt writes no stats_parsed.
TEST_F(CheckpointWriter, SharedTablesSiltCannotCheckpointAreRefused) {
  REQUIRE_SHARED_TABLES();
  for (auto [name, reason] : {std::pair{"table_with_liquid_clustering", "liquid"},
                              std::pair{"checkpoint-v2-table", "writeStatsAsStruct"}}) {
    SCOPED_TRACE(name);
    fs::remove_all(t_.root());
    fs::copy(kTables + "/" + name, t_.root(), fs::copy_options::recursive);
    auto s = load();
    ASSERT_TRUE(s.ok()) << s.error().message();
    auto written = checkpoint(*s);
    ASSERT_FALSE(written.ok());
    EXPECT_EQ(written.error().kind(), ErrorKind::Unsupported);
    EXPECT_NE(written.error().message().find(reason), std::string::npos) << written.error().message();
    EXPECT_FALSE(fs::exists(classic_checkpoint_path(t_.log_dir(), s->version())));
  }
}

// PROTOCOL.md "Checkpoint Schema": field names and types other engines look up by name.
TEST_F(CheckpointWriter, ParquetSchemaIsTheProtocols) {
  t_.commit(0,
            {R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors"],)"
             R"("writerFeatures":["deletionVectors"]}})",
             TempTable::metadata(true), TempTable::add("part=x/a.parquet", R"(,"stats":"{}")")});
  auto s = load();
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_TRUE(checkpoint(*s).ok());
  const std::string map = "MAP(VARCHAR, VARCHAR)";
  const std::string dv =
      "STRUCT(storageType VARCHAR, pathOrInlineDv VARCHAR, offset INTEGER, "
      "sizeInBytes INTEGER, cardinality BIGINT)";
  std::map<std::string, std::string> expected = {
      {"protocol",
       "STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], "
       "writerFeatures VARCHAR[])"},
      {"metaData",
       "STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, "
       "options " +
           map + "), schemaString VARCHAR, partitionColumns VARCHAR[], configuration " + map +
           ", createdTime BIGINT)"},
      {"txn", "STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)"},
      {"domainMetadata", "STRUCT(domain VARCHAR, configuration VARCHAR, removed BOOLEAN)"},
      {"add", "STRUCT(path VARCHAR, partitionValues " + map +
                  ", size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags " + map +
                  ", deletionVector " + dv +
                  ", baseRowId BIGINT, defaultRowCommitVersion BIGINT, "
                  "clusteringProvider VARCHAR)"},
      {"remove",
       "STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata "
       "BOOLEAN, partitionValues " +
           map + ", size BIGINT, deletionVector " + dv + ")"},
  };
  EXPECT_EQ(checkpoint_columns(0), expected);
  // Maps and lists carry their parquet logical annotations, which Spark and delta-rs rely on.
  auto r = session_->connection().query_text(
      "SELECT name, converted_type FROM parquet_schema('" + classic_checkpoint_path(t_.log_dir(), 0) +
      "') WHERE name IN "
      "('partitionValues', 'tags', 'configuration', 'partitionColumns')");
  ASSERT_TRUE(r.ok()) << r.error().message();
  std::multiset<std::string> annotations;
  for (auto& row : *r) annotations.insert(*row[0] + " " + row[1].value_or("NULL"));
  // (domainMetadata.configuration is a plain string.)
  EXPECT_EQ(annotations,
            (std::multiset<std::string>{"configuration MAP", "configuration UTF8", "partitionColumns LIST",
                                        "partitionValues MAP", "partitionValues MAP", "tags MAP"}));
  // One row per action; protocol features present as the reader/writer versions require.
  auto rows = session_->connection().query_text(
      "SELECT count(*), count(protocol), count(metaData), count(add), "
      "list_value(max(protocol.readerFeatures[1]), "
      "max(protocol.writerFeatures[1]))::VARCHAR FROM read_parquet('" +
      classic_checkpoint_path(t_.log_dir(), 0) + "')");
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  EXPECT_EQ(rows->at(0), (std::vector<std::optional<std::string>>{"3", "1", "1", "1",
                                                                  "[deletionVectors, deletionVectors]"}));
}

TEST_F(CheckpointWriter, LastCheckpointDescribesTheCheckpoint) {
  t_.commit(0, {TempTable::protocol(), TempTable::metadata(), TempTable::add("a.parquet"),
                TempTable::add("b.parquet")});
  t_.commit(1, {R"({"remove":{"path":"a.parquet","deletionTimestamp":)" + std::to_string(kNow) +
                R"(,"dataChange":true}})"});
  auto s = load();
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto written = checkpoint(*s);
  ASSERT_TRUE(written.ok()) << written.error().message();
  std::string path = classic_checkpoint_path(t_.log_dir(), 1);
  EXPECT_EQ(written->size, 4);  // protocol, metaData, add b, remove a
  EXPECT_EQ(written->num_of_add_files, 1);
  EXPECT_EQ(written->size_in_bytes, int64_t(fs::file_size(path)));
  auto r =
      session_->connection().query_text("SELECT version, size, sizeInBytes, numOfAddFiles FROM read_json('" +
                                        t_.log_dir() + "/_last_checkpoint')");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->at(0),
            (std::vector<std::optional<std::string>>{"1", "4", std::to_string(fs::file_size(path)), "1"}));
}

TEST_F(CheckpointWriter, ExistingCheckpointIsNotRewritten) {
  t_.commit(0, {TempTable::protocol(), TempTable::metadata(), TempTable::add("a.parquet")});
  auto s = load();
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(checkpoint(*s).ok());
  std::string path = classic_checkpoint_path(t_.log_dir(), 0);
  std::string bytes = read_text(path);
  set_mtime(path, kNow);
  auto again = checkpoint(*s);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_FALSE(again->written);
  EXPECT_EQ(read_text(path), bytes);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(int64_t(st.st_mtim.tv_sec) * 1000, kNow);
}

TEST_F(CheckpointWriter, LastCheckpointNeverMovesBack) {
  t_.commit(0, {TempTable::protocol(), TempTable::metadata(), TempTable::add("a.parquet")});
  t_.commit(1, {TempTable::add("b.parquet")});
  auto s1 = load(), s0 = load(0);
  ASSERT_TRUE(s1.ok() && s0.ok());
  ASSERT_TRUE(checkpoint(*s1).ok());
  ASSERT_TRUE(checkpoint(*s0).ok());
  EXPECT_TRUE(fs::exists(classic_checkpoint_path(t_.log_dir(), 0)));
  EXPECT_NE(read_text(t_.log_dir() + "/_last_checkpoint").find("\"version\":1,"), std::string::npos);
}

// Tombstones older than delta.deletedFileRetentionDuration and txns older than
// delta.setTransactionRetentionDuration are left out; the rest are kept.
TEST_F(CheckpointWriter, ExpiredTombstonesAndTransactionsAreDropped) {
  std::string config = R"({"delta.deletedFileRetentionDuration":"interval 1 day",)"
                       R"("delta.setTransactionRetentionDuration":"interval 2 days"})";
  auto remove = [](const char* path, int64_t ts) {
    return R"({"remove":{"path":")" + std::string(path) + R"(","deletionTimestamp":)" + std::to_string(ts) +
           R"(,"dataChange":true}})";
  };
  auto txn = [](const char* app, std::optional<int64_t> updated) {
    return R"({"txn":{"appId":")" + std::string(app) + R"(","version":1)" +
           (updated ? R"(,"lastUpdated":)" + std::to_string(*updated) : std::string()) + "}}";
  };
  t_.commit(0, {TempTable::protocol(), TempTable::metadata(false, config), TempTable::add("a.parquet"),
                TempTable::add("b.parquet"), TempTable::add("c.parquet")});
  t_.commit(1, {remove("a.parquet", kNow - 2 * kMsPerDay), remove("b.parquet", kNow - kMsPerHour),
                R"({"remove":{"path":"x.parquet","dataChange":true}})", txn("old", kNow - 3 * kMsPerDay),
                txn("recent", kNow - kMsPerHour), txn("undated", std::nullopt)});
  auto s = load();
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_TRUE(checkpoint(*s).ok());
  drop_commits_through(1);
  auto after = load();
  ASSERT_TRUE(after.ok()) << after.error().message();
  ASSERT_EQ(after->tombstones().size(), 1u);
  EXPECT_EQ(after->tombstones()[0].path, "b.parquet");
  std::vector<std::string> apps;
  for (const auto& [app, _] : after->app_transactions()) apps.push_back(app);
  EXPECT_EQ(apps, (std::vector<std::string>{"recent", "undated"}));
  EXPECT_EQ(after->files().size(), 1u);
}

TEST_F(CheckpointWriter, StatsOmittedWhenWriteStatsAsJsonIsFalse) {
  t_.commit(0, {TempTable::protocol(),
                TempTable::metadata(false, R"({"delta.checkpoint.writeStatsAsJson":"false"})"),
                TempTable::add("a.parquet", R"(,"stats":"{\"numRecords\":1}")")});
  auto s = load();
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(checkpoint(*s).ok());
  EXPECT_EQ(checkpoint_columns(0)["add"].find("stats"), std::string::npos);
  drop_commits_through(0);
  auto after = load();
  ASSERT_TRUE(after.ok()) << after.error().message();
  ASSERT_EQ(after->files().size(), 1u);
  EXPECT_EQ(after->files()[0].stats, "");
}

TEST_F(CheckpointWriter, RefusesWhatItCannotWriteFaithfully) {
  struct Case {
    std::string protocol, config;
  };
  for (const Case& c :
       std::vector<Case>{{TempTable::protocol(1, 3), R"({"delta.checkpoint.writeStatsAsStruct":"true"})"},
                         {R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":[],)"
                          R"("writerFeatures":["someFutureFeature"]}})",
                          "{}"}}) {
    SCOPED_TRACE(c.protocol + c.config);
    t_.commit(0, {c.protocol, TempTable::metadata(false, c.config), TempTable::add("a.parquet")});
    auto s = load();
    ASSERT_TRUE(s.ok()) << s.error().message();
    auto written = checkpoint(*s);
    ASSERT_FALSE(written.ok());
    EXPECT_EQ(written.error().kind(), ErrorKind::Unsupported);
    EXPECT_FALSE(fs::exists(classic_checkpoint_path(t_.log_dir(), 0)));
  }
}

TEST(LogCleanupInterval, ParsesDeltaDurations) {
  struct Case {
    const char* text;
    int64_t ms;
  };
  for (const Case& c : std::vector<Case>{{"interval 1 week", 7 * kMsPerDay},
                                         {"interval 30 days", 30 * kMsPerDay},
                                         {"interval 168 hours", 168 * kMsPerHour},
                                         {"INTERVAL 1 Day 12 Hours", 36 * kMsPerHour},
                                         {"2 weeks", 14 * kMsPerDay},
                                         {"  interval  90   minutes ", 90 * 60'000},
                                         {"interval 1 second 500 milliseconds", 1500},
                                         {"interval 2500 microseconds", 2},
                                         {"interval 0 days", 0}}) {
    auto ms = parse_interval_ms(c.text);
    ASSERT_TRUE(ms.ok()) << c.text << ": " << ms.error().message();
    EXPECT_EQ(*ms, c.ms) << c.text;
  }
  for (const char* bad : {"", "interval", "7", "interval 7", "interval days 7", "interval -1 days",
                          "interval 1.5 hours", "interval 1 month", "interval 2 years",
                          "interval 3 fortnights", "interval 1 day 2", "interval 999999999999 weeks"}) {
    auto ms = parse_interval_ms(bad);
    ASSERT_FALSE(ms.ok()) << bad;
    EXPECT_EQ(ms.error().kind(), ErrorKind::InvalidArgument) << bad;
  }
}

TEST(LogCleanupInterval, TablePropertyOrDefault) {
  Metadata m;
  EXPECT_EQ(*table_duration_ms(m, kLogRetentionKey, kDefaultLogRetentionMs), 30 * kMsPerDay);
  m.configuration[std::string(kLogRetentionKey)] = "interval 2 days";
  EXPECT_EQ(*table_duration_ms(m, kLogRetentionKey, kDefaultLogRetentionMs), 2 * kMsPerDay);
  m.configuration[std::string(kLogRetentionKey)] = "soon";
  auto bad = table_duration_ms(m, kLogRetentionKey, kDefaultLogRetentionMs);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("delta.logRetentionDuration"), std::string::npos);
}

// Commits 0..12, one file added per commit; checkpoints as each test asks; every commit and
// checkpoint gets a .crc sibling, as Spark writes them.
class LogCleanup : public CheckpointWriter {
 protected:
  static constexpr int64_t kLatest = 12;
  // Midnight UTC 2023-11-14 plus 12 hours: the cutoff for a 30-day retention is midnight 2023-10-15.
  static constexpr int64_t kNoon = 1'699'920'000'000 + 12 * kMsPerHour;

  void build(std::initializer_list<int64_t> checkpoints) {
    t_.commit(0, {TempTable::protocol(), TempTable::metadata(), TempTable::add("f0.parquet")});
    for (int64_t v = 1; v <= kLatest; v++)
      t_.commit(v, {TempTable::add("f" + std::to_string(v) + ".parquet")});
    for (int64_t v : checkpoints) {
      auto s = load(v);
      ASSERT_TRUE(s.ok()) << s.error().message();
      ASSERT_TRUE(checkpoint(*s, kNoon).ok());
    }
    for (int64_t v = 0; v <= kLatest; v++) t_.write("_delta_log/" + TempTable::version_file(v, ".crc"), "{}");
  }
  // Commits up to `old_through` were written 40 days ago, later ones an hour ago.
  void age_commits(int64_t old_through) {
    for (int64_t v = 0; v <= kLatest; v++) {
      int64_t age = v <= old_through ? 40 * kMsPerDay : kMsPerHour;
      set_mtime(t_.log_dir() + "/" + TempTable::version_file(v), kNoon - age);
    }
  }
  Result<size_t> cleanup(int64_t retention_ms = kDefaultLogRetentionMs) {
    auto listing = session_->list_log(t_.root());
    if (!listing.ok()) return listing.error();
    return cleanup_expired_logs(*listing, *storage_, kNoon, retention_ms);
  }
  static std::set<std::string> versions(int64_t from, int64_t to, const char* suffix) {
    std::set<std::string> out;
    for (int64_t v = from; v <= to; v++) out.insert(TempTable::version_file(v, suffix));
    return out;
  }
  void expect_readable_from(int64_t earliest, const std::string& latest_state) {
    auto latest = load();
    ASSERT_TRUE(latest.ok()) << latest.error().message();
    EXPECT_EQ(state_text(*latest), latest_state);
    for (int64_t v = earliest; v <= kLatest; v++) EXPECT_TRUE(load(v).ok()) << "version " << v;
    if (earliest > 0) {
      auto gone = load(earliest - 1);
      ASSERT_FALSE(gone.ok());
      EXPECT_EQ(gone.error().kind(), ErrorKind::InvalidArgument);
    }
  }
};

TEST_F(LogCleanup, DeletesEverythingBelowTheNewestExpiredCheckpoint) {
  build({5, 10});
  age_commits(10);
  // Debris below the cutoff that is not in the listing: a partial multi-part checkpoint and a
  // log compaction; and files cleanup must never touch.
  t_.write("_delta_log/00000000000000000003.checkpoint.0000000001.0000000002.parquet", "partial");
  t_.write("_delta_log/00000000000000000002.00000000000000000004.compacted.json", "");
  t_.write("_delta_log/.00000000000000000001.json.0123456789abcdef.tmp", "");
  t_.write("_delta_log/_sidecars/x.parquet", "");
  std::string state = state_text(*load());
  auto deleted = cleanup();
  ASSERT_TRUE(deleted.ok()) << deleted.error().message();
  std::set<std::string> expected = versions(10, kLatest, ".json");
  expected.merge(versions(10, kLatest, ".crc"));
  expected.insert({TempTable::version_file(10, ".checkpoint.parquet"), "_last_checkpoint",
                   ".00000000000000000001.json.0123456789abcdef.tmp", "_sidecars"});
  EXPECT_EQ(log_names(t_), expected);
  EXPECT_EQ(*deleted, 10u + 10u + 1u + 2u);  // commits, crcs, checkpoint 5, debris
  expect_readable_from(10, state);
}

TEST_F(LogCleanup, KeepsTheCheckpointBelowTheCutoffCommit) {
  build({5, 10});
  age_commits(7);
  std::string state = state_text(*load());
  auto deleted = cleanup();
  ASSERT_TRUE(deleted.ok()) << deleted.error().message();
  EXPECT_EQ(*deleted, 10u);  // commits and crcs 0..4
  EXPECT_TRUE(fs::exists(classic_checkpoint_path(t_.log_dir(), 5)));
  expect_readable_from(5, state);
}

TEST_F(LogCleanup, NothingWithoutAnExpiredCheckpoint) {
  build({10});
  age_commits(7);
  std::set<std::string> before = log_names(t_);
  auto deleted = cleanup();
  ASSERT_TRUE(deleted.ok()) << deleted.error().message();
  EXPECT_EQ(*deleted, 0u);
  EXPECT_EQ(log_names(t_), before);
}

// PROTOCOL.md "Metadata Cleanup": the cutoff is midnight UTC of the retention's first day, so a
// commit later that day is kept although older than now - retention.
TEST_F(LogCleanup, CutoffIsMidnightUtc) {
  build({5});
  for (int64_t v = 0; v <= kLatest; v++) {
    set_mtime(t_.log_dir() + "/" + TempTable::version_file(v), kNoon - 30 * kMsPerDay - kMsPerHour);
  }
  auto kept = cleanup();
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*kept, 0u);  // every commit is 30 days + 1 hour old, but after the cutoff midnight
  auto deleted = cleanup(30 * kMsPerDay - 13 * kMsPerHour);  // now the cutoff is the next midnight
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 10u);
}

// Commit times are made monotonic first, as time travel reads them: an old mtime after a recent one
// does not move the cutoff past the recent commit.
TEST_F(LogCleanup, OutOfOrderMtimesDoNotAdvanceTheCutoff) {
  build({5});
  age_commits(kLatest);
  set_mtime(t_.log_dir() + "/" + TempTable::version_file(3), kNoon - kMsPerHour);
  auto deleted = cleanup();
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 0u);
}

TEST_F(LogCleanup, NegativeRetentionIsRefused) {
  build({});
  auto r = cleanup(-1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
}

}  // namespace
}  // namespace silt::delta
