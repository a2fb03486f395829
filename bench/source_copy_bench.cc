// The source readers' copy into DuckDB timed on its own, without the pipeline around it: one
// SQLite table (e.g. the clinic demo's billing at bench/data/demo_<rows>/clinic.db) copied with
// sources::copy_query into a DuckDB temp table of a fresh in-memory database, `runs` times.
// Prints each run's wall and CPU time (this process, user + system) and rows/s, then the medians.
// Usage: source_copy_bench SQLITE_DB TABLE [runs=3] [memory_mb]
// memory_mb, when given, caps DuckDB's memory as a pipeline run's defaults.memory_mb does.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "duckdb/engine.h"
#include "must.h"
#include "sources/source.h"

namespace {

double cpu_ms() {
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000.0 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000.0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: source_copy_bench SQLITE_DB TABLE [runs=3] [memory_mb]\n";
    return 2;
  }
  std::string path = argv[1], table = argv[2];
  int runs = argc > 3 ? std::atoi(argv[3]) : 3;
  silt::sources::SourceConfig source{"bench", "sqlite", {{"path", path}}};
  std::string query = silt::sources::table_query(source, table);
  std::vector<double> wall, cpu;
  for (int i = 0; i < runs; i++) {
    // A fresh database per run, so no run pays for the previous one's table.
    auto db = must(silt::db::Database::open_in_memory(), "open DuckDB");
    auto conn = must(silt::db::Connection::open(db), "connect");
    if (argc > 4) {
      auto st = conn.execute("SET memory_limit = '" + std::string(argv[4]) + "MB'");
      if (!st.ok()) return std::cerr << st.error().message() << "\n", 1;
    }
    double cpu0 = cpu_ms();
    auto start = std::chrono::steady_clock::now();
    int64_t rows = must(silt::sources::copy_query(source, query, conn, "copied"), "copy");
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    wall.push_back(ms);
    cpu.push_back(cpu_ms() - cpu0);
    std::printf("run %d: %lld rows, wall %.0f ms, cpu %.0f ms, %.2f M rows/s\n", i + 1, (long long)rows, ms,
                cpu.back(), rows / ms / 1000.0);
    std::fflush(stdout);
  }
  std::printf("median of %d: wall %.0f ms, cpu %.0f ms\n", runs, median(wall), median(cpu));
  return 0;
}
