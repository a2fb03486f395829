// OPTIMIZE benchmark. Builds two tables under bench/data/optimize/ (rebuilt on every run, since
// optimize changes them): (1) a few million rows of random (x, y) in about 100 appended files, timed
// for thin range queries on x and on y (files scanned and wall time) before and after
// `silt optimize --zorder-by x,y`; (2) 1000 small appends, timed for a count/sum query and a
// snapshot load (`silt describe`) before and after bin-packing `silt optimize`. Tables are written
// in-process; every measured command is a `silt` child process, as a user runs it.
// Usage: optimize_bench SILT_BINARY [runs] [zorder_rows]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include "ops/write.h"
#include "ops/zorder.h"
#include "process_timing.h"
#include "scan/session.h"

namespace fs = std::filesystem;
using silt::bench::median_ms;
using silt::bench::run_process;
using silt::bench::Timing;

namespace {

template <class T>
void check(const silt::Result<T>& r, const std::string& what) {
  if (r.ok()) return;
  std::cerr << what << ": " << r.error().message() << "\n";
  std::exit(1);
}

// `files` appends of `rows_per_file` rows: id, random x and y in [0, 1e6), a payload string.
void make_table(silt::Session& s, const std::string& root, int files, int64_t rows_per_file) {
  for (int k = 0; k < files; k++) {
    int64_t lo = k * rows_per_file, hi = lo + rows_per_file;
    std::string sql =
        "SELECT i AS id, (hash(i, 1) % 1000000)::BIGINT AS x, (hash(i, 2) % 1000000)::BIGINT AS y, "
        "'p' || (i % 1000) AS payload FROM range(" +
        std::to_string(lo) + ", " + std::to_string(hi) + ") r(i)";
    auto w = silt::ops::write_table(s, root, sql, {});
    check(w, "write " + root);
  }
}

struct Scan {
  Timing time;
  int files_read = 0, files_total = 0;
};

// A query's median time, and the files its delta_scan read (from `silt query --verbose`).
Scan scan(const std::string& silt, const std::string& sql, int runs, const fs::path& scratch) {
  Scan out;
  out.time = median_ms({silt, "query", sql}, runs);
  std::string err = (scratch / "stderr.txt").string();
  run_process({silt, "query", "--verbose", sql}, err);
  std::ifstream in(err);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::smatch m;
  if (std::regex_search(text, m, std::regex(R"((\d+) of (\d+) files)"))) {
    out.files_read = std::stoi(m[1]);
    out.files_total = std::stoi(m[2]);
  }
  return out;
}

void print_scan(const char* what, const Scan& before, const Scan& after) {
  std::printf("%-28s %5d/%-5d -> %5d/%-5d files   %8.1f -> %8.1f ms  (x%.2f)\n", what, before.files_read,
              before.files_total, after.files_read, after.files_total, before.time.wall_ms,
              after.time.wall_ms, before.time.wall_ms / after.time.wall_ms);
}

// Median wall time of a query run in this process.
double in_process_ms(silt::Session& s, const std::string& sql, int runs) {
  std::vector<double> ms;
  for (int i = 0; i < runs; i++) {
    auto start = std::chrono::steady_clock::now();
    check(s.connection().scalar(sql), "query");
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

int64_t table_bytes(const fs::path& root) {
  int64_t n = 0;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_regular_file()) n += int64_t(e.file_size());
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: optimize_bench SILT_BINARY [runs] [zorder_rows]\n";
    return 2;
  }
  std::string silt = argv[1];
  int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  int64_t zorder_rows = argc > 3 ? std::atoll(argv[3]) : 3'000'000;
  fs::path data = fs::path(SILT_SOURCE_DIR) / "bench" / "data" / "optimize";
  fs::remove_all(data);
  fs::create_directories(data);
  auto session = silt::Session::open();
  check(session, "session");
  silt::Session& s = **session;

  // --- Z-order -------------------------------------------------------------------------------
  std::string zt = (data / "zorder").string();
  make_table(s, zt, 100, zorder_rows / 100);
  int64_t bytes = table_bytes(zt);
  std::string target = std::to_string(bytes / 64);  // about 64 files after optimize
  std::vector<std::pair<const char*, std::string>> queries = {
      {"x in 1% range",
       "SELECT count(*), sum(y) FROM delta_scan('" + zt + "') WHERE x BETWEEN 420000 AND 430000"},
      {"y in 1% range",
       "SELECT count(*), sum(x) FROM delta_scan('" + zt + "') WHERE y BETWEEN 610000 AND 620000"},
      {"x and y in 1% ranges", "SELECT count(*) FROM delta_scan('" + zt +
                                   "') WHERE x BETWEEN 420000 AND 430000 AND y BETWEEN 610000 AND 620000"},
      {"x = point", "SELECT count(*) FROM delta_scan('" + zt + "') WHERE x = 123456"},
  };
  // The Z-order key's bit interleaving in SQL against the C++ scalar function, next to the rank
  // sorts both share (in-process, same data).
  auto plan = s.scan(zt);
  check(plan, "scan " + zt);
  check(silt::ops::register_zorder_key_function(s.connection()), "register silt_zorder_key");
  std::string ranks =
      "SELECT sum(r0 + r1) FROM (SELECT (rank() OVER (ORDER BY x) - 1) * 1048576 // count(*) OVER () AS r0, "
      "(rank() OVER (ORDER BY y) - 1) * 1048576 // count(*) OVER () AS r1 FROM " +
      plan->sql + ")";
  auto key_ms = [&](silt::ops::ZOrderKeyMethod method) {
    auto keyed = silt::ops::zorder_keyed(plan->sql, {"x", "y"}, method);
    check(keyed, "z-order key");
    return in_process_ms(s, "SELECT sum(" + std::string(silt::ops::kZOrderKey) + ") FROM (" + *keyed + ")",
                         runs);
  };
  double ranks_ms = in_process_ms(s, ranks, runs);
  double sql_ms = key_ms(silt::ops::ZOrderKeyMethod::Sql);
  double function_ms = key_ms(silt::ops::ZOrderKeyMethod::Function);
  std::printf(
      "Z-order key over %lld rows: ranks only %.0f ms; ranks + SQL bit terms %.0f ms; ranks + C++ "
      "silt_zorder_key %.0f ms\n",
      static_cast<long long>(zorder_rows), ranks_ms, sql_ms, function_ms);

  std::vector<Scan> before;
  for (const auto& [what, sql] : queries) before.push_back(scan(silt, sql, runs, data));
  Timing zorder = run_process({silt, "optimize", zt, "--zorder-by", "x,y", "--target-size", target});
  std::printf(
      "Z-order: %lld rows in 100 files (%.1f MB); optimize --zorder-by x,y --target-size %s: %.0f ms wall, "
      "%.0f ms CPU\n",
      static_cast<long long>(zorder_rows), bytes / 1048576.0, target.c_str(), zorder.wall_ms, zorder.cpu_ms);
  for (size_t i = 0; i < queries.size(); i++)
    print_scan(queries[i].first, before[i], scan(silt, queries[i].second, runs, data));

  // --- compaction ----------------------------------------------------------------------------
  std::string ct = (data / "compaction").string();
  make_table(s, ct, 1000, 1000);
  std::string q = "SELECT count(*), sum(x), sum(y) FROM delta_scan('" + ct + "')";
  Timing query_before = median_ms({silt, "query", q}, runs);
  Timing load_before = median_ms({silt, "describe", ct}, runs);
  Timing compact = run_process({silt, "optimize", ct});
  Timing query_after = median_ms({silt, "query", q}, runs);
  Timing load_after = median_ms({silt, "describe", ct}, runs);
  Timing again = run_process({silt, "optimize", ct});
  std::printf(
      "Compaction: 1000 appends of 1000 rows; optimize: %.0f ms wall, %.0f ms CPU; second optimize "
      "(nothing to do): %.0f ms\n",
      compact.wall_ms, compact.cpu_ms, again.wall_ms);
  std::printf("%-28s %8.1f -> %8.1f ms  (x%.2f)\n", "count/sum query", query_before.wall_ms,
              query_after.wall_ms, query_before.wall_ms / query_after.wall_ms);
  std::printf("%-28s %8.1f -> %8.1f ms  (x%.2f)\n", "snapshot load (describe)", load_before.wall_ms,
              load_after.wall_ms, load_before.wall_ms / load_after.wall_ms);
  std::printf("median of %d runs of whole silt processes\n", runs);
  return 0;
}
