// Optimistic concurrency in-process: a transaction built on a stale snapshot commits after a
// concurrent commit only when the conflict rules allow it, and then at the next version.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../support/temp_table.h"
#include "delta/txn/transaction.h"
#include "scan/file_skipping.h"
#include "scan/session.h"

namespace silt::delta {
namespace {

using silt::testing::TempTable;

// A table partitioned by `part` with one file per partition a and b (stats on id).
class Conflicts : public ::testing::Test {
 protected:
  void SetUp() override {
    session_ = std::move(Session::open().value());
    t_.commit(0, {TempTable::protocol(), TempTable::metadata(true), add("part=a/1.parquet", "a"),
                  add("part=b/2.parquet", "b")});
    auto schema = parse_schema(Snapshot::load(*session_->list_log(t_.root()), session_->storage(),
                                              session_->connection(), std::nullopt)
                                   ->metadata()
                                   .schema_string);
    schema_ = *schema;
  }
  static std::string add(const std::string& path, const std::string& part) {
    return R"({"add":{"path":")" + path + R"(","partitionValues":{"part":")" + part +
           R"("},"size":1,"modificationTime":1,"dataChange":true,"stats":"{\"numRecords\":1}"}})";
  }
  static AddFile add_file(const std::string& path, const std::string& part) {
    AddFile f;
    f.path = path;
    f.partition_values = {{"part", part}};
    f.size = 1;
    return f;
  }
  static RemoveFile remove_file(const std::string& path) {
    RemoveFile r;
    r.path = path;
    r.deletion_timestamp = 1;
    return r;
  }
  // A concurrent blind append into `part`, committed as the next version.
  void concurrent_append(const std::string& part, int64_t version) {
    t_.commit(version, {add("part=" + part + "/c" + std::to_string(version) + ".parquet", part)});
  }
  Predicate where(const std::string& sql) {
    auto p = scan::predicate_from_filter_sql(session_->connection(), sql);
    return p.ok() && *p ? **p : Predicate{};
  }
  Result<CommitResult> commit(Transaction& txn) { return txn.commit(session_->storage()); }

  TempTable t_;
  std::unique_ptr<Session> session_;
  StructType schema_;
};

TEST_F(Conflicts, BlindAppendsNeverConflict) {
  Transaction txn(t_.root(), 0, schema_, ColumnMappingMode::None);
  txn.add_action(add_file("part=a/mine.parquet", "a"));
  concurrent_append("a", 1);
  concurrent_append("b", 2);
  auto r = commit(txn);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->version, 3);
  EXPECT_EQ(r->attempts, 3);
}

TEST_F(Conflicts, ReplaceWhereConflictsOnlyWithAppendsIntoItsRange) {
  Transaction other_range(t_.root(), 0, schema_, ColumnMappingMode::None);
  other_range.pending().read.predicate = where("part = 'a'");
  other_range.add_action(remove_file("part=a/1.parquet"));
  other_range.add_action(add_file("part=a/new.parquet", "a"));
  concurrent_append("b", 1);
  auto ok = commit(other_range);
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok->version, 2);

  Transaction same_range(t_.root(), 2, schema_, ColumnMappingMode::None);
  same_range.pending().read.predicate = where("part = 'a'");
  same_range.add_action(remove_file("part=a/new.parquet"));
  concurrent_append("a", 3);
  auto bad = commit(same_range);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::Conflict);
  EXPECT_NE(bad.error().message().find("version 3"), std::string::npos) << bad.error().message();
  EXPECT_FALSE(std::filesystem::exists(t_.log_dir() + "/" + TempTable::version_file(4)));
}

TEST_F(Conflicts, WholeTableReadersConflictWithAnyDataChange) {
  Transaction overwrite(t_.root(), 0, schema_, ColumnMappingMode::None);
  overwrite.pending().read.whole_table = true;
  overwrite.add_action(remove_file("part=a/1.parquet"));
  concurrent_append("b", 1);
  auto r = commit(overwrite);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::Conflict);
}

