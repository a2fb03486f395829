// Partition values (PROTOCOL.md "Partition Value Serialization") as DuckDB SQL literals of the column's
// exact logical type. Every value is validated here, so a bad log entry fails as Corruption before any
// SQL runs, and the literal never depends on DuckDB session settings. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "delta/schema/schema.h"
#include "util/result.h"

namespace silt::delta {

// A SQL expression of type duckdb_type(type), e.g. CAST('2021-01-01' AS DATE), CAST(12 AS INTEGER),
// CAST(NULL AS VARCHAR). nullopt and "" (for every type, as the protocol says) are NULL.
// Timestamps accept "YYYY-MM-DD HH:MM:SS[.ffffff]" and ISO "YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM)"; a
// timestamp without zone is UTC. Binary is the raw bytes. A value that is not of the type ->
// Corruption naming value and type (callers add the column with Error::with_context); struct, array,
// map and variant columns -> Unsupported, since Delta cannot partition by them.
Result<std::string> partition_value_sql(const std::optional<std::string>& serialized, const DataType& type);

}  // namespace silt::delta
