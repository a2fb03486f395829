// The loop behind `silt pipeline serve`: sleeps until the next fire time of any schedule in
// silt.toml, then starts a run of that schedule's selection (run_pipeline, recorded in the run
// history) on its own thread, until asked to stop. Runs of different schedules may overlap;
// runs never share an asset: a schedule that fires while an earlier run still holds any of its
// assets skips that firing (one log line). Fire times missed while the loop was held up are not
// replayed: a schedule fires at most once for them, then waits for its next time after now.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "pipeline/project.h"
#include "pipeline/run_history.h"

namespace silt::pipeline {

struct ServeOptions {
  // Set (by a signal handler, say) to stop: no new runs start, runs in flight are cancelled
  // (run_pipeline's cancel: assets stop before their commit, the rest are recorded "cancelled"),
  // and serve returns once they have ended. Required.
  const std::atomic<bool>* stop = nullptr;
  // One line per event (run start and end, asset end, skipped firing, schedule times), without
  // a timestamp or newline. Called from several threads, one call at a time.
  std::function<void(const std::string& line)> log;
  // Asset start (status empty) and end events of each run, as RunOptions::on_progress; called
  // from the run's thread, one call at a time.
  std::function<void(const AssetRun& run, size_t done, size_t total)> on_progress;
  int64_t poll_ms = 200;  // longest sleep between looks at the stop flag
};

// Errors for what stops serving from starting: no schedules, a bad cron or selection.
// A failing run is logged, not returned; serving goes on.
Status serve(const Project& project, const ServeOptions& options);

}  // namespace silt::pipeline
