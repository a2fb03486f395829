// PII anonymization: HMAC-SHA256 through the DuckDB function against RFC 4231's published
// vectors and OpenSSL's one-shot HMAC(), masking over UTF-8, every policy on a real table with
// hand-derived expectations, registration rules, the key from the environment, parse errors.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "../support/query_rows.h"
#include "duckdb/engine.h"
#include "pii/anonymize.h"

namespace silt::pii {
namespace {

using silt::testing::text_rows;
using Rows = std::vector<std::string>;

// An in-memory database with the PII functions registered under `key`.
struct Db {
  explicit Db(const std::string& key) {
    auto d = db::Database::open_in_memory();
    EXPECT_TRUE(d.ok());
    database = std::move(*d);
    auto c = db::Connection::open(*database);
    EXPECT_TRUE(c.ok());
    conn = std::move(*c);
    auto st = register_functions(*conn, key);
    EXPECT_TRUE(st.ok()) << st.error().message();
  }
  Rows rows(const std::string& sql) { return text_rows(*conn, sql); }
  std::string one(const std::string& sql) {
    auto r = rows(sql);
    if (r.size() == 1) return r[0];
    return std::to_string(r.size()) + " rows";
  }
  std::optional<db::Database> database;
  std::optional<db::Connection> conn;
};

std::string reference_hmac(const std::string& key, const std::string& message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &len);
  static const char* kDigits = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; i++) {
    hex.push_back(kDigits[out[i] >> 4]);
    hex.push_back(kDigits[out[i] & 15]);
  }
  return hex;
}

// RFC 4231 section 4: keys as bytes, data as SQL (BLOB via unhex where it is not text).
struct Rfc4231Case {
  const char* name;
  std::string key;
  std::string data_sql;
  const char* hmac_sha256;  // 128 bits in case 5, whose output is truncated
};

std::string key_1_to_25() {
  std::string k;
  for (char c = 1; c <= 25; c++) k += c;
  return k;
}

