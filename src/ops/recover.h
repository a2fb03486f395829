// RECOVER: selective recovery. The rows matching a predicate are replaced by the rows that
// matched it at an earlier version, in one commit on the row-change engine (ops/row_changes.h);
// rows outside the predicate are left as they are. One thread per Session.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "scan/session.h"

namespace silt::ops {

struct RecoverOptions {
  int64_t from_version = -1;         // the version whose matching rows come back
  std::string where;                 // SQL predicate over the table's columns (may use delta_scan); required
  int64_t max_inline_dv_bytes = 64;  // as DmlOptions
  int64_t target_file_size = 128ll << 20;  // for data files written
};

struct RecoverResult {
  int64_t version = -1;    // the new commit, or the version read when nothing differed
  bool committed = false;  // false when the matching rows already equal version from_version's
  int64_t read_version = -1;
  int64_t rows_matched_now = 0;   // current rows matching the predicate
  int64_t rows_matched_then = 0;  // rows of from_version matching it
  // What actually changed, comparing whole rows as multisets: current matching rows with no
  // equal row at from_version are removed, rows of from_version with no equal row now are
  // restored; a row equal on both sides is left alone (not deleted and re-inserted).
  int64_t rows_removed = 0;   // numDeletedRows
  int64_t rows_restored = 0;  // numRestoredRows
  int64_t rows_changed() const { return rows_removed + rows_restored; }
  int64_t files_scanned = 0;  // current files the predicate may match
  int64_t files_added = 0;
  int64_t files_removed = 0;
  int64_t rows_copied = 0;  // copy-on-write
  int64_t rows_written = 0;
  int64_t bytes_added = 0;
  int64_t bytes_removed = 0;
  int64_t dvs_added = 0;
  int64_t dvs_updated = 0;
  int64_t dvs_removed = 0;
  int64_t change_files_added = 0;
  int attempts = 0;
  bool checkpointed = false;
  std::string checkpoint_warning;
};

// Replaces the rows matching `options.where` with their contents as of `options.from_version`.
// The commit (operation "RECOVER", parameters version and predicate) touches only the rows that
// differ: it deletes the removed rows and inserts the restored ones (see RecoverResult), so in a
// change-data-feed table the feed shows exactly those deletes and inserts. Nothing is committed
// when the two multisets are equal. Errors, one line, table unchanged: an empty predicate; a version that
// does not exist (InvalidArgument naming the range); a data or DV file the version needs that is gone
// (NotFound naming it); a predicate that does not parse or bind ("WHERE ...: reason"); the
// errors of open_change_target; Conflict when a concurrent commit invalidates what was read.
Result<RecoverResult> recover_rows(Session& session, std::string_view path, const RecoverOptions& options);

}  // namespace silt::ops
