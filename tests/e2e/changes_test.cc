// `silt changes` and table_changes() as a user runs them: a CDF table created and appended to by
// silt, its feed printed as CSV, version and timestamp bounds (commit file times set by hand), and
// the errors for tables or ranges without a feed. Expected values are hand-derived.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "../support/cli_runner.h"
#include "../support/shared_tables.h"
#include "../support/temp_table.h"

namespace silt {
namespace {

using CliRun = testing::Run;
using testing::run_silt;
using testing::set_mtime;
using testing::TempTable;

const char* kHeader = "id,name,_change_type,_commit_version,_commit_timestamp\n";
const char* kV1 =
    "1,a,insert,1,2024-01-02 00:00:00+00\n"
    "2,b,insert,1,2024-01-02 00:00:00+00\n";
const char* kV2 = "3,c,insert,2,2024-01-03 00:00:00+00\n";

class ChangesCli : public ::testing::Test {
 protected:
  // v0 create (CDF on), v1 append (1,a),(2,b), v2 append (3,c); commit times 2024-01-01/02/03.
  void SetUp() override {
    path_ = dir_.root() + "/t";
    ok(run_silt({"create", path_, "--schema", "id BIGINT, name VARCHAR", "--property",
                 "delta.enableChangeDataFeed=true"}));
    ok(run_silt({"write", path_, "--sql", "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(id, name)"}));
    ok(run_silt({"write", path_, "--sql", "SELECT 3 AS id, 'c' AS name"}));
    for (int v = 0; v < 3; v++) {
      set_mtime(path_ + "/_delta_log/" + TempTable::version_file(v), 1704067200000 + v * 86400000LL);
    }
  }
  static void ok(const CliRun& r) { ASSERT_EQ(r.code, 0) << r.err; }
  CliRun changes(std::vector<std::string> args) {
    args.insert(args.begin(), {"changes", path_, "--format", "csv"});
    return run_silt(args);
  }
  // `silt changes` with `args` prints exactly `rows` (CSV) under the header.
  void expect_feed(std::vector<std::string> args, const std::string& rows) {
    CliRun r = changes(std::move(args));
    ok(r);
    EXPECT_EQ(r.out, kHeader + rows);
  }
  static void fails_with(const CliRun& r, const std::string& text) {
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
  }