TEST(PiiHash, Rfc4231VectorsThroughDuckDB) {
  const std::vector<Rfc4231Case> cases = {
      {"case 1", std::string(20, '\x0b'), "'Hi There'",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"case 2", "Jefe", "'what do ya want for nothing?'",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"case 3", std::string(20, '\xaa'), "unhex(repeat('dd', 50))",
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"case 4", key_1_to_25(), "unhex(repeat('cd', 50))",
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"case 5", std::string(20, '\x0c'), "'Test With Truncation'", "a3b6167473100ee06e0c796c2955552b"},
      {"case 6", std::string(131, '\xaa'), "'Test Using Larger Than Block-Size Key - Hash Key First'",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"case 7", std::string(131, '\xaa'),
       "'This is a test using a larger than block-size key and a larger than block-size data. The key needs "
       "to be hashed before being used by the HMAC algorithm.'",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const auto& c : cases) {
    Db db(c.key);
    std::string expected = c.hmac_sha256;
    EXPECT_EQ(
        db.one("SELECT left(silt_pii_hash(" + c.data_sql + "), " + std::to_string(expected.size()) + ")"),
        expected)
        << c.name;
    EXPECT_EQ(db.one("SELECT length(silt_pii_hash(" + c.data_sql + "))"), "64") << c.name;
  }
}

TEST(PiiHash, DeterministicKeyedAndEqualToOneShotHmac) {
  Db a("key-one"), b("key-two");
  std::string sql = "SELECT silt_pii_hash('alice@example.com')";
  EXPECT_EQ(a.one(sql), reference_hmac("key-one", "alice@example.com"));
  EXPECT_EQ(a.one(sql), a.one(sql));
  EXPECT_EQ(b.one(sql), reference_hmac("key-two", "alice@example.com"));
  EXPECT_NE(a.one(sql), b.one(sql));
  // Longer than a DuckDB inlined string (12 bytes) and empty both go through.
  EXPECT_EQ(a.one("SELECT silt_pii_hash('')"), reference_hmac("key-one", ""));
  std::string longer(1000, 'x');
  EXPECT_EQ(a.one("SELECT silt_pii_hash('" + longer + "')"), reference_hmac("key-one", longer));
}

TEST(PiiHash, JoinsAcrossTablesStillMatch) {
  Db db("join-key");
  ASSERT_TRUE(db.conn
                  ->execute("CREATE TABLE customers AS SELECT * FROM (VALUES ('ann', 1), ('bob', 2), "
                            "('cy', 3)) t(email, id);"
                            "CREATE TABLE orders AS SELECT * FROM (VALUES ('bob', 10), ('cy', 20), "
                            "('cy', 30), ('dan', 40)) t(email, amount);")
                  .ok());
  // Hash each table on its own, then join on the hashes: the same pairs as joining the clear text.
  Rows joined = db.rows(
      "SELECT c.id, o.amount FROM (SELECT silt_pii_hash(email) h, id FROM customers) c JOIN "
      "(SELECT silt_pii_hash(email) h, amount FROM orders) o USING (h) ORDER BY 1, 2");
  EXPECT_EQ(joined, (Rows{"2|10", "3|20", "3|30"}));
}

TEST(PiiFunctions, NullsStayNull) {
  Db db("k");
  EXPECT_EQ(db.rows("SELECT silt_pii_hash(v) IS NULL, silt_pii_mask(v, 2) FROM (VALUES ('ab'), (NULL), "
                    "('abc')) t(v)"),
            (Rows{"false|**", "true|NULL", "false|*bc"}));
  EXPECT_EQ(db.one("SELECT silt_pii_hash(NULL::BLOB)"), "NULL");
  EXPECT_EQ(db.one("SELECT silt_pii_mask('secret', NULL)"), "NULL");
}

TEST(PiiFunctions, MaskKeepsCodePointsNotBytes) {
  Db db("k");
  // Zoë Müller: 10 code points, 12 bytes; the last 4 ("ller") stay.
  EXPECT_EQ(db.one("SELECT silt_pii_mask('Zoë Müller', 4)"), "******ller");
  // 6 code points of 1 to 4 bytes each; the emoji is 4 bytes.
  EXPECT_EQ(db.one("SELECT silt_pii_mask('ÅÄÖ€😀x', 2)"), "****😀x");
  EXPECT_EQ(db.one("SELECT silt_pii_mask('日本語テキスト', 3)"), "****キスト");
  // Values no longer than `keep` are masked entirely; keep 0 and negative keep hide everything.
  EXPECT_EQ(db.one("SELECT silt_pii_mask('Bob', 4)"), "***");
  EXPECT_EQ(db.one("SELECT silt_pii_mask('abcd', 4)"), "****");
  EXPECT_EQ(db.one("SELECT silt_pii_mask('abcd', 0)"), "****");
  EXPECT_EQ(db.one("SELECT silt_pii_mask('abcd', -3)"), "****");
  EXPECT_EQ(db.one("SELECT silt_pii_mask('', 4)"), "");
}

// A table with one column per kind of PII, and every policy applied to it.
class PolicyTable : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        db.conn
            ->execute(
                "CREATE TABLE people (id BIGINT, name VARCHAR, email VARCHAR, phone VARCHAR, born DATE, "
                "seen TIMESTAMP, age INTEGER, postcode VARCHAR, zip INTEGER, notes VARCHAR, "
                "score DECIMAL(5,1));"
                "INSERT INTO people VALUES "
                "(1, 'Ann Lee', 'ann@x.org', '555-0101', DATE '1990-07-15', TIMESTAMP '2024-03-09 "
                "13:45:10', 37, 'SW1A 1AA', 90210, 'likes tea', 87.5),"
                "(2, 'Bjørn Ås', NULL, '+47 22 33', DATE '2001-01-01', TIMESTAMP '2024-12-31 23:59:59', "
                "40, 'EC1V 9HX', 10001, NULL, -2.5),"
                "(3, NULL, 'c@y.net', NULL, NULL, NULL, NULL, NULL, NULL, 'x', NULL)")
            .ok());
  }
  std::vector<std::pair<std::string, std::string>> columns() {
    auto r = db.rows(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = "
        "'people' ORDER BY ordinal_position");
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& line : r)
      out.emplace_back(line.substr(0, line.find('|')), line.substr(line.find('|') + 1));
    return out;
  }
  std::vector<ColumnPolicy> policies(const std::vector<std::pair<const char*, const char*>>& texts) {
    std::vector<ColumnPolicy> out;
    for (auto [column, text] : texts) {
      auto p = parse_policy(column, text);
      EXPECT_TRUE(p.ok()) << column << ": " << (p.ok() ? "" : p.error().message());
      if (p.ok()) out.push_back(*p);
    }
    return out;
  }
  Db db{"table-key"};
};

