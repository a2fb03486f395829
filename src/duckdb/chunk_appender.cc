// Implementation of the column-wise appender: the chunk's vectors are written directly; strings
// go through DuckDB's string heap (duckdb_vector_assign_string_element_len), NULLs through the
// validity mask, and a chunk is handed to DuckDB's appender when full or on flush.
#include "duckdb/chunk_appender.h"

#include <cstring>

#include "util/powers_of_ten.h"

namespace silt::db {
namespace {

// Bytes per value in a flat vector of a type a table column can have here; 0 for others.
size_t value_size_of(duckdb_type t) {
  switch (t) {
    case DUCKDB_TYPE_BOOLEAN:
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_UTINYINT:
      return 1;
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_USMALLINT:
      return 2;
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DATE:
      return 4;
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return 8;
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_UUID:
    case DUCKDB_TYPE_INTERVAL:
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB:
      return 16;
    default:
      return 0;
  }
}

// The type's SQL name, as casts and messages spell it; empty for types not listed.
std::string type_name_of(duckdb_type t, uint8_t width, uint8_t scale) {
  switch (t) {
    case DUCKDB_TYPE_BOOLEAN:
      return "BOOLEAN";
    case DUCKDB_TYPE_TINYINT:
      return "TINYINT";
    case DUCKDB_TYPE_UTINYINT:
      return "UTINYINT";
    case DUCKDB_TYPE_SMALLINT:
      return "SMALLINT";
    case DUCKDB_TYPE_USMALLINT:
      return "USMALLINT";
    case DUCKDB_TYPE_INTEGER:
      return "INTEGER";
    case DUCKDB_TYPE_UINTEGER:
      return "UINTEGER";
    case DUCKDB_TYPE_BIGINT:
      return "BIGINT";
    case DUCKDB_TYPE_UBIGINT:
      return "UBIGINT";
    case DUCKDB_TYPE_HUGEINT:
      return "HUGEINT";
    case DUCKDB_TYPE_UHUGEINT:
      return "UHUGEINT";
    case DUCKDB_TYPE_FLOAT:
      return "FLOAT";
    case DUCKDB_TYPE_DOUBLE:
      return "DOUBLE";
    case DUCKDB_TYPE_DECIMAL:
      return "DECIMAL(" + std::to_string(width) + "," + std::to_string(scale) + ")";
    case DUCKDB_TYPE_VARCHAR:
      return "VARCHAR";
    case DUCKDB_TYPE_BLOB:
      return "BLOB";
    case DUCKDB_TYPE_DATE:
      return "DATE";
    case DUCKDB_TYPE_TIME:
      return "TIME";
    case DUCKDB_TYPE_TIMESTAMP:
      return "TIMESTAMP";
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return "TIMESTAMP WITH TIME ZONE";
    case DUCKDB_TYPE_UUID:
      return "UUID";
    case DUCKDB_TYPE_INTERVAL:
      return "INTERVAL";
    default:
      return "";
  }
}

// Logical types owned until the end of a scope.
struct LogicalTypes {
  std::vector<duckdb_logical_type> types;
  LogicalTypes() = default;
  LogicalTypes(const LogicalTypes&) = delete;
  LogicalTypes& operator=(const LogicalTypes&) = delete;
  ~LogicalTypes() {
    for (auto& t : types) duckdb_destroy_logical_type(&t);
  }
};

struct ResultHolder {
  duckdb_result r{};
  ~ResultHolder() { duckdb_destroy_result(&r); }
};

}  // namespace

void ChunkAppender::DestroyAppender::operator()(duckdb_appender* a) const {
  duckdb_appender_destroy(a);
  delete a;
}
void ChunkAppender::DestroyChunk::operator()(duckdb_data_chunk* c) const {
  duckdb_destroy_data_chunk(c);
  delete c;
}
void ChunkAppender::DestroyPrepared::operator()(duckdb_prepared_statement* p) const {
  duckdb_destroy_prepare(p);
  delete p;
}

ChunkAppender::~ChunkAppender() {
  background_.reset();  // joins the worker before the chunks and the appender go
  for (auto& t : types_) duckdb_destroy_logical_type(&t);
}

Result<duckdb_data_chunk> ChunkAppender::new_chunk() {
  duckdb_data_chunk chunk = duckdb_create_data_chunk(types_.data(), types_.size());
  if (!chunk) return Error(ErrorKind::Internal, "cannot make a data chunk for " + table_);
  chunks_.emplace_back(new duckdb_data_chunk(chunk));
  return chunk;
}

ChunkAppender::Background::~Background() {
  if (!thread.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex);
    stop = true;
  }
  changed.notify_all();
  thread.join();
}

