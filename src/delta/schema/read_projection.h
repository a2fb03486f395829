// SQL that reads one Delta column out of a DuckDB read_parquet relation: the file's physical names under
// column mapping, nested fields renamed back to logical names, and a cast to the logical DuckDB type (which
// also applies type widening and fills nested fields missing from a file with NULL). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "delta/schema/schema.h"
#include "util/result.h"

namespace silt::delta {

// An expression of type duckdb_type(field.type) over `source_relation_alias` (unqualified when empty);
// the caller appends `AS quote_ident(field.name)`. Without nested renames it is a plain
// CAST("col" AS T), through which DuckDB still pushes projections and filters into the parquet scan.
// Renamed structs become struct_pack (kept NULL when the struct is NULL), lists of them list_transform,
// maps map_from_entries over list_transform.
// Under mode Id the physical names are used too: Delta writers store both, and resolving by parquet
// field id is left to read_parquet's `schema` parameter. void columns, never in data files, read as NULL.
// Corruption when a field on the way lacks its physical name under column mapping.
Result<std::string> read_expression(const StructField& field, ColumnMappingMode mode,
                                    std::string_view source_relation_alias);

// The DuckDB type as read_parquet sees it in the data files: duckdb_type(type) with struct fields under
// their physical names (identical to duckdb_type(type) under mode None).
Result<std::string> file_duckdb_type(const DataType& type, ColumnMappingMode mode);

}  // namespace silt::delta
