// Log listing, segment selection and action reconciliation on hand-made logs: the edge cases
// of PROTOCOL.md "Action Reconciliation" and "Checkpoints", each built exactly.
#include <gtest/gtest.h>
#include <sys/time.h>

#include <algorithm>

#include "../support/temp_table.h"
#include "delta/snapshot/commit_timestamps.h"
#include "scan/session.h"

using silt::ErrorKind;
using silt::testing::TempTable;

namespace {

std::vector<std::string> live_paths(const silt::delta::Snapshot& s) {
  std::vector<std::string> out;
  for (const auto& f : s.files()) out.push_back(f.path);
  std::sort(out.begin(), out.end());
  return out;
}

class LogReplay : public ::testing::Test {
 protected:
  void SetUp() override { session_ = std::move(silt::Session::open().value()); }
  silt::Result<silt::delta::Snapshot> load(std::optional<int64_t> v = std::nullopt) {
    return session_->snapshot(t_.root(), silt::TimeTravel{v, std::nullopt});
  }
  TempTable t_;
  std::unique_ptr<silt::Session> session_;
};

TEST_F(LogReplay, AddThenRemoveAcrossCommits) {
  t_.commit(0, {TempTable::protocol(), TempTable::metadata(), TempTable::add("a.parquet"),
                TempTable::add("b.parquet")});
  t_.commit(1, {TempTable::remove("a.parquet"), TempTable::add("c.parquet")});
  auto s = load();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->version(), 1);
  EXPECT_EQ(live_paths(*s), (std::vector<std::string>{"b.parquet", "c.parquet"}));
  ASSERT_EQ(s->tombstones().size(), 1u);
  auto s0 = load(0);
  ASSERT_TRUE(s0.ok());
  EXPECT_EQ(live_paths(*s0), (std::vector<std::string>{"a.parquet", "b.parquet"}));
}

TEST_F(LogReplay, EscapedAndAbsolutePathsReconcileAsOneFile) {
  std::string abs = "file://" + t_.root() + "/x%20y.parquet";
  t_.commit(0, {TempTable::protocol(), TempTable::metadata(), TempTable::add("x%20y.parquet")});
  t_.commit(1, {TempTable::remove(abs)});
  auto s = load();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_TRUE(s->files().empty());
}

TEST_F(LogReplay, ReAddWithNewDeletionVectorReplacesOldEntry) {
  std::string dv1 =
      R"(,"deletionVector":{"storageType":"i","pathOrInlineDv":"abcd","sizeInBytes":4,"cardinality":1})";
  std::string dv2 =
      R"(,"deletionVector":{"storageType":"i","pathOrInlineDv":"efgh","sizeInBytes":4,"cardinality":2})";
  t_.commit(0, {TempTable::protocol(), TempTable::metadata(), TempTable::add("f.parquet")});
  // Remove and re-add in one commit, the add listed first: order inside a commit must not matter.
  t_.commit(1, {TempTable::add("f.parquet", dv1), TempTable::remove("f.parquet")});
  t_.commit(2, {TempTable::remove("f.parquet", dv1), TempTable::add("f.parquet", dv2)});
  auto s = load();
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_EQ(s->files().size(), 1u);
  ASSERT_TRUE(s->files()[0].deletion_vector.has_value());
  EXPECT_EQ(s->files()[0].deletion_vector->cardinality, 2);
  // A remove naming a DV the live file doesn't have leaves it alone.
  t_.commit(3, {TempTable::remove("f.parquet", dv1)});
  auto s3 = load();
  ASSERT_TRUE(s3.ok());
  EXPECT_EQ(s3->files().size(), 1u);
}

TEST_F(LogReplay, LatestProtocolMetadataTxnAndDomainsWin) {
  t_.commit(0, {TempTable::protocol(), TempTable::metadata(), R"({"txn":{"appId":"app","version":3}})",
                R"({"domainMetadata":{"domain":"d1","configuration":"x","removed":false}})",
                R"({"domainMetadata":{"domain":"d2","configuration":"y","removed":false}})"});
  t_.commit(1, {TempTable::metadata(false, R"({"k":"v"})"), R"({"txn":{"appId":"app","version":7}})",
                R"({"domainMetadata":{"domain":"d1","configuration":"","removed":true}})",
                R"({"commitInfo":{"timestamp":5,"operation":"SET TBLPROPERTIES"}})"});
  auto s = load();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->metadata().configuration.at("k"), "v");
  EXPECT_EQ(s->app_transactions().at("app").version, 7);
  EXPECT_EQ(s->domains().count("d1"), 0u);
  EXPECT_EQ(s->domains().at("d2").configuration, "y");
  ASSERT_TRUE(s->commit_info().has_value());
  EXPECT_EQ(s->commit_info()->operation.value_or(""), "SET TBLPROPERTIES");
}

