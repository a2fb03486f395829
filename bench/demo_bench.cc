// The clinic demo pipeline (examples/clinic, issue 6) timed end to end: its SQLite source is made
// by source/generate.sql with the billing row count substituted (once per size, kept under
// bench/data/demo_<rows>/), then `silt pipeline run` runs on a copy of the project as a child
// process (wall, CPU, peak RSS; per asset from the run history), against a baseline in the same
// run: the same transformations as plain DuckDB SQL writing parquet, in a child process (this
// program with --baseline), reading the source tables exported once to parquet (outside the
// timed region, since DuckDB cannot read SQLite here). Baseline bronze applies the same PII
// expressions (silt's functions) and no checks; silt's bronze reads SQLite and runs its checks.
// Usage: demo_bench SILT_BINARY [billing_rows=250000] [runs=3] [memory_mb]
// memory_mb, when given, goes into the copy's silt.toml as defaults.memory_mb.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "must.h"
#include "pii/anonymize.h"
#include "pipeline/asset_graph.h"
#include "pipeline/project.h"
#include "pipeline/run_history.h"
#include "process_timing.h"
#include "scan/session.h"
#include "sources/source.h"
#include "util/sql_text.h"

namespace fs = std::filesystem;
using silt::bench::Timing;
using silt::pipeline::Asset;
using silt::pipeline::Project;

