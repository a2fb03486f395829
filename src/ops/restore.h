// RESTORE: one new commit that makes a table's live files (and metadata) equal to an earlier
// version's. Files are matched by (canonical path, DV id); the protocol is never downgraded.
// Either the whole restore commits or nothing does. One thread per Session.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "delta/model/actions.h"
#include "scan/session.h"

namespace silt::ops {

struct RestoreResult {
  int64_t restored_version = -1;  // the version the table now equals
  int64_t read_version = -1;      // the latest version before the restore
  int64_t version = -1;           // the new commit, or read_version when nothing was committed
  bool committed = false;         // false when the table already equals the target version
  int64_t files_restored = 0;     // adds of files live at the target but not now
  int64_t files_removed = 0;      // removes of files live now but not at the target
  int64_t bytes_restored = 0;
  int64_t bytes_removed = 0;
  int64_t files_after = 0;  // live files after the restore
  int64_t bytes_after = 0;
  bool metadata_changed = false;
  bool protocol_changed = false;
  bool checkpointed = false;
  std::string checkpoint_warning;
};

// REQUIRES: `to` names a version or a timestamp. InvalidArgument for a version that does not
// exist; NotFound naming the first data or DV file that the target version needs but that is
// gone (vacuumed) -- nothing is committed then.
// NotFound "cannot <verb>: data file X is gone (vacuumed?)" (or its deletion vector file) for
// the first file of `adds` that no longer exists under the table `root`.
Status check_files_present(Session& session, const std::string& root,
                           const std::vector<const delta::AddFile*>& adds, const std::string& verb);

Result<RestoreResult> restore_table(Session& session, std::string_view path, const TimeTravel& to);

}  // namespace silt::ops
