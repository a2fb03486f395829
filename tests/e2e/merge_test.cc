// MERGE checked against an oracle written here in plain DuckDB SQL (a LEFT JOIN with one CASE per
// row choosing the clause, and a UNION for inserts), over randomised small tables and clause sets
// with fixed seeds, in deletion-vector and copy-on-write mode; then file pruning (read from the
// log), the multiple-match and bad-input errors (table version unchanged), concurrent processes,
// the CLI, and deletion vectors on by default for tables silt creates.
#include "ops/merge.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "../support/cli_runner.h"
#include "../support/delta_log.h"
#include "../support/query_rows.h"
#include "../support/temp_table.h"
#include "delta/dv/deletion_vector.h"
#include "ops/dml.h"
#include "ops/write.h"
#include "util/path.h"
#include "util/sql_text.h"

using silt::ops::MergeClause;
using silt::testing::commit_info;
using silt::testing::live_files;
using silt::testing::run_silt;
using silt::testing::sorted_rows;
using silt::testing::TempTable;
using Kind = MergeClause::Kind;

namespace {

std::unique_ptr<silt::Session> open_session() { return std::move(silt::Session::open().value()); }

constexpr const char* kColumns = "id, part, v, s";

// A clause as the oracle sees it: kind, condition, and column -> expression (all four columns
// from s for the * forms).
struct OracleClause {
  Kind kind;
  std::string condition;
  std::map<std::string, std::string> values;
  bool all = false;
};

const std::map<std::string, std::string> kAllFromSource = {
    {"id", "s.id"}, {"part", "s.part"}, {"v", "s.v"}, {"s", "s.s"}};

// Pools the random clause sets draw from.
const std::vector<std::string> kMatchedConditions = {
    "", "", "s.v > t.v", "t.part = 'a'", "s.v IS NULL", "t.v % 2 = 0", "s.s < 'x3'"};
const std::vector<std::map<std::string, std::string>> kMatchedSets = {
    {{"v", "s.v"}}, {{"v", "t.v + 1"}, {"s", "s.s || '!'"}}, {{"part", "s.part"}}, {}};  // {} = SET *
const std::vector<std::string> kInsertConditions = {"", "", "s.v > 50", "s.part IS NOT NULL"};
const std::vector<std::string> kBySourceConditions = {"", "t.v < 20", "t.part = 'b'"};
const std::vector<std::map<std::string, std::string>> kBySourceSets = {{{"v", "-1"}}, {{"s", "'gone'"}}};
const std::vector<std::string> kOnConditions = {
    "t.id = s.id", "t.id = s.id", "s.id = t.id AND t.v IS NOT NULL", "t.id = s.id AND t.part <> 'c'"};

std::vector<OracleClause> random_clauses(std::mt19937& rng) {
  auto pick = [&](const auto& pool) { return pool[rng() % pool.size()]; };
  std::vector<OracleClause> out;
  int matched = int(rng() % 4);  // 0-3 matched clauses
  for (int i = 0; i < matched; i++) {
    if (rng() % 3 == 0) {
      out.push_back({Kind::MatchedDelete, pick(kMatchedConditions), {}});
    } else {
      auto set = pick(kMatchedSets);
      bool all = set.empty();
      out.push_back({Kind::MatchedUpdate, pick(kMatchedConditions), all ? kAllFromSource : set, all});
    }
  }
  int inserts = int(rng() % 3);
  for (int i = 0; i < inserts; i++) {
    bool all = rng() % 2 == 0;
    out.push_back(
        {Kind::NotMatchedInsert, pick(kInsertConditions),
         all ? kAllFromSource : std::map<std::string, std::string>{{"id", "s.id"}, {"v", "s.v * 2"}}, all});
  }
  int by_source = int(rng() % 3);
  for (int i = 0; i < by_source; i++) {
    if (rng() % 2)
      out.push_back({Kind::NotMatchedBySourceDelete, pick(kBySourceConditions), {}});
    else
      out.push_back({Kind::NotMatchedBySourceUpdate, pick(kBySourceConditions), pick(kBySourceSets)});
  }
  if (out.empty()) out.push_back({Kind::NotMatchedInsert, "", kAllFromSource, true});
  std::shuffle(out.begin(), out.end(), rng);  // kinds interleave; order within a kind matters
  return out;
}

std::vector<MergeClause> api_clauses(const std::vector<OracleClause>& clauses) {
  std::vector<MergeClause> out;
  for (const auto& c : clauses) {
    MergeClause m{c.kind, c.condition, {}, c.all};
    if (!c.all)
      for (const auto& [col, expr] : c.values) m.values.push_back({col, expr});
    out.push_back(std::move(m));
  }
  return out;
}

bool matched(Kind k) { return k == Kind::MatchedUpdate || k == Kind::MatchedDelete; }
bool deletes(Kind k) { return k == Kind::MatchedDelete || k == Kind::NotMatchedBySourceDelete; }

// The oracle: target rows in tgt, source rows in src (with a non-NULL row number sid).
struct Expected {
  std::string rows_sql;
  std::string inserted_sql, updated_sql, deleted_sql;  // counts
};

Expected oracle(const std::vector<OracleClause>& clauses, const std::string& on) {
  // Target side: the first clause that applies to each target row, by whether it matched.
  std::string act = "CASE";
  for (size_t i = 0; i < clauses.size(); i++) {
    const auto& c = clauses[i];
    if (c.kind == Kind::NotMatchedInsert) continue;
    std::string when = matched(c.kind) ? "s.sid IS NOT NULL" : "s.sid IS NULL";
    act += " WHEN " + when + (c.condition.empty() ? "" : " AND (" + c.condition + ")") + " THEN " +
           std::to_string(i);
  }
  act = act == "CASE" ? "CAST(NULL AS INTEGER)" : act + " END";
  std::string ins = "CASE";
  for (size_t i = 0; i < clauses.size(); i++)
    if (clauses[i].kind == Kind::NotMatchedInsert)
      ins += " WHEN " + (clauses[i].condition.empty() ? std::string("TRUE") : clauses[i].condition) +
             " THEN " + std::to_string(i);
  ins = ins == "CASE" ? "CAST(NULL AS INTEGER)" : ins + " END";
  auto columns = [&](const std::string& chooser, bool keep_target, bool (*applies)(Kind)) {
    std::string cols;
    for (std::string col : {"id", "part", "v", "s"}) {
      std::string cases;
      for (size_t i = 0; i < clauses.size(); i++) {
        auto it = clauses[i].values.find(col);
        if (applies(clauses[i].kind) && it != clauses[i].values.end())
          cases += " WHEN " + std::to_string(i) + " THEN " + it->second;
      }
      std::string otherwise = keep_target ? "t." + col : "NULL";
      cols += (cols.empty() ? "" : ", ") +
              (cases.empty() ? otherwise : "CASE " + chooser + cases + " ELSE " + otherwise + " END") +
              " AS " + col;
    }
    return cols;
  };
  std::string deleted = "(-1", updated = "(-1";
  for (size_t i = 0; i < clauses.size(); i++) {
    if (clauses[i].kind == Kind::NotMatchedInsert) continue;
    (deletes(clauses[i].kind) ? deleted : updated) += ", " + std::to_string(i);
  }
  deleted += ")";
  updated += ")";
  std::string joined = " FROM tgt AS t LEFT JOIN src AS s ON " + on;
  std::string unmatched_source = " FROM src AS s WHERE NOT EXISTS (SELECT 1 FROM tgt AS t WHERE " + on + ")";
  Expected e;
  e.rows_sql = "SELECT " +
               columns("(" + act + ")", true, [](Kind k) { return k != Kind::NotMatchedInsert; }) + joined +
               " WHERE (" + act + ") IS NULL OR (" + act + ") NOT IN " + deleted + " UNION ALL SELECT " +
               columns("(" + ins + ")", false, [](Kind k) { return k == Kind::NotMatchedInsert; }) +
               unmatched_source + " AND (" + ins + ") IS NOT NULL";
  e.inserted_sql = "SELECT count(*)" + unmatched_source + " AND (" + ins + ") IS NOT NULL";
  e.updated_sql = "SELECT count(*)" + joined + " WHERE " + act + " IN " + updated;
  e.deleted_sql = "SELECT count(*)" + joined + " WHERE " + act + " IN " + deleted;
  return e;
}

// Target rows: ids with duplicates and NULLs, partitions a..c and NULL, NULL values.
std::string target_rows(int seed, int lo, int hi) {
  auto h = [&](int salt) {
    return "(hash(i, " + std::to_string(seed) + ", " + std::to_string(salt) + ") % 1000)::BIGINT";
  };
  return "SELECT CASE WHEN " + h(1) + " % 10 = 0 THEN NULL ELSE (" + h(1) + " % 30)::BIGINT END AS id, " +
         "CASE WHEN " + h(2) + " % 5 = 0 THEN NULL ELSE ['a', 'b', 'c'][1 + " + h(2) + " % 3] END AS part, " +
         "CASE WHEN " + h(3) + " % 7 = 0 THEN NULL ELSE (" + h(3) + " % 100)::INTEGER END AS v, 'x' || (" +
         h(4) + " % 50) AS s FROM range(" + std::to_string(lo) + ", " + std::to_string(hi) + ") r(i)";
}

// Source rows: distinct ids (0..44, overlapping the target's 0..29) and a few NULL ids.
std::string source_rows(int seed) {
  auto h = [&](int salt) {
    return "(hash(i, " + std::to_string(seed) + ", " + std::to_string(salt) + ") % 1000)::BIGINT";
  };
  return "SELECT row_number() OVER () AS sid, * FROM (SELECT CASE WHEN i >= 45 THEN NULL ELSE i END::BIGINT "
         "AS id, "
         "CASE WHEN " +
         h(2) + " % 6 = 0 THEN NULL ELSE ['a', 'b', 'c'][1 + " + h(2) + " % 3] END AS part, " + "CASE WHEN " +
         h(3) + " % 5 = 0 THEN NULL ELSE (" + h(3) + " % 100)::INTEGER END AS v, 'x' || (" + h(4) +
         " % 50) AS s FROM range(48) r(i) ORDER BY " + h(1) + " LIMIT 20)";
}

std::string difference(silt::Session& s, const std::string& root, const std::string& expected_sql) {
  auto plan = s.scan(root);
  if (!plan.ok()) return "scan failed: " + plan.error().message();
  std::string got = std::string("SELECT ") + kColumns + " FROM " + plan->sql + " AS x";
  std::string want = std::string("SELECT ") + kColumns + " FROM (" + expected_sql + ")";
  std::string out;
  for (const auto& r :
       silt::testing::text_rows(s, "(SELECT 'only in silt', * FROM (" + got + " EXCEPT ALL " + want +
                                       ") LIMIT 3) UNION ALL (SELECT 'only in oracle', * FROM (" + want +
                                       " EXCEPT ALL " + got + ") LIMIT 3)"))
    out += r + "\n";
  return out;
}

int64_t count(silt::Session& s, const std::string& sql) {
  auto v = s.connection().scalar(sql);
  EXPECT_TRUE(v.ok()) << sql << ": " << v.error().message();
  return v.ok() ? std::stoll(v->value_or("-1")) : -1;
}

std::string describe(const std::vector<OracleClause>& clauses, const std::string& on) {
  static const char* const names[] = {"MATCHED UPDATE", "MATCHED DELETE", "NOT MATCHED INSERT",
                                      "BY SOURCE UPDATE", "BY SOURCE DELETE"};
  std::string out = "ON " + on;
  for (const auto& c : clauses) {
    out += " | " + std::string(names[int(c.kind)]) + (c.all ? " *" : "") +
           (c.condition.empty() ? "" : " IF " + c.condition);
    for (const auto& [col, expr] : c.values)
      if (!c.all) out += " " + col + "=" + expr;
  }
  return out;
}

silt::ops::WriteOptions table_options(bool dv, bool partitioned) {
  silt::ops::WriteOptions o;
  o.properties["delta.enableDeletionVectors"] = dv ? "true" : "false";
  if (partitioned) o.partition_by = {"part"};
  return o;
}

TEST(MergeOracle, RandomClauseSetsMatchPlainSql) {
  auto s = open_session();
  int cases = 0;
  for (int seed = 1; seed <= 100; seed++) {
    std::mt19937 rng(seed);
    auto clauses = random_clauses(rng);
    std::string on = kOnConditions[rng() % kOnConditions.size()];
    auto created = s->connection().execute("CREATE OR REPLACE TABLE src AS " + source_rows(seed));
    ASSERT_TRUE(created.ok()) << created.error().message();
    ASSERT_TRUE(s->connection()
                    .execute("CREATE OR REPLACE TABLE tgt AS " + target_rows(seed, 0, 25) + " UNION ALL " +
                             target_rows(seed, 25, 45))
                    .ok());
    Expected e = oracle(clauses, on);
    std::string expected_sql = "SELECT * FROM (" + e.rows_sql + ")";
    ASSERT_TRUE(s->connection().execute("CREATE OR REPLACE TABLE expected AS " + e.rows_sql).ok())
        << e.rows_sql;
    for (bool dv : {true, false}) {
      SCOPED_TRACE(std::string(dv ? "dv" : "cow") + " seed " + std::to_string(seed) + ": " +
                   describe(clauses, on));
      TempTable dir;
      std::string root = dir.root() + "/t";
      auto options = table_options(dv, seed % 2 == 0);
      for (auto [lo, hi] : {std::pair{0, 25}, std::pair{25, 45}})
        ASSERT_TRUE(silt::ops::write_table(*s, root, target_rows(seed, lo, hi), options).ok());
      silt::ops::MergeOptions m;
      m.source_sql = "SELECT id, part, v, s FROM src";
      m.on = on;
      m.clauses = api_clauses(clauses);
      m.max_inline_dv_bytes = seed % 3 == 0 ? 0 : 64;  // DV files as well as inline DVs
      auto r = silt::ops::merge_into(*s, root, m);
      ASSERT_TRUE(r.ok()) << r.error().message();
      EXPECT_EQ(difference(*s, root, "SELECT * FROM expected"), "");
      EXPECT_EQ(r->rows_inserted, count(*s, e.inserted_sql));
      EXPECT_EQ(r->rows_updated, count(*s, e.updated_sql));
      EXPECT_EQ(r->rows_deleted, count(*s, e.deleted_sql));
      EXPECT_EQ(r->source_rows, 20);
      EXPECT_EQ(r->deletion_vectors, dv);
      if (!dv) EXPECT_EQ(r->dvs_added + r->dvs_updated, 0);
      if (r->committed) {
        EXPECT_EQ(commit_info(*s, root, r->version, "operation"), "MERGE");
        EXPECT_EQ(commit_info(*s, root, r->version, "operationMetrics.numTargetRowsInserted"),
                  std::to_string(r->rows_inserted));
      }
      cases++;
    }
  }
  EXPECT_EQ(cases, 200);
}

// --- pruning ---------------------------------------------------------------------------------

// Paths removed and added by a commit, read from the commit file with DuckDB.
std::vector<std::string> touched_paths(silt::Session& s, const std::string& root, int64_t version) {
  std::string file = root + "/_delta_log/" + TempTable::version_file(version);
  return sorted_rows(
      s, "SELECT coalesce(\"remove\".path, \"add\".path) FROM read_json_auto(" + silt::quote_literal(file) +
             ", format='newline_delimited') WHERE \"remove\" IS NOT NULL OR \"add\" IS NOT NULL");
}

TEST(MergePruning, OnePartitionAndOneKeyRangeAreAllThatIsTouched) {
  auto s = open_session();
  for (bool dv : {true, false}) {
    TempTable dir;
    std::string root = dir.root() + "/t";
    // Four partitions, and within each four appends of disjoint id ranges.
    for (int k = 0; k < 4; k++) {
      std::string sql =
          "SELECT i::BIGINT AS id, ['a','b','c','d'][1 + i % 4] AS part, (i % 10)::INTEGER AS v, 's' AS s "
          "FROM range(" +
          std::to_string(k * 100) + ", " + std::to_string(k * 100 + 100) + ") r(i)";
      ASSERT_TRUE(silt::ops::write_table(*s, root, sql, table_options(dv, true)).ok());
    }
    auto before = live_files(*s, root);
    ASSERT_EQ(before.size(), 16u);
    // Source keys 104..190 lie in the second append only; ON limits the target to part 'a'.
    silt::ops::MergeOptions m;
    m.source_sql = "SELECT i::BIGINT AS id, 'a' AS part, 99 AS v, 'new' AS s FROM range(104, 191, 4) r(i)";
    m.on = "t.id = s.id AND t.part = 'a'";
    m.clauses = {{Kind::MatchedUpdate, "", {{"v", "s.v"}}, false}};
    auto r = silt::ops::merge_into(*s, root, m);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->files_scanned, 1);
    EXPECT_EQ(r->rows_updated, 22);
    // The only existing file the commit names is the part=a file of ids 100..199.
    std::string expected_file;
    for (const auto& [path, f] : before) {
      if (path.find("part=a") != std::string::npos &&
          f.stats.find("\"minValues\":{\"id\":100") != std::string::npos)
        expected_file = path;
    }
    ASSERT_FALSE(expected_file.empty());
    for (const auto& p : touched_paths(*s, root, r->version)) {
      if (before.count(p)) EXPECT_EQ(p, expected_file);
      EXPECT_NE(p.find("part=a"), std::string::npos) << p;
    }
    auto plan = s->scan(root);
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(count(*s, "SELECT count(*) FROM " + plan->sql + " AS x WHERE v = 99 AND s = 's'"), 22);
  }
}

