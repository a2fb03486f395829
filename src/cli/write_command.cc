// `silt write` and `silt create`: argument checks and the one-line report of a write.
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"

namespace silt::cli {
namespace {

void report(const std::string& path, const ops::WriteResult& r) {
  if (r.skipped) {
    std::cout << "nothing to do: this application transaction was already committed (table version "
              << r.version << ")\n";
    return;
  }
  std::cout << "committed version " << r.version << " of " << path << ": " << r.files_added << " file(s), "
            << r.rows_added << " row(s) added";
  if (r.files_removed) std::cout << ", " << r.files_removed << " file(s) removed";
  finish_commit_report(std::cout, r.attempts, r.checkpointed, r.checkpoint_warning);
}

}  // namespace

Status run_write(Session& session, const WriteArgs& args) {
  if (args.sql.empty() == args.file.empty())
    return Error(ErrorKind::InvalidArgument, "give exactly one of --sql or --file");
  std::string source = args.sql;
  if (!args.file.empty()) {
    SILT_ASSIGN_OR_RETURN(source, ops::file_source_sql(args.file));
  }
  SILT_ASSIGN_OR_RETURN(auto result, ops::write_table(session, args.path, source, args.options));
  report(args.path, result);
  return ok_status();
}

Status run_checkpoint(Session& session, const std::string& path) {
  SILT_ASSIGN_OR_RETURN(auto r, ops::checkpoint_table(session, path));
  if (r.summary.written) {
    std::cout << "checkpoint written at version " << r.summary.version << ": " << r.summary.num_of_add_files
              << " file(s), " << r.summary.size_in_bytes << " bytes";
  } else {
    std::cout << "version " << r.summary.version << " already has a checkpoint";
  }
  if (r.log_files_deleted) std::cout << "; " << r.log_files_deleted << " expired log file(s) deleted";
  std::cout << "\n";
  return ok_status();
}

Status run_vacuum(Session& session, const VacuumArgs& args) {
  SILT_ASSIGN_OR_RETURN(auto r, ops::vacuum(session, args.path, args.options));
  for (const auto& f : r.files) std::cout << (r.dry_run ? "would delete " : "deleted ") << f << "\n";
  std::cout << (r.dry_run ? "dry run: " : "") << r.files.size() << " file(s), " << r.bytes << " bytes"
            << (r.dry_run ? " would be deleted" : " deleted") << "\n";
  return ok_status();
}

Status run_create(Session& session, const CreateArgs& args) {
  SILT_ASSIGN_OR_RETURN(auto result, ops::create_table(session, args.path, args.columns, args.options));
  std::cout << "created " << args.path << " at version " << result.version << "\n";
  return ok_status();
}

}  // namespace silt::cli
