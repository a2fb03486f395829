// File skipping for scans: turns a filter (SQL text, or the WHERE of a statement that reads a
// single delta_scan) into a Predicate over physical column paths, and keeps only the files
// whose partition values and stats may hold a matching row. Skipping is only ever
// conservative: a predicate part silt can't use is dropped, never guessed.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "delta/schema/schema.h"
#include "delta/snapshot/snapshot.h"
#include "delta/stats/skipping.h"
#include "duckdb/engine.h"

namespace silt::scan {

// Predicate of a SQL boolean expression over the table's columns.
Result<std::optional<delta::Predicate>> predicate_from_filter_sql(db::Connection& conn,
                                                                  std::string_view filter_sql);

// Predicate of the WHERE clause when `statement` is a plain SELECT over exactly one table
// function call (FROM delta_scan(...) [AS alias] WHERE ...); nullopt for anything else, such
// as joins, where WHERE columns may belong to other relations.
Result<std::optional<delta::Predicate>> predicate_from_single_scan(db::Connection& conn,
                                                                   std::string_view statement);

// Files of the snapshot that may hold rows matching `predicate` (column paths are logical,
// possibly qualified by the scan's alias). Unknown columns are ignored.
Result<std::vector<const delta::AddFile*>> files_to_scan(const delta::Snapshot& snapshot,
                                                         const delta::StructType& schema,
                                                         delta::ColumnMappingMode mode,
                                                         const delta::Predicate& predicate);

}  // namespace silt::scan