void ChunkAppender::wait_idle(std::unique_lock<std::mutex>& lock) {
  background_->changed.wait(lock, [&] { return background_->queue.empty() && !background_->appending; });
}

Status ChunkAppender::settle() {
  std::unique_lock<std::mutex> lock(background_->mutex);
  wait_idle(lock);
  if (!background_->failure) return ok_status();
  Error e(ErrorKind::Internal, *background_->failure);
  background_->failure.reset();
  return e;
}

Result<ChunkAppender> ChunkAppender::open(Connection& conn, const std::string& table) {
  ChunkAppender a;
  a.conn_ = &conn;
  a.table_ = table;
  a.appender_.reset(new duckdb_appender(nullptr));
  if (duckdb_appender_create(conn.raw(), nullptr, table.c_str(), a.appender_.get()) != DuckDBSuccess) {
    const char* msg = duckdb_appender_error(*a.appender_);
    return Error(ErrorKind::Internal, "cannot append to " + table + ": " + (msg ? msg : "?"));
  }
  idx_t n = duckdb_appender_column_count(*a.appender_);
  LogicalTypes types;
  for (idx_t i = 0; i < n; i++) {
    duckdb_logical_type t = duckdb_appender_column_type(*a.appender_, i);
    types.types.push_back(t);
    Column c;
    c.type = duckdb_get_type_id(t);
    c.storage = c.type;
    if (c.type == DUCKDB_TYPE_DECIMAL) {
      c.width = duckdb_decimal_width(t);
      c.storage = duckdb_decimal_internal_type(t);
    }
    c.value_size = value_size_of(c.storage);
    c.type_name = type_name_of(c.type, c.width, c.type == DUCKDB_TYPE_DECIMAL ? duckdb_decimal_scale(t) : 0);
    if (c.value_size == 0 || c.type_name.empty())
      return Error(ErrorKind::Unsupported,
                   "cannot append to " + table + ": column " + std::to_string(i + 1) + " has a nested type");
    if (c.type == DUCKDB_TYPE_TIMESTAMP_TZ) c.type = DUCKDB_TYPE_TIMESTAMP;
    a.columns_.push_back(std::move(c));
  }
  a.columns_.emplace_back();  // the sentinel: every typed append past the last column fails
  a.casts_.resize(n);
  a.types_.swap(types.types);
  a.background_ = std::make_unique<Background>();
  SILT_ASSIGN_OR_RETURN(a.filling_, a.new_chunk());
  a.capacity_ = duckdb_vector_size();
  a.attach_vectors();
  return a;
}

// Vectors, data and validity pointers change when the chunk is reset.
void ChunkAppender::attach_vectors() {
  for (size_t i = 0; i + 1 < columns_.size(); i++) {
    Column& c = columns_[i];
    c.vector = duckdb_data_chunk_get_vector(filling_, i);
    c.data = duckdb_vector_get_data(c.vector);
    c.validity = nullptr;
  }
}

void ChunkAppender::fail(std::string what) {
  if (!failure_) {
    failure_ = std::move(what);
    if (column_ < column_count()) failure_column_ = column_;
  }
  if (column_ < column_count()) column_++;
}

void ChunkAppender::wrong_type(duckdb_type type) {
  const Column& c = columns_[column_];
  if (c.type == DUCKDB_TYPE_INVALID)
    return fail("more values than the table's " + std::to_string(column_count()) + " columns");
  fail("a " + type_name_of(type, 0, 0) + " value cannot go into a " + c.type_name + " column");
}

void ChunkAppender::append_string(duckdb_type type, const char* data, size_t size) {
  Column& c = columns_[column_];
  if (c.type != type) return wrong_type(type);
  duckdb_vector_assign_string_element_len(c.vector, row_, data, size);
  if (type == DUCKDB_TYPE_VARCHAR) {
    // DuckDB stores invalid UTF-8 as NULL without saying so; here it is an error instead.
    uint64_t* validity = duckdb_vector_get_validity(c.vector);
    if (validity && !duckdb_validity_row_is_valid(validity, row_)) return fail("text is not valid UTF-8");
  }
  column_++;
}

void ChunkAppender::append(std::string_view v) { append_string(DUCKDB_TYPE_VARCHAR, v.data(), v.size()); }

void ChunkAppender::append_blob(const void* data, size_t size) {
  append_string(DUCKDB_TYPE_BLOB, static_cast<const char*>(data), size);
}