namespace {

constexpr const char* kKey = "demo-bench-key";

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string on_path(const std::string& program) {
  std::stringstream path(getenv("PATH") ? getenv("PATH") : "/usr/bin");
  for (std::string dir; std::getline(path, dir, ':');)
    if (access((dir + "/" + program).c_str(), X_OK) == 0) return dir + "/" + program;
  std::cerr << program << " is not on PATH\n";
  std::exit(1);
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// The assets in an order that runs every upstream first.
std::vector<const Asset*> in_order(const Project& project) {
  std::set<std::string> all;
  for (const auto& a : project.assets) all.insert(a.name);
  std::vector<const Asset*> out;
  for (const auto& level : silt::pipeline::run_levels(project, all))
    for (const auto& name : level) out.push_back(project.find(name));
  return out;
}

// The child: every asset as one COPY ... TO parquet in one DuckDB, timings to stderr.
int run_baseline(const std::string& project_dir, const fs::path& source_dir, const fs::path& out) {
  Project project = must(silt::pipeline::load_project(project_dir), "project");
  auto session = must(silt::Session::open(), "session");
  auto& conn = session->connection();
  must(silt::pii::register_functions(conn, kKey), "pii functions");
  fs::create_directories(out);
  for (const Asset* a : in_order(project)) {
    auto start = std::chrono::steady_clock::now();
    auto parquet = [](const fs::path& p) {
      return "SELECT * FROM read_parquet(" + silt::quote_literal(p.string()) + ")";
    };
    for (const auto& up : a->upstream)
      must(conn.execute("CREATE OR REPLACE VIEW " + silt::quote_ident(up) + " AS " +
                        parquet(out / (up + ".parquet"))),
           up);
    if (!a->source.empty()) {
      std::string select = parquet(source_dir / (a->source.substr(a->source.find('.') + 1) + ".parquet"));
      if (!a->pii.empty()) {
        std::vector<std::pair<std::string, std::string>> columns;
        for (const auto& r : must(conn.query_text("DESCRIBE " + select), "describe"))
          columns.emplace_back(r[0].value_or(""), r[1].value_or(""));
        select = "SELECT " + must(silt::pii::anonymized_select_list(a->pii, columns), "pii") + " FROM (" +
                 select + ")";
      }
      must(conn.execute("CREATE OR REPLACE VIEW source AS " + select), "source view");
    }
    std::string body = a->sql.empty() ? "SELECT * FROM source" : a->sql;
    must(conn.execute("COPY (" + body + ") TO " +
                      silt::quote_literal((out / (a->name + ".parquet")).string()) + " (FORMAT parquet)"),
         a->name);
    std::fprintf(stderr, "%s %.3f\n", a->name.c_str(), ms_since(start));
  }
  return 0;
}

// Makes the SQLite source at `rows` billing rows and its parquet export; both kept once made.
void make_source(const fs::path& data, int64_t rows, const Project& project) {
  fs::path db = data / "clinic.db";
  if (!fs::exists(db)) {
    std::string sql = read_text(fs::path(SILT_SOURCE_DIR) / "examples/clinic/source/generate.sql");
    size_t at = sql.find("250000");
    if (at == std::string::npos || sql.find("250000", at + 1) != std::string::npos) {
      std::cerr << "generate.sql no longer has exactly one 250000 literal to scale\n";
      std::exit(1);
    }
    sql.replace(at, 6, std::to_string(rows));
    std::ofstream(data / "generate.sql") << sql;
    std::cerr << "generating " << db << " (once)\n";
    silt::bench::run_process(
        {on_path("sqlite3"), (data / "clinic.db.tmp").string(), ".read " + (data / "generate.sql").string()});
    fs::rename(data / "clinic.db.tmp", db);
  }
  fs::path out = data / "source";
  if (fs::exists(out / "done")) return;
  std::cerr << "exporting the source to parquet (once)\n";
  fs::create_directories(out);
  auto session = must(silt::Session::open(), "session");
  for (const auto& [name, def] : project.config.sources) {
    silt::sources::SourceConfig config{def.name, def.kind, def.settings};
    config.settings["path"] = db.string();
    for (const auto& a : project.assets) {
      if (a.source.rfind(name + ".", 0) != 0) continue;
      std::string table = a.source.substr(name.size() + 1);
      must(silt::sources::copy_query(config, "SELECT * FROM " + table, session->connection(), "export"),
           table);
      must(session->connection().execute("COPY export TO " +
                                         silt::quote_literal((out / (table + ".parquet")).string()) +
                                         " (FORMAT parquet); DROP TABLE export"),
           table);
    }
  }
  std::ofstream(out / "done") << "ok\n";
}

struct Span {
  double begin = 1e300, end = 0;
  void add(double b, double e) { begin = std::min(begin, b), end = std::max(end, e); }
  double ms() const { return end > begin ? end - begin : 0; }
};

struct Measured {
  Timing silt, baseline;
  std::map<std::string, double> silt_ms, baseline_ms;
  Span silt_ingest, silt_transform;
};

Measured measure_once(const std::string& silt, const std::string& self, const fs::path& data,
                      const Project& project) {
  Measured m;
  fs::path project_dir = data / "project";
  fs::remove_all(project.config.lake);
  m.silt = silt::bench::run_process({silt, "pipeline", "run", "-p", project_dir.string()},
                                    (data / "silt_stderr.txt").string());
  auto session = must(silt::Session::open(), "session");
  auto runs = must(silt::pipeline::load_runs(*session, project.config.lake), "run history");
  for (const auto& r : runs) {
    if (r.run_id != runs.front().run_id) continue;
    m.silt_ms[r.asset] = double(r.ended_ms - r.started_ms);
    (project.find(r.asset)->source.empty() ? m.silt_transform : m.silt_ingest)
        .add(double(r.started_ms), double(r.ended_ms));
  }
  fs::path out = data / "baseline", timings = data / "baseline_timings.txt";
  fs::remove_all(out);
  m.baseline = silt::bench::run_process(
      {self, "--baseline", project_dir.string(), (data / "source").string(), out.string()}, timings.string());
  std::ifstream in(timings);
  std::string name;
  double ms;
  while (in >> name >> ms) m.baseline_ms[name] = ms;
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--baseline") return run_baseline(argv[2], argv[3], argv[4]);
  if (argc < 2) {
    std::cerr << "usage: demo_bench SILT_BINARY [billing_rows] [runs]\n";
    return 2;
  }
  std::string silt = fs::absolute(argv[1]).string(), self = fs::absolute(argv[0]).string();
  int64_t rows = argc > 2 ? std::atoll(argv[2]) : 250'000;
  int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
  int64_t memory_mb = argc > 4 ? std::atoll(argv[4]) : 0;
  setenv("SILT_PII_KEY", kKey, 1);
  fs::path data = fs::path(SILT_SOURCE_DIR) / "bench" / "data" / ("demo_" + std::to_string(rows));
  fs::path project_dir = data / "project";
  // A fresh copy of the project each time (it may have changed), reading the generated source.
  fs::create_directories(data);
  fs::remove_all(project_dir);
  fs::copy(fs::path(SILT_SOURCE_DIR) / "examples/clinic", project_dir, fs::copy_options::recursive);
  fs::create_directories(project_dir / "data");
  if (memory_mb > 0) {
    std::string toml = read_text(project_dir / "silt.toml");
    size_t at = toml.find("[defaults]\n");
    if (at == std::string::npos) {
      std::cerr << "the demo's silt.toml has no [defaults] table to add memory_mb to\n";
      return 1;
    }
    // The shipped project may set its own memory_mb: the argument replaces it.
    if (size_t line = toml.find("\nmemory_mb", at); line != std::string::npos)
      toml.erase(line + 1, toml.find('\n', line + 1) - line);
    toml.insert(at + 11, "memory_mb = " + std::to_string(memory_mb) + "\n");
    std::ofstream(project_dir / "silt.toml") << toml;
  }
  Project project = must(silt::pipeline::load_project(project_dir.string()), "project");
  make_source(data, rows, project);
  for (const auto& [name, def] : project.config.sources) {
    fs::path link = project_dir / def.settings.at("path");
    fs::remove(link);
    fs::create_directories(link.parent_path());
    fs::create_symlink(data / "clinic.db", link);
  }

  std::vector<Measured> all;
  for (int i = 0; i < runs; i++) all.push_back(measure_once(silt, self, data, project));
  std::sort(all.begin(), all.end(),
            [](const Measured& a, const Measured& b) { return a.silt.wall_ms < b.silt.wall_ms; });
  const Measured& m = all[all.size() / 2];
  double base_ingest = 0, base_transform = 0;
  for (const auto& [name, ms] : m.baseline_ms)
    (project.find(name)->source.empty() ? base_transform : base_ingest) += ms;

  std::printf("clinic demo, %lld billing rows, memory_mb %s; the run with the median silt wall time of %d\n",
              (long long)rows, memory_mb > 0 ? std::to_string(memory_mb).c_str() : "unset", runs);
  std::printf("%-32s %10s %10s %10s\n", "whole process", "wall ms", "CPU ms", "RSS MiB");
  auto line = [](const char* what, const Timing& t) {
    std::printf("%-32s %10.0f %10.0f %10.0f\n", what, t.wall_ms, t.cpu_ms, t.max_rss_mib);
  };
  line("silt pipeline run", m.silt);
  line("baseline: DuckDB SQL to parquet", m.baseline);
  std::printf("ratio silt / baseline: %.2fx wall, %.2fx CPU, %.2fx RSS\n",
              m.silt.wall_ms / m.baseline.wall_ms, m.silt.cpu_ms / m.baseline.cpu_ms,
              m.silt.max_rss_mib / m.baseline.max_rss_mib);
  std::printf("%-32s %10s %10s\n", "per asset (wall ms)", "silt", "baseline");
  for (const Asset* a : in_order(project))
    std::printf("%-32s %10.0f %10.0f\n", a->name.c_str(),
                m.silt_ms.count(a->name) ? m.silt_ms.at(a->name) : -1.0,
                m.baseline_ms.count(a->name) ? m.baseline_ms.at(a->name) : -1.0);
  std::printf("ingest (bronze): silt span %.0f ms (SQLite, checks), baseline sum %.0f ms (parquet)\n",
              m.silt_ingest.ms(), base_ingest);
  std::printf("transforms (silver, gold): silt span %.0f ms, baseline sum %.0f ms: %.2fx\n",
              m.silt_transform.ms(), base_transform, m.silt_transform.ms() / base_transform);
  return 0;
}
