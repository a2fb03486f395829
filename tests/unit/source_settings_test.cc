// Source settings and query text without any server: validate() per kind (unknown, missing and
// misplaced settings), password lookup errors that never carry the password, and table_query's
// watermark conditions in each dialect (expected SQL written by hand).
#include <gtest/gtest.h>

#include "duckdb/engine.h"
#include "sources/source.h"

using silt::sources::SourceConfig;
using silt::sources::table_query;
using silt::sources::validate;

namespace {

SourceConfig pg(std::map<std::string, std::string> extra = {}) {
  SourceConfig s{"crm", "postgres", {{"host", "db.local"}, {"database", "crm"}, {"user", "reader"}}};
  for (auto& [k, v] : extra) s.settings[k] = v;
  return s;
}

TEST(SourceSettings, ValidConfigsPass) {
  EXPECT_TRUE(validate(pg()).ok());
  EXPECT_TRUE(validate(pg({{"port", "6543"}, {"password_env", "CRM_PW"}, {"connect_timeout_s", "3"}})).ok());
  EXPECT_TRUE(validate(SourceConfig{"s", "sqlite", {{"path", "/data/shop.db"}}}).ok());
  EXPECT_TRUE(
      validate(SourceConfig{"f", "firebird", {{"host", "h"}, {"database", "/db/x.fdb"}, {"user", "u"}}})
          .ok());
}

TEST(SourceSettings, ErrorsNameWhatIsWrong) {
  auto unknown = validate(pg({{"hots", "x"}}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind(), silt::ErrorKind::InvalidArgument);
  EXPECT_EQ(unknown.error().message(), "source crm: unknown setting hots for a postgres source");

  auto missing = validate(SourceConfig{"crm", "postgres", {{"host", "h"}, {"user", "u"}}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "source crm: missing setting database");

  auto kind = validate(SourceConfig{"x", "oracle", {}});
  ASSERT_FALSE(kind.ok());
  EXPECT_NE(kind.error().message().find("unknown kind 'oracle'"), std::string::npos);

  EXPECT_FALSE(validate(pg({{"port", "99999"}})).ok());
  EXPECT_FALSE(validate(pg({{"connect_timeout_s", "0"}})).ok());
  EXPECT_FALSE(validate(pg({{"password_env", "A"}, {"password_file", "/b"}})).ok());
  EXPECT_FALSE(validate(SourceConfig{"s", "sqlite", {{"path", "/x"}, {"host", "h"}}}).ok());
}

TEST(SourceSettings, PasswordInSettingsIsRefusedWithoutRepeatingIt) {
  auto st = validate(pg({{"password", "hunter2-inline"}}));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("password_env"), std::string::npos);
  EXPECT_EQ(st.error().message().find("hunter2-inline"), std::string::npos) << st.error().message();
}

TEST(SourceSettings, PasswordLookupErrorsNameTheirSource) {
  auto db = silt::db::Database::open_in_memory();
  auto conn = silt::db::Connection::open(*db);
  ::unsetenv("SILT_TEST_UNSET_PASSWORD");
  auto rows =
      silt::sources::copy_query(pg({{"password_env", "SILT_TEST_UNSET_PASSWORD"}}), "SELECT 1", *conn, "t");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().message(),
            "source crm: environment variable SILT_TEST_UNSET_PASSWORD (password_env) is not set");
  rows = silt::sources::copy_query(pg({{"password_file", "/nonexistent/silt.pw"}}), "SELECT 1", *conn, "t");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().kind(), silt::ErrorKind::Io);
  EXPECT_EQ(rows.error().message(), "source crm: cannot read password_file /nonexistent/silt.pw");
}

TEST(TableQuery, WithoutWatermarkSelectsEverything) {
  EXPECT_EQ(table_query(pg(), "orders"), "SELECT * FROM \"orders\"");
  EXPECT_EQ(table_query(pg(), "sales.orders", "id", ""), "SELECT * FROM \"sales\".\"orders\"");
  EXPECT_EQ(table_query(pg(), "we\"ird"), "SELECT * FROM \"we\"\"ird\"");
}

TEST(TableQuery, PostgresComparesAnUntypedLiteral) {
  EXPECT_EQ(table_query(pg(), "t", "ts", "2024-01-01 10:00:00+00"),
            "SELECT * FROM \"t\" WHERE \"ts\" > '2024-01-01 10:00:00+00'");
  EXPECT_EQ(table_query(pg(), "t", "name", "O'Brien"), "SELECT * FROM \"t\" WHERE \"name\" > 'O''Brien'");
}

TEST(TableQuery, FirebirdUsesTypedLiterals) {
  SourceConfig fb{"f", "firebird", {}};
  EXPECT_EQ(table_query(fb, "T", "ID", "42"), "SELECT * FROM \"T\" WHERE \"ID\" > 42");
  EXPECT_EQ(table_query(fb, "T", "D", "2024-01-02"), "SELECT * FROM \"T\" WHERE \"D\" > DATE '2024-01-02'");
  // Firebird keeps 1/10000 s: four fraction digits.
  EXPECT_EQ(table_query(fb, "T", "TS", "2024-01-02 03:04:05.123400"),
            "SELECT * FROM \"T\" WHERE \"TS\" > TIMESTAMP '2024-01-02 03:04:05.1234'");
}

TEST(TableQuery, SqliteNormalisesTimestampsOnBothSides) {
  SourceConfig lite{"s", "sqlite", {}};
  EXPECT_EQ(table_query(lite, "t", "n", "-7"), "SELECT * FROM \"t\" WHERE \"n\" > -7");
  EXPECT_EQ(table_query(lite, "t", "ts", "2024-01-02 05:04:05+02"),
            "SELECT * FROM \"t\" WHERE CASE typeof(\"ts\") WHEN 'integer' THEN strftime('%Y-%m-%d %H:%M:%f', "
            "\"ts\", "
            "'unixepoch') ELSE strftime('%Y-%m-%d %H:%M:%f', \"ts\") END > '2024-01-02 03:04:05.000'");
}

}  // namespace