TEST_F(LogReplay, MissingVersionIsAnErrorNotAGap) {
  t_.commit(0, {TempTable::protocol(), TempTable::metadata()});
  t_.commit(1, {TempTable::add("a.parquet")});
  t_.commit(3, {TempTable::add("b.parquet")});
  auto s = load();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::Corruption);
  EXPECT_NE(s.error().message().find("missing version 2"), std::string::npos) << s.error().message();
  EXPECT_TRUE(load(1).ok());
}

TEST_F(LogReplay, VersionsOutsideTheLogAreClearErrors) {
  t_.commit(0, {TempTable::protocol(), TempTable::metadata()});
  auto s = load(5);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(s.error().message().find("latest version is 0"), std::string::npos) << s.error().message();
}

TEST_F(LogReplay, CorruptJsonLineNamesFileAndLine) {
  t_.commit(0, {TempTable::protocol(), TempTable::metadata(), R"({"add":{"path":"a.parquet",)"});
  auto s = load();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::Corruption);
  EXPECT_NE(s.error().message().find("line 3"), std::string::npos) << s.error().message();
}

TEST_F(LogReplay, NotADeltaTable) {
  TempTable other;
  std::filesystem::remove_all(other.log_dir());
  auto s = session_->snapshot(other.root());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::NotFound);
  EXPECT_NE(s.error().message().find("not a Delta table"), std::string::npos);
  auto missing = session_->snapshot(other.root() + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("no such table path"), std::string::npos);
}

TEST_F(LogReplay, UnknownReaderFeatureIsRefusedByName) {
  t_.commit(
      0,
      {R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors","fancyNewThing"],"writerFeatures":["deletionVectors"]}})",
       TempTable::metadata()});
  auto s = load();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::Unsupported);
  EXPECT_NE(s.error().message().find("fancyNewThing"), std::string::npos);
  EXPECT_EQ(s.error().message().find("deletionVectors"), std::string::npos)
      << "supported features are not blamed";
}

TEST_F(LogReplay, IncompleteMultiPartCheckpointIsIgnored) {
  t_.commit(0, {TempTable::protocol(), TempTable::metadata(), TempTable::add("a.parquet")});
  t_.commit(1, {TempTable::add("b.parquet")});
  // Part 1 of 2 only: a checkpoint whose writer died. Replay must use the JSON commits.
  t_.write("_delta_log/" + TempTable::version_file(1, ".checkpoint.0000000001.0000000002.parquet"),
           "garbage");
  auto s = load();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->files().size(), 2u);
  EXPECT_FALSE(s->checkpoint().has_value());
}

TEST_F(LogReplay, CorruptLastCheckpointHintFallsBackToListing) {
  t_.commit(0, {TempTable::protocol(), TempTable::metadata(), TempTable::add("a.parquet")});
  t_.write("_delta_log/_last_checkpoint", "{not json");
  auto s = load();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->files().size(), 1u);
}

void set_mtime(const std::string& path, int64_t ms) {
  struct timeval tv[2];
  tv[0].tv_sec = tv[1].tv_sec = ms / 1000;
  tv[0].tv_usec = tv[1].tv_usec = (ms % 1000) * 1000;
  ASSERT_EQ(utimes(path.c_str(), tv), 0);
}

TEST_F(LogReplay, TimestampResolvesAgainstCommitFileTimes) {
  t_.commit(0, {TempTable::protocol(), TempTable::metadata()});
  t_.commit(1, {TempTable::add("a.parquet")});
  t_.commit(2, {TempTable::add("b.parquet")});
  set_mtime(t_.log_dir() + "/" + TempTable::version_file(0), 1000000);
  set_mtime(t_.log_dir() + "/" + TempTable::version_file(1), 2000000);
  set_mtime(t_.log_dir() + "/" + TempTable::version_file(2), 3000000);
  auto listing = session_->list_log(t_.root());
  ASSERT_TRUE(listing.ok());
  silt::delta::InCommitTimestampConfig none;
  auto at = [&](int64_t ms) {
    return silt::delta::version_at_timestamp(*listing, session_->storage(), none, ms);
  };
  EXPECT_EQ(*at(1000000), 0);
  EXPECT_EQ(*at(1999999), 0);
  EXPECT_EQ(*at(2000000), 1);
  EXPECT_EQ(*at(9000000), 2);
  auto early = at(999999);
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.error().message().find("before the earliest"), std::string::npos);
}

