// `silt write` and `silt create`: argument checks and the one-line report of a write.
#include <iostream>

#include "cli/commands.h"

namespace silt::cli {
namespace {

void report(const std::string& path, const ops::WriteResult& r) {
  if (r.skipped) {
    std::cout << "nothing to do: this application transaction was already committed (table version " << r.version
              << ")\n";
    return;
  }
  std::cout << "committed version " << r.version << " of " << path << ": " << r.files_added << " file(s), "
            << r.rows_added << " row(s) added";
  if (r.files_removed) std::cout << ", " << r.files_removed << " file(s) removed";
  if (r.attempts > 1) std::cout << " (after " << r.attempts - 1 << " concurrent commit(s))";
  std::cout << "\n";
}

}  // namespace

Status run_write(Session& session, const WriteArgs& args) {
  if (args.sql.empty() == args.file.empty()) return Error(ErrorKind::InvalidArgument, "give exactly one of --sql or --file");
  std::string source = args.sql;
  if (!args.file.empty()) {
    SILT_ASSIGN_OR_RETURN(source, ops::file_source_sql(args.file));
  }
  SILT_ASSIGN_OR_RETURN(auto result, ops::write_table(session, args.path, source, args.options));
  report(args.path, result);
  return ok_status();
}

Status run_create(Session& session, const CreateArgs& args) {
  SILT_ASSIGN_OR_RETURN(auto result, ops::create_table(session, args.path, args.columns, args.options));
  std::cout << "created " << args.path << " at version " << result.version << "\n";
  return ok_status();
}

}  // namespace silt::cli
