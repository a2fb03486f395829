// VACUUM: deletes the files under a table's root that its latest version does not reference and
// that are older than the retention, so readers of any version inside the retention keep every file
// they need. Never touches _delta_log or hidden paths. One thread at a time (uses the Session).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scan/session.h"

namespace silt::ops {

struct VacuumOptions {
  // Keep files removed from the table, or written, less than this long ago. nullopt: the table's
  // delta.deletedFileRetentionDuration (default 168 hours).
  std::optional<double> retain_hours;
  // List what would be deleted, delete nothing.
  bool dry_run = false;
  // Allow a retention shorter than delta.deletedFileRetentionDuration, which can break concurrent
  // readers and writers still using recently removed or just-written files.
  bool force = false;
  // Clock, ms since the epoch; 0 = the wall clock.
  int64_t now_ms = 0;
};

struct VacuumReport {
  std::vector<std::string> files;  // relative to the table root, sorted: deleted (or, dry run, to delete)
  int64_t bytes = 0;               // their total size
  bool dry_run = false;
};

// Walks the table root and deletes each file that is
//   - not a live add's data file or deletion vector file in the latest snapshot,
//   - not the data file or DV file of a tombstone deleted after now - retention,
//   - last modified before now - retention (protects files of writers still in flight), and
//   - not hidden: no path component starts with '.' or '_', except `_change_data` (change data
//     files expire with the retention, as in Delta), `_delta_index` and partition directories
//     `<partition column>=...` (Delta's DeltaTableUtils.isHiddenDirectory rule).
// Empty directories are left in place.
// Errors: InvalidArgument for a negative retention, or one below delta.deletedFileRetentionDuration
// without `force`; Unsupported for tables failing delta::check_maintainable(); an Io error ends the
// run (files deleted before it stay deleted).
Result<VacuumReport> vacuum(Session& session, const std::string& table_path, const VacuumOptions& options);

}  // namespace silt::ops