TEST_F(LogReplay, InCommitTimestampsWinOverFileTimes) {
  std::string config = R"({"delta.enableInCommitTimestamps":"true"})";
  auto ci = [](int64_t ts) {
    return R"({"commitInfo":{"inCommitTimestamp":)" + std::to_string(ts) + R"(,"timestamp":1}})";
  };
  // commitInfo must be the first action when in-commit timestamps are on.
  t_.commit(0, {ci(5000), TempTable::protocol(1, 7), TempTable::metadata(false, config)});
  t_.commit(1, {ci(6000), TempTable::add("a.parquet")});
  t_.commit(2, {ci(9000), TempTable::add("b.parquet")});
  // File times say the opposite order: they must be ignored.
  set_mtime(t_.log_dir() + "/" + TempTable::version_file(0), 9000000);
  set_mtime(t_.log_dir() + "/" + TempTable::version_file(2), 1000);
  auto listing = session_->list_log(t_.root());
  ASSERT_TRUE(listing.ok());
  auto snap = load();
  ASSERT_TRUE(snap.ok()) << snap.error().message();
  auto ict = silt::delta::InCommitTimestampConfig::from(snap->metadata());
  EXPECT_TRUE(ict.enabled);
  auto at = [&](int64_t ms) {
    return *silt::delta::version_at_timestamp(*listing, session_->storage(), ict, ms);
  };
  EXPECT_EQ(at(5000), 0);
  EXPECT_EQ(at(6500), 1);
  EXPECT_EQ(at(9000), 2);
  EXPECT_EQ(at(100000), 2);
}

}  // namespace

namespace {

// Over 1 MiB of commits takes the multi-threaded parse path; replay order must still hold.
TEST_F(LogReplay, LargeLogParsedInParallelKeepsCommitOrder) {
  std::string pad = R"(,"tags":{"pad":")" + std::string(200, 'x') + R"("})";
  std::vector<std::string> c0 = {TempTable::protocol(), TempTable::metadata()};
  for (int i = 0; i < 5000; i++) c0.push_back(TempTable::add("f" + std::to_string(i) + ".parquet", pad));
  t_.commit(0, c0);
  std::vector<std::string> c1;
  for (int i = 0; i < 2500; i++) c1.push_back(TempTable::remove("f" + std::to_string(i) + ".parquet"));
  t_.commit(1, c1);
  std::vector<std::string> c2 = {TempTable::remove("f4999.parquet")};
  for (int i = 0; i < 100; i++) c2.push_back(TempTable::add("f" + std::to_string(i) + ".parquet", pad));
  t_.commit(2, c2);
  auto s = load();
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto paths = live_paths(*s);
  EXPECT_EQ(paths.size(), 100u + 2499u);
  EXPECT_TRUE(std::binary_search(paths.begin(), paths.end(), "f0.parquet"));
  EXPECT_FALSE(std::binary_search(paths.begin(), paths.end(), "f100.parquet"));
  EXPECT_TRUE(std::binary_search(paths.begin(), paths.end(), "f2500.parquet"));
  EXPECT_FALSE(std::binary_search(paths.begin(), paths.end(), "f4999.parquet"));
  EXPECT_EQ(s->tombstones().size(), 2400u + 1u);  // f0..f99 were re-added, so not tombstones
}

}  // namespace

namespace {

// A commit over 2 MiB is parsed in chunks on several threads: contents and error line
// numbers must be those of the whole file.
TEST_F(LogReplay, BulkCommitParsedInChunksKeepsContentsAndLineNumbers) {
  std::string pad = R"(,"tags":{"pad":")" + std::string(200, 'x') + R"("})";
  std::vector<std::string> c0 = {TempTable::protocol(), TempTable::metadata()};
  for (int i = 0; i < 12000; i++) c0.push_back(TempTable::add("f" + std::to_string(i) + ".parquet", pad));
  t_.commit(0, c0);
  auto s = load();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->files().size(), 12000u);
  c0.push_back(R"({"add":{"path": BROKEN)");
  t_.commit(0, c0);
  auto bad = load();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("line 12003:"), std::string::npos) << bad.error().message();
}

}  // namespace