// --- errors ----------------------------------------------------------------------------------

int64_t version_of(silt::Session& s, const std::string& root) {
  auto snap = s.snapshot(root);
  return snap.ok() ? snap->version() : -1;
}

// A small table: ids 1..3, v = 10 * id.
std::string small_table(silt::Session& s, const TempTable& dir) {
  std::string root = dir.root() + "/t";
  EXPECT_TRUE(silt::ops::write_table(
                  s, root,
                  "SELECT i::BIGINT AS id, NULL::VARCHAR AS part, (10 * i)::INTEGER AS v, 'x' AS s "
                  "FROM range(1, 4) r(i)",
                  {})
                  .ok());
  return root;
}

silt::ops::MergeOptions upsert(const std::string& source) {
  silt::ops::MergeOptions m;
  m.source_sql = source;
  m.on = "t.id = s.id";
  m.clauses = {{Kind::MatchedUpdate, "", {{"v", "s.v"}}, false}, {Kind::NotMatchedInsert, "", {}, true}};
  return m;
}

// The error message of a MERGE that must fail and leave the table at its version.
std::string failed_merge(silt::Session& s, const std::string& root, const silt::ops::MergeOptions& m) {
  int64_t before = version_of(s, root);
  auto r = silt::ops::merge_into(s, root, m);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(version_of(s, root), before);
  return r.ok() ? "" : r.error().message();
}

