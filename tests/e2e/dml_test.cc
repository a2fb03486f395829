// DELETE and UPDATE checked against independent oracles: the same statements run by plain DuckDB
// over a copy of the source rows (both deletion-vector and copy-on-write tables, partitioned or
// not, fixed seeds), deletion vectors compared with row positions read straight from the parquet
// files, the shared table-with-dv-small extended by silt, commitInfo metrics, and the CLI.
#include "ops/dml.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "../support/cli_runner.h"
#include "../support/delta_log.h"
#include "../support/query_rows.h"
#include "../support/shared_tables.h"
#include "../support/temp_table.h"
#include "delta/dv/deletion_vector.h"
#include "ops/write.h"
#include "scan/session.h"
#include "util/path.h"
#include "util/sql_text.h"

using silt::testing::commit_info;
using silt::testing::live_files;
using silt::testing::run_silt;
using silt::testing::TempTable;

using silt::testing::text_rows;

namespace {

enum class Mode { DeletionVectors, CopyOnWrite };
const char* mode_name(Mode m) { return m == Mode::DeletionVectors ? "dv" : "cow"; }

// `silt create` of a one-column table with deletion vectors enabled; the exit code.
int create_dv_table(const std::string& root) {
  return run_silt({"create", root, "--schema", "id BIGINT", "--property", "delta.enableDeletionVectors=true"})
      .code;
}

constexpr const char* kColumns = "id, part, v, s, d";

std::unique_ptr<silt::Session> open_session() { return std::move(silt::Session::open().value()); }

// Rows [lo, hi) of the source, the same for a seed on every run: partition values a..d and NULL,
// NULLs in v, strings and doubles derived from hashes.
std::string source_sql(int seed, int lo, int hi) {
  auto h = [&](int salt) {
    return "CAST(hash(i, " + std::to_string(seed) + ", " + std::to_string(salt) + ") % 1000 AS BIGINT)";
  };
  return "SELECT i::BIGINT AS id, CASE WHEN " + h(1) + " % 6 = 0 THEN NULL ELSE ['a', 'b', 'c', 'd'][1 + " +
         h(1) + " % 4] END AS part, CASE WHEN " + h(2) + " % 5 = 0 THEN NULL ELSE (" + h(2) +
         " % 100)::INTEGER END AS v, 'x' || (" + h(3) + " % 50) AS s, (" + h(4) + " / 10.0)::DOUBLE AS d " +
         "FROM range(" + std::to_string(lo) + ", " + std::to_string(hi) + ") r(i)";
}

// A table written by silt in three appends (disjoint id ranges, so stats can skip files), and the
// same rows in the DuckDB table `oracle` of the same session.
class OracleTable {
 public:
  OracleTable(silt::Session& s, Mode mode, bool partitioned, int seed) : s_(s), root_(dir_.root() + "/t") {
    std::string all;
    for (int k = 0; k < 3; k++) {
      silt::ops::WriteOptions o;
      if (partitioned) o.partition_by = {"part"};
      o.properties["delta.enableDeletionVectors"] = mode == Mode::DeletionVectors ? "true" : "false";
      std::string sql = source_sql(seed, k * 200, (k + 1) * 200);
      auto w = silt::ops::write_table(s, root_, sql, o);
      EXPECT_TRUE(w.ok()) << w.error().message();
      all += (all.empty() ? "" : " UNION ALL ") + sql;
    }
    EXPECT_TRUE(s.connection().execute("CREATE OR REPLACE TABLE oracle AS " + all).ok());
  }
  const std::string& root() const { return root_; }

  // Rows in one side and not the other (at most 6), "" when silt's table equals the oracle.
  std::string difference(std::optional<int64_t> version = std::nullopt) {
    silt::TimeTravel at;
    at.version = version;
    auto plan = s_.scan(root_, at);
    if (!plan.ok()) return "scan failed: " + plan.error().message();
    std::string silt_rows = std::string("SELECT ") + kColumns + " FROM " + plan->sql + " AS x";
    std::string oracle_rows = std::string("SELECT ") + kColumns + " FROM oracle";
    auto rows = text_rows(s_, "(SELECT 'only in silt', * FROM (" + silt_rows + " EXCEPT ALL " + oracle_rows +
                                  ") LIMIT 3) UNION ALL (SELECT 'only in oracle', * FROM (" + oracle_rows +
                                  " EXCEPT ALL " + silt_rows + ") LIMIT 3)");
    std::string out;
    for (const auto& r : rows) out += r + "\n";
    return out;
  }

