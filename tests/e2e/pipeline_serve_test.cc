// `silt pipeline serve` as a real process: a schedule with a 2 s period fires on time and runs
// are recorded; SIGTERM stops it with exit code 0, also in the middle of a slow asset, and every
// table reads at a committed version with the rows plain DuckDB SQL finds in the input files.
// Waits poll with deadlines; no assertion depends on how long anything takes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <thread>

#include "../support/cli_runner.h"
#include "../support/query_rows.h"
#include "../support/temp_table.h"
#include "pipeline/runner.h"
#include "scan/session.h"
#include "util/sql_text.h"

namespace silt {
namespace {

using silt::testing::TempTable;
using V = std::vector<std::string>;
using Clock = std::chrono::steady_clock;

// Polls `done` every 100 ms until it holds or `seconds` pass; returns whether it held.
template <class F>
bool eventually(F done, int seconds = 60) {
  auto deadline = Clock::now() + std::chrono::seconds(seconds);
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

// `silt pipeline serve --project DIR` in the background, stdout and stderr in files.
class ServeProcess {
 public:
  explicit ServeProcess(const std::string& project)
      : out_(scratch_.root() + "/out"), err_(scratch_.root() + "/err") {
    pid_ = fork();
    if (pid_ == 0) {
      int out = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(out, STDOUT_FILENO);
      dup2(err, STDERR_FILENO);
      execl(SILT_BINARY, SILT_BINARY, "pipeline", "serve", "--project", project.c_str(), nullptr);
      _exit(127);
    }
  }
  ~ServeProcess() {
    if (pid_ > 0 && !exit_code_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  void signal(int sig) { kill(pid_, sig); }
  // The exit code once the process has ended within `seconds`, else nullopt.
  std::optional<int> wait_exit(int seconds) {
    eventually(
        [&] {
          int status = 0;
          if (waitpid(pid_, &status, WNOHANG) == pid_)
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
          return exit_code_.has_value();
        },
        seconds);
    return exit_code_;
  }
  std::string out() const { return slurp(out_); }
  std::string err() const { return slurp(err_); }

 private:
  static std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  TempTable scratch_;
  std::string out_, err_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

const char* const kOrders = "order_id,status,amount\n1,paid,10.5\n2,open,4.0\n3,paid,20.0\n4,paid,1.5\n";

class PipelineServe : public ::testing::Test {
 protected:
  // orders (bronze, from the CSV) -> totals (silver): both in one schedule firing every 2 s.
  void SetUp() override {
    session_ = std::move(Session::open().value());
    dir_.write("data/orders.csv", kOrders);
    dir_.write("assets/bronze/orders.sql", "-- source: raw.orders\n");
    dir_.write("assets/silver/totals.sql",
               "SELECT status, sum(amount) AS amount FROM orders GROUP BY status\n");
  }
  void write_config(const std::string& select) {
    dir_.write("silt.toml",
               "lake = \"lake\"\n[sources.raw]\nkind = \"files\"\npath = \"data\"\nformat = \"csv\"\n"
               "[schedules.every2]\ncron = \"*/2 * * * * *\"\nselect = [" +
                   select + "]\n");
  }
  std::string root() const { return dir_.root(); }
  std::string table(const std::string& rel) const { return root() + "/lake/" + rel; }

  V rows(const std::string& sql) {
    auto expanded = session_->expand_sql(sql);
    if (!expanded.ok()) return {"error: " + expanded.error().message()};
    return silt::testing::sorted_rows(*session_, *expanded);
  }
  // Run history rows, oldest first.
  std::vector<pipeline::AssetRun> history() {
    auto runs = pipeline::load_runs(*session_, root() + "/lake");
    if (!runs.ok()) return {};
    return {runs->rbegin(), runs->rend()};
  }
  // Run id -> its assets' statuses ("asset=status", sorted).
  std::map<std::string, std::set<std::string>> runs() {
    std::map<std::string, std::set<std::string>> out;
    for (const auto& r : history()) out[r.run_id].insert(r.asset + "=" + r.status);
    return out;
  }
  std::optional<int64_t> version(const std::string& rel) {
    auto v = pipeline::latest_table_version(*session_, table(rel));
    return v.ok() ? *v : std::nullopt;
  }
  V expected_orders() {
    return rows("SELECT * FROM read_csv(" + quote_literal(root() + "/data/orders.csv") + ")");
  }
  V expected_totals() {
    return rows("SELECT status, sum(amount) FROM read_csv(" + quote_literal(root() + "/data/orders.csv") +
                ") GROUP BY status");
  }
  V table_rows(const std::string& rel, const std::string& columns = "*") {
    return rows("SELECT " + columns + " FROM delta_scan(" + quote_literal(table(rel)) + ")");
  }

  TempTable dir_;
  std::unique_ptr<Session> session_;
};

TEST_F(PipelineServe, FiresOnScheduleAndStopsCleanlyOnSigterm) {
  write_config("\"orders+\"");
  ServeProcess serve(root());
  const std::set<std::string> all_ok = {"orders=success", "totals=success"};
  ASSERT_TRUE(eventually([&] {
    size_t complete = 0;
    for (const auto& [id, assets] : runs()) complete += assets == all_ok;
    return complete >= 2;
  })) << serve.out()
      << serve.err();

  // Runs start at their fire times: consecutive runs about 2 s apart (a loose bound: a busy
  // machine may start one late, but never two at once and never a burst of missed ones).
  std::map<std::string, int64_t> started;  // run id -> first asset start
  for (const auto& r : history())
    if (!started.contains(r.run_id) || r.started_ms < started[r.run_id]) started[r.run_id] = r.started_ms;
  ASSERT_GE(started.size(), 2u);
  auto first = started.begin(), second = std::next(first);
  EXPECT_GE(second->second - first->second, 1500) << first->first << " " << second->first;
  EXPECT_LE(second->second - first->second, 10000) << first->first << " " << second->first;

  serve.signal(SIGTERM);
  auto code = serve.wait_exit(60);
  ASSERT_TRUE(code.has_value()) << "no exit after SIGTERM\n" << serve.out();
  EXPECT_EQ(*code, 0) << serve.err();
  EXPECT_NE(serve.out().find("stopped on SIGTERM"), std::string::npos) << serve.out();
  EXPECT_NE(serve.out().find("run " + first->first + " started: schedule every2"), std::string::npos);
  EXPECT_NE(serve.out().find("asset totals success"), std::string::npos);

  EXPECT_EQ(table_rows("bronze/orders"), expected_orders());
  EXPECT_EQ(table_rows("silver/totals"), expected_totals());
  for (const auto& [id, assets] : runs())
    for (const auto& a : assets)
      EXPECT_TRUE(a.ends_with("=success") || a.ends_with("=cancelled")) << id << " " << a;
}

TEST_F(PipelineServe, SigtermDuringASlowAssetLeavesItsTableAtACommittedVersion) {
  // slow copies its input after 4 s: longer than the period, so firings in between are skipped.
  dir_.write("assets/silver/slow.toml",
             "command = [\"sh\", \"-c\", \"sleep 4 && cp \\\"$SILT_INPUT_ORDERS\\\" "
             "\\\"$SILT_OUTPUT_DIR/out.parquet\\\"\"]\ninputs = [\"orders\"]\n");
  write_config("\"orders\", \"slow\"");
  ServeProcess serve(root());
  std::string first_run;
  ASSERT_TRUE(eventually([&] {
    for (const auto& [id, assets] : runs())
      if (assets == std::set<std::string>{"orders=success", "slow=success"}) first_run = id;
    return !first_run.empty();
  })) << serve.out()
      << serve.err();
  ASSERT_EQ(version("silver/slow"), 0);
  EXPECT_NE(serve.out().find("schedule every2 skipped: asset "), std::string::npos) << serve.out();

  // The next run: once its orders has committed, slow is sleeping (or about to start).
  std::string second_run;
  ASSERT_TRUE(eventually([&] {
    for (const auto& r : history())
      if (r.run_id > first_run && r.asset == "orders" && r.status == "success") second_run = r.run_id;
    return !second_run.empty();
  })) << serve.out();
  serve.signal(SIGTERM);
  auto code = serve.wait_exit(60);
  ASSERT_TRUE(code.has_value()) << "no exit after SIGTERM\n" << serve.out();
  EXPECT_EQ(*code, 0) << serve.err();

  // slow was stopped before its commit: still version 0, with the first run's rows.
  EXPECT_EQ(version("silver/slow"), 0);
  EXPECT_EQ(runs()[second_run], (std::set<std::string>{"orders=success", "slow=cancelled"})) << serve.out();
  EXPECT_EQ(table_rows("silver/slow"), expected_orders());
  EXPECT_EQ(table_rows("bronze/orders"), expected_orders());
  EXPECT_EQ(version("bronze/orders"), 1);
}

// The token serve relies on, through the API: set when orders ends, totals never starts.
TEST_F(PipelineServe, RunnerIsCancelledBetweenAssets) {
  write_config("\"orders+\"");
  auto project = pipeline::load_project(root());
  ASSERT_TRUE(project.ok()) << project.error().message();
  std::atomic<bool> cancel{false};
  pipeline::RunOptions options;
  options.cancel = &cancel;
  options.on_progress = [&](const pipeline::AssetRun& r, size_t, size_t) {
    if (r.asset == "orders" && !r.status.empty()) cancel = true;
  };
  auto report = pipeline::run_pipeline(*session_, *project, options);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(runs()[report->run_id], (std::set<std::string>{"orders=success", "totals=cancelled"}));
  EXPECT_EQ(table_rows("bronze/orders"), expected_orders());
  EXPECT_FALSE(version("silver/totals").has_value());

  // Cancelled before it starts: nothing runs, everything is recorded as cancelled.
  auto none = pipeline::run_pipeline(*session_, *project, options);
  ASSERT_TRUE(none.ok()) << none.error().message();
  EXPECT_EQ(runs()[none->run_id], (std::set<std::string>{"orders=cancelled", "totals=cancelled"}));
  EXPECT_EQ(version("bronze/orders"), 0);
}

TEST_F(PipelineServe, RefusesAProjectWithoutSchedules) {
  dir_.write("silt.toml",
             "lake = \"lake\"\n[sources.raw]\nkind = \"files\"\npath = \"data\"\nformat = \"csv\"\n");
  auto r = silt::testing::run_silt({"pipeline", "serve", "--project", root()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("error: no schedules in " + root() + "/silt.toml"), std::string::npos) << r.err;
  write_config("\"nosuch\"");
  r = silt::testing::run_silt({"pipeline", "serve", "--project", root()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("error: schedules.every2: "), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(table("bronze/orders")));
}

}  // namespace
}  // namespace silt
