// MERGE INTO a Delta table from a SQL source, in one commit, with Spark/Databricks semantics:
// clauses of each kind apply in the order given, the first whose condition holds wins; a target
// row matched by several source rows is an error (unless the only matched clause is an
// unconditional DELETE). The source is materialized once, so a non-deterministic source is
// safe. Only target files that may hold matching rows are read (partition values and stats vs.
// the source's join-key ranges and the ON's target-only conditions); NOT MATCHED BY SOURCE
// clauses read the whole table. Changes go through the row-change engine (ops/row_changes.h):
// deletion vectors when the table has them enabled, else copy-on-write. On any error before the
// commit the table is unchanged. One thread per Session.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ops/sql_clauses.h"
#include "scan/session.h"

namespace silt::ops {

// One WHEN clause. In SQL the target is `t`, the source `s`.
struct MergeClause {
  enum class Kind {
    MatchedUpdate,             // WHEN MATCHED [AND cond] THEN UPDATE SET ... | UPDATE SET *
    MatchedDelete,             // WHEN MATCHED [AND cond] THEN DELETE
    NotMatchedInsert,          // WHEN NOT MATCHED [AND cond] THEN INSERT (...) VALUES (...) | INSERT *
    NotMatchedBySourceUpdate,  // WHEN NOT MATCHED BY SOURCE [AND cond] THEN UPDATE SET ...
    NotMatchedBySourceDelete,  // WHEN NOT MATCHED BY SOURCE [AND cond] THEN DELETE
  };
  Kind kind = Kind::MatchedUpdate;
  std::string condition;           // "" = always. Matched: over t and s; not matched: s; by source: t
  std::vector<Assignment> values;  // update: SET items; insert: column = value (others NULL)
  bool all = false;  // UPDATE SET * / INSERT *: every target column from the source column of its name
};

// Parses a clause's CLI text: "[AND <condition> THEN] <body>", where the body is "col = expr,
// ..." for updates, "(cols) VALUES (exprs)" for inserts, and empty for deletes and for `all`
// clauses (whose text is "" or "AND <condition>"). THEN inside CASE ... END is not a separator.
// InvalidArgument naming the clause for anything else.
Result<MergeClause> parse_merge_clause(MergeClause::Kind kind, bool all, std::string_view text);

struct MergeOptions {
  std::string source_sql;  // a SELECT (may use delta_scan(...)); its rows are `s`
  std::string on;          // the match condition over t and s
  std::vector<MergeClause> clauses;
  int64_t max_inline_dv_bytes = 64;  // as DmlOptions
  int64_t target_file_size = 128ll << 20;
  // Idempotent merges (pipelines): when the table already records app_version or a later one
  // for app_id, nothing is done and the result says skipped; else the commit records it.
  std::optional<std::string> app_id;
  std::optional<int64_t> app_version;
};

// What a MERGE did, with Spark's metric names (also written to commitInfo) in comments.
struct MergeResult {
  int64_t version = -1;    // the new version, or the version read when nothing changed
  bool committed = false;  // false when no clause applied to any row
  bool skipped = false;    // the app transaction was already committed
  bool deletion_vectors = false;
  int64_t source_rows = 0;    // numSourceRows
  int64_t rows_inserted = 0;  // numTargetRowsInserted
  int64_t rows_updated = 0;   // numTargetRowsUpdated (matched + not matched by source)
  int64_t rows_deleted = 0;   // numTargetRowsDeleted
  int64_t rows_copied = 0;    // numTargetRowsCopied (copy-on-write)
  int64_t rows_written = 0;   // numOutputRows
  int64_t files_scanned = 0;  // target files read to find matches
  int64_t files_added = 0;    // numTargetFilesAdded
  int64_t files_removed = 0;  // numTargetFilesRemoved
  int64_t bytes_added = 0;
  int64_t bytes_removed = 0;
  int64_t dvs_added = 0;           // numTargetDeletionVectorsAdded
  int64_t dvs_updated = 0;         // numTargetDeletionVectorsUpdated
  int64_t dvs_removed = 0;         // numTargetDeletionVectorsRemoved
  int64_t change_files_added = 0;  // numTargetChangeFilesAdded (CDF tables: cdc files)
  int attempts = 0;
  bool checkpointed = false;
  std::string checkpoint_warning;
};

// MERGE INTO table AS t USING (options.source_sql) AS s ON options.on WHEN ... Errors (one line,
// naming the part): no clause; unknown column, bad condition or value, a table the SQL names
// that does not exist; INSERT * / UPDATE SET * when source and target columns differ; a target
// row matched by several source rows (showing the first few target keys); tables silt cannot
// change; Conflict when a concurrent commit could change what this MERGE read.
Result<MergeResult> merge_into(Session& session, std::string_view path, const MergeOptions& options);

}  // namespace silt::ops
