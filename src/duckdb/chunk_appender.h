// Column-wise bulk loading into an existing DuckDB table: values are written straight into a data
// chunk of the table's column types (no Value objects, no per-value casts) and each full chunk of
// duckdb_vector_size() rows goes in with one duckdb_append_data_chunk. Threads: one caller thread
// at a time; full chunks are appended, in order, on a worker thread of this object while the
// caller fills the next ones, so DuckDB's side of a copy overlaps the reading. The Connection it
// was opened on must outlive it and must not be used by anyone else until flush() returns.
#pragma once

#include <duckdb.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "duckdb/engine.h"
#include "util/result.h"

namespace silt::db {

// Data model: the chunk being filled, row by row and, within a row, column by column in table
// order; full chunks wait in order for the worker, which appends them and hands them back.
// Invariants:
//  1. The chunk has the table's column types, as DuckDB's appender reports them at open().
//  2. A value reaches a column only through the append made for that column's type (listed
//     below); any other append writes nothing and is recorded as the row's failure.
//  3. Rows [0, rows in chunk) are complete: end_row() is the only step that counts a row, and
//     it refuses a row with a recorded failure or a wrong number of values.
// Failures of appends are returned by the next end_row(), so callers need no check per value.
class ChunkAppender {
 public:
  static Result<ChunkAppender> open(Connection& conn, const std::string& table);
  ChunkAppender(ChunkAppender&&) = default;
  ChunkAppender& operator=(ChunkAppender&&) = delete;
  ChunkAppender(const ChunkAppender&) = delete;
  ChunkAppender& operator=(const ChunkAppender&) = delete;
  ~ChunkAppender();

  size_t column_count() const { return columns_.size() - 1; }

  // The next value of the current row; the comment names the column types each accepts.
  void append(std::string_view v);  // VARCHAR; text that is not valid UTF-8 is a failure
  void append(int64_t v) { put(DUCKDB_TYPE_BIGINT, v); }                                   // BIGINT
  void append_i32(int32_t v) { put(DUCKDB_TYPE_INTEGER, v); }                              // INTEGER
  void append_i16(int16_t v) { put(DUCKDB_TYPE_SMALLINT, v); }                             // SMALLINT
  void append_bool(bool v) { put(DUCKDB_TYPE_BOOLEAN, v); }                                // BOOLEAN
  void append_float(float v) { put(DUCKDB_TYPE_FLOAT, v); }                                // FLOAT
  void append_double(double v) { put(DUCKDB_TYPE_DOUBLE, v); }                             // DOUBLE
  void append_date(int32_t days_since_epoch) { put(DUCKDB_TYPE_DATE, days_since_epoch); }  // DATE
  void append_time(int64_t micros_since_midnight) { put(DUCKDB_TYPE_TIME, micros_since_midnight); }  // TIME
  // TIMESTAMP, and TIMESTAMP WITH TIME ZONE (the instant in UTC).
  void append_timestamp(int64_t micros_since_epoch) { put(DUCKDB_TYPE_TIMESTAMP, micros_since_epoch); }
  void append_blob(const void* data, size_t size);  // BLOB
  // DECIMAL(w,s) given as its scaled integer, value * 10^s; |unscaled| >= 10^w is a failure.
  void append_decimal(__int128 unscaled);
  // UUID given as its 128 bits in text order (the first hex digit is the top of `high`).
  void append_uuid(uint64_t high, uint64_t low);
  void append_null();  // any column
  // Any column: `text` through DuckDB's own VARCHAR cast to the column's type, so exactly what
  // DuckDB accepts. One query per value on the connection: meant for the rare texts a reader's
  // fast parsers leave. InvalidArgument with DuckDB's message when the cast fails; nothing is
  // appended then and the row must not be ended.
  Status append_cast(std::string_view text);