TEST(MergeErrors, MultipleSourceRowsForOneTargetRow) {
  auto s = open_session();
  TempTable dir;
  std::string root = small_table(*s, dir);
  std::string dup =
      "SELECT * FROM (VALUES (1::BIGINT, NULL::VARCHAR, 5, 'a'), (1, NULL, 6, 'b'), (2, NULL, 7, 'c')) "
      "AS v(id, part, v, s)";
  std::string e = failed_merge(*s, root, upsert(dup));
  EXPECT_NE(e.find("multiple source rows matched the same target row"), std::string::npos) << e;
  EXPECT_NE(e.find("t.id = 1"), std::string::npos) << e;
  EXPECT_EQ(e.find("t.id = 2"), std::string::npos) << e;
  // A sole unconditional DELETE is unambiguous: ids 1 and 2 go.
  silt::ops::MergeOptions del = upsert(dup);
  del.clauses = {{Kind::MatchedDelete, "", {}, false}};
  auto r = silt::ops::merge_into(*s, root, del);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->rows_deleted, 2);
  auto plan = s->scan(root);
  EXPECT_EQ(sorted_rows(*s, "SELECT id FROM " + plan->sql + " AS x"), std::vector<std::string>{"3"});
}

TEST(MergeErrors, BadInputIsOneLineNamingItAndChangesNothing) {
  auto s = open_session();
  TempTable dir;
  std::string root = small_table(*s, dir);
  std::string good = "SELECT 2::BIGINT AS id, 'p' AS part, 7 AS v, 'y' AS s";
  auto m = upsert(good);
  m.clauses[0].values = {{"nope", "s.v"}};
  EXPECT_NE(failed_merge(*s, root, m).find("nope: the table has no such column"), std::string::npos);
  m = upsert(good);
  m.clauses[0].values = {{"v", "s.zzz"}};
  EXPECT_NE(failed_merge(*s, root, m).find("v = s.zzz"), std::string::npos);
  EXPECT_NE(failed_merge(*s, root, upsert("SELECT * FROM missing_table")).find("missing_table"),
            std::string::npos);
  m = upsert(good);
  m.on = "t.id = s.id AND t.id IN (SELECT x FROM missing_table)";
  EXPECT_NE(failed_merge(*s, root, m).find("missing_table"), std::string::npos);
  m = upsert(good);
  m.on = "t.id = s.nokey";
  EXPECT_NE(failed_merge(*s, root, m).find("ON t.id = s.nokey"), std::string::npos);
  EXPECT_NE(
      failed_merge(*s, root, upsert("SELECT 2::BIGINT AS id, 'p' AS part, 7 AS v, 'y' AS s, 1 AS extra"))
          .find("source column extra is not in the target table"),
      std::string::npos);
  EXPECT_NE(failed_merge(*s, root, upsert("SELECT 2::BIGINT AS id, 7 AS v, 'y' AS s")).find("no column part"),
            std::string::npos);
  m = upsert(good);
  m.clauses[1] = {Kind::NotMatchedInsert, "t.v > 1", {}, true};  // t is not visible to inserts
  EXPECT_NE(failed_merge(*s, root, m).find("WHEN NOT MATCHED AND t.v > 1"), std::string::npos);
  m = upsert(good);
  m.clauses[0].values = {{"v", "'not a number'"}};
  EXPECT_NE(failed_merge(*s, root, m).find("MERGE"), std::string::npos);
  m.clauses.clear();
  EXPECT_NE(failed_merge(*s, root, m).find("at least one WHEN clause"), std::string::npos);
  for (const auto& e : {failed_merge(*s, root, upsert("SELECT * FROM missing_table"))})
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

// The source runs once: with random() in it, the rows deleted (matched) and inserted (not
// matched) are one consistent set, whatever it is.
TEST(MergeErrors, NonDeterministicSourceIsMaterializedOnce) {
  auto s = open_session();
  TempTable dir;
  std::string root = dir.root() + "/t";
  ASSERT_TRUE(silt::ops::write_table(*s, root, "SELECT i::BIGINT AS id FROM range(20) r(i)", {}).ok());
  silt::ops::MergeOptions m;
  m.source_sql = "SELECT id FROM range(40) r(id) WHERE random() < 0.5";
  m.on = "t.id = s.id";
  m.clauses = {{Kind::MatchedDelete, "", {}, false}, {Kind::NotMatchedInsert, "", {}, true}};
  auto r = silt::ops::merge_into(*s, root, m);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->rows_deleted + r->rows_inserted, r->source_rows);
  auto plan = s->scan(root);
  // Exactly one of "was in the target" and "was in the source" holds for every id left.
  EXPECT_EQ(count(*s, "SELECT count(*) FROM " + plan->sql + " AS x"),
            20 - r->rows_deleted + r->rows_inserted);
  EXPECT_EQ(count(*s, "SELECT count(*) FROM " + plan->sql + " AS x WHERE id >= 20"), r->rows_inserted);
}

