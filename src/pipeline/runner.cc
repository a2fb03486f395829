// The run scheduler. See runner.h.
#include "pipeline/runner.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "pipeline/asset_graph.h"
#include "pipeline/materialize.h"
#include "util/time.h"

namespace silt::pipeline {
namespace {

// Materializes with retries: failed attempts wait retry_backoff_ms, doubling each time. A failed
// blocking check is final: the same rows would fail it again.
AssetRun run_asset(const Project& project, const Asset& asset, const MaterializeOptions& options,
                   const std::string& run_id) {
  int retries = asset.retries.value_or(project.config.retries);
  AssetRun run;
  for (int attempt = 0;; attempt++) {
    run = AssetRun{};
    run.run_id = run_id;
    run.asset = asset.name;
    run.started_ms = now_ms();
    run.attempts = attempt + 1;
    if (!asset.partitioned.empty()) run.partition = options.partition;
    auto st = materialize(project, asset, options, run);
    run.ended_ms = now_ms();
    if (st.ok()) {
      run.status = "success";
      return run;
    }
    // A failure while the run is being cancelled (a command asset's program killed by the same
    // Ctrl-C, say) counts as cancelled, keeping its error, and is not retried.
    bool cancelled = is_cancellation(st.error()) || (options.cancel && options.cancel->load());
    run.status = cancelled ? "cancelled" : "failed";
    run.error = st.error().message();
    if (attempt >= retries || is_check_failure(st.error()) || cancelled) return run;
    std::this_thread::sleep_for(std::chrono::milliseconds(project.config.retry_backoff_ms << attempt));
  }
}

// What to run: the selection, narrowed by --resume to what did not succeed in that run (whose
// partition, if it had one, is built again unless another is given).
Result<std::set<std::string>> assets_to_run(Session& session, const Project& project,
                                            const RunOptions& options, std::string& partition) {
  SILT_ASSIGN_OR_RETURN(auto selected, select_assets(project, options.select));
  if (!options.resume) return selected;
  SILT_ASSIGN_OR_RETURN(auto previous, latest_per_asset(session, project.config.lake, *options.resume));
  if (previous.empty())
    return Error(ErrorKind::NotFound, "no run " + *options.resume + " in the run history");
  std::set<std::string> again;
  for (const auto& r : previous)
    if (partition.empty() && !r.partition.empty()) partition = r.partition;
  for (const auto& r : previous)
    if (r.status != "success" && selected.contains(r.asset) && project.find(r.asset)) again.insert(r.asset);
  return again;
}

int default_threads(const Project& project, const RunOptions& options) {
  if (options.threads > 0) return options.threads;
  if (project.config.threads > 0) return project.config.threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

// Shared between the scheduling thread and the asset threads.
struct Completion {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<AssetRun> finished;
};

}  // namespace

size_t RunReport::count(const std::string& status) const {
  return static_cast<size_t>(
      std::count_if(assets.begin(), assets.end(), [&](const AssetRun& r) { return r.status == status; }));
}

Result<RunReport> run_pipeline(Session& session, const Project& project, const RunOptions& options) {
  RunReport report;
  report.run_id = options.resume ? *options.resume : options.run_id ? *options.run_id : new_run_id();
  SILT_ASSIGN_OR_RETURN(int64_t run_number_value, run_number(report.run_id));
  std::string partition = options.partition;
  SILT_ASSIGN_OR_RETURN(auto todo, assets_to_run(session, project, options, partition));
  int threads = default_threads(project, options);
  MaterializeOptions mopts;
  mopts.app_version = run_number_value;
  mopts.full_refresh = options.full_refresh;
  mopts.partition = report.partition = partition;
  mopts.cancel = options.cancel;
  // The assets share this DuckDB, each on its own connection: its scheduler hands every core to
  // whatever queries are running (an asset alone gets them all, three at once share them;
  // `threads` only bounds the assets at once), and defaults.memory_mb bounds the whole run.
  int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  SILT_TRY(session.connection().execute("SET threads = " + std::to_string(cores)));
  if (project.config.memory_mb > 0)
    SILT_TRY(session.connection().execute("SET memory_limit = '" + std::to_string(project.config.memory_mb) +
                                          "MB'"));
  mopts.database = session.database();

  std::set<std::string> waiting = todo, succeeded;
  size_t running = 0, done = 0, total = todo.size();
  Completion completion;
  std::vector<std::thread> workers;
  auto ready = [&](const std::string& name) {
    for (const auto& up : project.find(name)->upstream)
      if (todo.contains(up) && !succeeded.contains(up)) return false;
    return true;
  };
  // An ended asset is announced, then its history row committed.
  auto announce = [&](const AssetRun& run) {
    done++;
    if (options.on_progress) options.on_progress(run, done, total);
  };
  auto record = [&](AssetRun run) -> Status {
    SILT_TRY(record_runs(session, project.config.lake, {run}));
    report.assets.push_back(std::move(run));
    return ok_status();
  };
  auto finish = [&](AssetRun run) -> Status {
    announce(run);
    return record(std::move(run));
  };
  // An asset that never ran, recorded with why.
  auto not_run = [&](const std::string& name, const std::string& status, const std::string& why) {
    AssetRun run;
    run.run_id = report.run_id;
    run.asset = name;
    run.started_ms = run.ended_ms = now_ms();
    run.status = status;
    run.error = why;
    return run;
  };
  auto cancelled = [&] { return options.cancel && options.cancel->load(); };
  auto launch_ready = [&] {
    for (auto it = waiting.begin(); it != waiting.end() && static_cast<int>(running) < threads;) {
      if (!ready(*it)) {
        ++it;
        continue;
      }
      const Asset& asset = *project.find(*it);
      AssetRun started;
      started.asset = asset.name;
      if (options.on_progress) options.on_progress(started, done, total);
      MaterializeOptions own = mopts;
      if (options.on_rows)
        own.on_rows = [&on_rows = options.on_rows, name = asset.name](int64_t rows) { on_rows(name, rows); };
      running++;
      workers.emplace_back([&, &asset = asset, own] {
        AssetRun run = run_asset(project, asset, own, report.run_id);
        std::lock_guard lock(completion.mu);
        completion.finished.push_back(std::move(run));
        completion.cv.notify_one();
      });
      it = waiting.erase(it);
    }
  };
  while (!waiting.empty() || running > 0) {
    if (cancelled()) {
      Status recorded;
      for (const auto& name : waiting)
        if (recorded.ok()) recorded = finish(not_run(name, "cancelled", "run cancelled"));
      waiting.clear();
      if (!recorded.ok()) {
        for (auto& w : workers) w.join();
        return recorded.error();
      }
    }
    launch_ready();
    if (running == 0) break;  // nothing runnable left (cannot happen on an acyclic graph)
    AssetRun run;
    {
      std::unique_lock lock(completion.mu);
      completion.cv.wait(lock, [&] { return !completion.finished.empty(); });
      run = std::move(completion.finished.front());
      completion.finished.pop_front();
    }
    running--;
    std::string failed = run.status == "failed" ? run.asset : "";
    if (run.status == "success") succeeded.insert(run.asset);
    // Downstream assets start before this one's history row is committed, off their path.
    announce(run);
    if (failed.empty() && !cancelled()) launch_ready();
    Status recorded = record(std::move(run));
    if (!failed.empty()) {
      // Everything downstream of a failure is skipped and recorded as such, with the reason.
      for (const auto& down : downstream_of(project, failed)) {
        if (!waiting.erase(down)) continue;
        if (recorded.ok())
          recorded = finish(not_run(down, "skipped", "upstream asset " + failed + " failed"));
      }
    }
    if (!recorded.ok()) {
      for (auto& w : workers) w.join();
      return recorded.error();
    }
  }
  for (auto& w : workers) w.join();
  return report;
}

Result<std::vector<RunReport>> backfill(Session& session, const Project& project, const RunOptions& options,
                                        const std::string& from, const std::string& to) {
  constexpr int64_t kDayMs = 86'400'000;
  SILT_ASSIGN_OR_RETURN(int64_t first, parse_timestamp_ms(from));
  SILT_ASSIGN_OR_RETURN(int64_t last, parse_timestamp_ms(to));
  if (first % kDayMs != 0 || last % kDayMs != 0 || last < first)
    return Error(ErrorKind::InvalidArgument, "backfill needs --from and --to as days, from <= to");
  std::vector<RunReport> reports;
  std::string previous_id;
  for (int64_t day = first; day <= last; day += kDayMs) {
    RunOptions one = options;
    one.partition = format_timestamp_ms(day).substr(0, 10);
    // Run ids are milliseconds: every day commits under its own.
    one.run_id = previous_id = new_run_id_after(previous_id);
    SILT_ASSIGN_OR_RETURN(auto report, run_pipeline(session, project, one));
    reports.push_back(std::move(report));
  }
  return reports;
}

}  // namespace silt::pipeline
