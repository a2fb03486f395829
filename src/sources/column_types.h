// The column types every source reader maps its own types onto, and their DuckDB spelling.
// One place decides the mapping rules shared by all dialects (decimal width limit, fallbacks).
#pragma once

#include <string>
#include <string_view>

namespace silt::sources {

enum class ColumnType {
  Boolean,
  SmallInt,
  Integer,
  BigInt,
  Float,
  Double,
  Decimal,  // precision 1..38 and scale kept
  Varchar,  // UTF-8 text
  Blob,
  Date,
  Time,
  Timestamp,    // without zone
  TimestampTz,  // instants, stored in UTC
  Uuid,
};

struct SourceColumn {
  std::string name;
  ColumnType type = ColumnType::Varchar;
  int precision = 0;          // Decimal only
  int scale = 0;              // Decimal only
  bool blank_padded = false;  // CHAR(n): the source pads values with blanks, not part of them
};

// `text` without the blank padding of a blank_padded column; unchanged otherwise.
std::string_view unpadded(const SourceColumn& column, std::string_view text);

// A DECIMAL(precision, scale) column, or VARCHAR (the exact text) when DuckDB's 38 digits cannot
// hold it or the source gives no precision: text keeps every digit, DOUBLE would not.
SourceColumn decimal_column(std::string name, int precision, int scale);

// The DuckDB type as SQL, e.g. "DECIMAL(12,2)", "TIMESTAMP WITH TIME ZONE".
std::string duckdb_type_sql(const SourceColumn& column);

}  // namespace silt::sources