TEST_F(PolicyTable, EveryPolicyKind) {
  auto list = anonymized_select_list(policies({{"name", "hash"},
                                               {"email", "null"},
                                               {"phone", "mask(4)"},
                                               {"born", "generalize(year)"},
                                               {"seen", "generalize(month)"},
                                               {"age", "generalize(band:10)"},
                                               {"postcode", "generalize(prefix:3)"},
                                               {"zip", "generalize(prefix:2)"},
                                               {"notes", "drop"},
                                               {"score", "generalize(band:5)"}}),
                                     columns());
  ASSERT_TRUE(list.ok()) << list.error().message();
  ASSERT_TRUE(db.conn->execute("CREATE TABLE anon AS SELECT " + *list + " FROM people").ok());
  std::string ann = reference_hmac("table-key", "Ann Lee");
  std::string bjorn = reference_hmac("table-key", "Bjørn Ås");
  EXPECT_EQ(db.rows("SELECT * FROM anon ORDER BY id"),
            (Rows{"1|" + ann + "|NULL|****0101|1990-01-01|2024-03-01 00:00:00|30|SW1|90|85.0",
                  "2|" + bjorn + "|NULL|*****2 33|2001-01-01|2024-12-01 00:00:00|40|EC1|10|-5.0",
                  "3|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL"}));
  // Names kept, notes gone; types as documented in anonymize.h.
  EXPECT_EQ(db.rows("SELECT column_name || ' ' || data_type FROM information_schema.columns WHERE "
                    "table_name = 'anon' ORDER BY ordinal_position"),
            (Rows{"id BIGINT", "name VARCHAR", "email VARCHAR", "phone VARCHAR", "born DATE",
                  "seen TIMESTAMP", "age INTEGER", "postcode VARCHAR", "zip VARCHAR", "score DECIMAL(5,1)"}));
}

TEST_F(PolicyTable, ProtectedColumnsAreTheKeptPolicyColumns) {
  auto cols = protected_columns(
      policies({{"NAME", "hash"}, {"notes", "drop"}, {"age", "generalize(band:5)"}}), columns());
  ASSERT_TRUE(cols.ok()) << cols.error().message();
  EXPECT_EQ(*cols, (std::set<std::string>{"age", "name"}));
  EXPECT_FALSE(protected_columns(policies({{"ssn", "hash"}}), columns()).ok());
}

TEST_F(PolicyTable, HashAndMaskOfNonTextUseTheTextForm) {
  auto list = anonymized_select_list(policies({{"age", "hash"}, {"born", "mask(2)"}, {"score", "mask(3)"}}),
                                     columns());
  ASSERT_TRUE(list.ok()) << list.error().message();
  EXPECT_EQ(db.rows("SELECT age, born, score FROM (SELECT " + *list + " FROM people) WHERE id = 1"),
            (Rows{reference_hmac("table-key", "37") + "|********15|*7.5"}));
}

TEST_F(PolicyTable, BandsRoundDownAndNeverFail) {
  ASSERT_TRUE(db.conn
                  ->execute("CREATE TABLE ages (a INTEGER, d DOUBLE); INSERT INTO ages VALUES (-7, -7.5), "
                            "(0, 0), (9, 9.99), (10, 10), (-2147483648, 1e308), (2147483647, -1e308)")
                  .ok());
  auto list = anonymized_select_list(policies({{"a", "generalize(band:10)"}, {"d", "generalize(band:10)"}}),
                                     {{"a", "INTEGER"}, {"d", "DOUBLE"}});
  ASSERT_TRUE(list.ok()) << list.error().message();
  // floor(-7 / 10) * 10 = -10; the band below INTEGER's minimum does not fit and becomes NULL.
  EXPECT_EQ(db.rows("SELECT " + *list + " FROM ages"),
            (Rows{"-10|-10.0", "0|0.0", "0|0.0", "10|10.0", "NULL|1e+308", "2147483640|-1e+308"}));
}