// --- concurrency -----------------------------------------------------------------------------

// Four processes MERGE into their own key range (one file each) while a fifth appends keys
// outside every range: nothing any of them read changes, so every commit succeeds, and the table
// is what a serial replay gives.
TEST(MergeConcurrency, DisjointKeyRangesAndOutsideAppendsAllCommit) {
  TempTable dir;
  std::string root = dir.root() + "/t";
  for (int w = 0; w < 4; w++) {
    auto r = run_silt({"write", root, "--sql",
                       "SELECT (2 * i)::BIGINT AS id, 0 AS v FROM range(" + std::to_string(w * 50) + ", " +
                           std::to_string(w * 50 + 50) + ") r(i)"});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < 4; w++) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 4; i++) {
        // Updates ids base+20i .. +8 (even, present) and inserts the odd ids between them.
        int base = w * 100 + 20 * i;
        auto r = run_silt(
            {"merge", root, "--source",
             "SELECT (" + std::to_string(base) + " + i)::BIGINT AS id, 1 AS v FROM range(9) r(i)", "--on",
             "t.id = s.id", "--when-matched-update", "v = t.v + s.v", "--when-not-matched-insert-all"});
        if (r.code != 0) failures++, ADD_FAILURE() << r.err;
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 6; i++) {
      auto r = run_silt(
          {"write", root, "--sql", "SELECT (10000 + " + std::to_string(i) + ")::BIGINT AS id, 5 AS v"});
      if (r.code != 0) failures++, ADD_FAILURE() << r.err;
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  auto s = open_session();
  auto plan = s->scan(root);
  ASSERT_TRUE(plan.ok());
  // 200 even ids; per merge 5 even ids updated to 1 and 4 odd ids inserted with 1; 6 appends.
  EXPECT_EQ(sorted_rows(*s, "SELECT count(*), sum(v), count(DISTINCT id) FROM " + plan->sql + " AS x"),
            std::vector<std::string>{std::to_string(200 + 16 * 4 + 6) + "|" + std::to_string(16 * 9 + 30) +
                                     "|" + std::to_string(200 + 16 * 4 + 6)});
}

