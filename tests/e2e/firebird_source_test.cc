// Firebird source against the test server of scripts/services.sh: every common type with NULLs
// and non-ASCII text (also from a Latin-1 column, read through the UTF8 connection), compared
// with hand-written DuckDB literals; a 50k-row table streamed in batches; watermark queries; and
// the errors for a server that is down or a wrong password.
#include <gtest/gtest.h>

#include "../support/source_servers.h"
#include "duckdb/engine.h"
#include "sources/source.h"

using silt::sources::copy_query;
using silt::sources::table_query;

namespace {

class Firebird : public silt::testing::SourceTest {
 protected:
  // Drops `table` if it exists, then runs `sql`.
  static int recreate(const silt::sources::SourceConfig& fb, const std::string& table,
                      const std::string& sql) {
    return silt::testing::run_isql(fb,
                                   "SET TERM ^ ;\nEXECUTE BLOCK AS BEGIN IF (EXISTS(SELECT 1 FROM "
                                   "RDB$RELATIONS WHERE RDB$RELATION_NAME = '" +
                                       table + "')) THEN EXECUTE STATEMENT 'DROP TABLE " + table +
                                       "'; END^\nSET TERM ; ^\nCOMMIT;\n" + sql + "\nCOMMIT;\n");
  }
};

TEST_F(Firebird, EveryCommonTypeWithNullsAndUnicode) {
  REQUIRE_SERVER(fb, "FB", "firebird");
  ASSERT_EQ(recreate(fb, "SILT_TYPES", R"(
CREATE TABLE SILT_TYPES (ID INTEGER, B BOOLEAN, I2 SMALLINT, I8 BIGINT, N NUMERIC(18,4), N2 DECIMAL(9,2),
  F FLOAT, DP DOUBLE PRECISION, T VARCHAR(20), C CHAR(5), L1 VARCHAR(10) CHARACTER SET ISO8859_1,
  D DATE, TM TIME, TS TIMESTAMP, BL BLOB SUB_TYPE BINARY, TX BLOB SUB_TYPE TEXT, OC CHAR(3) CHARACTER SET OCTETS);
INSERT INTO SILT_TYPES VALUES (1, TRUE, -32768, 9223372036854775807, 12345678901234.5678, -1234567.89,
  1.5, -2.25, 'Zoë 🎉', 'ab', 'Zoë', '2024-02-29', '13:45:10.5', '2024-02-29 13:45:10.1234',
  X'00FF10', '東京 text blob', X'414243');
INSERT INTO SILT_TYPES VALUES (2, FALSE, 32767, -1, -0.0001, 0.5, -0.25, 1e300, '東京', 'abcde', 'Ünïcode',
  '1858-11-17', '00:00:00', '1999-12-31 23:59:59', X'', '', X'000102');
INSERT INTO SILT_TYPES (ID) VALUES (3);
)"),
            0);
  auto rows = copy_query(fb, "SELECT * FROM SILT_TYPES ORDER BY ID", *conn_, "t");
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  EXPECT_EQ(*rows, 3);
  const std::string null = "NULL";
  silt::testing::expect_columns(
      *conn_, "t", "ID",
      {
          {"B", "BOOLEAN", {"true", "false", null}},
          {"I2", "SMALLINT", {"-32768", "32767", null}},
          {"I8", "BIGINT", {"9223372036854775807", "-1", null}},
          // Scaled integers: the digit capacity of their storage (BIGINT 19, INTEGER 10).
          {"N", "DECIMAL(19,4)", {"12345678901234.5678", "-0.0001", null}},
          {"N2", "DECIMAL(10,2)", {"-1234567.89", "0.5", null}},
          {"F", "FLOAT", {"1.5::FLOAT", "-0.25::FLOAT", null}},
          {"DP", "DOUBLE", {"-2.25::DOUBLE", "1e300::DOUBLE", null}},
          {"T", "VARCHAR", {"'Zoë 🎉'", "'東京'", null}},
          {"C", "VARCHAR", {"'ab'", "'abcde'", null}},
          {"L1", "VARCHAR", {"'Zoë'", "'Ünïcode'", null}},
          // Firebird's day 0 is 1858-11-17.
          {"D", "DATE", {"DATE '2024-02-29'", "DATE '1858-11-17'", null}},
          {"TM", "TIME", {"TIME '13:45:10.5'", "TIME '00:00:00'", null}},
          {"TS",
           "TIMESTAMP",
           {"TIMESTAMP '2024-02-29 13:45:10.1234'", "TIMESTAMP '1999-12-31 23:59:59'", null}},
          {"BL", "BLOB", {"'\\x00\\xFF\\x10'::BLOB", "''::BLOB", null}},
          {"TX", "VARCHAR", {"'東京 text blob'", "''", null}},
          {"OC", "BLOB", {"'ABC'::BLOB", "'\\x00\\x01\\x02'::BLOB", null}},
      });
}

// Scaled integers go in as the DECIMAL's own integer: the extremes of each storage width.
TEST_F(Firebird, ScaledIntegersAtTheirLimits) {
  REQUIRE_SERVER(fb, "FB", "firebird");
  ASSERT_EQ(recreate(fb, "SILT_SCALED", R"(
CREATE TABLE SILT_SCALED (ID INTEGER, S NUMERIC(4,2), L DECIMAL(9,9), B NUMERIC(18,18));
INSERT INTO SILT_SCALED VALUES (1, 327.67, 2.147483647, 9.223372036854775807);
INSERT INTO SILT_SCALED VALUES (2, -327.68, -2.147483648, -9.223372036854775808);
INSERT INTO SILT_SCALED VALUES (3, -0.01, 0.000000001, -0.000000000000000001);
)"),
            0);
  auto rows = copy_query(fb, "SELECT * FROM SILT_SCALED ORDER BY ID", *conn_, "t");
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  silt::testing::expect_columns(
      *conn_, "t", "ID",
      {
          {"S", "DECIMAL(5,2)", {"327.67", "-327.68", "-0.01"}},
          {"L", "DECIMAL(10,9)", {"2.147483647", "-2.147483648", "0.000000001"}},
          {"B", "DECIMAL(19,18)", {"9.223372036854775807", "-9.223372036854775808", "-0.000000000000000001"}},
      });
}

TEST_F(Firebird, LargeTableStreamsInBatches) {
  REQUIRE_SERVER(fb, "FB", "firebird");
  ASSERT_EQ(recreate(fb, "SILT_BIG", R"(
CREATE TABLE SILT_BIG (ID INTEGER, PAYLOAD VARCHAR(40));
COMMIT;
SET TERM ^ ;
EXECUTE BLOCK AS DECLARE I INTEGER = 1; BEGIN
  WHILE (I <= 50000) DO BEGIN INSERT INTO SILT_BIG VALUES (:I, 'row ' || :I); I = I + 1; END
END^
SET TERM ; ^
)"),
            0);
  silt::testing::expect_streamed_in_batches(*conn_, fb, "SELECT * FROM SILT_BIG", "big", 5'000, 50'000);
  EXPECT_EQ(conn_->scalar("SELECT sum(\"ID\") FROM big")->value_or(""), "1250025000");  // 50000 * 50001 / 2
  EXPECT_EQ(conn_->scalar("SELECT count(*) FROM big WHERE \"PAYLOAD\" <> 'row ' || \"ID\"")->value_or(""),
            "0");
}

TEST_F(Firebird, WatermarkComparesInTheColumnType) {
  REQUIRE_SERVER(fb, "FB", "firebird");
  ASSERT_EQ(recreate(fb, "SILT_EVENTS", R"(
CREATE TABLE SILT_EVENTS (ID BIGINT, DAY_ DATE, AT_ TIMESTAMP);
INSERT INTO SILT_EVENTS VALUES (1, '2024-01-01', '2024-01-01 10:00:00');
INSERT INTO SILT_EVENTS VALUES (2, '2024-01-02', '2024-01-01 10:00:00.0001');
INSERT INTO SILT_EVENTS VALUES (3, '2024-01-03', '2024-01-01 09:59:59.9999');
INSERT INTO SILT_EVENTS VALUES (10, '2024-01-10', '2024-01-02 00:00:00');
)"),
            0);
  auto check = [&](const std::string& col, const std::string& after, const std::string& want) {
    silt::testing::expect_watermark_ids(*conn_, fb, "SILT_EVENTS", "ID", col, after, want);
  };
  check("ID", "2", "3,10");
  check("DAY_", "2024-01-02", "3,10");
  check("AT_", "2024-01-01 10:00:00", "2,10");
  // The watermark as DuckDB prints the max of ids 1-2 (a fraction of 1/10000 s).
  ASSERT_TRUE(copy_query(fb, "SELECT * FROM SILT_EVENTS", *conn_, "all_events").ok());
  auto after = conn_->scalar("SELECT max(\"AT_\")::VARCHAR FROM all_events WHERE \"ID\" <= 2");
  ASSERT_TRUE(after.ok() && *after);
  check("AT_", **after, "10");
}

TEST_F(Firebird, ServerDownIsAnIoErrorNamingSourceHostAndPort) {
  silt::testing::expect_unreachable(*conn_, "firebird", "SELECT 1 FROM RDB$DATABASE");
}

TEST_F(Firebird, WrongPasswordErrorDoesNotContainIt) {
  REQUIRE_SERVER(fb, "FB", "firebird");
  silt::testing::expect_wrong_password_hidden(*conn_, fb, "SELECT 1 FROM RDB$DATABASE",
                                              "user name and password are not defined");
}

TEST_F(Firebird, ArraysAreRefusedNamingTheColumn) {
  REQUIRE_SERVER(fb, "FB", "firebird");
  ASSERT_EQ(recreate(fb, "SILT_ARR", "CREATE TABLE SILT_ARR (ID INTEGER, V INTEGER[3]);"), 0);
  auto rows = copy_query(fb, "SELECT * FROM SILT_ARR", *conn_, "t");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().kind(), silt::ErrorKind::Unsupported);
  EXPECT_NE(rows.error().message().find("column V"), std::string::npos) << rows.error().message();
}

}  // namespace
