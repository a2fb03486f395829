// `silt restore` and `silt diff`: argument checks and one-line reports; the work is in
// ops/restore and ops/diff. A diff is printed exactly as `silt query` prints a result.
#include <iostream>

#include "cli/commands.h"
#include "ops/diff.h"
#include "ops/restore.h"
#include "util/time.h"

namespace silt::cli {

Status run_restore(Session& session, const RestoreArgs& args) {
  TimeTravel to;
  if (args.version.has_value() == args.timestamp.has_value()) {
    return Error(ErrorKind::InvalidArgument, "restore needs exactly one of --version and --timestamp");
  }
  if (args.version) to.version = *args.version;
  if (args.timestamp) {
    SILT_ASSIGN_OR_RETURN(int64_t ts, parse_timestamp_ms(*args.timestamp));
    to.timestamp_ms = ts;
  }
  SILT_ASSIGN_OR_RETURN(auto r, ops::restore_table(session, args.path, to));
  if (!r.committed) {
    std::cout << "nothing to restore: version " << r.read_version << " already equals version "
              << r.restored_version << "\n";
    return ok_status();
  }
  std::cout << "restored " << args.path << " to version " << r.restored_version << " as version " << r.version
            << ": " << r.files_restored << " file(s) added back, " << r.files_removed << " removed\n";
  if (!r.checkpoint_warning.empty())
    std::cerr << "warning: checkpoint failed: " << r.checkpoint_warning << "\n";
  return ok_status();
}

Status run_diff(Session& session, const DiffArgs& args) {
  SILT_ASSIGN_OR_RETURN(std::string sql, ops::diff_sql(session, args.path, args.from, args.to, args.key));
  QueryArgs query;
  query.sql = std::move(sql);
  query.format = args.format;
  return run_query(session, query);
}

}  // namespace silt::cli
