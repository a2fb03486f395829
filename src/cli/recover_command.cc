// `silt recover PATH --from-version N --where PRED`: selective recovery of the rows matching a
// predicate from an earlier version, with a one-line report; the work is in ops/recover.h.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "ops/recover.h"

namespace silt::cli {
namespace {

struct RecoverArgs {
  std::string path;
  ops::RecoverOptions options;
};

Status run_recover(Session& session, const RecoverArgs& args) {
  SILT_ASSIGN_OR_RETURN(auto r, ops::recover_rows(session, args.path, args.options));
  if (!r.committed) {
    std::cout << "nothing to recover: the rows matching the predicate at version " << r.read_version
              << " already equal those of version " << args.options.from_version << "\n";
    return ok_status();
  }
  std::cout << "recovered " << args.path << " from version " << args.options.from_version << " as version "
            << r.version << ": " << r.rows_changed() << " row(s) changed (" << r.rows_removed << " removed, "
            << r.rows_restored << " restored); the predicate matched " << r.rows_matched_now
            << " row(s) now and " << r.rows_matched_then << " at version " << args.options.from_version
            << "\n";
  if (!r.checkpoint_warning.empty())
    std::cerr << "warning: checkpoint failed: " << r.checkpoint_warning << "\n";
  return ok_status();
}

}  // namespace

void register_recover_command(CLI::App& app, CommandTable& commands) {
  auto args = std::make_shared<RecoverArgs>();
  auto* sub = app.add_subcommand(
      "recover", "replace the rows matching a predicate with their contents as of an earlier version");
  sub->add_option("path", args->path, "table path")->required();
  sub->add_option("--from-version", args->options.from_version, "the version to take the rows from")
      ->required();
  sub->add_option("--where", args->options.where, "predicate choosing the rows to recover")->required();
  sub->add_option("--max-inline-dv-bytes", args->options.max_inline_dv_bytes,
                  "larger deletion vectors go to a file");
  commands.add(sub, [args](Session& session) { return run_recover(session, *args); });
}

}  // namespace silt::cli
