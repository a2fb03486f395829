// `silt delete` and `silt update`: argument checks and the one-line report of a row-level change.
// Formatting only; the work is in ops/dml.h.
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"

namespace silt::cli {
namespace {

// An explicit but blank --where (say, an unset shell variable) must not mean "every row".
Result<ops::DmlOptions> options_for(const std::optional<std::string>& where) {
  ops::DmlOptions options;
  if (!where) return options;
  if (where->find_first_not_of(" \t\r\n") == std::string::npos)
    return Error(ErrorKind::InvalidArgument, "--where is empty (leave it out to change every row)");
  options.where = *where;
  return options;
}

void report(const std::string& path, const ops::DmlResult& r, int64_t rows, const char* verb) {
  if (!r.committed) {
    std::cout << "no rows matched: nothing committed (" << path << " stays at version " << r.version << ")\n";
    return;
  }
  std::cout << "committed version " << r.version << " of " << path << ": " << rows << " row(s) " << verb;
  print_file_changes(std::cout, r.dvs_added + r.dvs_updated, r.files_removed, r.files_added, r.rows_copied);
  finish_commit_report(std::cout, r.attempts, r.checkpointed, r.checkpoint_warning);
}

}  // namespace

Status run_delete(Session& session, const DeleteArgs& args) {
  SILT_ASSIGN_OR_RETURN(auto options, options_for(args.where));
  SILT_ASSIGN_OR_RETURN(auto r, ops::delete_rows(session, args.path, options));
  report(args.path, r, r.rows_deleted, "deleted");
  return ok_status();
}

Status run_update(Session& session, const UpdateArgs& args) {
  SILT_ASSIGN_OR_RETURN(auto options, options_for(args.where));
  SILT_ASSIGN_OR_RETURN(auto set, ops::parse_assignments(args.set));
  SILT_ASSIGN_OR_RETURN(auto r, ops::update_rows(session, args.path, set, options));
  report(args.path, r, r.rows_updated, "updated");
  return ok_status();
}

}  // namespace silt::cli
