// Thin RAII layer over DuckDB's C API (duckdb.h): Database, Connection, QueryResult, DataChunk,
// Appender. Every C handle lives in a unique_ptr with its destroy function; error strings are
// copied before their result is destroyed. A Connection is used by one thread at a time; a
// Database may be shared by connections on several threads.
#pragma once

#include <duckdb.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace silt::db {

class Database {
 public:
  // In-memory database with silt's settings (no extension auto-install: machines are offline).
  static Result<Database> open_in_memory();
  duckdb_database raw() const { return *handle_; }

 private:
  struct Close {
    void operator()(duckdb_database* db) const;
  };
  std::unique_ptr<duckdb_database, Close> handle_;
};

// A chunk of up to ~2048 rows of a result. Accessors take a column index and a row index.
// REQUIRES: the QueryResult that produced it outlives uses of string_views returned.
class DataChunk {
 public:
  idx_t size() const { return size_; }
  bool is_null(idx_t col, idx_t row) const;
  // Typed reads; REQUIRES: the column has the matching physical type and the value is not null.
  std::string_view str(idx_t col, idx_t row) const;
  int64_t i64(idx_t col, idx_t row) const { return static_cast<const int64_t*>(data(col))[row]; }
  int32_t i32(idx_t col, idx_t row) const { return static_cast<const int32_t*>(data(col))[row]; }
  bool boolean(idx_t col, idx_t row) const { return static_cast<const bool*>(data(col))[row]; }
  double f64(idx_t col, idx_t row) const { return static_cast<const double*>(data(col))[row]; }

 private:
  friend class QueryResult;
  struct Destroy {
    void operator()(duckdb_data_chunk* c) const;
  };
  const void* data(idx_t col) const { return columns_[col].data; }
  struct Column {
    const void* data;
    uint64_t* validity;
  };
  std::unique_ptr<duckdb_data_chunk, Destroy> handle_;
  std::vector<Column> columns_;
  idx_t size_ = 0;
};

class QueryResult {
 public:
  idx_t column_count() const;
  std::string column_name(idx_t col) const;
  duckdb_type column_type(idx_t col) const;
  // Next chunk, or nullopt at the end.
  std::optional<DataChunk> next_chunk();
  using TextRows = std::vector<std::vector<std::optional<std::string>>>;
  // Whole result as text (NULL -> nullopt), for small results. Types the C API cannot render
  // (nested types, TIMESTAMP WITH TIME ZONE) give Unsupported naming the column: cast them to
  // VARCHAR in SQL, as Connection::query_text does for every column.
  Result<TextRows> rows_as_text();
  idx_t rows_changed();
  duckdb_result* raw() { return handle_.get(); }

 private:
  friend class Connection;
  friend class PreparedStatement;
  struct Destroy {
    void operator()(duckdb_result* r) const;
  };
  std::unique_ptr<duckdb_result, Destroy> handle_;
};

// A scalar function written in C++: fixed parameters, then optional varargs, all of the given
// DuckDB types. `function` follows duckdb_scalar_function_t's contract (fill `output` for every
// row of `input`, report errors with duckdb_scalar_function_set_error) and must not throw.
struct ScalarFunctionSpec {
  std::string name;
  std::vector<duckdb_type> parameters;
  std::optional<duckdb_type> varargs;
  duckdb_type returns = DUCKDB_TYPE_BIGINT;
  duckdb_scalar_function_t function = nullptr;
};

class Connection {
 public:
  static Result<Connection> open(const Database& db);
  // Makes `spec.name` callable in SQL on this connection's database. InvalidArgument if DuckDB
  // refuses it (e.g. the name is taken by a function of the same parameters).
  Status register_scalar_function(const ScalarFunctionSpec& spec);
  Result<QueryResult> query(const std::string& sql);
  // Runs statements for their effect only.
  Status execute(const std::string& sql);
  // Every column cast to VARCHAR by DuckDB itself, so any type renders as DuckDB prints it.
  Result<QueryResult::TextRows> query_text(const std::string& sql);
  // First column of the first row as text; NotFound when there are no rows.
  Result<std::optional<std::string>> scalar(const std::string& sql);
  void interrupt();
  duckdb_connection raw() const { return *handle_; }

 private:
  struct Close {
    void operator()(duckdb_connection* c) const;
  };
  std::unique_ptr<duckdb_connection, Close> handle_;
};

// Fast row-by-row loading into an existing table. A value whose type differs from its column's is
// cast by DuckDB (text into DECIMAL, DATE, TIMESTAMP WITH TIME ZONE, UUID, ...). The first append
// that fails is remembered and returned by the next end_row(), so appends need no checks of their own.
class Appender {
 public:
  static Result<Appender> open(Connection& conn, const std::string& table);
  void append(std::string_view v);  // VARCHAR
  void append(int64_t v);
  void append_i32(int32_t v);
  void append_i16(int16_t v);
  void append_bool(bool v);
  void append_float(float v);
  void append_double(double v);
  void append_date(int32_t days_since_epoch);
  void append_time(int64_t micros_since_midnight);
  void append_timestamp(int64_t micros_since_epoch);  // also for TIMESTAMPTZ (UTC) columns
  void append_blob(const void* data, size_t size);
  void append_null();
  Status end_row();
  Status flush();

 private:
  struct Destroy {
    void operator()(duckdb_appender* a) const;
  };
  std::unique_ptr<duckdb_appender, Destroy> handle_;
  std::optional<Error> failed_;  // first failed append since the last end_row()
  Status check(duckdb_state st);
  void note(duckdb_state st);
};

}  // namespace silt::db
