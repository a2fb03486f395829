// db::ChunkAppender on a real in-memory DuckDB: every column type it writes directly, NULLs in
// every column, more rows than one chunk, failures (wrong type, missing value, invalid UTF-8,
// out-of-range decimal) that name their column and leave no trace in the next row, and
// append_cast, whose values and errors are DuckDB's. Expected values are SQL literals DuckDB
// parses itself, or computed from the row number in SQL.
#include "duckdb/chunk_appender.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "duckdb/engine.h"

using silt::db::ChunkAppender;

namespace {

class ChunkAppenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(silt::db::Database::open_in_memory().value());
    conn_ = std::move(silt::db::Connection::open(*db_).value());
    ASSERT_TRUE(conn_->execute("SET TimeZone = 'UTC'").ok());
  }
  void exec(const std::string& sql) { ASSERT_TRUE(conn_->execute(sql).ok()) << sql; }
  std::string scalar(const std::string& sql) {
    auto v = conn_->scalar(sql);
    EXPECT_TRUE(v.ok()) << sql << ": " << (v.ok() ? "" : v.error().message());
    return v.ok() ? v->value_or("NULL") : "";
  }
  ChunkAppender open(const std::string& table) {
    auto a = ChunkAppender::open(*conn_, table);
    EXPECT_TRUE(a.ok()) << a.error().message();
    return std::move(*a);
  }

  std::optional<silt::db::Database> db_;
  std::optional<silt::db::Connection> conn_;
};

