// The serve loop. See scheduler.h. The loop thread owns the schedules and starts runs; each run
// has its own thread and Session; `held` (the assets of runs in flight) is shared under `mu`.
#include "pipeline/scheduler.h"

#include <algorithm>
#include <chrono>
#include <list>
#include <mutex>
#include <set>
#include <thread>

#include "pipeline/asset_graph.h"
#include "pipeline/cron.h"
#include "pipeline/runner.h"
#include "util/time.h"

namespace silt::pipeline {
namespace {

struct Slot {
  const Schedule* schedule;
  CronSchedule cron;
  std::set<std::string> assets;
  int64_t next_ms = 0;
};

struct InFlight {
  std::thread thread;
  std::atomic<bool> done{false};
};

std::string seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", ms / 1000.0);
  return buf;
}

std::string asset_line(const AssetRun& r) {
  std::string line = "asset " + r.asset + " " + r.status + " rows=" + std::to_string(r.rows) +
                     " version=" + std::to_string(r.version) +
                     " seconds=" + seconds(r.ended_ms - r.started_ms) + " run=" + r.run_id;
  if (!r.error.empty()) line += " error=" + r.error;
  return line;
}

std::string outcome(const RunReport& report) {
  std::string text;
  for (const char* status : {"success", "failed", "skipped", "cancelled"})
    text += (text.empty() ? "" : ", ") + std::to_string(report.count(status)) + " " + status;
  return text;
}

// A run's history is written through a Session used by one thread only: the run's.
Result<RunReport> run_in_own_session(const Project& project, const RunOptions& options) {
  SILT_ASSIGN_OR_RETURN(auto session, Session::open());
  return run_pipeline(*session, project, options);
}

class Server {
 public:
  Server(const Project& project, const ServeOptions& options) : project_(project), options_(options) {}

  Status run(std::vector<Slot> slots) {
    int64_t now = now_ms();
    for (auto& slot : slots) {
      slot.next_ms = *next_fire_ms(slot.cron, now);
      log("schedule " + slot.schedule->name + " (" + slot.schedule->cron + ", " +
          std::to_string(slot.assets.size()) + " assets) next at " + format_timestamp_ms(slot.next_ms));
    }
    while (!options_.stop->load()) {
      now = now_ms();
      int64_t wake = now + options_.poll_ms;
      for (auto& slot : slots) {
        if (slot.next_ms <= now) {
          fire(slot);
          slot.next_ms = *next_fire_ms(slot.cron, now);  // times missed meanwhile are not replayed
        }
        wake = std::min(wake, slot.next_ms);
      }
      reap(false);
      std::this_thread::sleep_for(std::chrono::milliseconds(std::max<int64_t>(1, wake - now_ms())));
    }
    reap(true);
    return ok_status();
  }

 private:
  void log(const std::string& line) {
    std::lock_guard lock(log_mu_);
    if (options_.log) options_.log(line);
  }

  void fire(const Slot& slot) {
    {
      std::lock_guard lock(mu_);
      for (const auto& a : slot.assets) {
        if (held_.contains(a)) {
          log("schedule " + slot.schedule->name + " skipped: asset " + a + " is still being run");
          return;
        }
      }
      held_.insert(slot.assets.begin(), slot.assets.end());
    }
    last_id_ = new_run_id_after(last_id_);
    auto& flight = in_flight_.emplace_back();
    flight.thread = std::thread([this, &slot, &flight, id = last_id_] {
      run_one(slot, id);
      std::lock_guard lock(mu_);
      for (const auto& a : slot.assets) held_.erase(a);
      flight.done = true;
    });
  }

  void run_one(const Slot& slot, const std::string& id) {
    log("run " + id + " started: schedule " + slot.schedule->name + ", " +
        std::to_string(slot.assets.size()) + " assets");
    int64_t started = now_ms();
    RunOptions run;
    run.select = slot.schedule->select;
    run.run_id = id;
    run.cancel = options_.stop;
    run.on_progress = [this](const AssetRun& r, size_t done, size_t total) {
      std::lock_guard lock(log_mu_);
      if (options_.on_progress) options_.on_progress(r, done, total);
      if (!r.status.empty() && options_.log) options_.log(asset_line(r));
    };
    Result<RunReport> report = run_in_own_session(project_, run);
    if (!report.ok()) {
      log("run " + id + " failed: " + report.error().message());
      return;
    }
    log("run " + id + " finished: schedule " + slot.schedule->name + ", " + outcome(*report) + " in " +
        seconds(now_ms() - started) + "s");
  }

  // Joins the runs that have ended (all of them when `all`).
  void reap(bool all) {
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
      if (!all && !it->done) {
        ++it;
        continue;
      }
      it->thread.join();
      it = in_flight_.erase(it);
    }
  }

  const Project& project_;
  const ServeOptions& options_;
  std::mutex mu_, log_mu_;
  std::set<std::string> held_;  // assets of the runs in flight, under mu_
  std::list<InFlight> in_flight_;
  std::string last_id_;
};

}  // namespace

Status serve(const Project& project, const ServeOptions& options) {
  if (!options.stop) return Error(ErrorKind::InvalidArgument, "serve needs a stop flag");
  if (project.config.schedules.empty())
    return Error(ErrorKind::InvalidArgument, "no schedules in " + project.config.dir +
                                                 "/silt.toml (add [schedules.NAME] with cron = ...)");
  std::vector<Slot> slots;
  for (const auto& schedule : project.config.schedules) {
    Slot slot{&schedule, {}, {}};
    SILT_ASSIGN_OR_RETURN(slot.cron, parse_cron(schedule.cron));
    auto assets = select_assets(project, schedule.select);
    if (!assets.ok()) return assets.error().with_context("schedules." + schedule.name);
    slot.assets = std::move(*assets);
    slots.push_back(std::move(slot));
  }
  return Server(project, options).run(std::move(slots));
}

}  // namespace silt::pipeline
