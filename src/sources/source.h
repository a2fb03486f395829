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

// Type mapping (one DuckDB column per source column; NULLs stay NULL):
//   integers -> SMALLINT/INTEGER/BIGINT by width; float4/FLOAT -> FLOAT, double -> DOUBLE;
//   numeric/decimal -> DECIMAL(p,s) when p <= 38, else VARCHAR with the exact text (also
//   PostgreSQL's unconstrained numeric). Firebird's scaled integers carry no declared precision,
//   so they get their storage's capacity: DECIMAL(5|10|19, s).
//   text/varchar/char -> VARCHAR in UTF-8 (CHAR's blank padding removed; Firebird connects with
//   the UTF8 charset, so any column charset arrives as UTF-8); binary (bytea, BLOB, Firebird
//   OCTETS and binary BLOBs) -> BLOB; Firebird text BLOBs -> VARCHAR.
//   date -> DATE, time -> TIME, timestamp -> TIMESTAMP, timestamptz -> TIMESTAMP WITH TIME ZONE
//   (UTC); boolean -> BOOLEAN; PostgreSQL uuid -> UUID; other PostgreSQL types -> their text.
// SQLite maps by the declared type's affinity (INT -> BIGINT; CHAR/CLOB/TEXT -> VARCHAR; BLOB;
// REAL/FLOA/DOUB -> DOUBLE), then by name for BOOL*, DATETIME/TIMESTAMP[TZ], DATE, TIME and
// DECIMAL/NUMERIC(p,s) (without precision: DOUBLE); other names -> VARCHAR of each value's text.
// A result column without a declared type (an expression) takes the type of its first value.
// Times in SQLite are text in its date-function formats (offsets converted to UTC), REAL Julian
// day numbers or INTEGER Unix seconds. A value that does not fit its column (text in an INT
// column, an invalid date, invalid UTF-8) fails the copy with an InvalidArgument naming the
// column, the row (from 1) and the value: nothing falls back to text silently.

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
// Returns the rows copied. Io naming host and port when the source cannot be reached within the
// connect timeout; every error starts "source NAME: " and never contains a password. On error
// the target is dropped. Memory: one batch of source rows (PostgreSQL: a cursor FETCHed
// batch_rows at a time in a read-only transaction; Firebird and SQLite: one row at a time), plus
// up to 64 chunks of 2048 rows waiting for a worker thread that moves them into the table, a
// row group (122,880 rows) per commit. The progress callback runs on the caller's thread while
// no rows are being moved, so it may use `conn`.
Result<int64_t> copy_query(const SourceConfig& source, std::string_view query, db::Connection& conn,
                           std::string_view target, const CopyOptions& options = {});

// SELECT * FROM `table` in the source's dialect, identifiers quoted as given (a dot separates a
// schema; Firebird stores unquoted names in upper case). With a watermark column and a non-empty
// `after` (a value as DuckDB prints it, e.g. the max already ingested), only rows whose value is
// greater, compared in the column's own type: PostgreSQL types the quoted literal from the
// column; Firebird gets DATE/TIMESTAMP literals or bare numbers; SQLite compares timestamps
// after strftime() normalises both sides to UTC text (millisecond precision, SQLite's own).
std::string table_query(const SourceConfig& source, std::string_view table,
                        std::string_view watermark_column = {}, std::string_view after = {});

}  // namespace silt::sources
