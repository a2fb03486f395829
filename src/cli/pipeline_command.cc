// `silt pipeline init | plan | run | backfill | runs | status` (serve: pipeline_serve_command.cc): options,
// progress and reports; the work is in src/pipeline/. A run with failed assets prints its report and then
// exits with an error.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/pipeline_progress.h"
#include "pipeline/asset_graph.h"
#include "pipeline/runner.h"
#include "pipeline/scaffold.h"
#include "util/json_text.h"
#include "util/sql_text.h"
#include "util/time.h"

namespace silt::cli {
namespace {

struct PipelineArgs {
  std::string dir;  // init
  std::string project = ".";
  std::vector<std::string> select;
  bool full_refresh = false;
  std::optional<std::string> resume, run_id;
  int threads = 0;
  int64_t limit = 20;
  std::string partition, from, to;
  Format format = Format::Table;
};

std::string seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", ms / 1000.0);
  return buf;
}

// "3m", "2h", "5d": how long ago, for status.
std::string age(int64_t ms) {
  int64_t s = ms / 1000;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

Status run_plan(const PipelineArgs& args) {
  SILT_ASSIGN_OR_RETURN(auto project, pipeline::load_project(args.project));
  SILT_ASSIGN_OR_RETURN(auto selected, pipeline::select_assets(project, args.select));
  auto levels = pipeline::run_levels(project, selected);
  std::cout << "lake: " << project.config.lake << "\n";
  for (size_t i = 0; i < levels.size(); i++) {
    std::cout << "level " << i << ":\n";
    for (const auto& name : levels[i]) {
      const auto& a = *project.find(name);
      std::cout << "  " << a.layer << "." << a.name;
      std::string inputs;
      for (const auto& up : a.upstream) inputs += (inputs.empty() ? "" : ", ") + up;
      for (const auto& src : a.source_tables) inputs += (inputs.empty() ? "" : ", ") + src;
      if (!inputs.empty()) std::cout << " <- " << inputs;
      std::cout << "\n";
    }
  }
  std::cout << "(" << selected.size() << " assets in " << levels.size() << " levels)\n";
  return ok_status();
}

// On a terminal one line that keeps updating; in logs one line per start and end.
void show_progress(const pipeline::AssetRun& run, size_t done, size_t total) {
  if (stderr_is_terminal()) return draw_progress(run, done, total);
  if (run.status.empty())
    std::cerr << "start " << run.asset << "\n";
  else
    std::cerr << "end " << run.asset << " " << run.status << " rows=" << run.rows
              << " seconds=" << seconds(run.ended_ms - run.started_ms) << "\n";
}

pipeline::RunOptions run_options(const PipelineArgs& args) {
  pipeline::RunOptions options;
  options.select = args.select;
  options.full_refresh = args.full_refresh;
  options.resume = args.resume;
  options.run_id = args.run_id;
  options.threads = args.threads;
  options.partition = args.partition;
  options.on_progress = show_progress;
  if (stderr_is_terminal()) options.on_rows = draw_rows;
  return options;
}

// Prints a run's report; returns its failed and skipped assets as an error.
Status print_report(const pipeline::RunReport& report) {
  std::cout << "run " << report.run_id << "\n";
  TextTable t;
  t.header = {"asset", "status", "rows", "version", "seconds"};
  t.right_align = {false, false, true, true, true};
  for (const auto& r : report.assets) {
    t.rows.push_back({r.asset, r.status, std::to_string(r.rows),
                      r.version >= 0 ? std::optional<std::string>(std::to_string(r.version)) : std::nullopt,
                      seconds(r.ended_ms - r.started_ms)});
  }
  print_table(std::cout, t);
  for (const auto& r : report.assets)
    if (r.status == "failed") std::cout << r.asset << ": " << r.error << "\n";
  size_t failed = report.count("failed"), skipped = report.count("skipped");
  if (failed + skipped > 0) {
    return Error(ErrorKind::Internal, "run " + report.run_id + ": " + std::to_string(failed) + " failed, " +
                                          std::to_string(skipped) + " skipped (silt pipeline run --resume " +
                                          report.run_id + " re-runs them)");
  }
  return ok_status();
}

Status run_run(Session& session, const PipelineArgs& args) {
  SILT_ASSIGN_OR_RETURN(auto project, pipeline::load_project(args.project));
  SILT_ASSIGN_OR_RETURN(auto report, pipeline::run_pipeline(session, project, run_options(args)));
  return print_report(report);
}

Status run_backfill(Session& session, const PipelineArgs& args) {
  SILT_ASSIGN_OR_RETURN(auto project, pipeline::load_project(args.project));
  SILT_ASSIGN_OR_RETURN(auto reports,
                        pipeline::backfill(session, project, run_options(args), args.from, args.to));
  Status first_failure;
  for (const auto& report : reports) {
    std::cout << "partition " << report.partition << ": ";
    Status st = print_report(report);
    if (first_failure.ok() && !st.ok()) first_failure = st;
  }
  return first_failure;
}

std::string run_json(const pipeline::AssetRun& r) {
  return "{\"run_id\":" + json_quote(r.run_id) + ",\"asset\":" + json_quote(r.asset) +
         ",\"started_at\":" + json_quote(format_timestamp_ms(r.started_ms)) +
         ",\"ended_at\":" + json_quote(format_timestamp_ms(r.ended_ms)) +
         ",\"status\":" + json_quote(r.status) + ",\"rows\":" + std::to_string(r.rows) +
         ",\"version\":" + std::to_string(r.version) + ",\"input_versions\":" + r.input_versions +
         ",\"checks\":" + r.checks + ",\"error\":" + (r.error.empty() ? "null" : json_quote(r.error)) +
         ",\"attempts\":" + std::to_string(r.attempts) +
         ",\"partition\":" + (r.partition.empty() ? "null" : json_quote(r.partition)) + "}";
}

Status run_runs(Session& session, const PipelineArgs& args) {
  SILT_ASSIGN_OR_RETURN(auto config, pipeline::load_config(args.project));
  SILT_ASSIGN_OR_RETURN(auto runs, pipeline::load_runs(session, config.lake, std::nullopt, args.limit));
  if (args.format == Format::Json) {
    std::cout << "[";
    for (size_t i = 0; i < runs.size(); i++) std::cout << (i ? ",\n" : "\n") << run_json(runs[i]);
    std::cout << "\n]\n";
    return ok_status();
  }
  TextTable t;
  t.header = {"run_id", "asset", "status", "rows", "version", "ended_at", "seconds", "inputs", "error"};
  t.right_align = {false, false, false, true, true, false, true, false, false};
  for (const auto& r : runs) {
    t.rows.push_back({r.run_id, r.asset, r.status, std::to_string(r.rows), std::to_string(r.version),
                      format_timestamp_ms(r.ended_ms), seconds(r.ended_ms - r.started_ms), r.input_versions,
                      r.error.empty() ? std::nullopt : std::optional<std::string>(r.error)});
  }
  print_table(std::cout, t);
  return ok_status();
}

Status run_status(Session& session, const PipelineArgs& args) {
  SILT_ASSIGN_OR_RETURN(auto project, pipeline::load_project(args.project));
  SILT_ASSIGN_OR_RETURN(auto latest, pipeline::latest_per_asset(session, project.config.lake));
  SILT_ASSIGN_OR_RETURN(auto all, pipeline::load_runs(session, project.config.lake));
  TextTable t;
  t.header = {"asset", "layer", "state", "version", "rows", "last_success", "age"};
  t.right_align = {false, false, false, true, true, false, true};
  int64_t now = now_ms();
  for (const auto& a : project.assets) {
    std::optional<std::string> state = "never run", version, rows, last_ok, fresh;
    for (const auto& r : latest)
      if (r.asset == a.name) state = r.status;
    for (const auto& r : all)  // newest first
      if (r.asset == a.name && r.status == "success") {
        last_ok = format_timestamp_ms(r.ended_ms);
        fresh = age(now - r.ended_ms);
        break;
      }
    SILT_ASSIGN_OR_RETURN(auto v, pipeline::latest_table_version(session, a.table_path));
    if (v) {
      version = std::to_string(*v);
      SILT_ASSIGN_OR_RETURN(auto sql, session.expand_sql("SELECT count(*) FROM delta_scan(" +
                                                         quote_literal(a.table_path) + ")"));
      SILT_ASSIGN_OR_RETURN(rows, session.connection().scalar(sql));
    }
    t.rows.push_back({a.name, a.layer, state, version, rows, last_ok, fresh});
  }
  print_table(std::cout, t);
  return ok_status();
}

}  // namespace

bool stderr_is_terminal() {
  static const bool tty = isatty(STDERR_FILENO);
  return tty;
}

namespace {

// The line's state, shared by the scheduling thread (starts, ends) and asset threads (rows).
struct ProgressLine {
  std::mutex mu;
  size_t done = 0, total = 0;
  std::map<std::string, int64_t> started_ms;  // assets running
  int64_t drawn_ms = 0;
};

ProgressLine& progress_line() {
  static ProgressLine line;
  return line;
}

int64_t rows_per_s(int64_t rows, int64_t ms) { return rows * 1000 / std::max<int64_t>(1, ms); }

}  // namespace

void draw_progress(const pipeline::AssetRun& run, size_t done, size_t total) {
  ProgressLine& line = progress_line();
  std::lock_guard lock(line.mu);
  line.done = done;
  line.total = total;
  if (run.status.empty()) {
    line.started_ms[run.asset] = now_ms();
    std::cerr << "\r\033[K[" << done << "/" << total << "] running " << run.asset << std::flush;
    return;
  }
  line.started_ms.erase(run.asset);
  std::cerr << "\r\033[K[" << done << "/" << total << "] " << run.asset << " " << run.status << ", "
            << run.rows << " rows, " << rows_per_s(run.rows, run.ended_ms - run.started_ms) << " rows/s"
            << (done == total ? "\n" : "") << std::flush;
}

void draw_rows(const std::string& asset, int64_t rows) {
  ProgressLine& line = progress_line();
  std::lock_guard lock(line.mu);
  int64_t now = now_ms();
  auto started = line.started_ms.find(asset);
  if (started == line.started_ms.end() || now - line.drawn_ms < 200) return;  // at most 5 redraws a second
  line.drawn_ms = now;
  std::cerr << "\r\033[K[" << line.done << "/" << line.total << "] " << asset << " reading: " << rows
            << " rows, " << rows_per_s(rows, now - started->second) << " rows/s" << std::flush;
}

void register_pipeline_command(CLI::App& app, CommandTable& commands) {
  auto args = std::make_shared<PipelineArgs>();
  auto* pipeline =
      app.add_subcommand("pipeline", "asset pipelines: bronze -> silver -> gold over Delta tables");
  pipeline->require_subcommand(1);
  auto add_project = [&](CLI::App* sub) {
    sub->add_option("--project,-p", args->project, "project folder (default: current)");
  };
  auto add_select = [&](CLI::App* sub) {
    sub->add_option("--select,-s", args->select, "assets: name, name+, +name, layer:silver, a,b");
  };

  auto* init = pipeline->add_subcommand("init", "write a small working example project");
  init->add_option("dir", args->dir, "new project folder")->required();
  commands.add(init, [args](Session&) -> Status {
    SILT_TRY(pipeline::scaffold_project(args->dir));
    std::cout << "created " << args->dir << "; run it with: export SILT_PII_KEY=$(openssl rand -hex 32) && "
              << "silt pipeline run --project " << args->dir << "\n";
    return ok_status();
  });

  auto* plan = pipeline->add_subcommand("plan", "print the asset graph and the order it would run in");
  add_project(plan);
  add_select(plan);
  commands.add(plan, [args](Session&) { return run_plan(*args); });

  auto* run = pipeline->add_subcommand("run", "materialize assets in dependency order");
  add_project(run);
  add_select(run);
  run->add_flag("--full-refresh", args->full_refresh, "ignore watermarks and rebuild every selected asset");
  auto* resume = run->add_option("--resume", args->resume, "re-run what failed or was skipped in this run");
  run->add_option("--run-id", args->run_id, "run under this id (YYYYMMDD-HHMMSS-mmm); commits nothing twice")
      ->excludes(resume);
  run->add_option("--threads", args->threads, "assets at once (default: silt.toml, else the cores)");
  run->add_option("--partition", args->partition, "the day (YYYY-MM-DD) partitioned assets build");
  commands.add(run, [args](Session& s) { return run_run(s, *args); });

  auto* backfill =
      pipeline->add_subcommand("backfill", "run once per day over a range of days (partitioned assets)");
  add_project(backfill);
  add_select(backfill);
  backfill->add_option("--from", args->from, "first day, YYYY-MM-DD")->required();
  backfill->add_option("--to", args->to, "last day, YYYY-MM-DD")->required();
  backfill->add_option("--threads", args->threads, "assets at once (default: silt.toml, else the cores)");
  commands.add(backfill, [args](Session& s) { return run_backfill(s, *args); });

  auto* runs = pipeline->add_subcommand("runs", "list recorded asset materializations, newest first");
  add_project(runs);
  runs->add_option("--limit", args->limit, "newest N rows (default 20)");
  runs->add_option("--format", args->format, "table | json")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, Format>{{"table", Format::Table}, {"json", Format::Json}}, CLI::ignore_case));
  commands.add(runs, [args](Session& s) { return run_runs(s, *args); });

  auto* status = pipeline->add_subcommand("status", "per asset: latest state, version, rows, freshness");
  add_project(status);
  commands.add(status, [args](Session& s) { return run_status(s, *args); });

  register_pipeline_serve_command(*pipeline, commands);
}

}  // namespace silt::cli