TEST_F(ChunkAppenderTest, EveryTypeWithNullsAcrossChunks) {
  exec(R"(CREATE TEMP TABLE t (id BIGINT, i INTEGER, s SMALLINT, b BOOLEAN, f FLOAT, d DOUBLE,
    d1 DECIMAL(4,2), d2 DECIMAL(9,3), d3 DECIMAL(18,4), d4 DECIMAL(38,10), v VARCHAR, bl BLOB,
    dt DATE, tm TIME, ts TIMESTAMP, tz TIMESTAMPTZ, u UUID))");
  ChunkAppender a = open("t");
  ASSERT_EQ(a.column_count(), 17u);
  constexpr int kRows = 5000;  // two full chunks of 2048 and a partial one
  for (int64_t r = 0; r < kRows; r++) {
    a.append(r);
    bool null = r % 7 == 3;  // every column NULL in these rows, the id aside
    auto value = [&](auto&& append) { null ? a.append_null() : append(); };
    value([&] { a.append_i32(int32_t(r * 3)); });
    value([&] { a.append_i16(int16_t(r % 30000 - 15000)); });
    value([&] { a.append_bool(r % 2 == 0); });
    value([&] { a.append_float(float(r) / 4); });
    value([&] { a.append_double(double(r) / 8); });
    value([&] { a.append_decimal(-(r % 10000)); });
    value([&] { a.append_decimal(r * 1001); });
    value([&] { a.append_decimal(__int128(r) * 100'000'000'000'000LL); });
    value([&] { a.append_decimal(-__int128(r) * 1'000'000'000'000'000LL * 1'000'000'000'000LL); });
    // Short strings are stored inline, long ones in the vector's heap.
    value([&] {
      a.append(r % 2 ? "short " + std::to_string(r) : "a longer text past twelve bytes " + std::to_string(r));
    });
    value([&] { a.append_blob("\0\xff", 2); });
    value([&] { a.append_date(int32_t(r)); });
    value([&] { a.append_time(r * 1'000'000); });
    value([&] { a.append_timestamp(r * 86'400'000'000 + 1); });
    value([&] { a.append_timestamp(-r * 1'000'000); });
    value([&] { a.append_uuid(uint64_t(r), ~uint64_t(0)); });
    auto st = a.end_row();
    ASSERT_TRUE(st.ok()) << "row " << r << ": " << st.error().message();
  }
  ASSERT_TRUE(a.flush().ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM t"), std::to_string(kRows));
  // Each column against its value recomputed in SQL from id; NULLs exactly in rows id % 7 = 3.
  const char* checks[] = {
      "i = id * 3",
      "s = id % 30000 - 15000",
      "b = (id % 2 = 0)",
      "f = id / 4",
      "d = id / 8",
      "d1 = -(id % 10000) / 100",
      "d2 = id * 1001 / 1000",
      "d3 = id * 10000000000",
      "d4 = -id::HUGEINT * 100000000000000000",
      "v = CASE WHEN id % 2 = 1 THEN 'short ' ELSE 'a longer text past twelve bytes ' END || id",
      "bl = '\\x00\\xFF'::BLOB",
      "dt = DATE '1970-01-01' + id::INTEGER",
      "tm = TIME '00:00:00' + to_seconds(id)",
      "ts = TIMESTAMP '1970-01-01' + to_days(id::INTEGER) + INTERVAL 1 MICROSECOND",
      "tz = TIMESTAMPTZ '1970-01-01 00:00:00+00' - to_seconds(id)",
      "u = ('0000-0000-0000-' || lpad(to_hex(id), 4, '0') || '-ffff-ffff-ffff-ffff')::UUID",
  };
  for (const char* check : checks) {
    EXPECT_EQ(scalar(std::string("SELECT count(*) FROM t WHERE id % 7 <> 3 AND NOT (") + check + ")"), "0")
        << check;
  }
  // The non-NULL values among the 16 columns after id.
  std::string values = "list_count([";
  for (const char* c :
       {"i", "s", "b", "f", "d", "d1", "d2", "d3", "d4", "v", "bl", "dt", "tm", "ts", "tz", "u"})
    values += std::string(values.back() == '[' ? "" : ", ") + c + "::VARCHAR";
  values += "])";
  EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE id % 7 = 3 AND " + values + " <> 0"), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE id % 7 <> 3 AND " + values + " <> 16"), "0");
  EXPECT_EQ(scalar("SELECT u FROM t WHERE id = 1"), "00000000-0000-0001-ffff-ffffffffffff");
}

TEST_F(ChunkAppenderTest, DecimalsAtTheEdgesOfTheirWidth) {
  exec("CREATE TEMP TABLE t (d1 DECIMAL(4,2), d2 DECIMAL(38,0))");
  ChunkAppender a = open("t");
  __int128 max38 = 1;
  for (int i = 0; i < 38; i++) max38 *= 10;
  max38 -= 1;
  a.append_decimal(9999);
  a.append_decimal(max38);
  ASSERT_TRUE(a.end_row().ok());
  a.append_decimal(-9999);
  a.append_decimal(-max38);
  ASSERT_TRUE(a.end_row().ok());
  a.append_decimal(10000);  // 100.00 does not fit DECIMAL(4,2)
  a.append_decimal(0);
  auto st = a.end_row();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(a.failed_column(), std::optional<size_t>(0));
  EXPECT_EQ(st.error().message(), "value out of range for DECIMAL(4,2)");
  ASSERT_TRUE(a.flush().ok());
  auto rows = conn_->query_text("SELECT * FROM t");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0][0].value_or(""), "99.99");
  EXPECT_EQ((*rows)[0][1].value_or(""), "99999999999999999999999999999999999999");
  EXPECT_EQ((*rows)[1][0].value_or(""), "-99.99");
  EXPECT_EQ((*rows)[1][1].value_or(""), "-99999999999999999999999999999999999999");
}

TEST_F(ChunkAppenderTest, FailedAppendsNameTheirColumnAndLeaveNoTrace) {
  exec("CREATE TEMP TABLE t (id BIGINT, v VARCHAR)");
  ChunkAppender a = open("t");
  // The wrong append for the type: nothing is written, the row is refused.
  a.append_double(1.5);
  a.append("x");
  auto st = a.end_row();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(a.failed_column(), std::optional<size_t>(0));
  EXPECT_EQ(st.error().message(), "a DOUBLE value cannot go into a BIGINT column");
  // Invalid UTF-8 is an error, not the NULL DuckDB would store.
  a.append(int64_t(1));
  a.append(std::string_view("\xff\x41", 2));
  st = a.end_row();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(a.failed_column(), std::optional<size_t>(1));
  EXPECT_EQ(st.error().message(), "text is not valid UTF-8");
  // A NULL of a refused row does not stay for the row written in its place.
  a.append(int64_t(2));
  a.append_null();
  a.append(int64_t(99));
  ASSERT_FALSE(a.end_row().ok()) << "three values for two columns";
  EXPECT_EQ(a.failed_column(), std::nullopt);
  a.append(int64_t(3));
  a.append("kept");
  ASSERT_TRUE(a.end_row().ok());
  a.append(int64_t(4));
  ASSERT_FALSE(a.end_row().ok()) << "one value for two columns";
  EXPECT_EQ(a.failed_column(), std::nullopt);
  ASSERT_TRUE(a.flush().ok());
  EXPECT_EQ(scalar("SELECT string_agg(id || '=' || coalesce(v, 'NULL'), ',') FROM t"), "3=kept");
}

// Rows DuckDB refuses when they reach the table (here a NOT NULL constraint, checked at the
// commit, which the worker makes every 60 chunks) come back as an error, never a crash.
TEST_F(ChunkAppenderTest, RowsTheTableRefusesAreAnError) {
  exec("CREATE TEMP TABLE t (id BIGINT NOT NULL)");
  ChunkAppender a = open("t");
  silt::Status st = silt::ok_status();
  for (int64_t r = 0; r < 300'000 && st.ok(); r++) {
    r == 3000 ? a.append_null() : a.append(r);
    st = a.end_row();
  }
  if (st.ok()) st = a.flush();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("NOT NULL"), std::string::npos) << st.error().message();
  // Small tables never start the worker: the refusal comes from flush().
  exec("CREATE TEMP TABLE small (id BIGINT NOT NULL)");
  ChunkAppender b = open("small");
  b.append_null();
  ASSERT_TRUE(b.end_row().ok());
  st = b.flush();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("NOT NULL"), std::string::npos) << st.error().message();
}

