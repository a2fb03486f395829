// `silt pipeline serve [--project DIR]`: runs the project's schedules until SIGTERM or SIGINT.
// The signal handler only sets a flag (a second signal exits at once, which is still safe:
// every commit is atomic); the loop is pipeline/scheduler.h. Log lines go to stdout with a UTC
// timestamp; the progress line is drawn on stderr only when it is a terminal.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/pipeline_progress.h"
#include "pipeline/scheduler.h"
#include "util/time.h"

namespace silt::cli {
namespace {

static_assert(std::atomic<bool>::is_always_lock_free, "the stop flag is set in a signal handler");
std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

void on_signal(int sig) {
  if (g_stop.exchange(true)) {
    const char msg[] = "silt pipeline serve: second signal, exiting now\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(1);
  }
  g_signal = sig;
}

Status install_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGTERM, SIGINT})
    if (sigaction(sig, &sa, nullptr) != 0)
      return Error(ErrorKind::Internal, "cannot install a signal handler");
  return ok_status();
}

Status run_serve(const std::string& dir) {
  SILT_ASSIGN_OR_RETURN(auto project, pipeline::load_project(dir));
  SILT_TRY(install_handlers());
  pipeline::ServeOptions options;
  options.stop = &g_stop;
  options.log = [](const std::string& line) {
    if (stderr_is_terminal()) std::cerr << "\r\033[K" << std::flush;         // the progress line gives way
    std::cout << format_timestamp_ms(now_ms()) << " " << line << std::endl;  // flushed: logs are tailed
  };
  if (stderr_is_terminal()) options.on_progress = draw_progress;
  SILT_TRY(pipeline::serve(project, options));
  std::cout << format_timestamp_ms(now_ms()) << " stopped on " << (g_signal == SIGINT ? "SIGINT" : "SIGTERM")
            << "; every table is at a committed version" << std::endl;
  return ok_status();
}

}  // namespace

void register_pipeline_serve_command(CLI::App& pipeline, CommandTable& commands) {
  auto project = std::make_shared<std::string>(".");
  auto* serve = pipeline.add_subcommand(
      "serve", "run the schedules of silt.toml until SIGTERM/SIGINT (a long-running process)");
  serve->add_option("--project,-p", *project, "project folder (default: current)");
  commands.add(serve, [project](Session&) { return run_serve(*project); });
}

}  // namespace silt::cli
