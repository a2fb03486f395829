// Writes the rows of a DuckDB query as the parquet data files of a Delta table and describes each
// file as an AddFile (path, typed partition values, size, stats), ready for a commit. Nothing is
// committed here. Stateless functions; the Connection is used by one thread at a time.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "delta/model/actions.h"
#include "delta/schema/schema.h"
#include "duckdb/engine.h"
#include "util/result.h"

namespace silt::ops {

// The Delta schema of the rows `select_sql` returns (the query is bound, never run). Every column
// and nested field is nullable. DuckDB -> Delta: BIGINT long, INTEGER integer, SMALLINT short,
// TINYINT byte, DOUBLE double, FLOAT float, BOOLEAN boolean, VARCHAR / ENUM / UUID string, BLOB
// binary, DATE date, TIMESTAMP WITH TIME ZONE timestamp, TIMESTAMP (_S, _MS, _NS) timestamp_ntz,
// DECIMAL(p,s) decimal(p,s), STRUCT struct, LIST and fixed-size ARRAY array, MAP map. Unsigned
// integers widen: UTINYINT short, USMALLINT integer, UINTEGER long, UBIGINT decimal(20,0);
// HUGEINT and UHUGEINT become decimal(38,0), whose cast fails at write time for the rare value
// beyond 38 digits. TIME, INTERVAL, UNION, BIT, BIGNUM, ... -> Unsupported naming the column and
// the type. Bad SQL -> InvalidArgument (Io when an input file is missing).
Result<delta::StructType> schema_of_query(db::Connection& conn, const std::string& select_sql);

struct DataWriteOptions {
  std::vector<std::string> partition_columns;                         // logical names
  delta::ColumnMappingMode mapping = delta::ColumnMappingMode::None;  // files use physical names
  int64_t target_file_size = 128ll << 20;                             // bytes, approximate
  // Rows per parquet row group; 0 = DuckDB's default (122,880). Files are cut only between row
  // groups, so a target size far below a default row group needs smaller groups to be reached.
  int64_t row_group_rows = 0;
  std::string compression = "zstd";        // or "snappy"
  int num_indexed_cols = 32;               // delta.dataSkippingNumIndexedCols; -1 = all columns
  std::set<std::string> no_stats_columns;  // logical top-level names never put in stats (PII)
  // Where files go and what they are called:
  // `<root>/<subdirectory>/<partition dirs>/<file_prefix>-<12 hex, one per call>-<uuid>`.
  // The defaults make data files; change data files use "_change_data" and "cdc". The
  // subdirectory is relative to the root, without a leading or trailing '/'.
  std::string subdirectory;
  std::string file_prefix = "part";
};

// Streams the rows of `select_sql` through DuckDB's COPY ... TO (parquet, RETURN_STATS) into new
// files under `table_root` (created if missing): memory stays bounded, the source is never
// materialized. Columns are matched to `schema` by name (ignoring case), cast to its types, put in
// its order; schema columns absent from the query are written as NULL, query columns absent from
// the schema are an InvalidArgument error, and so is a NULL in a non-nullable top-level column.
// Partition columns go into Hive-style directories (DuckDB's %-escaping, __HIVE_DEFAULT_PARTITION__
// for NULL; an empty string partition value is NULL, as in Spark), not into the files. Under
// column mapping the files use physical names (nested ones too) and carry the field ids.
//
// Returns one AddFile per non-empty file: path relative to the root and URL-encoded, partition
// values keyed by physical name and serialized per PROTOCOL.md (timestamps as
// "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, null as JSON null), size, modificationTime,
// dataChange, and stats (numRecords; minValues / maxValues / nullCount for the first
// num_indexed_cols non-partition leaf columns that are not in no_stats_columns, nested structs as
// nested objects). Stats are never wrong, only sometimes absent: strings are cut to 32 characters
// (a cut max gets a tie-breaker character so it stays an upper bound), timestamps are written to
// the millisecond (min rounded down, max up), a float column with NaN has no max, and binary,
// arrays and maps have no min/max (arrays and maps no nullCount either: parquet only counts nulls
// per element). Files larger than target_file_size are split (DuckDB cannot rotate files while
// partitioning, so partitioned files are split after the fact). On any error the call returns
// the error, never a partial list, and deletes the files it wrote (a failed COPY can leave
// partial ones).
// Bad options (unknown partition or no-stats column, binary or nested partition column, ...) fail
// before anything is written.
// REQUIRES: schema names are unique ignoring case (parse_schema's invariant).
Result<std::vector<delta::AddFile>> write_data_files(db::Connection& conn, const std::string& table_root,
                                                     const std::string& select_sql,
                                                     const delta::StructType& schema,
                                                     const DataWriteOptions& options);

}  // namespace silt::ops
