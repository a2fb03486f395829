// Row-level DELETE and UPDATE on Delta tables, in one commit each. Only files whose partition
// values and stats may hold matching rows are read. Matched rows are marked in deletion vectors
// when the table has them enabled, else their files are rewritten (copy-on-write); tables with
// delta.enableChangeDataFeed = true also get the commit's change data files. On any error
// before the commit the table is unchanged (files already written are orphans for vacuum).
// One thread per Session.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ops/sql_clauses.h"
#include "scan/session.h"

namespace silt::ops {

struct DmlOptions {
  // SQL predicate over the table's columns (may use delta_scan); rows where it is NULL do not
  // match. Empty: every row.
  std::string where;
  // Deletion vectors of at most this many serialized bytes are stored inline in the log; larger
  // ones go into one deletion_vector_<uuid>.bin file per commit.
  int64_t max_inline_dv_bytes = 64;
  int64_t target_file_size = 128ll << 20;  // for data files written
};

// What a DELETE or UPDATE did. Counts follow Spark's operation metrics, which the commitInfo
// also carries: a file whose deletion vector grew is neither removed nor added.
struct DmlResult {
  int64_t version = -1;           // the new version, or the version read when nothing matched
  bool committed = false;         // false when no row matched: there was nothing to commit
  bool deletion_vectors = false;  // the table is in deletion-vector mode
  int64_t rows_deleted = 0;
  int64_t rows_updated = 0;
  int64_t rows_copied = 0;    // unchanged rows rewritten into new files (copy-on-write)
  int64_t files_scanned = 0;  // files that may match the WHERE, read to find the rows
  int64_t files_added = 0;    // new data files
  int64_t files_removed = 0;  // files removed from the table
  int64_t bytes_added = 0;
  int64_t bytes_removed = 0;
  int64_t dvs_added = 0;           // files that got their first deletion vector
  int64_t dvs_updated = 0;         // files whose deletion vector was replaced by a larger one
  int64_t dvs_removed = 0;         // files with a deletion vector that were removed
  int64_t change_files_added = 0;  // cdc files (tables with delta.enableChangeDataFeed = true)
  int attempts = 0;                // commit attempts (more than 1 after lost races)
  bool checkpointed = false;       // the commit was due a checkpoint and got one
  std::string checkpoint_warning;  // why a due checkpoint failed (the commit itself stands)
};

// DELETE FROM table [WHERE options.where]. Errors (one line): unparsable or unbindable WHERE,
// a table silt cannot write, append-only tables; Conflict when a
// concurrent commit invalidates what this one read.
Result<DmlResult> delete_rows(Session& session, std::string_view path, const DmlOptions& options);

// UPDATE table SET assignments [WHERE options.where]. Values are cast to the column types;
// InvalidArgument naming it for an unknown or repeated column, and for a bad expression.
Result<DmlResult> update_rows(Session& session, std::string_view path, const std::vector<Assignment>& set,
                              const DmlOptions& options);

}  // namespace silt::ops
