// DuckDB spellings of the source column types, and the decimal width rule.
#include "sources/column_types.h"

namespace silt::sources {

SourceColumn decimal_column(std::string name, int precision, int scale) {
  if (precision < 1 || precision > 38 || scale < 0 || scale > precision)
    return SourceColumn{std::move(name), ColumnType::Varchar};
  return SourceColumn{std::move(name), ColumnType::Decimal, precision, scale};
}

std::string_view unpadded(const SourceColumn& column, std::string_view text) {
  if (!column.blank_padded) return text;
  size_t end = text.find_last_not_of(' ');
  return end == std::string_view::npos ? std::string_view() : text.substr(0, end + 1);
}

std::string duckdb_type_sql(const SourceColumn& c) {
  switch (c.type) {
    case ColumnType::Boolean:
      return "BOOLEAN";
    case ColumnType::SmallInt:
      return "SMALLINT";
    case ColumnType::Integer:
      return "INTEGER";
    case ColumnType::BigInt:
      return "BIGINT";
    case ColumnType::Float:
      return "FLOAT";
    case ColumnType::Double:
      return "DOUBLE";
    case ColumnType::Decimal:
      return "DECIMAL(" + std::to_string(c.precision) + "," + std::to_string(c.scale) + ")";
    case ColumnType::Varchar:
      return "VARCHAR";
    case ColumnType::Blob:
      return "BLOB";
    case ColumnType::Date:
      return "DATE";
    case ColumnType::Time:
      return "TIME";
    case ColumnType::Timestamp:
      return "TIMESTAMP";
    case ColumnType::TimestampTz:
      return "TIMESTAMP WITH TIME ZONE";
    case ColumnType::Uuid:
      return "UUID";
  }
  return "VARCHAR";
}

}  // namespace silt::sources
