// MERGE and DELETE benchmark (issue: MERGE INTO). Generates under bench/data/ (kept between
// runs) a table of N rows (default 10M) in 100 files, twice: with deletion vectors and without.
// Then, on fresh copies, times `silt merge` processes upserting 1% of N (half updates of rows
// spread over every file, half inserts) in DV and copy-on-write mode, against the floor: the same
// upsert done by rewriting the whole table with plain DuckDB SQL into parquet (`silt query` with
// COPY, no Delta). Wall time and the child's peak RSS come from wait4(). Last, a DV-mode DELETE of
// 0.1% of the rows: bytes it wrote (data, DV and log files) against the table's bytes.
// Each figure is the median (by wall time) of `runs` runs, each on a fresh copy.
// Usage: merge_bench SILT_BINARY [rows] [runs]
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "process_timing.h"
#include "ops/write.h"
#include "scan/session.h"

namespace fs = std::filesystem;
using ChildRun = silt::bench::Timing;
using silt::bench::run_process;

namespace {

constexpr int kFiles = 100;

std::string rows_sql(int64_t lo, int64_t hi) {
  return "SELECT i AS id, (i % 1000)::DOUBLE / 7 AS v, 'name-' || (i % 100000) AS name, DATE '2024-01-01' + "
         "(i % 365)::INTEGER AS day FROM range(" +
         std::to_string(lo) + ", " + std::to_string(hi) + ") r(i)";
}

// The table in kFiles appends of N / kFiles consecutive ids; skipped when already there.
void make_table(silt::Session& s, const fs::path& root, int64_t rows, bool dv) {
  if (fs::exists(root / "_delta_log")) return;
  silt::ops::WriteOptions o;
  o.properties["delta.enableDeletionVectors"] = dv ? "true" : "false";
  // Version 0 creates the table, so the appends end at version 100 with a checkpoint and the
  // measured commit (101) is not due one.
  if (auto c = silt::ops::create_table(s, root.string(), "id BIGINT, v DOUBLE, name VARCHAR, day DATE", o);
      !c.ok()) {
    std::cerr << "creating " << root << ": " << c.error().message() << "\n";
    std::exit(1);
  }
  for (int k = 0; k < kFiles; k++) {
    auto w =
        silt::ops::write_table(s, root.string(), rows_sql(rows * k / kFiles, rows * (k + 1) / kFiles), o);
    if (!w.ok()) {
      std::cerr << "generating " << root << ": " << w.error().message() << "\n";
      std::exit(1);
    }
  }
}

// The upsert source: 0.5% of ids updated (spread over every file), 0.5% new ids.
void make_source(silt::Session& s, const fs::path& file, int64_t rows) {
  if (fs::exists(file)) return;
  int64_t half = rows / 200;
  std::string sql = "COPY (SELECT id, -v AS v, 'changed' AS name, day FROM (" + rows_sql(0, rows) +
                    ") WHERE id % 200 = 7 UNION ALL SELECT id, v, 'new' AS name, day FROM (" +
                    rows_sql(rows, rows + half) + ")) TO '" + file.string() + "' (FORMAT parquet)";
  if (auto st = s.connection().execute(sql); !st.ok()) {
    std::cerr << "source: " << st.error().message() << "\n";
    std::exit(1);
  }
}

std::map<std::string, int64_t> files_under(const fs::path& dir) {
  std::map<std::string, int64_t> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[e.path().string()] = int64_t(e.file_size());
  return out;
}

fs::path fresh_copy(const fs::path& from, const fs::path& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
  return to;
}

// The run with the median wall time of `runs` runs of `args`, each after `prepare()`.
template <class Prepare>
ChildRun median_run(int runs, const std::vector<std::string>& args, Prepare prepare) {
  std::vector<ChildRun> all;
  for (int i = 0; i < runs; i++) {
    prepare();
    all.push_back(run_process(args));
  }
  std::sort(all.begin(), all.end(),
            [](const ChildRun& a, const ChildRun& b) { return a.wall_ms < b.wall_ms; });
  return all[all.size() / 2];
}

void row(const char* what, const ChildRun& r, const std::string& note = "") {
  std::printf("%-34s %10.0f %10.0f %10.0f  %s\n", what, r.wall_ms, r.cpu_ms, r.max_rss_mib, note.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: merge_bench SILT_BINARY [rows]\n";
    return 2;
  }
  std::string silt = fs::absolute(argv[1]).string();
  int64_t rows = argc > 2 ? std::atoll(argv[2]) : 10'000'000;
  int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
  fs::path data = fs::path(SILT_SOURCE_DIR) / "bench" / "data" / ("merge_" + std::to_string(rows));
  fs::create_directories(data);
  auto session = silt::Session::open();
  if (!session.ok()) return 1;
  std::cerr << "generating under " << data << " (once)\n";
  make_table(**session, data / "base_dv", rows, true);
  make_table(**session, data / "base_cow", rows, false);
  make_source(**session, data / "source.parquet", rows);
  std::string source = "SELECT * FROM read_parquet('" + (data / "source.parquet").string() + "')";

  std::printf("MERGE of %lld changed rows into %lld rows in %d files\n", (long long)(rows / 100),
              (long long)rows, kFiles);
  std::printf("%-34s %10s %10s %10s\n", "what", "wall ms", "CPU ms", "RSS MiB");
  std::vector<std::string> merge = {silt,
                                    "merge",
                                    "",
                                    "--source",
                                    source,
                                    "--on",
                                    "t.id = s.id",
                                    "--when-matched-update-all",
                                    "--when-not-matched-insert-all"};
  merge[2] = (data / "run_dv").string();
  ChildRun dv = median_run(runs, merge, [&] { fresh_copy(data / "base_dv", data / "run_dv"); });
  merge[2] = (data / "run_cow").string();
  ChildRun cow = median_run(runs, merge, [&] { fresh_copy(data / "base_cow", data / "run_cow"); });
  ChildRun floor = median_run(
      runs,
      {silt, "query",
       "COPY (SELECT coalesce(s.id, t.id) AS id, CASE WHEN s.id IS NULL THEN t.v ELSE s.v END AS v, CASE "
       "WHEN s.id "
       "IS NULL THEN t.name ELSE s.name END AS name, CASE WHEN s.id IS NULL THEN t.day ELSE s.day END AS day "
       "FROM "
       "read_parquet('" +
           (data / "base_cow").string() + "/*.parquet') AS t FULL OUTER JOIN read_parquet('" +
           (data / "source.parquet").string() + "') AS s ON t.id = s.id) TO '" + (data / "floor").string() +
           "' (FORMAT parquet, PER_THREAD_OUTPUT, COMPRESSION zstd); SELECT 1"},
      [&] { fs::remove_all(data / "floor"); });
  char ratio[96];
  std::snprintf(ratio, sizeof ratio, "%.3fx of floor wall, %.3fx CPU (goal < 0.2x, RSS < 1024)",
                dv.wall_ms / floor.wall_ms, dv.cpu_ms / floor.cpu_ms);
  row("merge, deletion vectors", dv, ratio);
  std::snprintf(ratio, sizeof ratio, "%.3fx of floor wall, %.3fx CPU", cow.wall_ms / floor.wall_ms,
                cow.cpu_ms / floor.cpu_ms);
  row("merge, copy-on-write", cow, ratio);
  row("floor: DuckDB full rewrite", floor, "baseline");

  // DELETE of 0.1% in DV mode: what it wrote against the table's size.
  fs::path del = fresh_copy(data / "base_dv", data / "run_delete");
  int64_t table_bytes = 0;
  for (const auto& e : fs::directory_iterator(del))
    if (e.path().extension() == ".parquet") table_bytes += int64_t(e.file_size());
  auto before = files_under(del);
  ChildRun d = run_process({silt, "delete", del.string(), "--where", "id % 1000 = 3"});
  int64_t written = 0;
  for (const auto& [path, size] : files_under(del))
    if (!before.count(path)) written += size;
  char note[128];
  std::snprintf(note, sizeof note, "wrote %lld of %lld table bytes = %.4f%% (goal < 1%%)", (long long)written,
                (long long)table_bytes, 100.0 * double(written) / double(table_bytes));
  row("delete 0.1%, deletion vectors", d, note);
  return 0;
}