void ChunkAppender::append_decimal(__int128 unscaled) {
  Column& c = columns_[column_];
  if (c.type != DUCKDB_TYPE_DECIMAL) return wrong_type(DUCKDB_TYPE_DECIMAL);
  __int128 bound = kPowersOfTen.p[c.width];
  if (unscaled >= bound || unscaled <= -bound) return fail("value out of range for " + c.type_name);
  switch (c.storage) {
    case DUCKDB_TYPE_SMALLINT:
      static_cast<int16_t*>(c.data)[row_] = int16_t(unscaled);
      break;
    case DUCKDB_TYPE_INTEGER:
      static_cast<int32_t*>(c.data)[row_] = int32_t(unscaled);
      break;
    case DUCKDB_TYPE_BIGINT:
      static_cast<int64_t*>(c.data)[row_] = int64_t(unscaled);
      break;
    default:  // HUGEINT
      static_cast<duckdb_hugeint*>(c.data)[row_] = {uint64_t(unscaled), int64_t(unscaled >> 64)};
  }
  column_++;
}

void ChunkAppender::append_uuid(uint64_t high, uint64_t low) {
  // DuckDB keeps a UUID as a HUGEINT with the top bit flipped, so that signed order is text order.
  put(DUCKDB_TYPE_UUID, duckdb_hugeint{low, int64_t(high ^ (uint64_t(1) << 63))});
}

void ChunkAppender::append_null() {
  Column& c = columns_[column_];
  if (c.type == DUCKDB_TYPE_INVALID) return wrong_type(DUCKDB_TYPE_SQLNULL);
  if (!c.validity) {
    duckdb_vector_ensure_validity_writable(c.vector);
    c.validity = duckdb_vector_get_validity(c.vector);
  }
  duckdb_validity_set_row_invalid(c.validity, row_);
  // No garbage under a NULL: a string slot with a stray pointer must never be followed.
  std::memset(static_cast<char*>(c.data) + row_ * c.value_size, 0, c.value_size);
  column_++;
}

Result<duckdb_prepared_statement> ChunkAppender::cast_statement(size_t column) {
  if (casts_[column]) return *casts_[column];
  Prepared p(new duckdb_prepared_statement(nullptr));
  std::string sql = "SELECT CAST($1 AS " + columns_[column].type_name + ")";
  if (duckdb_prepare(conn_->raw(), sql.c_str(), p.get()) != DuckDBSuccess) {
    const char* msg = duckdb_prepare_error(*p);
    return Error(ErrorKind::Internal, "cannot prepare " + sql + ": " + (msg ? msg : "?"));
  }
  casts_[column] = std::move(p);
  return *casts_[column];
}

Status ChunkAppender::append_cast(std::string_view text) {
  if (column_ >= column_count())
    return Error(ErrorKind::Internal,
                 "more values than the table's " + std::to_string(column_count()) + " columns");
  Column& c = columns_[column_];
  {
    // The connection is the worker's while it appends; its failure stays for end_row().
    std::unique_lock<std::mutex> lock(background_->mutex);
    wait_idle(lock);
  }
  SILT_ASSIGN_OR_RETURN(duckdb_prepared_statement st, cast_statement(column_));
  if (duckdb_bind_varchar_length(st, 1, text.data(), text.size()) != DuckDBSuccess)
    return Error(ErrorKind::InvalidArgument, "text is not valid UTF-8");
  ResultHolder res;
  if (duckdb_execute_prepared(st, &res.r) != DuckDBSuccess) {
    const char* msg = duckdb_result_error(&res.r);
    std::string m = msg ? msg : "cast failed";
    for (char& ch : m) ch = ch == '\n' ? ' ' : ch;
    return Error(ErrorKind::InvalidArgument, m);
  }
  duckdb_data_chunk out = duckdb_fetch_chunk(res.r);
  if (!out) return Error(ErrorKind::Internal, "the cast returned no row");
  std::unique_ptr<duckdb_data_chunk, DestroyChunk> hold(new duckdb_data_chunk(out));
  duckdb_vector v = duckdb_data_chunk_get_vector(out, 0);
  uint64_t* validity = duckdb_vector_get_validity(v);
  if (validity && !duckdb_validity_row_is_valid(validity, 0)) {
    append_null();
  } else if (c.storage == DUCKDB_TYPE_VARCHAR || c.storage == DUCKDB_TYPE_BLOB) {
    auto* s = static_cast<duckdb_string_t*>(duckdb_vector_get_data(v));
    duckdb_vector_assign_string_element_len(c.vector, row_, duckdb_string_t_data(s),
                                            duckdb_string_t_length(*s));
    column_++;
  } else {
    std::memcpy(static_cast<char*>(c.data) + row_ * c.value_size, duckdb_vector_get_data(v), c.value_size);
    column_++;
  }
  return ok_status();
}

