// The row-change engine shared by DELETE, UPDATE and MERGE: given the target rows a statement
// touched (each marked deleted or updated) and a SELECT of the rows to add (inserts and update
// post-images), it turns them into one commit, in deletion-vector or copy-on-write mode.
// Internal to ops/. One thread per Session.
//
// Data model. A statement records its touched target rows in the temp table kTouchedTable with
// columns (kTouchedFile, kTouchedRow, kTouchedKind): the file as a positions scan names it
// (scan::kFileColumn), the 0-based row in that file (scan::kRowColumn), and 'delete' or
// 'update'. Each row appears at most once. The rows to add come from `new_rows_sql`, a SELECT of
// the table's columns by name plus the column kChangeType ('insert' or 'update_postimage'),
// which the engine drops before writing.
//
// Change data feed: when the table has delta.enableChangeDataFeed = true, the engine also writes
// the commit's cdc files (ops/change_data.h), so every statement gets them from here:
//   pre-images  = preimage_sql(): the touched rows as they were, with kChangeType 'delete' or
//                 'update_preimage' (from kTouchedKind);
//   post-images = new_rows_sql, which already carries 'insert' / 'update_postimage'.
// A commit with cdc files is read by the feed from them alone (PROTOCOL.md "Change Data Files"),
// so they hold every change of the commit, the inserts of a MERGE included.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "delta/model/actions.h"
#include "delta/snapshot/snapshot.h"
#include "delta/txn/conflict_checker.h"
#include "scan/session.h"

namespace silt::ops {

inline constexpr const char* kTouchedTable = "__silt_touched";
inline constexpr const char* kTouchedFile = "__silt_touched_file";
inline constexpr const char* kTouchedRow = "__silt_touched_row";
inline constexpr const char* kTouchedKind = "__silt_touched_kind";  // 'delete' or 'update'
inline constexpr const char* kChangeType = "_change_type";          // as in Delta's CDF files

// The table a statement changes, as read at one version.
struct ChangeTarget {
  std::string root;
  delta::Snapshot snap;
  delta::StructType schema;
  delta::ColumnMappingMode mapping = delta::ColumnMappingMode::None;
  bool dv_mode = false;  // deletionVectors feature in the protocol and enabled in the metadata
  bool cdf = false;      // delta.enableChangeDataFeed = true: commits carry cdc files
};

// Opens the table for a row-level `operation` ("DELETE", "UPDATE", "MERGE"). InvalidArgument for
// append-only tables and tables without a schema; Unsupported for tables silt cannot write.
Result<ChangeTarget> open_change_target(Session& session, std::string_view path,
                                        const std::string& operation);

// The target's version as a TimeTravel, for scans of it.
TimeTravel at_version(const ChangeTarget& t);

// SQL of a scan of the target's files `paths` (as logged) at its version, with the position
// columns scan::kFileColumn / scan::kRowColumn.
Result<std::string> scan_with_positions(Session& session, const ChangeTarget& t, std::set<std::string> paths);

// The files a WHERE may match (partition values and stats), and what the commit declares it read.
struct FileSelection {
  std::string where;  // the WHERE with delta_scan calls expanded; "" for none
  std::vector<const delta::AddFile*> candidates;
  delta::ReadSet read;
};

// Chooses the files of `t` that rows matching `where` (SQL over the table's columns; "" = every
// row) may be in. InvalidArgument "WHERE <where>: <reason>" when it does not parse or bind.
Result<FileSelection> select_files(Session& session, const ChangeTarget& t, const std::string& where);

// Owns kTouchedTable: drops it when destroyed. Fill it with record(); then the counts are known.
class TouchedRows {
 public:
  explicit TouchedRows(db::Connection& conn) : conn_(conn) {}
  TouchedRows(const TouchedRows&) = delete;
  TouchedRows& operator=(const TouchedRows&) = delete;
  ~TouchedRows();

  // Creates kTouchedTable from `select_sql`, which returns (file, row, kind) in that order, and
  // counts the rows per file of `candidates` (the files the rows may come from). Errors from the
  // SELECT are returned as DuckDB gives them.
  Status record(const ChangeTarget& t, const std::string& select_sql,
                const std::vector<const delta::AddFile*>& candidates);

  // A file with touched rows.
  struct File {
    const delta::AddFile* file;
    std::string read_path;  // as the scan names it
    int64_t rows = 0;
  };
  const std::vector<File>& files() const { return files_; }
  int64_t rows() const { return rows_; }
  int64_t deleted() const { return deleted_; }
  int64_t updated() const { return rows_ - deleted_; }

  // The touched rows as they were, with kChangeType 'delete' / 'update_preimage' (see above).
  Result<std::string> preimage_sql(Session& session, const ChangeTarget& t) const;

