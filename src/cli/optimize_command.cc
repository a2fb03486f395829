// `silt optimize`: parses sizes and the z-order column list, calls ops/optimize, and reports
// the commit (or that there was nothing to do) in one line.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "ops/optimize.h"
#include "util/byte_size.h"

namespace silt::cli {
namespace {

struct OptimizeArgs {
  std::string path;
  std::string where;
  std::string target_size;
  std::string min_file_size;
  std::string zorder_by;
  double max_deleted_ratio = ops::kDefaultMaxDeletedRowsRatio;
};

Status run_optimize(Session& session, const OptimizeArgs& args) {
  ops::OptimizeOptions options;
  options.where = args.where;
  options.zorder_by = split_list(args.zorder_by);
  options.max_deleted_rows_ratio = args.max_deleted_ratio;
  if (!args.target_size.empty()) {
    SILT_ASSIGN_OR_RETURN(options.target_file_size, parse_byte_size(args.target_size));
  }
  if (!args.min_file_size.empty()) {
    SILT_ASSIGN_OR_RETURN(options.min_file_size, parse_byte_size(args.min_file_size));
  }
  SILT_ASSIGN_OR_RETURN(auto r, ops::optimize_table(session, args.path, options));
  if (!r.committed) {
    std::cout << "nothing to optimize at version " << r.read_version << " (" << r.files_considered
              << " file(s) considered)\n";
    return ok_status();
  }
  std::cout << "optimized " << args.path << " as version " << r.version << ": " << r.files_removed
            << " file(s) (" << r.bytes_removed << " bytes) rewritten into " << r.files_added << " ("
            << r.bytes_added << " bytes) in " << r.partitions_optimized << " partition(s), " << r.dvs_removed
            << " deletion vector(s) removed\n";
  if (!r.checkpoint_warning.empty())
    std::cerr << "warning: checkpoint failed: " << r.checkpoint_warning << "\n";
  return ok_status();
}

}  // namespace

void register_optimize_command(CLI::App& app, CommandTable& commands) {
  auto args = std::make_shared<OptimizeArgs>();
  auto* sub = app.add_subcommand("optimize", "compact small files, or cluster them by Z-order");
  sub->add_option("path", args->path, "table path")->required();
  sub->add_option("--where", args->where, "only partitions matching this predicate on partition columns");
  sub->add_option("--target-size", args->target_size,
                  "size of the new files, e.g. 128MB (default: delta.targetFileSize, else 128MB)");
  sub->add_option("--min-file-size", args->min_file_size,
                  "compact files smaller than this (default: 3/4 of the target size)");
  sub->add_option("--max-deleted-ratio", args->max_deleted_ratio,
                  "rewrite files whose deletion vector hides more than this share of rows (default 0.05)");
  sub->add_option("--zorder-by", args->zorder_by, "cluster by these data columns, e.g. x,y");
  commands.add(sub, [args](Session& session) { return run_optimize(session, *args); });
}

}  // namespace silt::cli