TEST_F(PolicyTable, PeriodsKeepEveryTemporalType) {
  ASSERT_TRUE(db.conn
                  ->execute("SET TimeZone = 'UTC'; CREATE TABLE times AS SELECT "
                            "TIMESTAMP_NS '2023-08-17 10:11:12.123456789' AS ns, "
                            "TIMESTAMP_MS '2023-08-17 10:11:12.123' AS ms, "
                            "TIMESTAMPTZ '2023-08-17 10:11:12+00' AS tz, DATE '2023-08-17' AS d")
                  .ok());
  auto cols = std::vector<std::pair<std::string, std::string>>{
      {"ns", "TIMESTAMP_NS"}, {"ms", "TIMESTAMP_MS"}, {"tz", "TIMESTAMP WITH TIME ZONE"}, {"d", "DATE"}};
  auto list = anonymized_select_list(policies({{"ns", "generalize(month)"},
                                               {"ms", "generalize(year)"},
                                               {"tz", "generalize(month)"},
                                               {"d", "generalize(month)"}}),
                                     cols);
  ASSERT_TRUE(list.ok()) << list.error().message();
  ASSERT_TRUE(db.conn->execute("CREATE TABLE periods AS SELECT " + *list + " FROM times").ok());
  EXPECT_EQ(db.rows("SELECT * FROM periods"),
            (Rows{"2023-08-01 00:00:00|2023-01-01 00:00:00|2023-08-01 00:00:00+00|2023-08-01"}));
  EXPECT_EQ(db.rows("SELECT string_agg(data_type, ',' ORDER BY ordinal_position) FROM "
                    "information_schema.columns WHERE table_name = 'periods'"),
            Rows{"TIMESTAMP_NS,TIMESTAMP_MS,TIMESTAMP WITH TIME ZONE,DATE"});
}

// Values at the ends of their types: an error there would quote a (generalized) value.
TEST_F(PolicyTable, GeneralizationsNeverFailAtTypeLimits) {
  ASSERT_TRUE(
      db.conn
          ->execute("CREATE TABLE limits (d DATE, t TIMESTAMP, s SMALLINT, u UBIGINT, f DOUBLE); "
                    "INSERT INTO limits VALUES ('infinity', '2000-03-04 05:06:07', 32767, "
                    "18446744073709551615, '-inf'), ('5877642-06-25 (BC)', '290309-12-22 (BC) 00:00:00', "
                    "-32768, 0, 'nan')")
          .ok());
  auto list = anonymized_select_list(
      policies({{"d", "generalize(month)"},
                {"t", "generalize(year)"},
                {"s", "generalize(band:7)"},
                {"u", "generalize(band:7)"},
                {"f", "generalize(band:7)"}}),
      {{"d", "DATE"}, {"t", "TIMESTAMP"}, {"s", "SMALLINT"}, {"u", "UBIGINT"}, {"f", "DOUBLE"}});
  ASSERT_TRUE(list.ok()) << list.error().message();
  // 32767 = 7 * 4681 and 18446744073709551615 = 7 * 2635249153387078802 + 1; the band of -32768
  // starts at -32774, below SMALLINT, and the first month (year) of DATE (TIMESTAMP) starts
  // before the type's range: NULL.
  EXPECT_EQ(db.rows("SELECT " + *list + " FROM limits"),
            (Rows{"infinity|2000-01-01 00:00:00|32767|18446744073709551614|-inf", "NULL|NULL|NULL|0|nan"}));
}

TEST_F(PolicyTable, SelectListErrorsNameTheColumn) {
  auto cols = columns();
  auto misfit = anonymized_select_list(policies({{"postcode", "generalize(month)"}}), cols);
  ASSERT_FALSE(misfit.ok());
  EXPECT_NE(misfit.error().message().find("postcode"), std::string::npos) << misfit.error().message();
  auto band_on_text = anonymized_select_list(policies({{"name", "generalize(band:10)"}}), cols);
  ASSERT_FALSE(band_on_text.ok());
  EXPECT_NE(band_on_text.error().message().find("name"), std::string::npos);
  auto unknown = anonymized_select_list(policies({{"ssn", "hash"}}), cols);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("ssn"), std::string::npos);
  auto twice = anonymized_select_list(policies({{"email", "hash"}, {"EMAIL", "drop"}}), cols);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message().find("EMAIL"), std::string::npos);
  auto all_dropped = anonymized_select_list(policies({{"a", "drop"}}), {{"a", "INTEGER"}});
  EXPECT_FALSE(all_dropped.ok());
  // A policy built by hand, not parsed, is checked too.
  auto bad = anonymized_select_list({{"phone", Method::Mask, "x"}}, cols);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("phone"), std::string::npos);
}

TEST(PiiPolicy, ParsesTheDocumentedForms) {
  struct Case {
    const char* text;
    Method method;
    const char* argument;
  };
  for (const Case& c :
       {Case{"hash", Method::Hash, ""}, Case{" HASH ", Method::Hash, ""}, Case{"mask", Method::Mask, ""},
        Case{"mask( 6 )", Method::Mask, "6"}, Case{"generalize(month)", Method::Generalize, "month"},
        Case{"Generalize(Year)", Method::Generalize, "Year"},
        Case{"generalize(prefix:3)", Method::Generalize, "prefix:3"},
        Case{"generalize(band:10)", Method::Generalize, "band:10"}, Case{"drop", Method::Drop, ""},
        Case{"null", Method::Null, ""}}) {
    auto p = parse_policy("col", c.text);
    ASSERT_TRUE(p.ok()) << c.text << ": " << p.error().message();
    EXPECT_EQ(p->column, "col");
    EXPECT_EQ(p->method, c.method) << c.text;
    EXPECT_EQ(p->argument, c.argument) << c.text;
  }
}

