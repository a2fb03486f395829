// PostgreSQL source against the test server of scripts/services.sh: every common type with NULLs
// and non-ASCII text, compared with hand-written DuckDB literals; a 200k-row table streamed in
// batches; watermark queries; and the errors for a server that is down or a wrong password.
#include <gtest/gtest.h>

#include "../support/source_servers.h"
#include "duckdb/engine.h"
#include "sources/source.h"

using silt::sources::copy_query;
using silt::sources::table_query;
using silt::testing::ExpectedColumn;

namespace {

using Postgres = silt::testing::SourceTest;

TEST_F(Postgres, EveryCommonTypeWithNullsAndUnicode) {
  REQUIRE_SERVER(pg, "PG", "postgres");
  ASSERT_EQ(silt::testing::run_psql(pg, R"(
DROP TABLE IF EXISTS silt_types;
CREATE TABLE silt_types (id int4, b boolean, i2 int2, i8 int8, n numeric(12,3), n_wide numeric(50,10),
  n_free numeric, f4 real, f8 double precision, t text, vc varchar(20), c char(5), d date, tm time,
  ts timestamp, tz timestamptz, by bytea, u uuid);
INSERT INTO silt_types VALUES
 (1, true, -32768, 9223372036854775807, 123456789.125, 123456789012345678901234567890123456789.0123456789,
  3.14159, 1.5, -2.25, 'Zoë', '東京', 'ab', '2024-02-29', '13:45:10.5', '2024-02-29 13:45:10.123456',
  '2024-02-29 13:45:10+02', '\x00ff10', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
 (2, false, 32767, -1, -0.001, -1.5, 10, -0.25, 1e300, 'emoji 🎉', '', 'abcde', '1970-01-01', '00:00:00',
  '1999-12-31 23:59:59', '2000-01-01 00:00:00+00', '\x', '00000000-0000-0000-0000-000000000000'),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
)"),
            0);
  auto rows = copy_query(pg, "SELECT * FROM silt_types ORDER BY id", *conn_, "t");
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  EXPECT_EQ(*rows, 3);
  const std::string null = "NULL";
  silt::testing::expect_columns(
      *conn_, "t", "id",
      {
          {"b", "BOOLEAN", {"true", "false", null}},
          {"i2", "SMALLINT", {"-32768", "32767", null}},
          {"i8", "BIGINT", {"9223372036854775807", "-1", null}},
          {"n", "DECIMAL(12,3)", {"123456789.125", "-0.001", null}},
          // Wider than DuckDB's 38 digits: the exact text.
          {"n_wide",
           "VARCHAR",
           {"'123456789012345678901234567890123456789.0123456789'", "'-1.5000000000'", null}},
          {"n_free", "VARCHAR", {"'3.14159'", "'10'", null}},
          {"f4", "FLOAT", {"1.5::FLOAT", "-0.25::FLOAT", null}},
          {"f8", "DOUBLE", {"-2.25::DOUBLE", "1e300::DOUBLE", null}},
          {"t", "VARCHAR", {"'Zoë'", "'emoji 🎉'", null}},
          {"vc", "VARCHAR", {"'東京'", "''", null}},
          {"c", "VARCHAR", {"'ab'", "'abcde'", null}},
          {"d", "DATE", {"DATE '2024-02-29'", "DATE '1970-01-01'", null}},
          {"tm", "TIME", {"TIME '13:45:10.5'", "TIME '00:00:00'", null}},
          {"ts",
           "TIMESTAMP",
           {"TIMESTAMP '2024-02-29 13:45:10.123456'", "TIMESTAMP '1999-12-31 23:59:59'", null}},
          // +02 on the way in, the same instant in UTC on the way out.
          {"tz",
           "TIMESTAMP WITH TIME ZONE",
           {"TIMESTAMPTZ '2024-02-29 11:45:10+00'", "TIMESTAMPTZ '2000-01-01 00:00:00+00'", null}},
          {"by", "BLOB", {"'\\x00\\xFF\\x10'::BLOB", "''::BLOB", null}},
          {"u",
           "UUID",
           {"UUID 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "UUID '00000000-0000-0000-0000-000000000000'",
            null}},
      });
}

// Texts the reader does not parse itself (infinities, BC, years past 9999, 24:00) go through
// DuckDB's cast; the oracle is that cast of the text PostgreSQL prints for each value.
TEST_F(Postgres, RareTextsAreWhatDuckDbsCastMakesOfThem) {
  REQUIRE_SERVER(pg, "PG", "postgres");
  ASSERT_EQ(silt::testing::run_psql(pg, R"(
DROP TABLE IF EXISTS silt_rare;
CREATE TABLE silt_rare (id int4, d date, ts timestamp, tz timestamptz, tm time, n numeric(12,3));
INSERT INTO silt_rare VALUES
 (1, 'infinity', 'infinity', 'infinity', '24:00:00', 0.0005),
 (2, '-infinity', '-infinity', '-infinity', '23:59:59.999999', -999999999.999),
 (3, '0044-03-15 BC', '0001-01-01 00:00:00', '1900-01-01 00:00:00+00', '00:00:00.000001', 0),
 (4, '10000-01-01', '10000-01-01 00:00:00.5', '12345-06-07 08:09:10+00', '12:00', -0.001);
)"),
            0);
  auto rows = copy_query(pg, "SELECT * FROM silt_rare ORDER BY id", *conn_, "t");
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  // PostgreSQL's text for each value (ISO, UTC), cast by DuckDB.
  auto same = conn_->query_text(R"(
SELECT id, d = CAST(dt AS DATE), ts = CAST(tst AS TIMESTAMP), tz = CAST(tzt AS TIMESTAMPTZ),
       tm = CAST(tmt AS TIME), n = CAST(nt AS DECIMAL(12,3))
FROM t JOIN (VALUES
 (1, 'infinity', 'infinity', 'infinity', '24:00:00', '0.001'),
 (2, '-infinity', '-infinity', '-infinity', '23:59:59.999999', '-999999999.999'),
 (3, '0044-03-15 BC', '0001-01-01 00:00:00', '1900-01-01 00:00:00+00', '00:00:00.000001', '0.000'),
 (4, '10000-01-01', '10000-01-01 00:00:00.5', '12345-06-07 08:09:10+00', '12:00:00', '-0.001')
) AS pg(id, dt, tst, tzt, tmt, nt) USING (id) ORDER BY id)");
  ASSERT_TRUE(same.ok()) << same.error().message();
  ASSERT_EQ(same->size(), 4u);
  for (const auto& row : *same) {
    for (size_t c = 1; c < row.size(); c++)
      EXPECT_EQ(row[c].value_or("NULL"), "true") << "id " << row[0].value_or("") << " column " << c;
  }
}

TEST_F(Postgres, TextsDuckDbCannotCastNameColumnAndRow) {
  REQUIRE_SERVER(pg, "PG", "postgres");
  ASSERT_EQ(silt::testing::run_psql(pg, R"(
DROP TABLE IF EXISTS silt_nan;
CREATE TABLE silt_nan (id int4, n numeric(12,3));
INSERT INTO silt_nan VALUES (1, 1.5), (2, 'NaN');
)"),
            0);
  auto rows = copy_query(pg, "SELECT * FROM silt_nan ORDER BY id", *conn_, "t");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().kind(), silt::ErrorKind::InvalidArgument);
  EXPECT_EQ(rows.error().message(),
            "source test_postgres: column n, row 2: value 'NaN' does not fit DECIMAL(12,3)");
  // DuckDB reads a BC date, but not a BC timestamp in PostgreSQL's spelling.
  rows = copy_query(pg, "SELECT 1 AS id, '0044-03-15 12:00:00 BC'::timestamp AS ts", *conn_, "t");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().message(),
            "source test_postgres: column ts, row 1: value '0044-03-15 12:00:00 BC' does not fit TIMESTAMP");
}

