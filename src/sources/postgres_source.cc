// PostgreSQL reader over libpq. The query runs behind a cursor in a read-only transaction and
// comes back batch_rows rows per FETCH, so a large table never sits in memory whole. Values come
// as text in a fixed session (UTF8, ISO dates, UTC) and are parsed here; the rare date, time,
// timestamp, numeric and uuid texts the parsers here leave (infinity, BC, NaN, ...) go through
// DuckDB's own casts, which decide as they did when every such text went through them.
#include <libpq-fe.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <memory>
#include <string>

#include "sources/batch_sink.h"
#include "sources/decimal_text.h"
#include "sources/readers.h"
#include "sources/server_settings.h"
#include "util/time.h"

namespace silt::sources {
namespace {

// Type OIDs from PostgreSQL's pg_type.dat; they are fixed across versions.
enum Oid : unsigned {
  kBool = 16,
  kBytea = 17,
  kChar = 18,
  kName = 19,
  kInt8 = 20,
  kInt2 = 21,
  kInt4 = 23,
  kText = 25,
  kOid = 26,
  kFloat4 = 700,
  kFloat8 = 701,
  kBpchar = 1042,
  kVarchar = 1043,
  kDate = 1082,
  kTime = 1083,
  kTimestamp = 1114,
  kTimestampTz = 1184,
  kNumeric = 1700,
  kUuid = 2950,
};

struct Finish {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct Clear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, Clear>;

SourceColumn column_for(const PGresult* res, int i) {
  std::string name = PQfname(res, i);
  switch (PQftype(res, i)) {
    case kBool:
      return {name, ColumnType::Boolean};
    case kBytea:
      return {name, ColumnType::Blob};
    case kInt2:
      return {name, ColumnType::SmallInt};
    case kInt4:
      return {name, ColumnType::Integer};
    case kInt8:
    case kOid:
      return {name, ColumnType::BigInt};
    case kFloat4:
      return {name, ColumnType::Float};
    case kFloat8:
      return {name, ColumnType::Double};
    case kDate:
      return {name, ColumnType::Date};
    case kTime:
      return {name, ColumnType::Time};
    case kTimestamp:
      return {name, ColumnType::Timestamp};
    case kTimestampTz:
      return {name, ColumnType::TimestampTz};
    case kUuid:
      return {name, ColumnType::Uuid};
    case kNumeric: {
      int mod = PQfmod(res, i);  // -1: unconstrained numeric, kept exactly as text
      if (mod < 4) return {name, ColumnType::Varchar};
      return decimal_column(name, ((mod - 4) >> 16) & 0xffff, (mod - 4) & 0xffff);
    }
    case kBpchar: {
      SourceColumn c{name, ColumnType::Varchar};
      c.blank_padded = true;
      return c;
    }
    default:
      return {name, ColumnType::Varchar};  // text, varchar, name, json, ... as their text
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea in the hex output format, "\x0a1b...".
bool decode_bytea(std::string_view text, std::string& out) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2) return false;
  out.clear();
  for (size_t i = 2; i < text.size(); i += 2) {
    int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(char(hi * 16 + lo));
  }
  return true;
}

bool parse_int(std::string_view text, int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// 36-character lower- or upper-case 8-4-4-4-12 hex text, as PostgreSQL prints a uuid.
bool read_uuid(std::string_view text, uint64_t& high, uint64_t& low) {
  if (text.size() != 36) return false;
  uint64_t half[2] = {0, 0};
  int digits = 0;
  for (size_t i = 0; i < text.size(); i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
      continue;
    }
    int d = hex_digit(text[i]);
    if (d < 0) return false;
    half[digits / 16] = half[digits / 16] << 4 | uint64_t(d);
    digits++;
  }
  high = half[0];
  low = half[1];
  return true;
}

// The texts PostgreSQL prints in the session's ISO/UTC settings for the common values are read
// here; true when `text` was one of them and is appended. Others (infinity, BC dates, years past
// 9999, 24:00:00, NaN, ...) return false for DuckDB's own cast.
bool append_iso_text(std::string_view text, const SourceColumn& col, db::ChunkAppender& out) {
  constexpr int64_t kDay = 86'400'000'000;
  switch (col.type) {
    case ColumnType::Decimal: {
      __int128 unscaled;
      if (read_plain_decimal(text, col.precision, col.scale, unscaled) != DecimalText::Read) return false;
      out.append_decimal(unscaled);
      return true;
    }
    case ColumnType::Date: {
      if (text.size() != 10) return false;
      auto us = parse_timestamp_us(text);
      if (!us.ok()) return false;
      out.append_date(int32_t(*us / kDay));
      return true;
    }
    case ColumnType::Time: {
      auto us = parse_time_of_day_us(text);
      if (!us.ok()) return false;
      out.append_time(*us);
      return true;
    }
    case ColumnType::Timestamp:
    case ColumnType::TimestampTz: {  // timestamptz ends in +00: the session is in UTC
      auto us = parse_timestamp_us(text);
      if (!us.ok()) return false;
      out.append_timestamp(*us);
      return true;
    }
    case ColumnType::Uuid: {
      uint64_t high, low;
      if (!read_uuid(text, high, low)) return false;
      out.append_uuid(high, low);
      return true;
    }
    default:
      return false;
  }
}

// Appends one non-null value given as text; false when the text is not of the column's type.
bool append_text_value(std::string_view text, const SourceColumn& col, db::ChunkAppender& out,
                       std::string& scratch) {
  switch (col.type) {
    case ColumnType::Boolean:
      if (text != "t" && text != "f") return false;
      out.append_bool(text == "t");
      return true;
    case ColumnType::SmallInt:
    case ColumnType::Integer:
    case ColumnType::BigInt: {  // the server keeps each value within its type's range
      int64_t v;
      if (!parse_int(text, v)) return false;
      if (col.type == ColumnType::SmallInt) {
        out.append_i16(int16_t(v));
      } else if (col.type == ColumnType::Integer) {
        out.append_i32(int32_t(v));
      } else {
        out.append(v);
      }
      return true;
    }
    case ColumnType::Float:
    case ColumnType::Double: {
      // strtod reads PostgreSQL's NaN, Infinity and -Infinity as well as numbers.
      scratch.assign(text);
      char* end = nullptr;
      double v = std::strtod(scratch.c_str(), &end);
      if (end != scratch.c_str() + scratch.size()) return false;
      if (col.type == ColumnType::Float) {
        out.append_float(std::strtof(scratch.c_str(), nullptr));
      } else {
        out.append_double(v);
      }
      return true;
    }
    case ColumnType::Blob:
      if (!decode_bytea(text, scratch)) return false;
      out.append_blob(scratch.data(), scratch.size());
      return true;
    case ColumnType::Varchar:
      out.append(unpadded(col, text));
      return true;
    default:  // decimal, date, time, timestamps, uuid: read here, or by DuckDB's cast
      return append_iso_text(text, col, out) || out.append_cast(text).ok();
  }
}

class PgSession {
 public:
  explicit PgSession(const ServerSettings& s) : settings_(s) {}