  // Ends the current row; appends the chunk when it is full. A failed append of this row makes
  // it an error (the row is dropped), see failed_column().
  Status end_row();
  // After end_row() failed: the column whose append failed, or nullopt when the row as a whole
  // (wrong number of values) or the chunk (DuckDB refused it) failed.
  std::optional<size_t> failed_column() const { return failed_column_; }
  // Appends the rows so far, a partial chunk too, and makes them visible in the table.
  Status flush();
  // Waits until no chunk is being appended in the background, so the connection is free (e.g.
  // for a progress callback that queries it); returns that append's failure, if any.
  Status settle();

 private:
  struct Column {
    duckdb_type type = DUCKDB_TYPE_INVALID;     // TIMESTAMP_TZ is kept as TIMESTAMP: same values
    duckdb_type storage = DUCKDB_TYPE_INVALID;  // DECIMAL: its integer type; else as `type`
    uint8_t width = 0;                          // DECIMAL only
    size_t value_size = 0;                      // bytes per value in the vector
    std::string type_name;                      // for messages
    duckdb_vector vector = nullptr;
    void* data = nullptr;
    uint64_t* validity = nullptr;  // null until this chunk's first NULL in the column
  };
  struct DestroyAppender {
    void operator()(duckdb_appender* a) const;
  };
  struct DestroyChunk {
    void operator()(duckdb_data_chunk* c) const;
  };
  struct DestroyPrepared {
    void operator()(duckdb_prepared_statement* p) const;
  };
  // The worker thread appending full chunks in order, and moving them into the table (a commit)
  // every kChunksPerCommit: 60 chunks of 2048 rows are one row group of DuckDB's (122,880 rows),
  // which a commit takes over whole instead of copying it, and the table gets no partial row
  // groups. Up to kChunksInFlight chunks wait for it, enough to keep the caller reading during
  // a commit (about 10 MB for rows of 80 bytes). Started on the first full chunk; joined, with
  // queued chunks dropped, by the destructor.
  static constexpr size_t kChunksPerCommit = 60;
  static constexpr size_t kChunksInFlight = 64;
  struct Background {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<duckdb_data_chunk> queue;  // full chunks, oldest first; the worker takes the front
    bool appending = false;                // the worker holds one chunk taken from the queue
    std::vector<duckdb_data_chunk> free;   // appended chunks, for the caller to fill again
    bool stop = false;
    std::optional<std::string> failure;  // of an append, until settle() takes it
    std::thread thread;
    ~Background();
  };
  using Prepared = std::unique_ptr<duckdb_prepared_statement, DestroyPrepared>;

  ChunkAppender() = default;

  template <class T>
  void put(duckdb_type type, T v) {
    Column& c = columns_[column_];  // the sentinel past the last column has type INVALID
    if (c.type != type) return wrong_type(type);
    static_cast<T*>(c.data)[row_] = v;
    column_++;
  }
  void wrong_type(duckdb_type type);
  void fail(std::string what);
  void append_string(duckdb_type type, const char* data, size_t size);
  Status append_chunk();
  void wait_idle(std::unique_lock<std::mutex>& lock);
  void start_worker();
  Result<duckdb_data_chunk> new_chunk();
  void attach_vectors();
  Result<duckdb_prepared_statement> cast_statement(size_t column);

  Connection* conn_ = nullptr;
  std::string table_;
  std::unique_ptr<duckdb_appender, DestroyAppender> appender_;
  std::vector<std::unique_ptr<duckdb_data_chunk, DestroyChunk>> chunks_;  // all, made on demand
  std::vector<duckdb_logical_type> types_;  // the table's column types, for new chunks
  duckdb_data_chunk filling_ = nullptr;     // the chunk appends write to
  std::vector<Column> columns_;             // the table's columns, then one sentinel of type INVALID
  std::vector<Prepared> casts_;             // per column, prepared on its first append_cast
  idx_t capacity_ = 0;
  idx_t row_ = 0;                       // rows complete in the chunk
  size_t column_ = 0;                   // next column of the current row
  std::optional<std::string> failure_;  // first failed append of the current row
  std::optional<size_t> failure_column_;
  std::optional<size_t> failed_column_;  // of the last failed end_row()
  // Declared last: destroyed (joined) first, while the chunks and the appender still exist.
  std::unique_ptr<Background> background_;
};

}  // namespace silt::db
