// Test support for the source readers: connection settings of the test servers started by
// scripts/services.sh (SILT_TEST_PG_* / SILT_TEST_FB_* variables, else build/services.env),
// running setup SQL through the servers' own command-line clients (psql, isql-fb), and checking
// copied values against DuckDB literals written by hand.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../support/shared_tables.h"
#include "duckdb/engine.h"
#include "sources/source.h"

namespace silt::testing {

inline bool port_open(int port);

// Settings of test server `prefix` ("PG" or "FB"): the environment first, then services.env.
inline std::map<std::string, std::string> service_settings(const std::string& prefix) {
  std::map<std::string, std::string> env;
  std::ifstream in(SILT_SOURCE_DIR "/build/services.env");
  for (std::string line; std::getline(in, line);) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  std::map<std::string, std::string> out;
  for (const char* key : {"HOST", "PORT", "DATABASE", "USER", "PASSWORD_FILE"}) {
    std::string name = "SILT_TEST_" + prefix + "_" + key;
    const char* v = std::getenv(name.c_str());
    if (v)
      out[key] = v;
    else if (env.count(name))
      out[key] = env[name];
  }
  return out;
}

// A source config for test server `prefix` of `kind`, or nullopt when it is not configured or
// not running.
inline std::optional<silt::sources::SourceConfig> server_source(const std::string& prefix,
                                                                const std::string& kind) {
  auto s = service_settings(prefix);
  for (const char* key : {"HOST", "PORT", "DATABASE", "USER", "PASSWORD_FILE"}) {
    if (!s.count(key)) return std::nullopt;
  }
  if (!port_open(std::atoi(s["PORT"].c_str()))) return std::nullopt;
  return silt::sources::SourceConfig{"test_" + kind,
                                     kind,
                                     {{"host", s["HOST"]},
                                      {"port", s["PORT"]},
                                      {"database", s["DATABASE"]},
                                      {"user", s["USER"]},
                                      {"password_file", s["PASSWORD_FILE"]},
                                      {"connect_timeout_s", "5"}}};
}

inline std::string read_file_text(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// Runs `script` through a client command line (which reads it on stdin); its exit code.
inline int run_script(const std::string& command, const std::string& script) {
  FILE* p = ::popen(command.c_str(), "w");
  if (!p) return -1;
  std::fwrite(script.data(), 1, script.size(), p);
  return ::pclose(p);
}

// SQL through psql; the password goes in the environment, not on the command line.
inline int run_psql(const silt::sources::SourceConfig& c, const std::string& sql) {
  ::setenv("PGPASSWORD", read_file_text(c.settings.at("password_file")).c_str(), 1);
  ::setenv("PGCLIENTENCODING", "UTF8", 1);  // the scripts are UTF-8 whatever the locale
  return run_script("psql -X -q -v ON_ERROR_STOP=1 -h " + c.settings.at("host") + " -p " +
                        c.settings.at("port") + " -U " + c.settings.at("user") + " -d " +
                        c.settings.at("database") + " >/dev/null",
                    "SET client_min_messages = warning;\n" + sql);
}

// SQL through isql-fb with a UTF8 connection.
inline int run_isql(const silt::sources::SourceConfig& c, const std::string& sql) {
  ::setenv("ISC_USER", c.settings.at("user").c_str(), 1);
  ::setenv("ISC_PASSWORD", read_file_text(c.settings.at("password_file")).c_str(), 1);
  // isql drops non-ASCII input bytes unless its locale is a UTF-8 one.
  return run_script("LC_ALL=C.UTF-8 isql-fb -q -b -ch UTF8 " + c.settings.at("host") + "/" +
                        c.settings.at("port") + ":" + c.settings.at("database") + " >/dev/null",
                    sql);
}

// True when something accepts TCP connections on 127.0.0.1:port.
inline bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(uint16_t(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A TCP port on 127.0.0.1 that nothing listens on (bound, then released).
inline int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A column of a copied table: its DuckDB type and, per row id, a DuckDB literal it must equal
// ("NULL" for NULL).
struct ExpectedColumn {
  std::string name;
  std::string type;
  std::vector<std::string> values;  // for ids 1, 2, ...
};

// Checks every column of `table` (with an integer key column `id`) against `expected`.
inline void expect_columns(silt::db::Connection& conn, const std::string& table, const std::string& id,
                           const std::vector<ExpectedColumn>& expected) {
  for (const ExpectedColumn& col : expected) {
    for (size_t row = 0; row < col.values.size(); row++) {
      const std::string& lit = col.values[row];
      std::string q = "\"" + col.name + "\"";
      std::string test = lit == "NULL" ? q + " IS NULL" : q + " = " + lit;
      auto got =
          conn.query_text("SELECT typeof(" + q + "), (" + test + ")::VARCHAR, " + q + "::VARCHAR FROM " +
                          table + " WHERE \"" + id + "\" = " + std::to_string(row + 1));
      ASSERT_TRUE(got.ok()) << col.name << ": " << got.error().message();
      ASSERT_EQ(got->size(), 1u) << "row " << row + 1;
      EXPECT_EQ((*got)[0][0].value_or("?"), col.type) << col.name;
      EXPECT_EQ((*got)[0][1].value_or("NULL"), "true")
          << col.name << " row " << row + 1 << ": got " << (*got)[0][2].value_or("NULL") << ", want " << lit;
    }
  }
}

// The ids of `table` in order, as "1,2,3".
inline std::string ids(silt::db::Connection& conn, const std::string& table, const std::string& id = "id") {
  auto v =
      conn.scalar("SELECT string_agg(\"" + id + "\"::VARCHAR, ',' ORDER BY \"" + id + "\") FROM " + table);
  if (!v.ok()) return "error: " + v.error().message();
  return v->value_or("");
}

// A DuckDB in memory for a source test to copy into.
class SourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(silt::db::Database::open_in_memory().value());
    conn_ = std::move(silt::db::Connection::open(*db_).value());
  }
  std::optional<silt::db::Database> db_;
  std::optional<silt::db::Connection> conn_;
};

// Copies table_query(table, column > after) and expects the ids `want` ("3,10").
inline void expect_watermark_ids(silt::db::Connection& conn, const silt::sources::SourceConfig& source,
                                 const std::string& table, const std::string& id, const std::string& column,
                                 const std::string& after, const std::string& want) {
  auto rows =
      silt::sources::copy_query(source, silt::sources::table_query(source, table, column, after), conn, "w");
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  EXPECT_EQ(ids(conn, "w", id), want) << column << " > " << after;
}

// Copies `query` into `target` in batches of `batch_rows`; expects `total` rows (a multiple of
// batch_rows) and one progress report per batch.
inline void expect_streamed_in_batches(silt::db::Connection& conn, const silt::sources::SourceConfig& source,
                                       const std::string& query, const std::string& target,
                                       int64_t batch_rows, int64_t total) {
  std::vector<int64_t> progress;
  silt::sources::CopyOptions options;
  options.batch_rows = batch_rows;
  options.progress = [&](int64_t rows) { progress.push_back(rows); };
  auto rows = silt::sources::copy_query(source, query, conn, target, options);
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  EXPECT_EQ(*rows, total);
  std::vector<int64_t> expected;
  for (int64_t n = batch_rows; n <= total; n += batch_rows) expected.push_back(n);
  EXPECT_EQ(progress, expected);
}

// A `kind` source on a port nothing listens on: an Io error naming the source, host and port.
inline void expect_unreachable(silt::db::Connection& conn, const std::string& kind,
                               const std::string& query) {
  std::string port = std::to_string(closed_port());
  silt::sources::SourceConfig source{"down_" + kind,
                                     kind,
                                     {{"host", "127.0.0.1"},
                                      {"port", port},
                                      {"database", "/nowhere"},
                                      {"user", "x"},
                                      {"connect_timeout_s", "2"}}};
  auto rows = silt::sources::copy_query(source, query, conn, "t");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().kind(), silt::ErrorKind::Io);
  const std::string& msg = rows.error().message();
  EXPECT_EQ(msg.rfind("source down_" + kind + ": cannot connect to " + kind + " at 127.0.0.1:" + port, 0), 0u)
      << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

// `source` with a wrong password from the environment: the error names the source and says
// `server_says`, and does not contain the password.
inline void expect_wrong_password_hidden(silt::db::Connection& conn, silt::sources::SourceConfig source,
                                         const std::string& query, const std::string& server_says) {
  const std::string secret = "Wr0ng-s3cret-" + source.kind;
  ::setenv("SILT_TEST_WRONG_PASSWORD", secret.c_str(), 1);
  source.settings.erase("password_file");
  source.settings["password_env"] = "SILT_TEST_WRONG_PASSWORD";
  auto rows = silt::sources::copy_query(source, query, conn, "t");
  ASSERT_FALSE(rows.ok());
  const std::string& msg = rows.error().message();
  EXPECT_EQ(msg.rfind("source " + source.name + ": ", 0), 0u) << msg;
  EXPECT_NE(msg.find(server_says), std::string::npos) << msg;
  EXPECT_EQ(msg.find(secret), std::string::npos) << msg;
}

}  // namespace silt::testing

// In a test body: a source config for a test server, failing under CI=true and skipping
// elsewhere when scripts/services.sh has not set one up.
#define REQUIRE_SERVER(var, prefix, kind)                                                                    \
  auto var##_opt = ::silt::testing::server_source(prefix, kind);                                             \
  if (!var##_opt) {                                                                                          \
    if (::silt::testing::in_ci()) FAIL() << kind << " test server not configured (run scripts/services.sh)"; \
    GTEST_SKIP() << kind << " test server not configured: run scripts/services.sh as root";                  \
  }                                                                                                          \
  silt::sources::SourceConfig var = *var##_opt