  Status connect() {
    std::string port = std::to_string(settings_.port), timeout = std::to_string(settings_.connect_timeout_s);
    std::vector<const char*> keys = {
        "host",   "port", "dbname", "user", "connect_timeout", "client_encoding", "application_name",
        "options"};
    std::vector<const char*> values = {settings_.host.c_str(),
                                       port.c_str(),
                                       settings_.database.c_str(),
                                       settings_.user.c_str(),
                                       timeout.c_str(),
                                       "UTF8",
                                       "silt",
                                       "-c TimeZone=UTC -c DateStyle=ISO -c extra_float_digits=3"};
    if (settings_.password) {
      keys.push_back("password");
      values.push_back(settings_.password->c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_.reset(PQconnectdbParams(keys.data(), values.data(), 0));
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
      return Error(ErrorKind::Io, "cannot connect to postgres at " + settings_.address() + " (database " +
                                      settings_.database + ", user " + settings_.user + "): " + message());
    }
    return ok_status();
  }

  // Runs a statement; its result when it succeeded.
  Result<PgResult> run(const std::string& sql, const char* what) {
    PgResult res(PQexec(conn_.get(), sql.c_str()));
    auto st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return res;
    ErrorKind kind = PQstatus(conn_.get()) == CONNECTION_OK ? ErrorKind::InvalidArgument : ErrorKind::Io;
    return Error(kind, std::string(what) + ": " + message());
  }

 private:
  std::string message() const {
    return settings_.scrub(conn_ ? PQerrorMessage(conn_.get()) : "out of memory");
  }

  const ServerSettings& settings_;
  std::unique_ptr<PGconn, Finish> conn_;
};

// The query without trailing semicolons, which a cursor declaration cannot take.
std::string_view statement_body(std::string_view q) {
  while (!q.empty() && (q.back() == ';' || std::isspace(static_cast<unsigned char>(q.back()))))
    q.remove_suffix(1);
  return q;
}

}  // namespace

Result<int64_t> copy_postgres(const SourceConfig& source, std::string_view query, db::Connection& conn,
                              std::string_view target, const CopyOptions& options) {
  SILT_ASSIGN_OR_RETURN(ServerSettings settings, server_settings(source, 5432));
  PgSession pg(settings);
  SILT_TRY(pg.connect());
  SILT_TRY(pg.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting a transaction"));
  SILT_TRY(pg.run("DECLARE silt_rows NO SCROLL CURSOR FOR " + std::string(statement_body(query)), "query"));
  const std::string fetch = "FETCH FORWARD " + std::to_string(options.batch_rows) + " FROM silt_rows";
  std::optional<BatchSink> sink;
  std::string scratch;
  for (;;) {
    SILT_ASSIGN_OR_RETURN(PgResult batch, pg.run(fetch, "fetching rows"));
    const PGresult* res = batch.get();
    int cols = PQnfields(res), rows = PQntuples(res);
    if (!sink) {  // the first batch, even an empty one, describes the columns
      std::vector<SourceColumn> columns;
      for (int i = 0; i < cols; i++) columns.push_back(column_for(res, i));
      SILT_ASSIGN_OR_RETURN(auto opened, BatchSink::open(conn, target, std::move(columns), options));
      sink.emplace(std::move(opened));
    }
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < cols; i++) {
        if (PQgetisnull(res, r, i)) {
          sink->appender().append_null();
          continue;
        }
        std::string_view text(PQgetvalue(res, r, i), size_t(PQgetlength(res, r, i)));
        const SourceColumn& col = sink->columns()[i];
        if (!append_text_value(text, col, sink->appender(), scratch))
          return sink->value_error(
              i, "value '" + std::string(text.substr(0, 60)) + "' does not fit " + duckdb_type_sql(col));
      }
      SILT_TRY(sink->end_row());
    }
    if (rows < options.batch_rows) break;
  }
  SILT_TRY(pg.run("CLOSE silt_rows", "closing the cursor"));
  SILT_TRY(pg.run("COMMIT", "ending the transaction"));
  return sink->finish();
}

}  // namespace silt::sources
