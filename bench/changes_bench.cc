// Change data feed benchmark: writes a CDF table of N append commits of R rows each (in a temp
// directory, removed afterwards), then times, in-process and as the median of the runs, planning
// the feed over the whole range (Session::changes), counting its rows, and draining the ordered
// feed `silt changes` prints (ops::changes_sql). Prints one line per figure.
// Usage: changes_bench [commits=100] [rows_per_commit=10000] [runs=5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "ops/changes.h"
#include "ops/write.h"
#include "scan/session.h"

namespace {

double median_ms(int runs, const std::function<void()>& fn) {
  std::vector<double> ms;
  for (int i = 0; i < runs; i++) {
    auto start = std::chrono::steady_clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

[[noreturn]] void die(const silt::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.message().c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  int commits = argc > 1 ? std::atoi(argv[1]) : 100;
  int rows = argc > 2 ? std::atoi(argv[2]) : 10000;
  int runs = argc > 3 ? std::atoi(argv[3]) : 5;
  std::string dir = (std::filesystem::temp_directory_path() / "silt-changes-bench").string();
  std::filesystem::remove_all(dir);
  auto session = silt::Session::open();
  if (!session.ok()) die(session.error());
  silt::Session& s = **session;

  silt::ops::WriteOptions options;
  options.properties["delta.enableChangeDataFeed"] = "true";
  for (int c = 0; c < commits; c++) {
    auto w =
        silt::ops::write_table(s, dir,
                               "SELECT range + " + std::to_string(int64_t(c) * rows) +
                                   " AS id, 'value ' || range AS v FROM range(" + std::to_string(rows) + ")",
                               options);
    if (!w.ok()) die(w.error());
  }
  silt::scan::ChangeRange all;
  all.from_version = 0;
  auto expect_ok = [](const auto& r) {
    if (!r.ok()) die(r.error());
  };
  double plan = median_ms(runs, [&] { expect_ok(s.changes(dir, all)); });
  double count = median_ms(runs, [&] {
    auto p = s.changes(dir, all);
    expect_ok(p);
    expect_ok(s.connection().scalar("SELECT count(*) FROM " + p->sql));
  });
  double ordered = median_ms(runs, [&] {
    auto sql = silt::ops::changes_sql(s, dir, all);
    expect_ok(sql);
    auto r = s.connection().query(*sql);
    expect_ok(r);
    while (r->next_chunk()) {
    }
  });
  std::printf("table: %d append commits x %d rows (%lld rows in the feed); median of %d runs\n", commits,
              rows, static_cast<long long>(commits) * rows, runs);
  std::printf("plan the feed over all versions:  %8.1f ms (%.2f ms per commit)\n", plan, plan / commits);
  std::printf("plan + count(*) over the feed:    %8.1f ms\n", count);
  std::printf("plan + drain the ordered feed:    %8.1f ms\n", ordered);
  std::filesystem::remove_all(dir);
  return 0;
}
