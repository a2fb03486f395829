// Firebird reader over the classic C client (isc_* with XSQLDA). The connection asks for the
// UTF8 character set, so every text column arrives as UTF-8 whatever its own charset; rows are
// fetched one by one into buffers reused for the whole query and appended to DuckDB column-wise.
#include <ibase.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sources/batch_sink.h"
#include "sources/readers.h"
#include "sources/server_settings.h"

namespace silt::sources {
namespace {

constexpr int kOctets = 1;               // charset id of binary CHAR/VARCHAR
constexpr int kTextBlob = 1;             // BLOB SUB_TYPE TEXT
constexpr int32_t kEpochDay = 40587;     // 1970-01-01 in Firebird's days since 1858-11-17
constexpr int64_t kMicrosPerTick = 100;  // Firebird keeps time in 1/10000 s
constexpr int64_t kMicrosPerDay = 86'400'000'000;

struct XsqldaFree {
  void operator()(XSQLDA* d) const { std::free(d); }
};

XSQLDA* new_sqlda(int n) {
  auto* d = static_cast<XSQLDA*>(std::calloc(1, XSQLDA_LENGTH(n)));
  d->version = SQLDA_VERSION1;
  d->sqln = short(n);
  return d;
}

// A scaled integer as decimal text, e.g. (-12345, -2) -> "-123.45".
std::string scaled_text(int64_t v, int scale) {
  bool neg = v < 0;
  std::string digits = std::to_string(v);
  if (neg) digits.erase(0, 1);
  size_t places = size_t(-scale);
  if (digits.size() <= places) digits.insert(0, places - digits.size() + 1, '0');
  digits.insert(digits.size() - places, ".");
  return (neg ? "-" : "") + digits;
}

SourceColumn column_for(const XSQLVAR& v) {
  std::string name(v.aliasname, size_t(v.aliasname_length));
  int scale = v.sqlscale;
  switch (v.sqltype & ~1) {
    case SQL_TEXT:
    case SQL_VARYING: {
      bool binary = (v.sqlsubtype & 0xff) == kOctets;
      SourceColumn c{name, binary ? ColumnType::Blob : ColumnType::Varchar};
      c.blank_padded = !binary && (v.sqltype & ~1) == SQL_TEXT;
      return c;
    }
    // Scaled integers (NUMERIC/DECIMAL) get the digit capacity of their storage: the XSQLDA does
    // not carry the declared precision, and Firebird does not cap values to it either.
    case SQL_SHORT:
      return scale ? decimal_column(name, 5, -scale) : SourceColumn{name, ColumnType::SmallInt};
    case SQL_LONG:
      return scale ? decimal_column(name, 10, -scale) : SourceColumn{name, ColumnType::Integer};
    case SQL_INT64:
      return scale ? decimal_column(name, 19, -scale) : SourceColumn{name, ColumnType::BigInt};
    case SQL_FLOAT:
      return {name, ColumnType::Float};
    case SQL_DOUBLE:
    case SQL_D_FLOAT:
      return {name, ColumnType::Double};
    case SQL_TYPE_DATE:
      return {name, ColumnType::Date};
    case SQL_TYPE_TIME:
      return {name, ColumnType::Time};
    case SQL_TIMESTAMP:
      return {name, ColumnType::Timestamp};
    case SQL_BOOLEAN:
      return {name, ColumnType::Boolean};
    case SQL_BLOB:
      return {name, v.sqlsubtype == kTextBlob ? ColumnType::Varchar : ColumnType::Blob};
    default:
      return {name, ColumnType::Varchar};  // SQL_NULL: a column of NULLs
  }
}

class FbSession {
 public:
  explicit FbSession(const ServerSettings& s) : settings_(s) {}
  ~FbSession() {
    if (stmt_) isc_dsql_free_statement(status_, &stmt_, DSQL_drop);
    if (tr_) isc_rollback_transaction(status_, &tr_);  // read-only: nothing to keep
    if (db_) isc_detach_database(status_, &db_);
  }

  Status connect() {
    std::string dpb(1, char(isc_dpb_version1));
    auto add = [&](char tag, const std::string& value) {
      dpb += tag;
      dpb += char(value.size());
      dpb += value;
    };
    add(isc_dpb_user_name, settings_.user);
    if (settings_.password) add(isc_dpb_password, *settings_.password);
    add(isc_dpb_lc_ctype, "UTF8");
    uint32_t t = uint32_t(settings_.connect_timeout_s);
    add(isc_dpb_connect_timeout,
        std::string{char(t & 0xff), char(t >> 8 & 0xff), char(t >> 16 & 0xff), char(t >> 24 & 0xff)});
    std::string target = settings_.host + "/" + std::to_string(settings_.port) + ":" + settings_.database;
    if (isc_attach_database(status_, 0, target.c_str(), &db_, short(dpb.size()), dpb.data()))
      return failure(ErrorKind::Io, "cannot connect to firebird at " + settings_.address() + " (database " +
                                        settings_.database + ", user " + settings_.user + ")");
    static const char tpb[] = {isc_tpb_version3, isc_tpb_read, isc_tpb_concurrency, isc_tpb_wait};
    if (isc_start_transaction(status_, &tr_, 1, &db_, short(sizeof tpb), tpb))
      return failure(ErrorKind::Io, "starting a transaction");
    return ok_status();
  }

