// Writes the change data files of a commit (PROTOCOL.md "Change Data Files", "Writer
// Requirements for Change Data Feed"): the rows of a DuckDB query, each with its _change_type,
// as parquet under <table>/_change_data/, described as AddCdcFile actions ready for a commit.
// Nothing is committed here. Stateless; the Connection is used by one thread at a time.
#pragma once

#include <string>
#include <vector>

#include "delta/model/actions.h"
#include "delta/schema/schema.h"
#include "duckdb/engine.h"
#include "ops/data_writer.h"
#include "util/result.h"

namespace silt::ops {

// Streams the rows of `select_sql` (the table's columns, by name ignoring case, plus
// _change_type) into cdc-<uuid>.parquet files under `<table_root>/_change_data/`, through
// write_data_files: the same casts, column order, physical names and field ids as data files.
// In partitioned tables the files go in `_change_data/<col>=<value>/` and the partition columns
// are not stored in them; each action carries the partition values. _change_type must be one of
// insert, delete, update_preimage, update_postimage in every row (a NULL or other value is an
// InvalidArgument error when the rows are written); a query without it is InvalidArgument.
//
// `options` are those of the table's data files (partition columns, column mapping,
// compression, target file size); its subdirectory, file prefix and stats settings are replaced
// (change data files carry no stats). Returns one AddCdcFile per non-empty file: path relative
// to the root and URL-encoded (e.g. "_change_data/day=2024-01-01/cdc-....parquet"), partition
// values keyed by physical name, size, dataChange=false. No rows -> no files, an empty list.
// On error, files already written stay behind as orphans for vacuum.
//
// Callers commit the actions with the commit's adds and removes (readers of the feed then use
// only the cdc files for that commit). REQUIRES: `schema` is the table's schema, without
// _change_type.
Result<std::vector<delta::AddCdcFile>> write_change_data_files(db::Connection& conn,
                                                               const std::string& table_root,
                                                               const std::string& select_sql,
                                                               const delta::StructType& schema,
                                                               const DataWriteOptions& options);

}  // namespace silt::ops