  TempTable dir_;
  std::string path_;
};

TEST_F(ChangesCli, AppendsAreInsertsWithVersionAndCommitTime) {
  expect_feed({"--from-version", "0"}, std::string(kV1) + kV2);
  expect_feed({"--from-version", "1", "--to-version", "1"}, kV1);
  expect_feed({"--from-version", "0", "--to-version", "0"}, "");  // the create: no rows
}

// PROTOCOL.md "Writer Requirements for Change Data Feed": writer version 4, or 7 with the
// changeDataFeed writer feature (here alongside deletionVectors).
TEST(ChangesCliProtocol, CreatingACdfTableRaisesTheWriterProtocol) {
  TempTable dir;
  auto protocol = [&](const std::string& name, std::vector<std::string> props) {
    std::vector<std::string> args = {"create", dir.root() + "/" + name, "--schema", "id BIGINT"};
    for (const auto& p : props) args.insert(args.end(), {"--property", p});
    EXPECT_EQ(run_silt(args).code, 0);
    CliRun r =
        run_silt({"query", "--format", "csv",
                  "SELECT json->'protocol'->>'minWriterVersion', json->'protocol'->'writerFeatures' FROM "
                  "read_json_objects('" +
                      dir.root() + "/" + name +
                      "/_delta_log/00000000000000000000.json') WHERE (json->'protocol') IS NOT NULL"});
    EXPECT_EQ(r.code, 0) << r.err;
    return r.out.substr(r.out.find('\n') + 1);
  };
  // Without deletion vectors (opted out) the feed needs writer version 4; with them (the
  // default) the table is at 7 and lists the changeDataFeed writer feature.
  const std::string no_dvs = "delta.enableDeletionVectors=false";
  EXPECT_EQ(protocol("a", {"delta.enableChangeDataFeed=true", no_dvs}), "4,\n");
  EXPECT_EQ(protocol("b", {"delta.enableChangeDataFeed=true"}),
            "7,\"[\"\"appendOnly\"\",\"\"invariants\"\",\"\"deletionVectors\"\",\"\"changeDataFeed\"\"]\"\n");
  EXPECT_EQ(protocol("c", {no_dvs}), "2,\n");
}

TEST_F(ChangesCli, TimestampBoundsResolveToCommits) {
  // Start: first commit at or after; end: last commit at or before.
  expect_feed({"--from-timestamp", "2024-01-01 12:00:00"}, std::string(kV1) + kV2);
  expect_feed({"--from-timestamp", "2024-01-03", "--to-timestamp", "2024-02-01"}, kV2);
  expect_feed({"--from-timestamp", "2023-01-01", "--to-timestamp", "2024-01-02 23:59:59"}, kV1);
  fails_with(changes({"--from-timestamp", "2024-01-03 00:00:01"}), "after the latest commit");
}

TEST_F(ChangesCli, TableChangesInSql) {
  CliRun r =
      run_silt({"query", "--format", "csv",
                "SELECT c._commit_version, count(*) AS n, string_agg(t.name, '' ORDER BY t.name) AS names "
                "FROM table_changes('" +
                    path_ + "', 1) c JOIN delta_scan('" + path_ + "') t USING (id) GROUP BY ALL ORDER BY 1"});
  ok(r);
  EXPECT_EQ(r.out, "_commit_version,n,names\n1,2,ab\n2,1,c\n");
  r = run_silt(
      {"query", "--format", "csv",
       "SELECT id FROM table_changes('" + path_ + "', '2024-01-02', '2024-01-02 00:00:00') ORDER BY id"});
  ok(r);
  EXPECT_EQ(r.out, "id\n1\n2\n");
  r = run_silt({"query", "SELECT * FROM table_changes('" + path_ + "')"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("table_changes() takes"), std::string::npos) << r.err;
}

TEST_F(ChangesCli, BadRangesAreRefusedNamingTheVersion) {
  fails_with(changes({"--from-version", "3"}), "start version 3 is after the latest version 2");
  fails_with(changes({"--from-version", "2", "--to-version", "1"}), "start version 2 is after end version 1");
  fails_with(changes({"--from-version", "0", "--to-version", "7"}),
             "end version 7 is after the latest version 2");
  fails_with(changes({}), "exactly one of --from-version and --from-timestamp");
}

TEST_F(ChangesCli, CleanedUpCommitsAreRefused) {
  ok(run_silt({"checkpoint", path_}));
  std::filesystem::remove(path_ + "/_delta_log/" + TempTable::version_file(0));
  fails_with(changes({"--from-version", "0"}),
             "the commit file of version 0 is gone (log cleanup); the change feed can start at version 2");
  expect_feed({"--from-version", "2"}, kV2);
}

// DELETE with deletion vectors and no cdc files: each commit removes a file and re-adds it with a
// larger DV, so only the rows the new DV adds are deleted. silt's DELETE refuses CDF tables for
// now, so the table is made with DVs only and the property is then added to its first metaData.
TEST(ChangesCliDeletionVectors, GrownDvDeletesOnlyTheNewRows) {
  TempTable dir;
  std::string path = dir.root() + "/t";
  auto ok = [](const CliRun& r) { ASSERT_EQ(r.code, 0) << r.err; };
  ok(run_silt({"create", path, "--schema", "id BIGINT", "--property", "delta.enableDeletionVectors=true"}));
  ok(run_silt({"write", path, "--sql", "SELECT range AS id FROM range(5)"}));
  ok(run_silt({"delete", path, "--where", "id = 1"}));
  ok(run_silt({"delete", path, "--where", "id IN (1, 3)"}));  // 1 is gone already: only 3
  std::string v0 = path + "/_delta_log/" + TempTable::version_file(0);
  std::ifstream in(v0);
  std::string log((std::istreambuf_iterator<char>(in)), {});
  const std::string key = R"("delta.enableDeletionVectors":"true")";
  ASSERT_NE(log.find(key), std::string::npos) << log;
  log.replace(log.find(key), key.size(), key + R"(,"delta.enableChangeDataFeed":"true")");
  std::ofstream(v0, std::ios::trunc) << log;

  CliRun r = run_silt({"query", "--format", "csv",
                       "SELECT id, _change_type, _commit_version FROM table_changes('" + path +
                           "', 0) ORDER BY _commit_version, id"});
  ok(r);
  EXPECT_EQ(r.out,
            "id,_change_type,_commit_version\n0,insert,1\n1,insert,1\n2,insert,1\n3,insert,1\n4,insert,1\n"
            "1,delete,2\n3,delete,3\n");
}

TEST(ChangesCliNoFeed, TableWithoutChangeDataFeedIsRefused) {
  TempTable dir;
  std::string path = dir.root() + "/t";
  ASSERT_EQ(run_silt({"write", path, "--sql", "SELECT 1 AS id"}).code, 0);
  CliRun r = run_silt({"changes", path, "--from-version", "0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("change data feed is not enabled at version 0"), std::string::npos) << r.err;
}

// A Spark table that turned CDF on after creation would be refused at its first versions; the
// shared table simple_table_with_cdc enables it at creation, so a table from delta-rs without
// the property stands in: every version is refused.
TEST(ChangesCliNoFeed, SharedTableWithoutFeedIsRefused) {
  REQUIRE_SHARED_TABLES();
  CliRun r = run_silt({"changes", testing::kSharedTables + "/simple_table", "--from-version", "1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not enabled at version 1"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace silt
