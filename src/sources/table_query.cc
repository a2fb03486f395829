// table_query: SELECT * with an optional watermark condition, written per dialect. The value
// `after` comes as DuckDB prints it; its shape (integer, number, date, timestamp, other) picks a
// literal the source compares in the column's own type.
#include <charconv>
#include <string>

#include "sources/source.h"
#include "util/sql_text.h"
#include "util/time.h"

namespace silt::sources {
namespace {

enum class Shape { Integer, Number, Date, Timestamp, Text };

Shape shape_of(std::string_view v) {
  if (v.empty()) return Shape::Text;
  size_t digits = v.find_first_not_of("0123456789", v[0] == '-' ? 1 : 0);
  if (digits == std::string_view::npos && v != "-") return Shape::Integer;
  double d;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec == std::errc() && end == v.data() + v.size()) return Shape::Number;
  if (parse_timestamp_us(v).ok()) return v.size() == 10 ? Shape::Date : Shape::Timestamp;
  return Shape::Text;
}

// Each dot-separated part quoted, so "schema.table" names a table in a schema.
std::string quote_path(std::string_view name) {
  std::string out;
  for (size_t start = 0;;) {
    size_t dot = name.find('.', start);
    if (!out.empty()) out += ".";
    out += quote_ident(name.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

// "YYYY-MM-DD HH:MM:SS.ffffff" in UTC with `digits` fraction digits (1..6).
std::string utc_text(int64_t us, int digits) {
  int64_t ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
  std::string text = format_timestamp_ms(ms);  // ...SS.fff
  char micro[4];
  std::snprintf(micro, sizeof micro, "%03d", int(us - ms * 1000));
  return (text + micro).substr(0, 20 + digits);
}

// SQLite keeps timestamps as text in several formats, as Julian day numbers (REAL) or as Unix
// seconds (INTEGER): both sides go through strftime into one text form that sorts by time,
// to SQLite's millisecond precision.
std::string sqlite_condition(const std::string& col, std::string_view after, Shape shape) {
  if (shape == Shape::Integer || shape == Shape::Number) return col + " > " + std::string(after);
  if (shape == Shape::Text) return col + " > " + quote_literal(after);
  const std::string fmt = "'%Y-%m-%d %H:%M:%f'";
  return "CASE typeof(" + col + ") WHEN 'integer' THEN strftime(" + fmt + ", " + col +
         ", 'unixepoch') ELSE strftime(" + fmt + ", " + col + ") END > " +
         quote_literal(utc_text(*parse_timestamp_us(after), 3));
}

// Firebird keeps time to 1/10000 s and converts typed literals exactly.
std::string firebird_condition(const std::string& col, std::string_view after, Shape shape) {
  switch (shape) {
    case Shape::Integer:
    case Shape::Number:
      return col + " > " + std::string(after);
    case Shape::Date:
      return col + " > DATE " + quote_literal(after);
    case Shape::Timestamp:
      return col + " > TIMESTAMP " + quote_literal(utc_text(*parse_timestamp_us(after), 4));
    case Shape::Text:
      break;
  }
  return col + " > " + quote_literal(after);
}

}  // namespace

std::string table_query(const SourceConfig& source, std::string_view table, std::string_view watermark_column,
                        std::string_view after) {
  std::string sql = "SELECT * FROM " + quote_path(table);
  if (watermark_column.empty() || after.empty()) return sql;
  std::string col = quote_ident(watermark_column);
  Shape shape = shape_of(after);
  if (source.kind == "sqlite") return sql + " WHERE " + sqlite_condition(col, after, shape);
  if (source.kind == "firebird") return sql + " WHERE " + firebird_condition(col, after, shape);
  // PostgreSQL gives a quoted literal the type of the column it is compared with.
  return sql + " WHERE " + col + " > " + quote_literal(after);
}

}  // namespace silt::sources
