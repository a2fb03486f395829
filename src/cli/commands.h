// The CLI subcommands. Each parses nothing (main.cc does, with CLI11) and holds no protocol
// logic: it calls the Session and ops layers and formats what they return. Each returns the
// process exit code; errors are printed as one "error: ..." line by the caller.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ops/checkpoint.h"
#include "ops/dml.h"
#include "ops/merge.h"
#include "ops/vacuum.h"
#include "ops/write.h"
#include "scan/session.h"

namespace silt::cli {

enum class Format { Table, Csv, Json, Parquet };

// Subcommands added by register_* functions: each adds its CLI11 subcommand (options bound to
// state the function keeps alive) and what runs, with the open session, when it is chosen.
// New commands register here rather than growing main.cc.
class CommandTable {
 public:
  using Runner = std::function<Status(Session&)>;
  void add(CLI::App* subcommand, Runner run) { entries_.emplace_back(subcommand, std::move(run)); }
  // The runner of the subcommand the user chose, or null.
  const Runner* chosen() const {
    for (const auto& [sub, run] : entries_)
      if (*sub) return &run;
    return nullptr;
  }

 private:
  std::vector<std::pair<CLI::App*, Runner>> entries_;
};

// `silt changes PATH --from-version A [--to-version B] | --from-timestamp T [--to-timestamp T2]`.
void register_changes_command(CLI::App& app, CommandTable& commands);
// `silt pipeline ...` (pipeline_command.cc).
void register_pipeline_command(CLI::App& app, CommandTable& commands);
// `silt pipeline serve` (pipeline_serve_command.cc): added by register_pipeline_command under
// its `pipeline` subcommand.
void register_pipeline_serve_command(CLI::App& pipeline, CommandTable& commands);
// `silt optimize` (cli/optimize_command.cc).
void register_optimize_command(CLI::App& app, CommandTable& commands);
// `silt merge` (merge_command.cc).
void register_merge_command(CLI::App& app, CommandTable& commands);
// `silt recover PATH --from-version N --where PRED` (recover_command.cc).
void register_recover_command(CLI::App& app, CommandTable& commands);
// The one-line report of a MERGE (also for MERGE INTO statements in `silt query`).
void print_merge_report(const std::string& path, const ops::MergeResult& r);

// "a, b,c" -> {"a", "b", "c"}: items trimmed, empty ones dropped.
std::vector<std::string> split_list(const std::string& text);

struct QueryArgs {
  std::string sql;
  Format format = Format::Table;
  std::string output;    // file path; "" = stdout
  bool verbose = false;  // report files scanned per delta_scan on stderr
};

Status run_query(Session& session, const QueryArgs& args);
Status run_shell(Session& session);

struct HistoryArgs {
  std::string path;
  Format format = Format::Table;
  std::optional<int64_t> limit;
};
Status run_history(Session& session, const HistoryArgs& args);

struct DescribeArgs {
  std::string path;
  Format format = Format::Table;
  std::optional<int64_t> version;
  std::optional<std::string> timestamp;
};
Status run_describe(Session& session, const DescribeArgs& args);

struct WriteArgs {
  std::string path;
  std::string sql;
  std::string file;
  ops::WriteOptions options;
};
Status run_write(Session& session, const WriteArgs& args);

struct CreateArgs {
  std::string path;
  std::string columns;  // DuckDB column definitions
  ops::WriteOptions options;
};
Status run_create(Session& session, const CreateArgs& args);

Status run_checkpoint(Session& session, const std::string& path);

struct VacuumArgs {
  std::string path;
  ops::VacuumOptions options;
};
Status run_vacuum(Session& session, const VacuumArgs& args);

struct DeleteArgs {
  std::string path;
  std::optional<std::string> where;  // absent: every row; given but blank: an error
};
Status run_delete(Session& session, const DeleteArgs& args);

struct UpdateArgs {
  std::string path;
  std::string set;  // "col = expr, ..."
  std::optional<std::string> where;
};
Status run_update(Session& session, const UpdateArgs& args);

struct RestoreArgs {
  std::string path;
  std::optional<int64_t> version;
  std::optional<std::string> timestamp;
};
Status run_restore(Session& session, const RestoreArgs& args);

struct DiffArgs {
  std::string path;
  int64_t from = 0;
  int64_t to = 0;
  std::vector<std::string> key;
  Format format = Format::Table;
};
Status run_diff(Session& session, const DiffArgs& args);

}  // namespace silt::cli
