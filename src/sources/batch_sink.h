// The DuckDB side of a copy: creates the target temp table from the mapped columns, appends rows
// into it column-wise (db::ChunkAppender, which moves them into the table on a worker thread, a
// row group of 122,880 rows per commit) and reports progress per batch. The caller's thread
// only; the Connection outlives the sink and is the sink's until finish().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "duckdb/chunk_appender.h"
#include "duckdb/engine.h"
#include "sources/column_types.h"
#include "sources/source.h"
#include "util/result.h"

namespace silt::sources {

class BatchSink {
 public:
  // Creates (replacing one of that name) the temp table `target` with `columns`.
  static Result<BatchSink> open(db::Connection& conn, std::string_view target,
                                std::vector<SourceColumn> columns, const CopyOptions& options);

  const std::vector<SourceColumn>& columns() const { return columns_; }
  // Append the current row's values here, one per column in order, each with the append of
  // its column's DuckDB type (see db::ChunkAppender): readers convert source values themselves.
  db::ChunkAppender& appender() { return appender_; }
  // Ends the current row; every options.batch_rows rows it reports progress. A failed append
  // of the row becomes value_error() for its column.
  Status end_row();
  // Moves the rows not yet in the table into it and reports the last partial batch. Returns the
  // rows copied.
  Result<int64_t> finish();
  // InvalidArgument "column C, row N: what", N counting the source's rows from 1.
  Error value_error(size_t column, const std::string& what) const;

 private:
  BatchSink(db::ChunkAppender appender, std::vector<SourceColumn> columns, const CopyOptions& options)
      : appender_(std::move(appender)), columns_(std::move(columns)), options_(&options) {}
  Status report_progress();

  db::ChunkAppender appender_;
  std::vector<SourceColumn> columns_;
  const CopyOptions* options_;
  int64_t rows_ = 0;
  int64_t unreported_ = 0;
};

}  // namespace silt::sources
