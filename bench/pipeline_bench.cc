// Pipeline benchmark: a bronze -> silver (two siblings) -> gold project over a generated CSV of
// N orders under bench/data/pipeline/ (rebuilt each run), run through the library: a first full
// run, then an incremental run after 1% new rows arrive. Prints seconds and rows/s per asset.
// Usage: pipeline_bench [rows]   (default 2,000,000)
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "pipeline/project.h"
#include "pipeline/runner.h"

namespace fs = std::filesystem;
using silt::pipeline::AssetRun;

namespace {

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

bool generate(silt::Session& session, const fs::path& file, int64_t from, int64_t to) {
  auto st = session.connection().execute(
      "COPY (SELECT i AS id, i % 1000 AS customer_id, (i % 9973) / 7.0 AS amount, CASE WHEN i % 3 = 0 THEN "
      "'open' ELSE 'paid' END AS status, TIMESTAMP '2026-01-01' + INTERVAL (i) SECOND AS updated_at FROM "
      "range(" +
      std::to_string(from) + ", " + std::to_string(to) + ") t(i)) TO '" + file.string() + "'");
  if (!st.ok()) std::fprintf(stderr, "generate: %s\n", st.error().message().c_str());
  return st.ok();
}

bool run(silt::Session& session, const std::string& dir, const char* label) {
  auto project = silt::pipeline::load_project(dir);
  if (!project.ok()) return std::fprintf(stderr, "%s\n", project.error().message().c_str()), false;
  auto start = std::chrono::steady_clock::now();
  auto report = silt::pipeline::run_pipeline(session, *project, {});
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!report.ok()) return std::fprintf(stderr, "%s\n", report.error().message().c_str()), false;
  std::printf("%s: %.2f s wall for %zu assets\n", label, total, report->assets.size());
  for (const AssetRun& r : report->assets) {
    double s = (r.ended_ms - r.started_ms) / 1000.0;
    std::printf("  %-10s %-8s %9lld rows %6.2f s %10.0f rows/s\n", r.asset.c_str(), r.status.c_str(),
                static_cast<long long>(r.rows), s, s > 0 ? r.rows / s : 0.0);
  }
  return report->count("success") == report->assets.size();
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = argc > 1 ? std::stoll(argv[1]) : 2'000'000;
  fs::path dir = fs::path(SILT_SOURCE_DIR) / "bench/data/pipeline";
  fs::remove_all(dir);
  write(dir / "silt.toml", "lake = \"lake\"\n[sources.raw]\nkind = \"files\"\npath = \"data\"\n");
  write(dir / "assets/bronze/orders.sql",
        "-- source: raw.orders\n-- watermark: updated_at\n-- check: unique(id); not_null(id)\n");
  write(dir / "assets/silver/paid.sql",
        "-- check: accepted_values(status, 'open', 'paid')\nSELECT * FROM orders WHERE status = 'paid'\n");
  write(dir / "assets/silver/by_status.sql", "SELECT status, count(*) AS n FROM orders GROUP BY ALL\n");
  write(dir / "assets/gold/revenue.sql",
        "SELECT customer_id, sum(amount) AS revenue, count(*) AS n FROM paid GROUP BY ALL\n");
  fs::create_directories(dir / "data/orders");
  auto session = silt::Session::open();
  if (!session.ok()) return 1;
  std::printf("%lld orders in CSV\n", static_cast<long long>(rows));
  if (!generate(**session, dir / "data/orders/part-1.csv", 0, rows)) return 1;
  if (!run(**session, dir.string(), "full run")) return 1;
  if (!generate(**session, dir / "data/orders/part-2.csv", rows, rows + rows / 100)) return 1;
  if (!run(**session, dir.string(), "incremental run (+1%)")) return 1;
  return 0;
}
