// Query cost of deletion vectors piling up (issue 5): a DV table of N rows (default 1M) in 10
// files gets 100 MERGEs, each upserting 0.1% of N (half updates of rows spread over the table,
// half new ids), done in-process. Then `silt query` (count/sum with a filter) and a snapshot load
// (`silt describe`) are timed as child processes, `silt optimize` is run, and the same two are
// timed again, in the same run; files and DVs are counted before and after.
// Usage: dv_query_bench SILT_BINARY [rows] [runs]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "ops/merge.h"
#include "ops/write.h"
#include "process_timing.h"
#include "scan/session.h"

namespace fs = std::filesystem;
using silt::bench::Timing;

namespace {

constexpr int kFiles = 10;
constexpr int kMerges = 100;

void die(const std::string& what, const silt::Error& e) {
  std::cerr << what << ": " << e.message() << "\n";
  std::exit(1);
}

std::string rows_sql(const std::string& ids) {
  return "SELECT i AS id, (i % 1000)::DOUBLE / 7 AS v, 'name-' || (i % 100000) AS name, DATE '2024-01-01' + "
         "(i % 365)::INTEGER AS day FROM (" +
         ids + ") r(i)";
}

// The base table, kFiles appends of consecutive ids, made once.
void make_table(silt::Session& s, const fs::path& root, int64_t rows) {
  if (fs::exists(root / "_delta_log")) return;
  silt::ops::WriteOptions o;
  o.properties["delta.enableDeletionVectors"] = "true";
  if (auto c = silt::ops::create_table(s, root.string(), "id BIGINT, v DOUBLE, name VARCHAR, day DATE", o);
      !c.ok())
    die("creating " + root.string(), c.error());
  for (int k = 0; k < kFiles; k++) {
    std::string range = "SELECT * FROM range(" + std::to_string(rows * k / kFiles) + ", " +
                        std::to_string(rows * (k + 1) / kFiles) + ")";
    if (auto w = silt::ops::write_table(s, root.string(), rows_sql(range), o); !w.ok())
      die("generating " + root.string(), w.error());
  }
}

// MERGE k: rows/2000 updates at scattered ids (a multiplicative walk, distinct within a MERGE)
// and rows/2000 inserts of new ids above the base range.
std::string merge_source(int64_t rows, int k) {
  int64_t half = std::max<int64_t>(1, rows / 2000);
  std::string updates = "SELECT (i * 7919 + " + std::to_string(int64_t(k) * 104729) + ") % " +
                        std::to_string(rows) + " FROM range(" + std::to_string(half) + ") t(i)";
  std::string inserts = "SELECT * FROM range(" + std::to_string(rows + k * half) + ", " +
                        std::to_string(rows + (k + 1) * half) + ")";
  return "SELECT id, -v AS v, 'changed' AS name, day FROM (" + rows_sql(updates) + ") UNION ALL " +
         rows_sql(inserts);
}

struct Layout {
  size_t files = 0, dvs = 0;
};

Layout layout(silt::Session& s, const fs::path& table) {
  auto snap = s.snapshot(table.string());
  if (!snap.ok()) die("snapshot", snap.error());
  Layout l;
  for (const auto& f : snap->files()) {
    l.files++;
    l.dvs += f.deletion_vector.has_value();
  }
  return l;
}

void row(const char* what, const Timing& before, const Timing& after) {
  std::printf("%-22s %10.1f %10.1f %10.1f %10.1f   x%.2f wall, x%.2f CPU\n", what, before.wall_ms,
              before.cpu_ms, after.wall_ms, after.cpu_ms, before.wall_ms / after.wall_ms,
              before.cpu_ms / after.cpu_ms);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: dv_query_bench SILT_BINARY [rows] [runs]\n";
    return 2;
  }
  std::string silt = fs::absolute(argv[1]).string();
  int64_t rows = argc > 2 ? std::atoll(argv[2]) : 1'000'000;
  int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 5;
  fs::path data = fs::path(SILT_SOURCE_DIR) / "bench" / "data" / ("dv_query_" + std::to_string(rows));
  fs::create_directories(data);
  auto session = silt::Session::open();
  if (!session.ok()) return 1;
  silt::Session& s = **session;
  make_table(s, data / "base", rows);
  fs::path table = data / "run";
  fs::remove_all(table);
  fs::copy(data / "base", table, fs::copy_options::recursive);

  auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < kMerges; k++) {
    silt::ops::MergeOptions m;
    m.source_sql = merge_source(rows, k);
    m.on = "t.id = s.id";
    m.clauses.push_back({silt::ops::MergeClause::Kind::MatchedUpdate, "", {}, true});
    m.clauses.push_back({silt::ops::MergeClause::Kind::NotMatchedInsert, "", {}, true});
    if (auto r = silt::ops::merge_into(s, table.string(), m); !r.ok())
      die("merge " + std::to_string(k), r.error());
  }
  double merge_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::string query = "SELECT count(*), sum(v), count(DISTINCT name) FROM delta_scan('" + table.string() +
                      "') WHERE day >= DATE '2024-04-01' AND v > 10";
  std::vector<std::string> q = {silt, "query", query}, load = {silt, "describe", table.string()};
  Layout l0 = layout(s, table);
  Timing q0 = silt::bench::median_ms(q, runs), d0 = silt::bench::median_ms(load, runs);
  Timing opt = silt::bench::run_process({silt, "optimize", table.string()});
  Layout l1 = layout(s, table);
  Timing q1 = silt::bench::median_ms(q, runs), d1 = silt::bench::median_ms(load, runs);

  std::printf("%lld rows in %d files, %d MERGEs of %lld rows each (in-process, %.1f s in all)\n",
              (long long)rows, kFiles, kMerges, (long long)(2 * std::max<int64_t>(1, rows / 2000)), merge_s);
  std::printf("before optimize: %zu files, %zu with DVs; after: %zu files, %zu with DVs\n", l0.files, l0.dvs,
              l1.files, l1.dvs);
  std::printf("optimize: %.0f ms wall, %.0f ms CPU, %.0f MiB peak RSS\n", opt.wall_ms, opt.cpu_ms,
              opt.max_rss_mib);
  std::printf("median of %d          %10s %10s %10s %10s   before/after\n", runs, "before ms", "CPU ms",
              "after ms", "CPU ms");
  row("count/sum query", q0, q1);
  row("snapshot load", d0, d1);
  return 0;
}
