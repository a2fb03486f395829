// Snapshot-load and scan-overhead benchmark (issue 3). Generates, under bench/data/ (kept
// between runs), Delta logs of 300,000 add actions in three shapes: 10,000 small commits;
// the same plus a checkpoint at the last version; and a few ~15 MB bulk commits. Then times
// whole `silt describe` processes on each, and `silt query` with delta_scan against the same
// query with read_parquet on a 1-file table, so the baseline is measured in the same run.
// Usage: snapshot_bench SILT_BINARY [runs]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "child_process.h"
#include "duckdb/engine.h"

namespace fs = std::filesystem;

namespace {

constexpr int kFiles = 300000;
const char* kSchema =
    R"({\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},)"
    R"({\"name\":\"value\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},)"
    R"({\"name\":\"day\",\"type\":\"date\",\"nullable\":true,\"metadata\":{}}]})";

std::string header_actions() {
  return std::string(R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})") + "\n" +
         R"({"metaData":{"id":"bench-0000","format":{"provider":"parquet","options":{}},"schemaString":")" +
         kSchema + R"(","partitionColumns":["day"],"configuration":{},"createdTime":1700000000000}})" + "\n";
}

std::string add_action(int i) {
  char buf[640];
  std::snprintf(
      buf, sizeof buf,
      R"({"add":{"path":"day=2024-%02d-%02d/part-%06d-6f1c2f0e-8d2b-4a5e-9c1d-%012d.c000.snappy.parquet",)"
      R"("partitionValues":{"day":"2024-%02d-%02d"},"size":%d,"modificationTime":%lld,"dataChange":true,)"
      R"("stats":"{\"numRecords\":%d,\"minValues\":{\"id\":%d,\"value\":\"a%06d\"},)"
      R"(\"maxValues\":{\"id\":%d,\"value\":\"z%06d\"},\"nullCount\":{\"id\":0,\"value\":0}}"}})",
      i % 12 + 1, i % 28 + 1, i, i, i % 12 + 1, i % 28 + 1, 100000 + i, 1700000000000LL + i, 1000, i * 1000,
      i, i * 1000 + 999, i);
  return std::string(buf) + "\n";
}

std::string commit_info(int v) {
  return R"({"commitInfo":{"timestamp":)" + std::to_string(1700000000000LL + v) +
         R"(,"operation":"WRITE","operationParameters":{"mode":"Append"}}})" + "\n";
}

std::string version_name(int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020lld.json", static_cast<long long>(v));
  return buf;
}