TEST_F(Postgres, LargeTableStreamsInBatches) {
  REQUIRE_SERVER(pg, "PG", "postgres");
  ASSERT_EQ(silt::testing::run_psql(pg, R"(
DROP TABLE IF EXISTS silt_big;
CREATE TABLE silt_big AS SELECT g AS id, md5(g::text) AS payload FROM generate_series(1, 200000) g;
)"),
            0);
  silt::testing::expect_streamed_in_batches(*conn_, pg, "SELECT * FROM silt_big", "big", 10'000, 200'000);
  // 1 + ... + 200000, and md5 computed by DuckDB over the same ids.
  EXPECT_EQ(conn_->scalar("SELECT sum(id) FROM big")->value_or(""), "20000100000");
  EXPECT_EQ(conn_->scalar("SELECT count(*) FROM big WHERE payload <> md5(id::VARCHAR)")->value_or(""), "0");
}

TEST_F(Postgres, WatermarkComparesInTheColumnType) {
  REQUIRE_SERVER(pg, "PG", "postgres");
  ASSERT_EQ(silt::testing::run_psql(pg, R"(
DROP TABLE IF EXISTS silt_events;
CREATE TABLE silt_events (id int8, day date, at timestamp, tz timestamptz);
INSERT INTO silt_events VALUES
 (1, '2024-01-01', '2024-01-01 10:00:00',     '2024-01-01 10:00:00+00'),
 (2, '2024-01-02', '2024-01-01 10:00:00.5',   '2024-01-01 12:30:00+02'),
 (3, '2024-01-03', '2024-01-01 09:59:59.999', '2024-01-01 11:00:00+00'),
 (10, '2024-01-10', '2024-01-02 00:00:00',    '2024-01-01 09:00:00-03');
)"),
            0);
  auto check = [&](const std::string& col, const std::string& after, const std::string& want) {
    silt::testing::expect_watermark_ids(*conn_, pg, "silt_events", "id", col, after, want);
  };
  check("id", "2", "3,10");  // numerically: 10 > 2 though '10' < '2' as text
  check("day", "2024-01-02", "3,10");
  check("at", "2024-01-01 10:00:00", "2,10");
  // tz in UTC: 10:00, 10:30, 11:00, 12:00. The watermark as DuckDB prints the max of ids 1-2.
  ASSERT_TRUE(copy_query(pg, "SELECT * FROM silt_events", *conn_, "all_events").ok());
  auto after = conn_->scalar("SELECT max(tz)::VARCHAR FROM all_events WHERE id <= 2");
  ASSERT_TRUE(after.ok() && *after);
  check("tz", **after, "3,10");
  check("id", "", "1,2,3,10");  // no watermark yet: every row
}

TEST_F(Postgres, ServerDownIsAnIoErrorNamingSourceHostAndPort) {
  silt::testing::expect_unreachable(*conn_, "postgres", "SELECT 1");
}

TEST_F(Postgres, WrongPasswordErrorDoesNotContainIt) {
  REQUIRE_SERVER(pg, "PG", "postgres");
  silt::testing::expect_wrong_password_hidden(*conn_, pg, "SELECT 1", "password authentication failed");
}

TEST_F(Postgres, BadQueryNamesTheSourceAndLeavesNoTable) {
  REQUIRE_SERVER(pg, "PG", "postgres");
  auto rows = copy_query(pg, "SELECT * FROM silt_no_such_table", *conn_, "t");
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.error().message().find("source test_postgres: query:"), std::string::npos)
      << rows.error().message();
  EXPECT_NE(rows.error().message().find("silt_no_such_table"), std::string::npos);
  EXPECT_FALSE(conn_->query("SELECT * FROM t").ok());
}

}  // namespace