  // Prepares and opens the query; out() then describes its columns.
  Status open(std::string_view query) {
    if (isc_dsql_allocate_statement(status_, &db_, &stmt_))
      return failure(ErrorKind::Io, "preparing the query");
    out_.reset(new_sqlda(16));
    std::string sql(query);
    if (isc_dsql_prepare(status_, &tr_, &stmt_, 0, sql.c_str(), SQL_DIALECT_V6, out_.get()))
      return failure(ErrorKind::InvalidArgument, "query");
    if (out_->sqld > out_->sqln) {
      out_.reset(new_sqlda(out_->sqld));
      if (isc_dsql_describe(status_, &stmt_, SQL_DIALECT_V6, out_.get()))
        return failure(ErrorKind::InvalidArgument, "query");
    }
    if (out_->sqld == 0) return Error(ErrorKind::InvalidArgument, "query: it returns no columns");
    // One buffer per column, reused for every row; every column gets a null indicator.
    buffers_.resize(out_->sqld);
    nulls_.resize(out_->sqld);
    for (int i = 0; i < out_->sqld; i++) {
      XSQLVAR& v = out_->sqlvar[i];
      buffers_[i].resize(size_t(v.sqllen) + sizeof(short));
      v.sqldata = buffers_[i].data();
      v.sqlind = &nulls_[i];
      v.sqltype |= 1;
    }
    if (isc_dsql_execute(status_, &tr_, &stmt_, SQL_DIALECT_V6, nullptr))
      return failure(ErrorKind::InvalidArgument, "query");
    return ok_status();
  }

  const XSQLDA& out() const { return *out_; }

  // Next row into the buffers; false at the end.
  Result<bool> fetch() {
    ISC_STATUS rc = isc_dsql_fetch(status_, &stmt_, SQL_DIALECT_V6, out_.get());
    if (rc == 100) return false;
    if (rc) return failure(ErrorKind::Io, "fetching rows");
    return true;
  }

  Status read_blob(ISC_QUAD id, std::string& out) {
    isc_blob_handle blob = 0;
    if (isc_open_blob2(status_, &db_, &tr_, &blob, &id, 0, nullptr))
      return failure(ErrorKind::Io, "reading a blob");
    out.clear();
    char chunk[32768];
    for (;;) {
      unsigned short got = 0;
      ISC_STATUS rc = isc_get_segment(status_, &blob, &got, sizeof chunk, chunk);
      if (rc && rc != isc_segment) break;
      out.append(chunk, got);
    }
    std::optional<Error> failed;
    if (status_[1] != isc_segstr_eof) failed = failure(ErrorKind::Io, "reading a blob");
    ISC_STATUS_ARRAY ignored;
    isc_close_blob(ignored, &blob);
    if (failed) return *failed;
    return ok_status();
  }

 private:
  // The client's messages for the current status vector, one line, password masked.
  Error failure(ErrorKind kind, const std::string& what) {
    std::string text;
    const ISC_STATUS* p = status_;
    char line[512];
    while (fb_interpret(line, sizeof line, &p)) text += (text.empty() ? "" : "; ") + std::string(line);
    return Error(kind, what + ": " + settings_.scrub(text.empty() ? "unknown Firebird error" : text));
  }