void write_file(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// Commits of `per_commit` adds each, version 0 also holding protocol and metadata.
void make_log(const fs::path& root, int commits) {
  fs::create_directories(root / "_delta_log");
  int per = kFiles / commits, next = 0;
  for (int v = 0; v < commits; v++) {
    std::string text = commit_info(v);
    if (v == 0) text += header_actions();
    for (int i = 0; i < per; i++) text += add_action(next++);
    write_file(root / "_delta_log" / version_name(v), text);
  }
}

// A classic checkpoint at the last version, written by DuckDB from the commits' JSON.
void make_checkpoint(const fs::path& root, int64_t version) {
  auto db = silt::db::Database::open_in_memory();
  auto conn = silt::db::Connection::open(*db);
  std::string log = (root / "_delta_log").string();
  std::string sql = "COPY (SELECT * FROM read_json('" + log +
                    "/*.json', format='newline_delimited', "
                    "columns={'add': 'STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size "
                    "BIGINT, modificationTime BIGINT, "
                    "dataChange BOOLEAN, stats VARCHAR)', 'metaData': 'STRUCT(id VARCHAR, format "
                    "STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)), "
                    "schemaString VARCHAR, partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR), "
                    "createdTime BIGINT)', "
                    "'protocol': 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER)'}) "
                    "WHERE add IS NOT NULL OR metaData IS NOT NULL OR protocol IS NOT NULL) TO '" +
                    log + "/" + version_name(version).substr(0, 20) + ".checkpoint.parquet' (FORMAT parquet)";
  auto st = conn->execute(sql);
  if (!st.ok()) {
    std::cerr << "checkpoint generation failed: " << st.error().message() << "\n";
    std::exit(1);
  }
  write_file(root / "_delta_log" / "_last_checkpoint",
             R"({"version":)" + std::to_string(version) + R"(,"size":300002})");
}

double last_cpu_ms = 0;  // user + system CPU of the last command, for loaded machines

double run_ms(const std::vector<std::string>& args) {
  silt::bench::ChildRun r = silt::bench::run_child(args);
  last_cpu_ms = r.cpu_ms;
  return r.wall_ms;
}

struct Timing {
  double wall_ms;  // median wall time
  double cpu_ms;   // median user + system CPU time
};

Timing median_ms(const std::vector<std::string>& args, int runs) {
  std::vector<double> wall, cpu;
  run_ms(args);  // warm the page cache
  for (int i = 0; i < runs; i++) {
    wall.push_back(run_ms(args));
    cpu.push_back(last_cpu_ms);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {wall[wall.size() / 2], cpu[cpu.size() / 2]};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: snapshot_bench SILT_BINARY [runs]\n";
    return 2;
  }
  std::string silt = argv[1];
  int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  fs::path data = fs::path(SILT_SOURCE_DIR) / "bench" / "data";
  fs::path small = data / "log_10k_commits", ckpt = data / "log_10k_commits_checkpoint",
           bulk = data / "log_bulk";
  fs::path one = data / "one_file";
  if (!fs::exists(small / "_delta_log")) make_log(small, 10000);
  if (!fs::exists(ckpt / "_delta_log")) {
    make_log(ckpt, 10000);
    make_checkpoint(ckpt, 9999);
  }
  if (!fs::exists(bulk / "_delta_log")) make_log(bulk, 5);
  if (!fs::exists(one / "_delta_log")) {
    auto db = silt::db::Database::open_in_memory();
    auto conn = silt::db::Connection::open(*db);
    fs::create_directories(one / "_delta_log");
    auto st = conn->execute("COPY (SELECT range AS id, 'v' || range AS value FROM range(100000)) TO '" +
                            (one / "part-0.parquet").string() + "' (FORMAT parquet)");
    if (!st.ok()) return 1;
    std::string schema =
        R"({\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},)"
        R"({\"name\":\"value\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]})";
    write_file(
        one / "_delta_log" / version_name(0),
        std::string(R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})") + "\n" +
            R"({"metaData":{"id":"one","format":{"provider":"parquet","options":{}},"schemaString":")" +
            schema + R"(","partitionColumns":[],"configuration":{},"createdTime":1700000000000}})" + "\n" +
            R"({"add":{"path":"part-0.parquet","partitionValues":{},"size":)" +
            std::to_string(fs::file_size(one / "part-0.parquet")) +
            R"(,"modificationTime":1700000000000,"dataChange":true}})" + "\n");
  }
  Timing baseline = median_ms({silt, "query", "SELECT 1"}, runs);
  Timing t_small = median_ms({silt, "describe", small.string()}, runs);
  Timing t_ckpt = median_ms({silt, "describe", ckpt.string()}, runs);
  Timing t_bulk = median_ms({silt, "describe", bulk.string()}, runs);
  std::string one_q = "SELECT count(*), sum(id) FROM ";
  Timing t_rp =
      median_ms({silt, "query", one_q + "read_parquet('" + (one / "part-0.parquet").string() + "')"}, runs);
  Timing t_ds = median_ms({silt, "query", one_q + "delta_scan('" + one.string() + "')"}, runs);
  std::printf("median of %d runs of whole processes         wall ms    CPU ms\n", runs);
  auto row = [](const char* what, const Timing& t) {
    std::printf("%-44s %8.1f  %8.1f\n", what, t.wall_ms, t.cpu_ms);
  };
  row("silt query 'SELECT 1' (process baseline)", baseline);
  row("describe, 300k adds in 10,000 commits", t_small);
  row("describe, 300k adds from a checkpoint", t_ckpt);
  row("describe, 300k adds in 5 bulk commits", t_bulk);
  row("1-file table: read_parquet query", t_rp);
  row("1-file table: delta_scan query", t_ds);
  std::printf("delta_scan overhead over read_parquet: %.1f ms wall (ratio %.2f)\n",
              t_ds.wall_ms - t_rp.wall_ms, t_ds.wall_ms / t_rp.wall_ms);
  return 0;
}