 private:
  silt::Session& s_;
  TempTable dir_;
  std::string root_;
};

int64_t oracle_changes(silt::Session& s, const std::string& sql) {
  auto r = s.connection().query(sql);
  EXPECT_TRUE(r.ok()) << sql << ": " << r.error().message();
  return r.ok() ? int64_t(r->rows_changed()) : -1;
}

std::string where_clause(const std::string& where) { return where.empty() ? "" : " WHERE " + where; }

silt::ops::DmlOptions where(const std::string& predicate) {
  silt::ops::DmlOptions o;
  o.where = predicate;
  return o;
}

const std::vector<std::string> kDeletePredicates = {
    "part = 'a'",                          // partition only
    "v > 80",                              // data column, stats
    "id < 120",                            // skips the later appends' files
    "part IS NULL",                        // the NULL partition
    "s LIKE 'x1%' OR d > 90",              // a disjunction
    "part IN ('b', 'c') AND d < 30",       // partition and data
    "v = NULL",                            // always NULL: nothing
    "false",                               // nothing
    "id % 7 = 0 OR coalesce(v, -1) = -1",  // NULLs matched on purpose
    "NOT (v > 10)",                        // NULL stays unmatched under NOT
    "v <> 3 AND part <> 'd'",              // NULL v does not match
};

TEST(DeleteOracle, PredicateSequencesMatchDuckDb) {
  for (Mode mode : {Mode::DeletionVectors, Mode::CopyOnWrite}) {
    for (bool partitioned : {false, true}) {
      for (int seed : {1, 2}) {
        SCOPED_TRACE(std::string(mode_name(mode)) + (partitioned ? " partitioned" : "") + " seed " +
                     std::to_string(seed));
        auto s = open_session();
        OracleTable t(*s, mode, partitioned, seed);
        std::vector<int64_t> versions = {2};
        for (const std::string& p : kDeletePredicates) {
          SCOPED_TRACE(p);
          auto r = silt::ops::delete_rows(*s, t.root(), where(p));
          ASSERT_TRUE(r.ok()) << r.error().message();
          EXPECT_EQ(r->rows_deleted, oracle_changes(*s, "DELETE FROM oracle WHERE " + p));
          EXPECT_EQ(r->deletion_vectors, mode == Mode::DeletionVectors);
          EXPECT_EQ(r->committed, r->rows_deleted > 0);
          if (mode == Mode::CopyOnWrite) {
            EXPECT_EQ(r->dvs_added + r->dvs_updated, 0);
          }
          versions.push_back(r->version);
          ASSERT_EQ(t.difference(), "");
        }
        auto all = silt::ops::delete_rows(*s, t.root(), {});
        ASSERT_TRUE(all.ok()) << all.error().message();
        EXPECT_EQ(all->rows_deleted, oracle_changes(*s, "DELETE FROM oracle"));
        EXPECT_GT(all->rows_deleted, 0);
        EXPECT_EQ(all->files_added, 0);
        EXPECT_TRUE(s->snapshot(t.root())->files().empty());
        // Earlier versions still read as they were: time travel to before the first DELETE.
        ASSERT_TRUE(
            s->connection().execute("CREATE OR REPLACE TABLE oracle AS " + source_sql(seed, 0, 600)).ok());
        EXPECT_EQ(t.difference(versions.front()), "");
      }
    }
  }
}

struct UpdateStep {
  std::string set;
  std::string where;
};

const std::vector<UpdateStep> kUpdateSteps = {
    {"v = v + 1", "part = 'a'"},
    {"s = s || '!'", "v IS NULL"},
    {"part = 'z'", "id % 5 = 0"},  // moves rows between partitions
    {"v = NULL, d = d * 2", "part IS NULL"},
    {"v = 0", "v <> 3"},
    {"s = upper(s), \"v\" = coalesce(v, 7)", "s LIKE 'x2%' OR id > 550"},
    {"d = -d", "false"},
    {"part = CASE WHEN v > 50 THEN NULL ELSE part END", "d > 50"},
    {"id = id + 1000", ""},  // every row
};

TEST(UpdateOracle, SetSequencesMatchDuckDb) {
  for (Mode mode : {Mode::DeletionVectors, Mode::CopyOnWrite}) {
    for (bool partitioned : {false, true}) {
      SCOPED_TRACE(std::string(mode_name(mode)) + (partitioned ? " partitioned" : ""));
      auto s = open_session();
      OracleTable t(*s, mode, partitioned, 3);
      for (const UpdateStep& step : kUpdateSteps) {
        SCOPED_TRACE(step.set + " WHERE " + step.where);
        auto set = silt::ops::parse_assignments(step.set);
        ASSERT_TRUE(set.ok()) << set.error().message();
        auto r = silt::ops::update_rows(*s, t.root(), *set, where(step.where));
        ASSERT_TRUE(r.ok()) << r.error().message();
        EXPECT_EQ(r->rows_updated,
                  oracle_changes(*s, "UPDATE oracle SET " + step.set + where_clause(step.where)));
        if (mode == Mode::DeletionVectors) {
          EXPECT_EQ(r->rows_copied, 0);
        } else {
          EXPECT_EQ(r->dvs_added + r->dvs_updated, 0);
        }
        ASSERT_EQ(t.difference(), "");
      }
      // A DELETE after the updates, on files that carry deletion vectors already.
      auto r = silt::ops::delete_rows(*s, t.root(), where("v < 40"));
      ASSERT_TRUE(r.ok()) << r.error().message();
      EXPECT_EQ(r->rows_deleted, oracle_changes(*s, "DELETE FROM oracle WHERE v < 40"));
      EXPECT_EQ(t.difference(), "");
    }
  }
}

// Positions of the rows of a data file where `predicate` is true, read with DuckDB alone.
std::vector<uint64_t> positions_where(silt::Session& s, const std::string& file,
                                      const std::string& predicate) {
  std::vector<uint64_t> out;
  for (const auto& row : text_rows(
           s, "SELECT file_row_number FROM read_parquet(" + silt::quote_literal(file) +
                  ", hive_partitioning = true, file_row_number = true) WHERE " + predicate + " ORDER BY 1")) {
    out.push_back(std::stoull(row));
  }
  return out;
}

// After DELETEs with predicates p1..pk on a table without deletion vectors, every file's DV holds
// exactly the rows where some pi is true; files without such rows are untouched, files where
// every row is gone are removed.
void expect_dvs_match(silt::Session& s, const std::string& root,
                      const std::map<std::string, silt::delta::AddFile>& before,
                      const std::map<std::string, silt::delta::AddFile>& previous, const std::string& deleted,
                      char storage_type) {
  auto after = live_files(s, root);
  for (const auto& entry : before) {
    const std::string& path = entry.first;
    SCOPED_TRACE(path);
    std::string file = silt::resolve_log_path(root, path).value();
    auto expected = positions_where(s, file, deleted);
    size_t rows = positions_where(s, file, "true").size();
    auto it = after.find(path);
    if (expected.size() == rows) {
      EXPECT_EQ(it, after.end()) << "a file with every row deleted stays live";
      continue;
    }
    ASSERT_NE(it, after.end());
    if (expected.empty()) {
      EXPECT_FALSE(it->second.deletion_vector.has_value());
      continue;
    }
    ASSERT_TRUE(it->second.deletion_vector.has_value());
    auto dv = silt::delta::DeletionVector::load(*it->second.deletion_vector, root, s.storage());
    ASSERT_TRUE(dv.ok()) << dv.error().message();
    EXPECT_EQ(dv->rows(), expected);
    if (previous.at(path).deletion_vector != it->second.deletion_vector) {
      EXPECT_EQ(it->second.deletion_vector->storage_type, storage_type);
    }
    EXPECT_NE(it->second.stats.find("\"numRecords\":" + std::to_string(rows)), std::string::npos);
    EXPECT_NE(it->second.stats.find("\"tightBounds\":false"), std::string::npos);
  }
}

TEST(DeleteDv, VectorsHoldExactlyTheMatchingPositionsInFilesAndInline) {
  for (bool partitioned : {false, true}) {
    SCOPED_TRACE(partitioned ? "partitioned" : "unpartitioned");
    auto s = open_session();
    OracleTable t(*s, Mode::DeletionVectors, partitioned, 4);
    auto before = live_files(*s, t.root()), previous = before;
    std::string deleted;
    const std::pair<std::string, int64_t> steps[] = {
        {"v > 70", 0},                          // every DV in a DV file
        {"part = 'b' AND v IS NULL", 1 << 20},  // every DV inline
        {"s IN ('x1', 'x2') OR d < 5", 0},      // DV files again, merging inline DVs
        {"part = 'c'", 1 << 20},                // whole partitions: files removed
    };
    for (const auto& [p, inline_bytes] : steps) {
      SCOPED_TRACE(p);
      silt::ops::DmlOptions o = where(p);
      o.max_inline_dv_bytes = inline_bytes;
      auto r = silt::ops::delete_rows(*s, t.root(), o);
      ASSERT_TRUE(r.ok()) << r.error().message();
      deleted += (deleted.empty() ? "" : " OR ") + ("coalesce((" + p + "), false)");
      expect_dvs_match(*s, t.root(), before, previous, deleted, inline_bytes ? 'i' : 'u');
      previous = live_files(*s, t.root());
    }
    size_t dv_files = 0;
    for (const auto& e : std::filesystem::directory_iterator(t.root())) {
      std::string name = e.path().filename().string();
      dv_files += name.starts_with("deletion_vector_") && name.ends_with(".bin");
    }
    EXPECT_EQ(dv_files, 2u);  // one per commit that stored DVs in a file
  }
}

TEST(DeleteSkipping, OnlyFilesThatMayMatchAreTouched) {
  for (Mode mode : {Mode::DeletionVectors, Mode::CopyOnWrite}) {
    SCOPED_TRACE(mode_name(mode));
    auto s = open_session();
    OracleTable t(*s, mode, true, 5);
    auto before = live_files(*s, t.root());
    // Partition values: only partition a is read.
    auto r = silt::ops::delete_rows(*s, t.root(), where("part = 'a' AND v > 50"));
    ASSERT_TRUE(r.ok()) << r.error().message();
    auto after = live_files(*s, t.root());
    size_t in_a = 0;
    for (const auto& [path, f] : before) {
      if (path.starts_with("part=a/")) {
        in_a++;
        continue;
      }
      ASSERT_TRUE(after.count(path)) << path;
      EXPECT_EQ(after[path].deletion_vector, f.deletion_vector) << path;
      EXPECT_EQ(after[path].stats, f.stats) << path;
    }
    EXPECT_LE(r->files_scanned, int64_t(in_a));
    // Stats: ids below 100 live only in the first append's files.
    before = after;
    r = silt::ops::delete_rows(*s, t.root(), where("id < 100"));
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_LE(r->files_scanned, 5);
    after = live_files(*s, t.root());
    size_t unchanged = 0;
    for (const auto& [path, f] : before) {
      unchanged += after.count(path) && after[path].deletion_vector == f.deletion_vector;
    }
    EXPECT_GE(unchanged, before.size() - 5);
  }
}

TEST(DeleteConformance, ExtendsTheDeletionVectorOfTableWithDvSmall) {
  REQUIRE_SHARED_TABLES();
  TempTable t;
  std::string root = t.root() + "/dv";
  std::filesystem::copy(silt::testing::kSharedTables + "/table-with-dv-small", root,
                        std::filesystem::copy_options::recursive);
  auto s = open_session();
  auto old = s->snapshot(root)->files().at(0);
  auto r = silt::ops::delete_rows(*s, root, where("value IN (3, 4, 9)"));  // 9 is deleted already
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->rows_deleted, 2);
  EXPECT_EQ(r->dvs_updated, 1);
  auto scan =
      s->expand_sql("SELECT string_agg(value::VARCHAR, ',' ORDER BY value) FROM delta_scan('" + root + "')");
  EXPECT_EQ(text_rows(*s, *scan), std::vector<std::string>{"1,2,5,6,7,8"});
  auto add = s->snapshot(root)->files().at(0);
  EXPECT_EQ(add.path, old.path);
  auto dv = silt::delta::DeletionVector::load(*add.deletion_vector, root, s->storage());
  ASSERT_TRUE(dv.ok()) << dv.error().message();
  EXPECT_EQ(dv->rows(), (std::vector<uint64_t>{0, 3, 4, 9}));  // the old DV held 0 and 9
  EXPECT_EQ(commit_info(*s, root, 2, "operationMetrics.numDeletionVectorsUpdated"), "1");
  // The old DV file stays for time travel.
  auto v1 = s->expand_sql("SELECT count(*) FROM delta_scan('" + root + "', version => 1)");
  EXPECT_EQ(text_rows(*s, *v1), std::vector<std::string>{"8"});
  // Deleting the rest removes the file.
  r = silt::ops::delete_rows(*s, root, where("value > 0"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->rows_deleted, 6);
  EXPECT_EQ(r->files_removed, 1);
  EXPECT_EQ(r->dvs_removed, 1);
  EXPECT_TRUE(s->snapshot(root)->files().empty());
}

// A shared table copied to a temp dir, and its rows (as silt reads them) in DuckDB table `oracle`.
std::string copy_shared_table(silt::Session& s, const TempTable& dir, const std::string& name) {
  std::string root = dir.root() + "/" + name;
  std::filesystem::copy(silt::testing::kSharedTables + "/" + name, root,
                        std::filesystem::copy_options::recursive);
  auto scan = s.expand_sql("CREATE OR REPLACE TABLE oracle AS SELECT * FROM delta_scan('" + root + "')");
  EXPECT_TRUE(scan.ok() && s.connection().execute(*scan).ok());
  return root;
}

std::string differs_from_oracle(silt::Session& s, const std::string& root) {
  auto scan = s.expand_sql("SELECT count(*) FROM ((SELECT * FROM delta_scan('" + root +
                           "') EXCEPT ALL SELECT * FROM oracle) UNION ALL (SELECT * FROM oracle EXCEPT ALL "
                           "SELECT * FROM delta_scan('" +
                           root + "')))");
  if (!scan.ok()) return scan.error().message();
  auto n = text_rows(s, *scan);
  return n == std::vector<std::string>{"0"} ? "" : "rows differ: " + n.at(0);
}

TEST(DeleteConformance, SparkTablesWithDvsAndColumnMappingChangeLikeTheirOracle) {
  REQUIRE_SHARED_TABLES();
  auto s = open_session();
  TempTable dir;
  // Deletion vectors written by Spark over 20 versions, read through a checkpoint.
  std::string dv = copy_shared_table(*s, dir, "table_with_deletion_logs");
  auto r = silt::ops::delete_rows(*s, dv, where("age > 400 OR company = 'Gr'"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->deletion_vectors);
  EXPECT_EQ(r->rows_deleted, oracle_changes(*s, "DELETE FROM oracle WHERE age > 400 OR company = 'Gr'"));
  EXPECT_EQ(differs_from_oracle(*s, dv), "");
  auto set = silt::ops::parse_assignments("name = upper(name), nbr = nbr + 1");
  auto u = silt::ops::update_rows(*s, dv, *set, where("id % 2 = 0"));
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->rows_updated,
            oracle_changes(*s, "UPDATE oracle SET name = upper(name), nbr = nbr + 1 WHERE id % 2 = 0"));
  EXPECT_EQ(differs_from_oracle(*s, dv), "");

  // Column mapping (name mode) with a partition column whose name has a space: copy-on-write.
  std::string cm = copy_shared_table(*s, dir, "table_with_column_mapping");
  set = silt::ops::parse_assignments("\"Super Name\" = 'x' || \"Super Name\"");
  u = silt::ops::update_rows(*s, cm, *set, where("\"Company Very Short\" = 'BMS'"));
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_FALSE(u->deletion_vectors);
  EXPECT_EQ(u->rows_updated, oracle_changes(*s,
                                            "UPDATE oracle SET \"Super Name\" = 'x' || \"Super Name\" "
                                            "WHERE \"Company Very Short\" = 'BMS'"));
  EXPECT_EQ(differs_from_oracle(*s, cm), "");
  size_t rewritten = 0;
  for (const auto& [path, f] : live_files(*s, cm)) {
    if (!path.starts_with("col-")) continue;  // Spark's files sit under random prefixes
    rewritten++;
    // Rewritten files hold the physical column name, as column mapping requires.
    auto cols = text_rows(*s, "SELECT name FROM parquet_schema(" +
                                  silt::quote_literal(silt::resolve_log_path(cm, path).value()) + ")");
    EXPECT_NE(std::find(cols.begin(), cols.end(), "col-3877fd94-0973-4941-ac6b-646849a1ff65"), cols.end());
  }
  EXPECT_EQ(rewritten, 1u);
  r = silt::ops::delete_rows(*s, cm, where("\"Super Name\" LIKE 'x%'"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->rows_deleted, oracle_changes(*s, "DELETE FROM oracle WHERE \"Super Name\" LIKE 'x%'"));
  EXPECT_EQ(differs_from_oracle(*s, cm), "");
}

TEST(DeleteMetrics, CommitInfoCarriesSparkMetrics) {
  auto s = open_session();
  OracleTable dv(*s, Mode::DeletionVectors, false, 6);
  auto r = silt::ops::delete_rows(*s, dv.root(), where("v > 50"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(commit_info(*s, dv.root(), 3, "operation"), "DELETE");
  EXPECT_EQ(commit_info(*s, dv.root(), 3, "operationParameters.predicate"), "v > 50");
  EXPECT_EQ(commit_info(*s, dv.root(), 3, "operationMetrics.numDeletedRows"),
            std::to_string(r->rows_deleted));
  EXPECT_EQ(commit_info(*s, dv.root(), 3, "operationMetrics.numDeletionVectorsAdded"), "3");
  EXPECT_EQ(commit_info(*s, dv.root(), 3, "operationMetrics.numRemovedFiles"), "0");
  EXPECT_EQ(commit_info(*s, dv.root(), 3, "operationMetrics.numCopiedRows"), "0");
  EXPECT_NE(commit_info(*s, dv.root(), 3, "operationMetrics.executionTimeMs"), "NULL");
  EXPECT_EQ(commit_info(*s, dv.root(), 3, "isBlindAppend"), "false");

  OracleTable cow(*s, Mode::CopyOnWrite, false, 6);
  auto set = silt::ops::parse_assignments("s = 'changed'");
  auto u = silt::ops::update_rows(*s, cow.root(), *set, where("id < 10"));
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(commit_info(*s, cow.root(), 3, "operation"), "UPDATE");
  EXPECT_EQ(commit_info(*s, cow.root(), 3, "operationMetrics.numUpdatedRows"), "10");
  EXPECT_EQ(commit_info(*s, cow.root(), 3, "operationMetrics.numCopiedRows"), "190");
  EXPECT_EQ(commit_info(*s, cow.root(), 3, "operationMetrics.numRemovedFiles"), "1");
  EXPECT_EQ(commit_info(*s, cow.root(), 3, "operationMetrics.numAddedFiles"), "1");
}

TEST(DeleteCreate, PropertyOptsNewTablesIntoDeletionVectors) {
  TempTable t;
  std::string root = t.root() + "/t";
  ASSERT_EQ(create_dv_table(root), 0);
  auto s = open_session();
  auto p = s->snapshot(root)->protocol();
  EXPECT_EQ(p.min_reader_version, 3);
  EXPECT_EQ(p.min_writer_version, 7);
  auto has = [](const auto& list) {
    return list && std::find(list->begin(), list->end(), "deletionVectors") != list->end();
  };
  EXPECT_TRUE(has(p.reader_features));
  EXPECT_TRUE(has(p.writer_features));
}

TEST(DeleteSubquery, WhereMayReadAnotherTable) {
  auto s = open_session();
  OracleTable t(*s, Mode::DeletionVectors, true, 7);
  TempTable other;
  ASSERT_TRUE(
      silt::ops::write_table(*s, other.root() + "/o", "SELECT range AS id FROM range(0, 600, 3)", {}).ok());
  std::string p = "id IN (SELECT id FROM delta_scan('" + other.root() + "/o'))";
  auto r = silt::ops::delete_rows(*s, t.root(), where(p));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->rows_deleted, 200);
  ASSERT_EQ(oracle_changes(*s, "DELETE FROM oracle WHERE id % 3 = 0"), 200);
  EXPECT_EQ(t.difference(), "");
}

TEST(UpdateParse, AssignmentsSplitOutsideStringsAndBrackets) {
  auto a = silt::ops::parse_assignments(R"( "my ""col""" = 'a=b, c', x = f(1, 2) , y=y>=3 , z = [1,2][1])");
  ASSERT_TRUE(a.ok()) << a.error().message();
  ASSERT_EQ(a->size(), 4u);
  EXPECT_EQ((*a)[0].column, "my \"col\"");
  EXPECT_EQ((*a)[0].expression, "'a=b, c'");
  EXPECT_EQ((*a)[1].expression, "f(1, 2)");
  EXPECT_EQ((*a)[2].column, "y");
  EXPECT_EQ((*a)[2].expression, "y>=3");
  EXPECT_EQ((*a)[3].expression, "[1,2][1]");
  for (const char* bad : {"v", "= 3", "v = ", "a = 1,", "v >= 3"}) {
    EXPECT_FALSE(silt::ops::parse_assignments(bad).ok()) << bad;
  }
}

// Runs a silt command that must fail with one error line naming `needle`, leaving the table as it was.
void expect_error_and_unchanged(const std::string& root, const std::vector<std::string>& args,
                                const std::string& needle) {
  SCOPED_TRACE(args.back());
  auto s = open_session();
  int64_t version = s->snapshot(root)->version();
  auto files = live_files(*s, root);
  auto r = run_silt(args);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(s->snapshot(root)->version(), version);
  EXPECT_EQ(live_files(*s, root).size(), files.size());
}

TEST(DeleteCli, OneLineReportsAndErrors) {
  TempTable t;
  std::string root = t.root() + "/t";
  // Copy-on-write: the table opts out of deletion vectors.
  ASSERT_EQ(run_silt({"write", root, "--sql", "SELECT range AS id, range % 3 AS g FROM range(30)",
                      "--property", "delta.enableDeletionVectors=false"})
                .code,
            0);
  auto r = run_silt({"delete", root, "--where", "g = 1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "committed version 1 of " + root +
                       ": 10 row(s) deleted, 1 file(s) removed, 1 file(s) added, 20 row(s) copied\n");
  r = run_silt({"delete", root, "--where", "g = 7"});
  EXPECT_EQ(r.out, "no rows matched: nothing committed (" + root + " stays at version 1)\n");
  expect_error_and_unchanged(root, {"delete", root, "--where", "g >>> 1"}, "WHERE g >>> 1");
  expect_error_and_unchanged(root, {"delete", root, "--where", "nope = 1"}, "nope");
  expect_error_and_unchanged(root, {"delete", root, "--where", "  "}, "--where is empty");
  r = run_silt({"delete", root});
  EXPECT_EQ(r.out, "committed version 2 of " + root + ": 20 row(s) deleted, 1 file(s) removed\n");
}

TEST(UpdateCli, OneLineReportsAndErrors) {
  TempTable t;
  std::string root = t.root() + "/t";
  ASSERT_EQ(run_silt({"create", root, "--schema", "id BIGINT, g INTEGER, name VARCHAR", "--property",
                      "delta.enableDeletionVectors=true"})
                .code,
            0);
  ASSERT_EQ(run_silt({"write", root, "--sql",
                      "SELECT range AS id, (range % 3)::INT AS g, 'n' AS name FROM range(30)"})
                .code,
            0);
  auto r = run_silt({"update", root, "--set", "name = 'm', g = g * 10", "--where", "g = 2"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "committed version 2 of " + root +
                       ": 10 row(s) updated, 1 deletion vector(s) written, 1 file(s) added\n");
  r = run_silt({"query", "SELECT g, name, count(*) FROM delta_scan('" + root + "') GROUP BY ALL ORDER BY g",
                "--format", "csv"});
  EXPECT_EQ(r.out, "g,name,count_star()\n0,n,10\n1,n,10\n20,m,10\n");
  expect_error_and_unchanged(root, {"update", root, "--set", "nope = 1"},
                             "SET nope: the table has no such column");
  expect_error_and_unchanged(root, {"update", root, "--set", "g = 'abc'"}, "SET g = 'abc'");
  expect_error_and_unchanged(root, {"update", root, "--set", "g = 1, G = 2"}, "more than once");
  expect_error_and_unchanged(root, {"update", root, "--set", "g"}, "column = expression");
  expect_error_and_unchanged(root, {"update", root, "--set", "g = 1", "--where", "id >"}, "WHERE id >");
}

// Concurrent DELETEs on one file each grow its deletion vector; a loser of the race must fail
// (never overwrite the winner's DV), so the rows left are exactly those no successful DELETE
// matched. Appends outside the predicates never make a DELETE fail.
TEST(DeleteConcurrency, RacingDeletesNeverLoseADeletionVector) {
  TempTable t;
  std::string root = t.root() + "/t";
  ASSERT_EQ(create_dv_table(root), 0);
  ASSERT_EQ(run_silt({"write", root, "--sql", "SELECT range AS id FROM range(800)"}).code, 0);
  std::mutex mu;
  std::set<int> deleted;
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; w++) {
    workers.emplace_back([&, w] {
      for (int k = w; k < 24; k += 3) {
        auto r = run_silt({"delete", root, "--where", "id < 800 AND id % 24 = " + std::to_string(k)});
        std::lock_guard<std::mutex> lock(mu);
        if (r.code == 0) {
          deleted.insert(k);
        } else {
          EXPECT_NE(r.err.find("concurrent commit"), std::string::npos) << r.err;
        }
      }
    });
  }
  workers.emplace_back([&] {
    for (int i = 0; i < 10; i++) {
      EXPECT_EQ(
          run_silt({"write", root, "--sql", "SELECT 1000 + " + std::to_string(i) + "::BIGINT AS id"}).code,
          0);
    }
  });
  for (auto& th : workers) th.join();
  EXPECT_FALSE(deleted.empty());
  std::string kept = "id >= 1000";
  for (int k = 0; k < 24; k++) {
    if (!deleted.count(k)) kept += " OR id % 24 = " + std::to_string(k);
  }
  auto s = open_session();
  auto scan = s->expand_sql("SELECT count(*) FILTER (WHERE NOT (" + kept + ")), count(*) FILTER (WHERE " +
                            kept + ") FROM delta_scan('" + root + "')");
  auto expected = text_rows(*s, "SELECT 0, count(*) FILTER (WHERE " + kept + ") + 10 FROM range(800) r(id)");
  EXPECT_EQ(text_rows(*s, *scan), expected);
}

TEST(DeleteBadInput, TablesSiltMustNotChangeAreRefused) {
  TempTable t;
  std::string root = t.root() + "/t";
  ASSERT_EQ(run_silt({"create", root, "--schema", "id BIGINT", "--property", "delta.appendOnly=true"}).code,
            0);
  ASSERT_EQ(run_silt({"write", root, "--sql", "SELECT 1::BIGINT AS id"}).code, 0);
  expect_error_and_unchanged(root, {"delete", root, "--where", "id = 1"}, "append-only");
  expect_error_and_unchanged(root, {"update", root, "--set", "id = 2"}, "append-only");

  TempTable features;
  features.commit(
      0, {R"({"protocol":{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["rowTracking"]}})",
          TempTable::metadata(), TempTable::add("a.parquet")});
  expect_error_and_unchanged(features.root(), {"delete", features.root(), "--where", "id = 1"},
                             "rowTracking");
  expect_error_and_unchanged(features.root(), {"update", features.root(), "--set", "id = 1"}, "rowTracking");
}

}  // namespace
