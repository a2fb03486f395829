// Operational databases a pipeline ingests from: SQLite (embedded, no server), PostgreSQL (libpq)
// and Firebird (its C client). Rows stream in batches into a DuckDB table with bounded memory;
// types map faithfully (decimals, timestamps with and without zone, dates, text, blobs, NULLs).
// Credentials come from an environment variable or a file named in the settings, never from
// the settings themselves, and no error message ever contains them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "duckdb/engine.h"
#include "util/result.h"

namespace silt::sources {

struct SourceConfig {
  std::string name;  // as the project names it, used in messages
  std::string kind;  // "sqlite" | "postgres" | "firebird"
  // Kind-specific settings. sqlite: path. postgres and firebird: host, port, database, user,
  // password_env or password_file, connect_timeout_s (default 10).
  std::map<std::string, std::string> settings;
};

// InvalidArgument naming an unknown kind, or a missing or unknown setting.
Status validate(const SourceConfig& source);

struct CopyOptions {
  int64_t batch_rows = 50'000;                 // rows fetched per round trip
  std::function<void(int64_t rows)> progress;  // called after each batch with the rows so far
};

// Streams the rows of `query` (in the source's own SQL dialect) into the DuckDB temp table
// `target` of `conn`, created anew (replacing one of that name) with the mapped column types.
// Returns the rows copied. Io when the source cannot be reached within the connect
// timeout; errors name the source.
Result<int64_t> copy_query(const SourceConfig& source, std::string_view query, db::Connection& conn,
                           std::string_view target, const CopyOptions& options = {});

// SELECT * FROM `table` in the source's dialect, identifiers quoted; with a watermark column,
// only rows whose value is greater than `after` (a value as DuckDB prints it, e.g. the max
// already ingested), compared in the column's own type.
std::string table_query(const SourceConfig& source, std::string_view table,
                        std::string_view watermark_column = {}, std::string_view after = {});

}  // namespace silt::sources
