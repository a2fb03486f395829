// Target table creation and batched appends for the source readers.
#include "sources/batch_sink.h"

#include "util/sql_text.h"

namespace silt::sources {

Result<BatchSink> BatchSink::open(db::Connection& conn, std::string_view target,
                                  std::vector<SourceColumn> columns, const CopyOptions& options) {
  if (columns.empty()) return Error(ErrorKind::InvalidArgument, "the query returns no columns");
  std::string ddl = "CREATE OR REPLACE TEMP TABLE " + quote_ident(target) + " (";
  for (size_t i = 0; i < columns.size(); i++) {
    if (i) ddl += ", ";
    ddl += quote_ident(columns[i].name) + " " + duckdb_type_sql(columns[i]);
  }
  SILT_TRY(conn.execute(ddl + ")"));
  SILT_ASSIGN_OR_RETURN(auto appender, db::ChunkAppender::open(conn, std::string(target)));
  return BatchSink(std::move(appender), std::move(columns), options);
}

Status BatchSink::end_row() {
  if (auto st = appender_.end_row(); !st.ok()) {
    if (auto column = appender_.failed_column()) return value_error(*column, st.error().message());
    // InvalidArgument: this row is malformed; else DuckDB refused rows handed over earlier.
    if (st.error().kind() != ErrorKind::InvalidArgument) return st.error();
    return Error(ErrorKind::InvalidArgument,
                 "row " + std::to_string(rows_ + 1) + ": " + st.error().message());
  }
  rows_++;
  if (++unreported_ >= options_->batch_rows) return report_progress();
  return ok_status();
}

Status BatchSink::report_progress() {
  unreported_ = 0;
  if (!options_->progress) return ok_status();
  SILT_TRY(appender_.settle());  // the callback may use the connection
  options_->progress(rows_);
  return ok_status();
}

Result<int64_t> BatchSink::finish() {
  SILT_TRY(appender_.flush());
  if (unreported_ > 0 || rows_ == 0) SILT_TRY(report_progress());
  return rows_;
}

Error BatchSink::value_error(size_t column, const std::string& what) const {
  return Error(ErrorKind::InvalidArgument,
               "column " + columns_[column].name + ", row " + std::to_string(rows_ + 1) + ": " + what);
}

}  // namespace silt::sources