TEST(PiiPolicy, ParseErrorsNameTheColumn) {
  for (const char* text :
       {"hsh", "", "mask(x)", "mask(-1)", "mask(4", "generalize", "generalize()", "generalize(decade)",
        "generalize(band:0)", "generalize(prefix:)", "generalize(band:1x)", "drop(3)", "null(int)",
        "hash(sha1)", "mask(99999999999)"}) {
    auto p = parse_policy("customer_email", text);
    ASSERT_FALSE(p.ok()) << "accepted: " << text;
    EXPECT_EQ(p.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(p.error().message().find("customer_email"), std::string::npos) << p.error().message();
  }
}

TEST(PiiRegistration, RepeatableSameKeyRefusedOtherKey) {
  Db db("first-key-value");
  EXPECT_TRUE(register_functions(*db.conn, "first-key-value").ok());
  auto second = db::Connection::open(*db.database);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(register_functions(*second, "first-key-value").ok());
  EXPECT_EQ(text_rows(*second, "SELECT silt_pii_hash('v')"), Rows{reference_hmac("first-key-value", "v")});
  auto other = register_functions(*second, "other-key-value");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().message().find("other-key-value"), std::string::npos);
  EXPECT_EQ(other.error().message().find("first-key-value"), std::string::npos);
  // The first key is still the one in use.
  EXPECT_EQ(db.one("SELECT silt_pii_hash('v')"), reference_hmac("first-key-value", "v"));
  EXPECT_FALSE(register_functions(*second, "").ok());
}

TEST(PiiKey, FromEnvironment) {
  const char* var = "SILT_PII_TEST_KEY";
  unsetenv(var);
  auto unset = key_from_env(var);
  ASSERT_FALSE(unset.ok());
  EXPECT_NE(unset.error().message().find(var), std::string::npos);
  setenv(var, "", 1);
  auto empty = key_from_env(var);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message().find(var), std::string::npos);
  setenv(var, "s3cret-k3y", 1);
  auto set = key_from_env(var);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(*set, "s3cret-k3y");
  unsetenv(var);
}

TEST(PiiErrors, WithoutValuesKeepsContextAndClassOnly) {
  // A real DuckDB cast error quotes the value.
  Db db("k");
  auto failed = db.conn->query("SELECT CAST(v AS INTEGER) FROM (VALUES ('Alice Smith')) t(v)");
  ASSERT_FALSE(failed.ok());
  ASSERT_NE(failed.error().message().find("Alice Smith"), std::string::npos);
  Error e = without_values(failed.error().with_context("writing people"));
  EXPECT_EQ(e.message().find("Alice"), std::string::npos) << e.message();
  EXPECT_EQ(e.message().rfind("writing people: Conversion Error", 0), 0u) << e.message();
  // Without a DuckDB error class nothing of the message is kept.
  EXPECT_EQ(without_values(Error(ErrorKind::Internal, "value 42 is odd")).message().find("42"),
            std::string::npos);
}

// 2M rows hashed by DuckDB on two threads equal the single-threaded one-shot HMAC() of each.
TEST(PiiHash, ParallelRunEqualsSingleThreadedReference) {
  const std::string key = "parallel-key";
  Db db(key);
  ASSERT_TRUE(db.conn->execute("SET threads = 2").ok());
  ASSERT_TRUE(db.conn
                  ->execute("CREATE TABLE names AS SELECT i, 'person-' || i || '@example.com' AS email "
                            "FROM range(2000000) r(i)")
                  .ok());
  auto result = db.conn->query("SELECT i, silt_pii_hash(email) FROM names");
  ASSERT_TRUE(result.ok()) << result.error().message();
  int64_t rows = 0, mismatches = 0;
  while (auto chunk = result->next_chunk()) {
    for (idx_t r = 0; r < chunk->size(); r++, rows++) {
      int64_t i = chunk->i64(0, r);
      std::string expected = reference_hmac(key, "person-" + std::to_string(i) + "@example.com");
      mismatches += chunk->str(1, r) != expected;
    }
  }
  EXPECT_EQ(rows, 2000000);
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace silt::pii
