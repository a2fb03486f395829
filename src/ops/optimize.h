// OPTIMIZE: compacts small files (and files whose deletion vectors hide many rows) into files of
// about a target size, or, with Z-order columns, rewrites whole partitions clustered by those
// columns so that file stats skip more. One commit of removes and adds with dataChange = false;
// the rows are the same multiset before and after. One thread per Session.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scan/session.h"

namespace silt::ops {

inline constexpr int64_t kDefaultOptimizeTargetSize = 128ll << 20;
inline constexpr double kDefaultMaxDeletedRowsRatio = 0.05;  // Delta's maxDeletedRowsRatio

struct OptimizeOptions {
  // SQL predicate over partition columns only; "" = every partition.
  std::string where;
  // Z-order columns (data columns with stats); empty = bin-packing compaction.
  std::vector<std::string> zorder_by;
  // Output file size; default: the table's delta.targetFileSize, else 128 MiB.
  std::optional<int64_t> target_file_size;
  // Files below this size are compacted; default: 3/4 of the target, so that the target-sized
  // files a previous run wrote are never packed again.
  std::optional<int64_t> min_file_size;
  // Files whose deletion vector hides more than this share of their rows are rewritten.
  double max_deleted_rows_ratio = kDefaultMaxDeletedRowsRatio;
};

struct OptimizeResult {
  int64_t read_version = -1;
  int64_t version = -1;    // the new commit, or read_version when nothing was committed
  bool committed = false;  // false: nothing to optimize
  int64_t files_added = 0;
  int64_t files_removed = 0;
  int64_t bytes_added = 0;
  int64_t bytes_removed = 0;
  int64_t dvs_removed = 0;           // removed files that carried a deletion vector
  int64_t partitions_optimized = 0;  // partitions rewritten
  int64_t files_considered = 0;      // live files in the selected partitions
  int64_t files_skipped = 0;         // of those, left as they are
  std::vector<int64_t> added_sizes;  // sizes of the new files, ascending
  bool checkpointed = false;
  std::string checkpoint_warning;
};

// Bin-packing (no zorder_by): in each partition matching `where`, the candidates are the files
// smaller than min_file_size and the files whose deletion vector removes more than
// max_deleted_rows_ratio of their rows (a DV file without numRecords always qualifies). A
// partition whose only candidate has no deletion vector is left alone; the others have their
// candidates rewritten, as one stream of rows read through the DV-aware scan, into files cut at
// target_file_size -- so every new file but a partition's last reaches the target, and running
// optimize again commits nothing.
// Z-order: every file of each selected partition is rewritten, sorted by zorder_keyed()'s key
// and cut at Z-order cell boundaries (key ranges sharing a prefix, each holding one to two
// targets of input bytes), so that every file covers a small box of the z-order columns.
// New files get stats as the table's writers give them (delta.dataSkippingNumIndexedCols), except
// for columns none of the rewritten files had stats for (e.g. PII written with no_stats_columns).
// Commit: operation OPTIMIZE, operationParameters {predicate, zOrderBy} as Spark writes them,
// operationMetrics as Spark's plus totalConsideredFiles / totalFilesSkipped /
// numPartitionsOptimized. The commit declares the rewritten files as read and removed, so it
// conflicts with a concurrent commit that removes them or changes their DV, never with appends.
// Errors (nothing committed, nothing written for argument errors): InvalidArgument for a
// `where` naming a data column (named) or not binding; a z-order column that is unknown, a
// partition column, or without stats (beyond the indexed columns, or in no file); sizes <= 0;
// a ratio outside [0, 1]. Conflict as above.
Result<OptimizeResult> optimize_table(Session& session, std::string_view path,
                                      const OptimizeOptions& options);

}  // namespace silt::ops
