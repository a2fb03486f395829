// Implementation of the DuckDB RAII layer. Errors from DuckDB become ErrorKind::InvalidArgument
// (bad SQL) or Io; the message text is DuckDB's, copied before the result is destroyed.
#include "duckdb/engine.h"

#include <cstring>

#include "util/sql_text.h"

namespace silt::db {
namespace {

Error query_error(const char* msg) {
  std::string m = msg ? msg : "unknown DuckDB error";
  // DuckDB messages can span lines; errors are one line at the CLI.
  for (char& c : m) {
    if (c == '\n') c = ' ';
  }
  ErrorKind kind = m.rfind("IO Error", 0) == 0 ? ErrorKind::Io : ErrorKind::InvalidArgument;
  return Error(kind, m);
}

}  // namespace

void Database::Close::operator()(duckdb_database* db) const {
  duckdb_close(db);
  delete db;
}

Result<Database> Database::open_in_memory() {
  duckdb_config config;
  if (duckdb_create_config(&config) != DuckDBSuccess)
    return Error(ErrorKind::Internal, "duckdb config failed");
  duckdb_set_config(config, "autoinstall_known_extensions", "false");
  duckdb_set_config(config, "autoload_known_extensions", "false");
  auto handle = std::unique_ptr<duckdb_database, Close>(new duckdb_database(nullptr));
  char* err = nullptr;
  duckdb_state st = duckdb_open_ext(nullptr, handle.get(), config, &err);
  duckdb_destroy_config(&config);
  if (st != DuckDBSuccess) {
    Error e(ErrorKind::Internal, std::string("cannot open DuckDB: ") + (err ? err : "?"));
    duckdb_free(err);
    handle.release();
    return e;
  }
  Database db;
  db.handle_ = std::move(handle);
  return db;
}

void Connection::Close::operator()(duckdb_connection* c) const {
  duckdb_disconnect(c);
  delete c;
}

Result<Connection> Connection::open(const Database& db) {
  auto handle = std::unique_ptr<duckdb_connection, Close>(new duckdb_connection(nullptr));
  if (duckdb_connect(db.raw(), handle.get()) != DuckDBSuccess) {
    handle.release();
    return Error(ErrorKind::Internal, "cannot connect to DuckDB");
  }
  Connection c;
  c.handle_ = std::move(handle);
  return c;
}

void QueryResult::Destroy::operator()(duckdb_result* r) const {
  duckdb_destroy_result(r);
  delete r;
}

Result<QueryResult> Connection::query(const std::string& sql) {
  QueryResult qr;
  qr.handle_.reset(new duckdb_result{});
  if (duckdb_query(*handle_, sql.c_str(), qr.handle_.get()) != DuckDBSuccess) {
    return query_error(duckdb_result_error(qr.handle_.get()));
  }
  return qr;
}

Status Connection::execute(const std::string& sql) {
  SILT_ASSIGN_OR_RETURN(auto r, query(sql));
  (void)r;
  return ok_status();
}

Result<QueryResult::TextRows> Connection::query_text(const std::string& sql) {
  SILT_ASSIGN_OR_RETURN(auto r, query("SELECT COLUMNS(*)::VARCHAR FROM " + subquery(sql)));
  return r.rows_as_text();
}

Result<std::optional<std::string>> Connection::scalar(const std::string& sql) {
  SILT_ASSIGN_OR_RETURN(auto rows, query_text(sql));
  if (rows.empty() || rows[0].empty()) return Error(ErrorKind::NotFound, "query returned no rows");
  return rows[0][0];
}

void Connection::interrupt() { duckdb_interrupt(*handle_); }

idx_t QueryResult::column_count() const { return duckdb_column_count(handle_.get()); }

std::string QueryResult::column_name(idx_t col) const {
  const char* n = duckdb_column_name(handle_.get(), col);
  return n ? n : "";
}

duckdb_type QueryResult::column_type(idx_t col) const { return duckdb_column_type(handle_.get(), col); }

void DataChunk::Destroy::operator()(duckdb_data_chunk* c) const {
  duckdb_destroy_data_chunk(c);
  delete c;
}

std::optional<DataChunk> QueryResult::next_chunk() {
  duckdb_data_chunk raw = duckdb_fetch_chunk(*handle_);
  if (!raw) return std::nullopt;
  DataChunk chunk;
  chunk.handle_.reset(new duckdb_data_chunk(raw));
  chunk.size_ = duckdb_data_chunk_get_size(raw);
  idx_t ncol = duckdb_data_chunk_get_column_count(raw);
  chunk.columns_.reserve(ncol);
  for (idx_t i = 0; i < ncol; i++) {
    duckdb_vector v = duckdb_data_chunk_get_vector(raw, i);
    chunk.columns_.push_back({duckdb_vector_get_data(v), duckdb_vector_get_validity(v)});
  }
  return chunk;
}

bool DataChunk::is_null(idx_t col, idx_t row) const {
  uint64_t* validity = columns_[col].validity;
  return validity && !duckdb_validity_row_is_valid(validity, row);
}

std::string_view DataChunk::str(idx_t col, idx_t row) const {
  auto* s = const_cast<duckdb_string_t*>(static_cast<const duckdb_string_t*>(data(col)) + row);
  return {duckdb_string_t_data(s), duckdb_string_t_length(*s)};
}

Result<QueryResult::TextRows> QueryResult::rows_as_text() {
  TextRows out;
  idx_t ncol = column_count();
  idx_t nrow = duckdb_row_count(handle_.get());
  out.reserve(nrow);
  for (idx_t r = 0; r < nrow; r++) {
    auto& row = out.emplace_back();
    row.reserve(ncol);
    for (idx_t c = 0; c < ncol; c++) {
      if (duckdb_value_is_null(handle_.get(), c, r)) {
        row.emplace_back(std::nullopt);
        continue;
      }
      char* v = duckdb_value_varchar(handle_.get(), c, r);
      if (!v) {
        return Error(
            ErrorKind::Unsupported,
            "column " + column_name(c) + " has a type that needs a cast to VARCHAR to be read as text");
      }
      row.emplace_back(std::string(v));
      duckdb_free(v);
    }
  }
  return out;
}

idx_t QueryResult::rows_changed() { return duckdb_rows_changed(handle_.get()); }

void Appender::Destroy::operator()(duckdb_appender* a) const {
  duckdb_appender_destroy(a);
  delete a;
}

Result<Appender> Appender::open(Connection& conn, const std::string& table) {
  Appender a;
  a.handle_.reset(new duckdb_appender(nullptr));
  if (duckdb_appender_create(conn.raw(), nullptr, table.c_str(), a.handle_.get()) != DuckDBSuccess) {
    std::string msg = duckdb_appender_error(*a.handle_) ? duckdb_appender_error(*a.handle_) : "?";
    return Error(ErrorKind::Internal, "cannot append to " + table + ": " + msg);
  }
  return a;
}

void Appender::note(duckdb_state st) {
  if (st != DuckDBSuccess && !failed_) failed_ = check(st).error();
}

void Appender::append(std::string_view v) {
  note(duckdb_append_varchar_length(*handle_, v.data(), v.size()));
}
void Appender::append(int64_t v) { note(duckdb_append_int64(*handle_, v)); }
void Appender::append_i32(int32_t v) { note(duckdb_append_int32(*handle_, v)); }
void Appender::append_i16(int16_t v) { note(duckdb_append_int16(*handle_, v)); }
void Appender::append_bool(bool v) { note(duckdb_append_bool(*handle_, v)); }
void Appender::append_float(float v) { note(duckdb_append_float(*handle_, v)); }
void Appender::append_double(double v) { note(duckdb_append_double(*handle_, v)); }
void Appender::append_date(int32_t days) { note(duckdb_append_date(*handle_, duckdb_date{days})); }
void Appender::append_time(int64_t micros) { note(duckdb_append_time(*handle_, duckdb_time{micros})); }
void Appender::append_timestamp(int64_t micros) {
  note(duckdb_append_timestamp(*handle_, duckdb_timestamp{micros}));
}
void Appender::append_blob(const void* data, size_t size) { note(duckdb_append_blob(*handle_, data, size)); }
void Appender::append_null() { note(duckdb_append_null(*handle_)); }

Status Appender::check(duckdb_state st) {
  if (st == DuckDBSuccess) return ok_status();
  const char* msg = duckdb_appender_error(*handle_);
  return Error(ErrorKind::Internal, std::string("append failed: ") + (msg ? msg : "?"));
}

Status Appender::end_row() {
  if (failed_) {
    Error e = *failed_;
    failed_.reset();
    return e;
  }
  return check(duckdb_appender_end_row(*handle_));
}
Status Appender::flush() { return check(duckdb_appender_flush(*handle_)); }

Status Connection::register_scalar_function(const ScalarFunctionSpec& spec) {
  duckdb_scalar_function f = duckdb_create_scalar_function();
  duckdb_scalar_function_set_name(f, spec.name.c_str());
  auto with_type = [](duckdb_type t, auto&& use) {
    duckdb_logical_type type = duckdb_create_logical_type(t);
    use(type);
    duckdb_destroy_logical_type(&type);
  };
  for (duckdb_type p : spec.parameters)
    with_type(p, [&](duckdb_logical_type type) { duckdb_scalar_function_add_parameter(f, type); });
  if (spec.varargs)
    with_type(*spec.varargs, [&](duckdb_logical_type type) { duckdb_scalar_function_set_varargs(f, type); });
  with_type(spec.returns, [&](duckdb_logical_type type) { duckdb_scalar_function_set_return_type(f, type); });
  duckdb_scalar_function_set_function(f, spec.function);
  duckdb_state st = duckdb_register_scalar_function(*handle_, f);
  duckdb_destroy_scalar_function(&f);
  if (st != DuckDBSuccess)
    return Error(ErrorKind::InvalidArgument, "DuckDB refused the scalar function " + spec.name);
  return ok_status();
}

}  // namespace silt::db
