// Writes to Delta tables: create, append, overwrite (whole table or --replace-where), with
// strict schema checks or schema evolution (merge / overwrite), idempotent application
// transactions, and an optimistic-concurrency commit. Data files are written first, then one
// commit publishes them; on any error before the commit the table is unchanged and the files
// this write made are deleted (a commit that fails after its retries leaves them to vacuum).
// One thread per Session.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "delta/schema/schema.h"
#include "scan/session.h"

namespace silt::ops {

enum class WriteMode { Append, Overwrite };
enum class SchemaMode { Strict, Merge, Overwrite };

// What a write is about to commit, as WriteOptions::before_commit sees it.
struct PendingRows {
  std::string sql;  // a parenthesized subquery over exactly the new rows, on the Session's connection
  int64_t count = 0;
  std::span<const delta::AddFile> files;      // the new files, with their stats
  const delta::Metadata* metadata = nullptr;  // the table's as committed: schema, column mapping
};

struct WriteOptions {
  WriteMode mode = WriteMode::Append;
  std::vector<std::string> partition_by;  // for a new table; must match an existing one
  SchemaMode schema_mode = SchemaMode::Strict;
  std::string replace_where;  // with Overwrite: replace only rows matching this predicate
  std::optional<std::string> app_id;
  std::optional<int64_t> app_version;
  int64_t target_file_size = 128ll << 20;
  std::string compression = "zstd";
  // Table properties for a new table. delta.enableDeletionVectors defaults to "true" (with the
  // deletionVectors feature, protocol 3/7); set it to "false" for a protocol 1/2 table.
  std::map<std::string, std::string> properties;
  std::set<std::string> no_stats_columns;  // columns never put in file stats (PII)
  // Called once the new data files are written and before the commit (see PendingRows): a
  // place to validate what is about to be published without staging it. An error aborts the
  // write: nothing is committed and this write's new files are deleted.
  std::function<Status(const PendingRows& rows)> before_commit;
  // An append whose source has no rows commits nothing (WriteResult::version is the table's).
  bool skip_empty_append = false;
};

struct WriteResult {
  int64_t version = -1;
  bool skipped = false;  // idempotent replay of an app transaction already committed
  int64_t files_added = 0;
  int64_t rows_added = 0;
  int64_t bytes_added = 0;
  int64_t files_removed = 0;
  int64_t bytes_removed = 0;
  int attempts = 0;                // commit attempts (more than 1 when concurrent writers won races)
  bool checkpointed = false;       // the commit was due a checkpoint and got one
  std::string checkpoint_warning;  // why a due checkpoint failed (the commit itself stands)
};

// Writes the rows of `source_sql` (any SELECT; may use delta_scan) to the table at `path`,
// creating it if there is no table yet.
Result<WriteResult> write_table(Session& session, std::string_view path, const std::string& source_sql,
                                const WriteOptions& options);

// Creates an empty table with the columns of `columns_sql` (DuckDB column definitions, e.g.
// "id BIGINT, name VARCHAR"). Conflict if a table is already there.
Result<WriteResult> create_table(Session& session, std::string_view path, const std::string& columns_sql,
                                 const WriteOptions& options);

// SELECT reading a data file by its extension (.parquet, .csv, .json/.ndjson), globs allowed.
Result<std::string> file_source_sql(const std::string& file);

}  // namespace silt::ops