TEST_F(Conflicts, DoubleDeleteAndMetadataChangesConflict) {
  Transaction remover(t_.root(), 0, schema_, ColumnMappingMode::None);
  remover.add_action(remove_file("part=b/2.parquet"));
  t_.commit(1, {TempTable::remove("part=b/2.parquet")});
  auto r = commit(remover);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("also removed part=b/2.parquet"), std::string::npos)
      << r.error().message();

  Transaction append(t_.root(), 1, schema_, ColumnMappingMode::None);
  append.add_action(add_file("part=a/x.parquet", "a"));
  t_.commit(2, {TempTable::metadata(true, R"({"k":"v"})")});
  auto m = commit(append);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message().find("metadata"), std::string::npos) << m.error().message();
}

TEST_F(Conflicts, SameApplicationTransactionConflicts) {
  Transaction mine(t_.root(), 0, schema_, ColumnMappingMode::None);
  mine.add_action(Txn{"loader", 5, 1});
  mine.add_action(add_file("part=a/m.parquet", "a"));
  t_.commit(1, {R"({"txn":{"appId":"loader","version":5}})", add("part=a/o.parquet", "a")});
  auto r = commit(mine);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("same application id 'loader'"), std::string::npos);
}

// An OPTIMIZE-style commit: reads and removes the files it compacts, adds their rewrite, all
// with dataChange = false.
void compact(Transaction& txn, const std::vector<std::string>& paths, const std::string& into,
             const std::string& part) {
  for (const auto& p : paths) {
    RemoveFile r;
    r.path = p;
    r.deletion_timestamp = 1;
    r.data_change = false;
    txn.add_action(r);
    txn.pending().read.files.insert(p);
  }
  AddFile a;
  a.path = into;
  a.partition_values = {{"part", part}};
  a.size = 1;
  a.data_change = false;
  txn.add_action(a);
}

TEST_F(Conflicts, CompactionCommitsAfterAppendsAndChangesToOtherFiles) {
  Transaction optimize(t_.root(), 0, schema_, ColumnMappingMode::None);
  compact(optimize, {"part=a/1.parquet"}, "part=a/compacted.parquet", "a");
  concurrent_append("a", 1);
  concurrent_append("b", 2);
  t_.commit(3, {TempTable::remove("part=b/2.parquet")});
  auto r = commit(optimize);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->version, 4);
  std::ifstream log(t_.log_dir() + "/" + TempTable::version_file(4));
  std::string text((std::istreambuf_iterator<char>(log)), {});
  EXPECT_NE(text.find(R"("isolationLevel":"SnapshotIsolation")"), std::string::npos) << text;
}

TEST_F(Conflicts, CompactionConflictsWithADeletionVectorChangeOfAFileItRewrote) {
  Transaction optimize(t_.root(), 0, schema_, ColumnMappingMode::None);
  compact(optimize, {"part=a/1.parquet", "part=b/2.parquet"}, "part=a/compacted.parquet", "a");
  // A DELETE with deletion vectors: the file is removed and re-added with its new DV.
  t_.commit(1, {TempTable::remove("part=b/2.parquet"),
                TempTable::add("part=b/2.parquet",
                               R"(,"deletionVector":{"storageType":"i",)"
                               R"("pathOrInlineDv":"wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L",)"
                               R"("sizeInBytes":40,"cardinality":6})")});
  auto r = commit(optimize);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::Conflict);
  EXPECT_NE(r.error().message().find("part=b/2.parquet"), std::string::npos) << r.error().message();
  EXPECT_FALSE(std::filesystem::exists(t_.log_dir() + "/" + TempTable::version_file(2)));
}

TEST_F(Conflicts, WritersCommitAfterACompactionOfFilesTheyDidNotRemove) {
  // A replace-where on partition b, racing a compaction of partition a: the compaction's
  // dataChange = false actions change no rows the writer read.
  Transaction replace_b(t_.root(), 0, schema_, ColumnMappingMode::None);
  replace_b.pending().read.predicate = where("part = 'b'");
  replace_b.add_action(remove_file("part=b/2.parquet"));
  replace_b.add_action(add_file("part=b/new.parquet", "b"));
  Transaction optimize_a(t_.root(), 0, schema_, ColumnMappingMode::None);
  compact(optimize_a, {"part=a/1.parquet"}, "part=a/compacted.parquet", "a");
  ASSERT_TRUE(commit(optimize_a).ok());
  auto r = commit(replace_b);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->version, 2);
}

}  // namespace
}  // namespace silt::delta