Status ChunkAppender::end_row() {
  failed_column_.reset();
  if (!failure_ && column_ != column_count())
    failure_ =
        std::to_string(column_) + " values for the table's " + std::to_string(column_count()) + " columns";
  if (failure_) {
    Error e(ErrorKind::InvalidArgument, *failure_);
    failed_column_ = failure_column_;
    failure_.reset();
    failure_column_.reset();
    column_ = 0;
    // The row's written values stay in the chunk past row_, overwritten by the next row.
    // NULLs it set, by append_null or by DuckDB for invalid UTF-8, must not stay for that row.
    for (size_t i = 0; i < column_count(); i++) {
      if (uint64_t* validity = duckdb_vector_get_validity(columns_[i].vector))
        duckdb_validity_set_row_valid(validity, row_);
    }
    return e;
  }
  column_ = 0;
  if (++row_ == capacity_) return append_chunk();
  return ok_status();
}

void ChunkAppender::start_worker() {
  Background& bg = *background_;
  bg.thread = std::thread([&bg, appender = *appender_, table = table_] {
    std::unique_lock<std::mutex> lock(bg.mutex);
    size_t unflushed = 0;
    for (;;) {
      bg.changed.wait(lock, [&] { return !bg.queue.empty() || bg.stop; });
      if (bg.queue.empty()) return;
      duckdb_data_chunk chunk = bg.queue.front();
      bg.queue.erase(bg.queue.begin());
      bg.appending = true;
      std::optional<std::string> failure;
      // After a failure the copy is lost, and after stop (no flush) abandoned: chunks are only
      // handed back.
      if (!bg.failure && !bg.stop) {
        lock.unlock();
        if (duckdb_append_data_chunk(appender, chunk) != DuckDBSuccess) {
          failure = "appending " + std::to_string(duckdb_data_chunk_get_size(chunk)) + " rows";
        } else if (++unflushed == kChunksPerCommit) {
          unflushed = 0;
          if (duckdb_appender_flush(appender) != DuckDBSuccess) failure = "moving rows into the table";
        }
        if (failure) {
          const char* msg = duckdb_appender_error(appender);
          *failure += " to " + table + " failed: " + (msg ? msg : "?");
        }
        lock.lock();
      }
      if (failure && !bg.failure) bg.failure = std::move(failure);
      bg.appending = false;
      bg.free.push_back(chunk);
      bg.changed.notify_all();
    }
  });
}

// Queues the full chunk for the worker and goes on with a free one (a new one while fewer than
// kChunksInFlight exist, else the first the worker hands back).
Status ChunkAppender::append_chunk() {
  duckdb_data_chunk_set_size(filling_, row_);
  Background& bg = *background_;
  if (!bg.thread.joinable()) start_worker();
  duckdb_data_chunk next = nullptr;
  std::optional<std::string> failure;
  {
    std::unique_lock<std::mutex> lock(bg.mutex);
    bg.queue.push_back(filling_);
    bg.changed.notify_all();
    if (bg.free.empty() && chunks_.size() >= kChunksInFlight)
      bg.changed.wait(lock, [&] { return !bg.free.empty(); });
    if (!bg.free.empty()) {
      next = bg.free.back();
      bg.free.pop_back();
    }
    failure.swap(bg.failure);
  }
  if (next) {
    duckdb_data_chunk_reset(next);  // handed back: the worker is done with it
  } else {
    SILT_ASSIGN_OR_RETURN(next, new_chunk());
  }
  filling_ = next;
  attach_vectors();
  row_ = 0;
  if (failure) return Error(ErrorKind::Internal, *failure);
  return ok_status();
}

Status ChunkAppender::flush() {
  SILT_TRY(settle());
  if (row_ > 0) {  // the last, partial chunk: appended here, the worker being idle
    duckdb_data_chunk_set_size(filling_, row_);
    duckdb_state st = duckdb_append_data_chunk(*appender_, filling_);
    idx_t rows = row_;
    duckdb_data_chunk_reset(filling_);
    attach_vectors();
    row_ = 0;
    if (st != DuckDBSuccess) {
      const char* msg = duckdb_appender_error(*appender_);
      return Error(ErrorKind::Internal, "appending " + std::to_string(rows) + " rows to " + table_ +
                                            " failed: " + (msg ? msg : "?"));
    }
  }
  if (duckdb_appender_flush(*appender_) != DuckDBSuccess) {
    const char* msg = duckdb_appender_error(*appender_);
    return Error(ErrorKind::Internal, "appending to " + table_ + " failed: " + (msg ? msg : "?"));
  }
  return ok_status();
}

}  // namespace silt::db
