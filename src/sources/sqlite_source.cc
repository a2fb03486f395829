// SQLite reader. SQLite is dynamically typed, so columns map by the affinity of their declared
// type (SQLite's own rules, plus BOOLEAN/DATE/TIME/TIMESTAMP/DECIMAL(p,s) names), or by the first
// row's value when a result column has no declared type. A value that does not fit its column
// fails the copy with the column, the row and the value; nothing falls back to text silently.
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "sources/batch_sink.h"
#include "sources/decimal_text.h"
#include "sources/readers.h"
#include "util/time.h"

namespace silt::sources {
namespace {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct Finalize {
  void operator()(sqlite3_stmt* st) const { sqlite3_finalize(st); }
};

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

// DECIMAL(p,s) / NUMERIC(p) with its numbers, or nullopt.
std::optional<SourceColumn> declared_decimal(const std::string& name, const std::string& decl) {
  if (decl.rfind("DECIMAL", 0) != 0 && decl.rfind("NUMERIC", 0) != 0) return std::nullopt;
  size_t open = decl.find('(');
  if (open == std::string::npos) return SourceColumn{name, ColumnType::Double};
  int p = 0, s = 0;
  if (std::sscanf(decl.c_str() + open, "(%d , %d)", &p, &s) < 1)
    return SourceColumn{name, ColumnType::Double};
  return decimal_column(name, p, s);
}

SourceColumn column_for(const std::string& name, const char* declared, int first_value_type) {
  std::string d = upper(declared ? declared : "");
  if (d.empty()) {
    switch (first_value_type) {
      case SQLITE_INTEGER:
        return {name, ColumnType::BigInt};
      case SQLITE_FLOAT:
        return {name, ColumnType::Double};
      case SQLITE_BLOB:
        return {name, ColumnType::Blob};
      default:
        return {name, ColumnType::Varchar};
    }
  }
  // SQLite's affinity rules, in its order (https://sqlite.org/datatype3.html, 3.1).
  if (d.find("INT") != std::string::npos) return {name, ColumnType::BigInt};
  if (d.find("CHAR") != std::string::npos || d.find("CLOB") != std::string::npos ||
      d.find("TEXT") != std::string::npos)
    return {name, ColumnType::Varchar};
  if (d.find("BLOB") != std::string::npos) return {name, ColumnType::Blob};
  if (d.find("REAL") != std::string::npos || d.find("FLOA") != std::string::npos ||
      d.find("DOUB") != std::string::npos)
    return {name, ColumnType::Double};
  // NUMERIC affinity: the declared name says what the values mean.
  if (d.rfind("BOOL", 0) == 0) return {name, ColumnType::Boolean};
  if (d.find("TIMESTAMPTZ") != std::string::npos || d.find("WITH TIME ZONE") != std::string::npos)
    return {name, ColumnType::TimestampTz};
  if (d.find("DATETIME") != std::string::npos || d.find("TIMESTAMP") != std::string::npos)
    return {name, ColumnType::Timestamp};
  if (d.rfind("DATE", 0) == 0) return {name, ColumnType::Date};
  if (d.rfind("TIME", 0) == 0) return {name, ColumnType::Time};
  if (auto dec = declared_decimal(name, d)) return *dec;
  return {name, ColumnType::Varchar};
}

const char* storage_name(int type) {
  switch (type) {
    case SQLITE_INTEGER:
      return "INTEGER";
    case SQLITE_FLOAT:
      return "REAL";
    case SQLITE_TEXT:
      return "TEXT";
    case SQLITE_BLOB:
      return "BLOB";
  }
  return "NULL";
}

std::string_view text_of(sqlite3_stmt* st, int i) {
  const char* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
  return {p ? p : "", size_t(sqlite3_column_bytes(st, i))};
}

// The value accessors skip the per-call checks of sqlite3_column_*: the value is unprotected,
// which is fine on a connection only this thread uses, until the next step.
std::string_view text_of(sqlite3_value* v) {
  const char* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return {p ? p : "", size_t(sqlite3_value_bytes(v))};
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; k++) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

bool two_digits(const char* p, int& out) {
  if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9') return false;
  out = (p[0] - '0') * 10 + (p[1] - '0');
  return true;
}

// "YYYY-MM-DD" and "YYYY-MM-DD HH:MM:SS" (or with 'T'), the forms SQLite's date() and
// datetime() write, read without the general parser; exactly parse_timestamp_us's value for
// them, nullopt for every other text (which then goes to parse_timestamp_us).
std::optional<int64_t> common_iso_micros(std::string_view s) {
  if (s.size() != 10 && s.size() != 19) return std::nullopt;
  const char* p = s.data();
  int c1, c2, mo, d;
  if (!two_digits(p, c1) || !two_digits(p + 2, c2) || p[4] != '-' || !two_digits(p + 5, mo) || p[7] != '-' ||
      !two_digits(p + 8, d))
    return std::nullopt;
  int64_t seconds = 0;
  if (s.size() == 19) {
    int h, mi, sec;
    if ((p[10] != ' ' && p[10] != 'T') || !two_digits(p + 11, h) || p[13] != ':' || !two_digits(p + 14, mi) ||
        p[16] != ':' || !two_digits(p + 17, sec) || h > 23 || mi > 59 || sec > 60)
      return std::nullopt;
    seconds = (int64_t(h) * 60 + mi) * 60 + sec;
  }
  using namespace std::chrono;
  year_month_day ymd{year{c1 * 100 + c2}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok()) return std::nullopt;
  return (int64_t(sys_days(ymd).time_since_epoch().count()) * 86'400 + seconds) * 1'000'000;
}

// A point in time as SQLite's date functions read it: text in their formats (offsets converted
// to UTC), REAL as a Julian day number, INTEGER as Unix seconds (SQLite's 'unixepoch').
std::optional<int64_t> micros_of(sqlite3_value* v, int type) {
  if (type == SQLITE_INTEGER) return int64_t(sqlite3_value_int64(v)) * 1'000'000;
  if (type == SQLITE_FLOAT) {
    double jd = sqlite3_value_double(v);
    if (!std::isfinite(jd)) return std::nullopt;
    return int64_t(std::llround((jd - 2440587.5) * 86'400'000.0)) * 1000;
  }
  if (type != SQLITE_TEXT) return std::nullopt;
  std::string_view text = text_of(v);
  if (auto us = common_iso_micros(text)) return us;
  auto us = parse_timestamp_us(text);
  return us.ok() ? std::optional<int64_t>(*us) : std::nullopt;
}

// A DECIMAL value is the text DuckDB's VARCHAR -> DECIMAL cast would read: INTEGER and TEXT as
// SQLite prints them, REAL as its shortest round-trip text. Plain decimal text is read here
// (REAL mostly without printing it); other forms (exponents, blanks, ...) go through DuckDB's
// cast itself, so the value or the error is always DuckDB's.
bool append_decimal(sqlite3_value* v, int type, const SourceColumn& col, db::ChunkAppender& out) {
  __int128 unscaled;
  DecimalText read = DecimalText::NotPlain;
  char buf[32];
  std::string_view text;
  if (type == SQLITE_FLOAT) {
    double d = sqlite3_value_double(v);
    read = read_double_as_decimal(d, col.precision, col.scale, unscaled);
    if (read == DecimalText::NotPlain) {
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
      text = std::string_view(buf, size_t(end - buf));
    }
  } else if (type == SQLITE_INTEGER) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, sqlite3_value_int64(v));
    text = std::string_view(buf, size_t(end - buf));
  } else if (type == SQLITE_TEXT) {
    text = text_of(v);
  } else {
    return false;
  }
  if (read == DecimalText::NotPlain) read = read_plain_decimal(text, col.precision, col.scale, unscaled);
  switch (read) {
    case DecimalText::Read:
      out.append_decimal(unscaled);
      return true;
    case DecimalText::OutOfRange:
      return false;
    case DecimalText::NotPlain:
      break;
  }
  return out.append_cast(text).ok();
}

// Appends column i of the current row; false when the value does not fit the column's type.
bool append_value(sqlite3_stmt* st, int i, const SourceColumn& col, db::ChunkAppender& out) {
  sqlite3_value* v = sqlite3_column_value(st, i);
  int type = sqlite3_value_type(v);
  if (type == SQLITE_NULL) {
    out.append_null();
    return true;
  }
  constexpr int64_t kDay = 86'400'000'000;
  switch (col.type) {
    case ColumnType::BigInt:
      if (type != SQLITE_INTEGER) return false;
      out.append(int64_t(sqlite3_value_int64(v)));
      return true;
    case ColumnType::Double:
      if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) return false;
      out.append_double(sqlite3_value_double(v));
      return true;
    case ColumnType::Boolean: {
      int64_t b = sqlite3_value_int64(v);
      if (type != SQLITE_INTEGER || (b != 0 && b != 1)) return false;
      out.append_bool(b == 1);
      return true;
    }
    case ColumnType::Decimal:
      return append_decimal(v, type, col, out);
    case ColumnType::Varchar: {
      if (type == SQLITE_BLOB) return false;
      std::string_view text = text_of(v);
      if (!valid_utf8(text)) return false;
      out.append(text);
      return true;
    }
    case ColumnType::Blob:
      if (type != SQLITE_BLOB && type != SQLITE_TEXT) return false;
      out.append_blob(sqlite3_value_blob(v), size_t(sqlite3_value_bytes(v)));
      return true;
    case ColumnType::Date: {
      auto us = micros_of(v, type);
      if (!us || *us % kDay != 0) return false;  // a date with a time of day is not a date
      out.append_date(int32_t(*us / kDay));
      return true;
    }
    case ColumnType::Time: {
      if (type != SQLITE_TEXT) return false;
      auto us = parse_time_of_day_us(text_of(v));
      if (!us.ok()) return false;
      out.append_time(*us);
      return true;
    }
    case ColumnType::Timestamp:
    case ColumnType::TimestampTz: {
      auto us = micros_of(v, type);
      if (!us) return false;
      out.append_timestamp(*us);
      return true;
    }
    default:
      return false;  // no SQLite declaration maps to the other types
  }
}