// A MERGE racing an append of rows it would have matched must not commit over it: either it
// committed first (and the append is in the table as appended) or it fails with a conflict.
TEST(MergeConcurrency, AppendIntoTheReadKeyRangeIsNeverLost) {
  TempTable dir;
  std::string root = dir.root() + "/t";
  ASSERT_EQ(run_silt({"write", root, "--sql", "SELECT i::BIGINT AS id, 0 AS v FROM range(100) r(i)"}).code,
            0);
  for (int round = 0; round < 3; round++) {
    silt::testing::Run merged, appended;
    std::thread a([&] {
      merged = run_silt({"merge", root, "--source", "SELECT i::BIGINT AS id FROM range(0, 1000) r(i)", "--on",
                         "t.id = s.id", "--when-matched-delete"});
    });
    std::thread b([&] {
      appended = run_silt(
          {"write", root, "--sql", "SELECT (500 + " + std::to_string(round) + ")::BIGINT AS id, 1 AS v"});
    });
    a.join();
    b.join();
    ASSERT_EQ(appended.code, 0) << appended.err;
    if (merged.code != 0) EXPECT_NE(merged.err.find("concurrent commit"), std::string::npos) << merged.err;
    auto s = open_session();
    auto plan = s->scan(root);
    // The appended row is gone only if the MERGE committed having read it; a MERGE that commits
    // deletes every old row.
    int64_t left =
        count(*s, "SELECT count(*) FROM " + plan->sql + " AS x WHERE id = " + std::to_string(500 + round));
    EXPECT_TRUE(left == 1 || (left == 0 && merged.code == 0)) << left;
    if (merged.code == 0)
      EXPECT_EQ(count(*s, "SELECT count(*) FROM " + plan->sql + " AS x WHERE id < 100"), 0);
  }
}