 private:
  db::Connection& conn_;
  std::vector<File> files_;
  int64_t rows_ = 0;
  int64_t deleted_ = 0;
};

// FROM clause joining a positions scan `t` with the touched rows `m` (join: "LEFT JOIN", "SEMI
// JOIN", ...).
std::string join_touched(const std::string& scan_sql, const char* join);

struct RowChangeOptions {
  // Deletion vectors of at most this many serialized bytes are stored inline in the log; larger
  // ones go into one deletion_vector_<uuid>.bin file per commit.
  int64_t max_inline_dv_bytes = 64;
  int64_t target_file_size = 128ll << 20;
};

// What the engine did; Spark's names for the metrics in comments.
struct RowChangeCounts {
  int64_t rows_copied = 0;    // numCopiedRows: unchanged rows rewritten (copy-on-write)
  int64_t rows_written = 0;   // numOutputRows: rows in the new files
  int64_t files_added = 0;    // numAddedFiles
  int64_t files_removed = 0;  // numRemovedFiles
  int64_t bytes_added = 0;
  int64_t bytes_removed = 0;
  int64_t dvs_added = 0;           // files that got their first deletion vector
  int64_t dvs_updated = 0;         // files whose deletion vector was replaced by a larger one
  int64_t dvs_removed = 0;         // files with a deletion vector that were removed
  int64_t change_files_added = 0;  // numAddedChangeFiles (MERGE: numTargetChangeFilesAdded)
};

// The actions of one commit and their counts.
struct RowChanges {
  std::vector<delta::AddFile> adds;
  std::vector<delta::RemoveFile> removes;
  std::vector<delta::AddCdcFile> cdc;  // change data files (CDF tables only)
  RowChangeCounts counts;
  bool empty() const { return adds.empty() && removes.empty(); }
};

// Writes the changes: in DV mode, the new rows go into new files and each touched file's
// deletion vector grows by its touched rows (a file left with no row is removed); in
// copy-on-write mode each touched file is replaced by its untouched rows plus, in the same new
// files, the new rows. `new_rows_sql` may be empty (nothing to add); `new_rows` is how many rows
// it returns (checked in DV mode, used to count copied rows otherwise). Bad values in the new
// rows (failed cast, NULL in a non-nullable column) are InvalidArgument as write_data_files gives
// them. In a CDF table the pre-images and the new rows also go into cdc files; the new rows are
// then materialized once, so data and cdc files agree even for non-deterministic values.
// Nothing is committed; on error, files already written are orphans for vacuum.
Result<RowChanges> write_row_changes(Session& session, const ChangeTarget& t, const TouchedRows& touched,
                                     const std::string& new_rows_sql, int64_t new_rows,
                                     const RowChangeOptions& options);

// Retires every live file of the target (DELETE without WHERE); in a CDF table every live row
// is also written to cdc files as a 'delete'.
Result<RowChanges> remove_all_rows(Session& session, const ChangeTarget& t, const RowChangeOptions& options);

// The commit's operation, for commitInfo: Spark's operation name, parameters and metrics as
// JSON objects (metric values are strings, as Spark writes them).
struct OperationInfo {
  std::string name;
  std::string parameters_json = "{}";
  std::string metrics_json = "{}";
  std::optional<delta::Txn> app_txn;  // an idempotent application transaction to record
};

struct CommittedChanges {
  int64_t version = -1;
  int attempts = 0;
  bool checkpointed = false;       // the commit was due a checkpoint and got one
  std::string checkpoint_warning;  // why a due checkpoint failed (the commit itself stands)
};

// Commits the changes at the target's version + 1 (or later, after non-conflicting races),
// declaring `read` as what the statement read; Conflict when a concurrent commit invalidates it.
Result<CommittedChanges> commit_row_changes(Session& session, const ChangeTarget& t, RowChanges changes,
                                            const delta::ReadSet& read, const OperationInfo& op);

// Wall-clock phases of a statement, for Spark's executionTimeMs, scanTimeMs and rewriteTimeMs.
struct StatementClock {
  using Clock = std::chrono::steady_clock;
  Clock::time_point start = Clock::now();
  int64_t scan_ms = 0;     // until the touched rows are known
  int64_t rewrite_ms = 0;  // writing files
  static int64_t ms_since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
  }
  int64_t elapsed_ms() const { return ms_since(start); }
};

// Copies the engine's counts into a statement's result (DmlResult, MergeResult: same names).
template <class StatementResult>
void record_counts(const RowChangeCounts& c, StatementResult& r) {
  r.rows_copied = c.rows_copied;
  if constexpr (requires { r.rows_written; }) r.rows_written = c.rows_written;
  r.files_added = c.files_added;
  r.files_removed = c.files_removed;
  r.bytes_added = c.bytes_added;
  r.bytes_removed = c.bytes_removed;
  r.dvs_added = c.dvs_added;
  r.dvs_updated = c.dvs_updated;
  r.dvs_removed = c.dvs_removed;
  r.change_files_added = c.change_files_added;
}

// Spark's file and row metrics of DELETE and UPDATE (numCopiedRows ... numAddedChangeFiles), from
// a statement's result, for metrics_object().
template <class StatementResult>
std::vector<std::pair<std::string, int64_t>> file_metrics(const StatementResult& r) {
  return {{"numCopiedRows", r.rows_copied},
          {"numAddedFiles", r.files_added},
          {"numRemovedFiles", r.files_removed},
          {"numAddedBytes", r.bytes_added},
          {"numRemovedBytes", r.bytes_removed},
          {"numDeletionVectorsAdded", r.dvs_added},
          {"numDeletionVectorsRemoved", r.dvs_removed},
          {"numDeletionVectorsUpdated", r.dvs_updated},
          {"numAddedChangeFiles", r.change_files_added}};
}

// Copies the commit's outcome into a statement's result.
template <class StatementResult>
void record_commit(const CommittedChanges& c, StatementResult& r) {
  r.committed = true;
  r.version = c.version;
  r.attempts = c.attempts;
  r.checkpointed = c.checkpointed;
  r.checkpoint_warning = c.checkpoint_warning;
}

// {"name":"value",...} with each value as a JSON string, as Spark writes operation metrics.
std::string metrics_object(const std::vector<std::pair<std::string, int64_t>>& metrics);

// DuckDB errors quote the failing statement after " LINE n:"; ours is generated, so only the
// reason is kept, after `context` (what the user wrote).
Error user_sql_error(const Error& e, const std::string& context);

}  // namespace silt::ops