std::string describe_value(sqlite3_stmt* st, int i) {
  int type = sqlite3_column_type(st, i);
  std::string text = type == SQLITE_BLOB ? "<" + std::to_string(sqlite3_column_bytes(st, i)) + " bytes>"
                                         : std::string(text_of(st, i).substr(0, 60));
  return std::string(storage_name(type)) + " value '" + text + "'";
}

}  // namespace

Result<int64_t> copy_sqlite(const SourceConfig& source, std::string_view query, db::Connection& conn,
                            std::string_view target, const CopyOptions& options) {
  const std::string& path = source.settings.at("path");
  sqlite3* raw_db = nullptr;
  // NOMUTEX: the connection is used by this thread only, and in the default serialized mode
  // every sqlite3_column_* call takes the connection's mutex (a sixth of an ingest's CPU).
  int rc = sqlite3_open_v2(path.c_str(), &raw_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite3, CloseDb> db(raw_db);
  if (rc != SQLITE_OK)
    return Error(ErrorKind::Io,
                 "cannot open SQLite database " + path + ": " + (db ? sqlite3_errmsg(db.get()) : "?"));
  sqlite3_stmt* raw_st = nullptr;
  rc = sqlite3_prepare_v2(db.get(), query.data(), int(query.size()), &raw_st, nullptr);
  std::unique_ptr<sqlite3_stmt, Finalize> st(raw_st);
  if (rc != SQLITE_OK || !st)
    return Error(ErrorKind::InvalidArgument, std::string("query: ") + sqlite3_errmsg(db.get()));
  auto step = [&]() -> Result<bool> {
    int r = sqlite3_step(st.get());
    if (r == SQLITE_ROW) return true;
    if (r == SQLITE_DONE) return false;
    return Error(ErrorKind::Io, std::string("reading ") + path + ": " + sqlite3_errmsg(db.get()));
  };
  // The first row is read before the table is made: it types columns without a declaration.
  SILT_ASSIGN_OR_RETURN(bool has_row, step());
  int n = sqlite3_column_count(st.get());
  std::vector<SourceColumn> columns;
  for (int i = 0; i < n; i++) {
    columns.push_back(column_for(sqlite3_column_name(st.get(), i), sqlite3_column_decltype(st.get(), i),
                                 has_row ? sqlite3_column_type(st.get(), i) : SQLITE_NULL));
  }
  SILT_ASSIGN_OR_RETURN(auto sink, BatchSink::open(conn, target, std::move(columns), options));
  for (; has_row;) {
    for (int i = 0; i < n; i++) {
      const SourceColumn& col = sink.columns()[i];
      if (!append_value(st.get(), i, col, sink.appender()))
        return sink.value_error(i, describe_value(st.get(), i) + " does not fit " + duckdb_type_sql(col));
    }
    SILT_TRY(sink.end_row());
    SILT_ASSIGN_OR_RETURN(has_row, step());
  }
  return sink.finish();
}

}  // namespace silt::sources