// Many chunks through the worker, checked row by row: order and values survive the hand-over.
TEST_F(ChunkAppenderTest, ManyChunksKeepTheirOrder) {
  exec("CREATE TEMP TABLE t (id BIGINT, v VARCHAR)");
  ChunkAppender a = open("t");
  constexpr int64_t kRows = 1'000'003;  // 489 chunks, more than are ever in flight
  for (int64_t r = 0; r < kRows; r++) {
    a.append(r);
    a.append("value number " + std::to_string(r));
    auto st = a.end_row();
    ASSERT_TRUE(st.ok()) << st.error().message();
  }
  ASSERT_TRUE(a.flush().ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM t"), std::to_string(kRows));
  // rowid is the insertion order.
  EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE id <> rowid OR v <> 'value number ' || id"), "0");
}

TEST_F(ChunkAppenderTest, AppendCastIsDuckDbsCast) {
  exec("CREATE TEMP TABLE t (d DECIMAL(10,2), dt DATE, u UUID, tz TIMESTAMPTZ, v VARCHAR)");
  ChunkAppender a = open("t");
  for (const char* text : {" 1e2 ", "infinity", "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}",
                           "2024-01-01 10:00:00-02", "any text"}) {
    auto st = a.append_cast(text);
    ASSERT_TRUE(st.ok()) << text << ": " << st.error().message();
  }
  ASSERT_TRUE(a.end_row().ok());
  ASSERT_TRUE(a.flush().ok());
  EXPECT_EQ(
      scalar("SELECT d = 100 AND dt = 'infinity'::DATE AND u = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AND "
             "tz = TIMESTAMPTZ '2024-01-01 12:00:00+00' AND v = 'any text' FROM t"),
      "true");
  auto st = a.append_cast("12.5x");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), silt::ErrorKind::InvalidArgument);
  EXPECT_NE(st.error().message().find("12.5x"), std::string::npos) << st.error().message();
}

TEST_F(ChunkAppenderTest, NestedColumnsAreRefused) {
  exec("CREATE TEMP TABLE t (id BIGINT, l INTEGER[])");
  auto a = ChunkAppender::open(*conn_, "t");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().kind(), silt::ErrorKind::Unsupported);
}

}  // namespace