// --- CLI -------------------------------------------------------------------------------------

TEST(MergeCli, ClausesInCommandLineOrderAndOneLineReports) {
  TempTable dir;
  std::string root = dir.root() + "/t", src = dir.root() + "/src";
  ASSERT_EQ(
      run_silt({"write", root, "--sql", "SELECT i::BIGINT AS id, (10 * i)::INTEGER AS v FROM range(6) r(i)"})
          .code,
      0);
  ASSERT_EQ(
      run_silt({"write", src, "--sql", "SELECT i::BIGINT AS id, i::INTEGER AS v FROM range(3, 9) r(i)"}).code,
      0);
  // Matched 3, 4, 5: 4 is deleted by the first clause; 3 and 5 get v = s.v + 100. Not matched 6..8:
  // 8 is inserted by the conditional insert with v = 0, 6 and 7 by insert-all. Not matched by
  // source 0..2: 0 is deleted.
  auto r = run_silt({"merge", root, "--source-table", src, "--on", "t.id = s.id", "--when-matched-delete",
                     "AND s.id = 4", "--when-matched-update", "v = s.v + 100", "--when-not-matched-insert",
                     "AND s.id = 8 THEN (id, v) VALUES (s.id, 0)", "--when-not-matched-insert-all",
                     "--when-not-matched-by-source-delete", "AND t.id = 0"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(
      r.out.starts_with("committed version 1 of " + root + ": 3 row(s) inserted, 2 updated, 2 deleted, "))
      << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
  r = run_silt({"query", "SELECT id, v FROM delta_scan('" + root + "') ORDER BY id", "--format", "csv"});
  EXPECT_EQ(r.out, "id,v\n1,10\n2,20\n3,103\n5,105\n6,6\n7,7\n8,0\n");
  // Spark's operationParameters: each a JSON document in a string, clauses in order.
  auto s = open_session();
  EXPECT_EQ(commit_info(*s, root, 1, "operationParameters.predicate"), "[\"t.id = s.id\"]");
  EXPECT_EQ(commit_info(*s, root, 1, "operationParameters.matchedPredicates"),
            "[{\"predicate\":\"s.id = 4\",\"actionType\":\"delete\"},{\"actionType\":\"update\"}]");
  EXPECT_EQ(commit_info(*s, root, 1, "operationParameters.notMatchedPredicates"),
            "[{\"predicate\":\"s.id = 8\",\"actionType\":\"insert\"},{\"actionType\":\"insert\"}]");
  EXPECT_EQ(commit_info(*s, root, 1, "operationParameters.notMatchedBySourcePredicates"),
            "[{\"predicate\":\"t.id = 0\",\"actionType\":\"delete\"}]");
  EXPECT_EQ(commit_info(*s, root, 1, "operationMetrics.numSourceRows"), "6");
  EXPECT_EQ(commit_info(*s, root, 1, "operationMetrics.numTargetRowsMatchedDeleted"), "1");
  EXPECT_EQ(commit_info(*s, root, 1, "operationMetrics.numTargetRowsNotMatchedBySourceDeleted"), "1");
  EXPECT_EQ(commit_info(*s, root, 1, "operationMetrics.numTargetRowsUpdated"), "2");
  EXPECT_EQ(commit_info(*s, root, 1, "operationMetrics.numTargetDeletionVectorsAdded"), "1");
  r = run_silt({"merge", root, "--source", "SELECT 1 AS id", "--on", "t.id = s.id", "--when-matched-update",
                "nope = 1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.err.starts_with("error: ")) << r.err;
  EXPECT_NE(r.err.find("nope"), std::string::npos);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  r = run_silt({"merge", root, "--source", "SELECT 1 AS id", "--on", "t.id = s.id",
                "--when-not-matched-insert", "id = 1"});
  EXPECT_NE(r.err.find("(columns) VALUES (values)"), std::string::npos) << r.err;
  r = run_silt(
      {"merge", root, "--source", "SELECT 100 AS id", "--on", "t.id = s.id", "--when-matched-delete"});
  EXPECT_EQ(r.out, "no rows changed: nothing committed (" + root + " stays at version 1)\n");
}

// The SQL statement in `silt query` runs the same MERGE as the CLI clauses above; other MERGEs are
// DuckDB's own.
TEST(MergeCli, MergeIntoStatementInQuery) {
  TempTable dir;
  std::string root = dir.root() + "/t";
  ASSERT_EQ(
      run_silt({"write", root, "--sql", "SELECT i::BIGINT AS id, (10 * i)::INTEGER AS v FROM range(6) r(i)"})
          .code,
      0);
  auto r = run_silt(
      {"query",
       "merge into delta_table('" + root +
           "') as t using (SELECT i::BIGINT AS id, i::INTEGER AS v FROM range(3, 9) r(i)) AS s ON t.id = "
           "s.id WHEN MATCHED AND s.id = 4 THEN DELETE WHEN MATCHED THEN UPDATE SET v = CASE WHEN s.v > 4 "
           "THEN s.v + 100 ELSE s.v END WHEN NOT MATCHED BY TARGET AND s.id = 8 THEN INSERT (id, v) VALUES "
           "(s.id, 0) WHEN NOT MATCHED THEN INSERT * WHEN NOT MATCHED BY SOURCE AND t.id = 0 THEN DELETE; "
           "SELECT id, v FROM delta_scan('" +
           root + "') ORDER BY id",
       "--format", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "committed version 1 of " + root +
                       ": 3 row(s) inserted, 2 updated, 2 deleted, 1 deletion vector(s) written, 1 file(s) "
                       "added\nid,v\n1,10\n2,20\n3,3\n5,105\n6,6\n7,7\n8,0\n");
  for (const auto& [sql, error] : std::vector<std::pair<std::string, std::string>>{
           {"MERGE INTO delta_table('" + root + "') AS x USING t2 AS s ON true WHEN MATCHED THEN DELETE",
            "AS t"},
           {"MERGE INTO delta_table('" + root + "') AS t USING t2 ON true WHEN MATCHED THEN DELETE", "AS s"},
           {"MERGE INTO delta_table('" + root + "') AS t USING t2 AS s ON true WHEN MATCHED THEN INSERT *",
            "not an action"},
           {"MERGE INTO delta_table('" + root + "') AS t USING t2 AS s ON true WHEN MATCHED DELETE",
            "THEN"}}) {
    r = run_silt({"query", sql});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find(error), std::string::npos) << r.err;
  }
  r = run_silt({"query",
                "CREATE TABLE d (a INT); MERGE INTO d USING (SELECT 1 AS a) AS s ON d.a = s.a WHEN NOT "
                "MATCHED THEN INSERT VALUES (s.a); SELECT * FROM d",
                "--format", "csv"});
  EXPECT_EQ(r.out, "a\n1\n") << r.err;
}

// --- deletion vectors by default -------------------------------------------------------------

std::vector<std::string> protocol_line(silt::Session& s, const std::string& root) {
  std::string file = root + "/_delta_log/" + TempTable::version_file(0);
  auto has_dv = [](const std::string& list) {
    return "json_extract(json, '$.protocol." + list + "')::VARCHAR LIKE '%\"deletionVectors\"%'";
  };
  return silt::testing::text_rows(s,
                                  "SELECT json_extract_string(json, '$.protocol.minReaderVersion'), "
                                  "json_extract_string(json, '$.protocol.minWriterVersion'), " +
                                      has_dv("readerFeatures") + ", " + has_dv("writerFeatures") +
                                      " FROM read_json_objects(" + silt::quote_literal(file) +
                                      ") WHERE json_extract(json, '$.protocol') IS NOT NULL");
}

TEST(DeletionVectorsByDefault, CreatedTablesHaveThemUnlessOptedOut) {
  TempTable dir;
  auto s = open_session();
  std::string created = dir.root() + "/created", written = dir.root() + "/written", off = dir.root() + "/off";
  ASSERT_EQ(run_silt({"create", created, "--schema", "id BIGINT"}).code, 0);
  ASSERT_EQ(run_silt({"write", written, "--sql", "SELECT 1 AS id"}).code, 0);
  ASSERT_EQ(
      run_silt({"write", off, "--sql", "SELECT 1 AS id", "--property", "delta.enableDeletionVectors=false"})
          .code,
      0);
  for (const auto& root : {created, written}) {
    EXPECT_EQ(protocol_line(*s, root), std::vector<std::string>{"3|7|true|true"}) << root;
    EXPECT_EQ(commit_info(*s, root, 0, "operation") != "", true);
    auto snap = s->snapshot(root);
    EXPECT_EQ(snap->metadata().configuration.at("delta.enableDeletionVectors"), "true");
  }
  EXPECT_EQ(protocol_line(*s, off), std::vector<std::string>{"1|2|NULL|NULL"});
}

// A DELETE on a default table writes a DV file; its bytes follow PROTOCOL.md ("Deletion Vector
// Format": version byte 1, then per DV a big-endian size, the magic 1681511377 little-endian,
// the portable roaring bitmap, a CRC) and name exactly the deleted rows' positions, as
// read_parquet numbers them.
TEST(DeletionVectorsByDefault, DvFilesDecodeToTheDeletedPositions) {
  TempTable dir;
  auto s = open_session();
  std::string root = dir.root() + "/t";
  ASSERT_EQ(run_silt({"write", root, "--sql", "SELECT i::BIGINT AS id FROM range(5000) r(i)"}).code, 0);
  silt::ops::DmlOptions o;
  o.where = "id % 7 = 0 OR id BETWEEN 100 AND 180";
  o.max_inline_dv_bytes = 0;
  auto r = silt::ops::delete_rows(*s, root, o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->dvs_added, 1);
  auto files = live_files(*s, root);
  ASSERT_EQ(files.size(), 1u);
  const auto& add = files.begin()->second;
  ASSERT_TRUE(add.deletion_vector);
  EXPECT_EQ(add.deletion_vector->storage_type, 'u');
  std::string dv_file;
  for (const auto& e : std::filesystem::directory_iterator(root))
    if (e.path().filename().string().starts_with("deletion_vector_")) dv_file = e.path();
  ASSERT_FALSE(dv_file.empty());
  std::ifstream in(dv_file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 9u);
  EXPECT_EQ(bytes[0], 1);
  size_t at = size_t(*add.deletion_vector->offset);
  auto u8 = [&](size_t i) { return uint32_t(uint8_t(bytes.at(i))); };
  uint32_t size = u8(at) << 24 | u8(at + 1) << 16 | u8(at + 2) << 8 | u8(at + 3);
  EXPECT_EQ(int32_t(size), add.deletion_vector->size_in_bytes);
  uint32_t magic = u8(at + 4) | u8(at + 5) << 8 | u8(at + 6) << 16 | u8(at + 7) << 24;
  EXPECT_EQ(magic, 1681511377u);
  auto dv = silt::delta::DeletionVector::decode(std::string_view(bytes).substr(at + 4, size));
  ASSERT_TRUE(dv.ok()) << dv.error().message();
  std::vector<std::string> got;
  for (uint64_t row : dv->rows()) got.push_back(std::to_string(row));
  std::sort(got.begin(), got.end());
  auto path = silt::resolve_log_path(root, add.path);
  auto want = sorted_rows(*s, "SELECT file_row_number FROM read_parquet(" + silt::quote_literal(*path) +
                                  ", file_row_number = true) WHERE id % 7 = 0 OR id BETWEEN 100 AND 180");
  EXPECT_EQ(got, want);
  EXPECT_EQ(add.deletion_vector->cardinality, int64_t(want.size()));
  auto plan = s->scan(root);
  EXPECT_EQ(count(*s, "SELECT count(*) FROM " + plan->sql + " AS x"), 5000 - int64_t(want.size()));
}

}  // namespace