  const ServerSettings& settings_;
  ISC_STATUS_ARRAY status_{};
  isc_db_handle db_ = 0;
  isc_tr_handle tr_ = 0;
  isc_stmt_handle stmt_ = 0;
  std::unique_ptr<XSQLDA, XsqldaFree> out_;
  std::vector<std::vector<char>> buffers_;
  std::vector<short> nulls_;
};

template <class T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// A plain integer, or a scaled one (NUMERIC/DECIMAL): its DECIMAL(p, -scale) column stores the
// integer itself (the text form is only for a column that fell back to VARCHAR).
template <class T>
void append_integer(T value, int scale, const SourceColumn& col, db::ChunkAppender& out) {
  if (scale) {
    if (col.type == ColumnType::Decimal)
      out.append_decimal(value);
    else
      out.append(scaled_text(value, scale));
  } else if constexpr (sizeof(T) == 2) {
    out.append_i16(value);
  } else if constexpr (sizeof(T) == 4) {
    out.append_i32(value);
  } else {
    out.append(int64_t(value));
  }
}

// CHAR/VARCHAR bytes: BLOB for the OCTETS charset, else UTF-8 text (CHAR's padding dropped).
void append_chars(std::string_view bytes, const SourceColumn& col, db::ChunkAppender& out) {
  if (col.type == ColumnType::Blob) {
    out.append_blob(bytes.data(), bytes.size());
  } else {
    out.append(unpadded(col, bytes));
  }
}

// Appends the non-null value of `v`.
Status append_value(FbSession& fb, const XSQLVAR& v, const SourceColumn& col, db::ChunkAppender& out,
                    std::string& scratch) {
  const char* p = v.sqldata;
  switch (v.sqltype & ~1) {
    case SQL_TEXT:
      append_chars(std::string_view(p, size_t(v.sqllen)), col, out);
      return ok_status();
    case SQL_VARYING:
      append_chars(std::string_view(p + sizeof(short), size_t(load<short>(p))), col, out);
      return ok_status();
    case SQL_SHORT:
      append_integer(load<int16_t>(p), v.sqlscale, col, out);
      return ok_status();
    case SQL_LONG:
      append_integer(load<int32_t>(p), v.sqlscale, col, out);
      return ok_status();
    case SQL_INT64:
      append_integer(load<int64_t>(p), v.sqlscale, col, out);
      return ok_status();
    case SQL_FLOAT:
      out.append_float(load<float>(p));
      return ok_status();
    case SQL_DOUBLE:
    case SQL_D_FLOAT:
      out.append_double(load<double>(p));
      return ok_status();
    case SQL_TYPE_DATE:
      out.append_date(load<ISC_DATE>(p) - kEpochDay);
      return ok_status();
    case SQL_TYPE_TIME:
      out.append_time(int64_t(load<ISC_TIME>(p)) * kMicrosPerTick);
      return ok_status();
    case SQL_TIMESTAMP: {
      auto ts = load<ISC_TIMESTAMP>(p);
      out.append_timestamp(int64_t(ts.timestamp_date - kEpochDay) * kMicrosPerDay +
                           int64_t(ts.timestamp_time) * kMicrosPerTick);
      return ok_status();
    }
    case SQL_BOOLEAN:
      out.append_bool(load<FB_BOOLEAN>(p) != 0);
      return ok_status();
    case SQL_BLOB:
      SILT_TRY(fb.read_blob(load<ISC_QUAD>(p), scratch));
      if (col.type == ColumnType::Varchar)
        out.append(scratch);
      else
        out.append_blob(scratch.data(), scratch.size());
      return ok_status();
  }
  return Error(ErrorKind::Unsupported,
               "Firebird type " + std::to_string(v.sqltype & ~1) + " is not supported");
}

}  // namespace

Result<int64_t> copy_firebird(const SourceConfig& source, std::string_view query, db::Connection& conn,
                              std::string_view target, const CopyOptions& options) {
  SILT_ASSIGN_OR_RETURN(ServerSettings settings, server_settings(source, 3050));
  FbSession fb(settings);
  SILT_TRY(fb.connect());
  SILT_TRY(fb.open(query));
  const XSQLDA& out = fb.out();
  std::vector<SourceColumn> columns;
  for (int i = 0; i < out.sqld; i++) {
    int type = out.sqlvar[i].sqltype & ~1;
    if (type == SQL_ARRAY || type == SQL_QUAD)
      return Error(ErrorKind::Unsupported,
                   "column " + std::string(out.sqlvar[i].aliasname, size_t(out.sqlvar[i].aliasname_length)) +
                       ": Firebird arrays are not supported");
    columns.push_back(column_for(out.sqlvar[i]));
  }
  SILT_ASSIGN_OR_RETURN(auto sink, BatchSink::open(conn, target, std::move(columns), options));
  std::string scratch;
  for (;;) {
    SILT_ASSIGN_OR_RETURN(bool row, fb.fetch());
    if (!row) break;
    for (int i = 0; i < out.sqld; i++) {
      const XSQLVAR& v = out.sqlvar[i];
      if (*v.sqlind < 0 || (v.sqltype & ~1) == SQL_NULL) {
        sink.appender().append_null();
        continue;
      }
      if (auto st = append_value(fb, v, sink.columns()[i], sink.appender(), scratch); !st.ok())
        return sink.value_error(size_t(i), st.error().message());
    }
    SILT_TRY(sink.end_row());
  }
  return sink.finish();
}

}  // namespace silt::sources
