// PII anonymization benchmark (issue: PII policies). Times, in one in-memory DuckDB on all cores,
// silt_pii_hash and silt_pii_mask over 250K and 2.5M generated names against DuckDB's built-in
// sha256() and md5() in the same run, plus a 250K-row anonymizing COPY to parquet; and, on one
// thread, the HMAC per value: precomputed key states vs OpenSSL's one-shot HMAC() and EVP copies.
// Usage: pii_bench [runs]
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "duckdb/engine.h"
#include "pii/anonymize.h"
#include "pii/hmac_sha256.h"

using silt::db::Connection;

namespace {

const std::string kKey = "bench-key-0123456789abcdef";

double median_ms(int runs, const std::function<void()>& f) {
  std::vector<double> t;
  f();  // warm-up
  for (int i = 0; i < runs; i++) {
    auto start = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void must(const silt::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.error().message().c_str());
    std::exit(1);
  }
}

double query_ms(Connection& conn, const std::string& sql, int runs) {
  return median_ms(runs, [&] { must(conn.execute(sql)); });
}

// Names like "Maria Okafor-1234": 12 to 25 bytes, so both inlined and pointer strings occur.
void make_names(Connection& conn, const std::string& table, long rows) {
  must(conn.execute(
      "CREATE OR REPLACE TABLE " + table +
      " AS SELECT (['Maria','Jon','Aiko','Zoë','Liam','Fatima','Björn','Chen'])[i % 8 + 1] || ' ' || "
      "(['Okafor','Smith','Tanaka','Müller','Garcia','Nguyen'])[i % 6 + 1] || '-' || i AS name, "
      "DATE '1950-01-01' + CAST(i % 25000 AS INTEGER) AS born, CAST(i % 90 AS INTEGER) AS age, "
      "'SW' || (i % 20) || ' ' || (i % 9) || 'AB' AS postcode, '+44 20 ' || (7000000 + i) AS phone, "
      "i AS id FROM range(" +
      std::to_string(rows) + ") r(i)"));
}

void hash_table(Connection& conn, const std::string& table, long rows, int runs) {
  auto t = [&](const std::string& expr) {
    return query_ms(conn, "SELECT sum(length(" + expr + ")) FROM " + table, runs);
  };
  double scan = t("name");
  double ours = t("silt_pii_hash(name)");
  double sha = t("sha256(name)");
  double md5 = t("md5(name)");
  double mask = t("silt_pii_mask(name, 4)");
  std::printf("%9ld rows  scan %7.1f  silt_pii_hash %7.1f  sha256 %7.1f  md5 %7.1f  silt_pii_mask %7.1f ms\n",
              rows, scan, ours, sha, md5, mask);
  std::printf("%9s       hash/sha256 %.2f  hash/md5 %.2f  hash ns/value/core %.0f\n", "", ours / sha,
              ours / md5, (ours - scan) * 1e6 * 2 / rows);
}

// One thread, per value: what the precomputed key states save over OpenSSL's generic paths.
void per_value(int values) {
  std::vector<std::string> names;
  for (int i = 0; i < values; i++) names.push_back("Maria Okafor-" + std::to_string(i));
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  silt::pii::HmacSha256 hmac(kKey);
  char hex[silt::pii::HmacSha256::kHexChars];
  double ours = median_ms(3, [&] {
    for (const auto& n : names) hmac.hex(n, hex);
  });
  double one_shot = median_ms(3, [&] {
    for (const auto& n : names)
      HMAC(EVP_sha256(), kKey.data(), static_cast<int>(kKey.size()),
           reinterpret_cast<const unsigned char*>(n.data()), n.size(), out, &len);
  });
  // EVP with prepared inner/outer digest contexts copied per value (the non-deprecated route).
  EVP_MD_CTX* inner = EVP_MD_CTX_new();
  EVP_MD_CTX* outer = EVP_MD_CTX_new();
  EVP_MD_CTX* work = EVP_MD_CTX_new();
  unsigned char pad[64] = {};
  std::copy(kKey.begin(), kKey.end(), pad);
  for (auto& b : pad) b ^= 0x36;
  EVP_DigestInit_ex(inner, EVP_sha256(), nullptr);
  EVP_DigestUpdate(inner, pad, 64);
  for (auto& b : pad) b ^= 0x36 ^ 0x5c;
  EVP_DigestInit_ex(outer, EVP_sha256(), nullptr);
  EVP_DigestUpdate(outer, pad, 64);
  double evp = median_ms(3, [&] {
    for (const auto& n : names) {
      EVP_MD_CTX_copy_ex(work, inner);
      EVP_DigestUpdate(work, n.data(), n.size());
      EVP_DigestFinal_ex(work, out, &len);
      EVP_MD_CTX_copy_ex(work, outer);
      EVP_DigestUpdate(work, out, len);
      EVP_DigestFinal_ex(work, out, &len);
    }
  });
  EVP_MD_CTX_free(inner);
  EVP_MD_CTX_free(outer);
  EVP_MD_CTX_free(work);
  std::printf(
      "per value, 1 thread: precomputed states + hex %.0f ns, EVP context copies %.0f ns, one-shot HMAC() "
      "%.0f ns\n",
      ours * 1e6 / values, evp * 1e6 / values, one_shot * 1e6 / values);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  auto database = silt::db::Database::open_in_memory();
  must(database.ok() ? silt::ok_status() : silt::Status(database.error()));
  auto conn = Connection::open(*database);
  must(conn.ok() ? silt::ok_status() : silt::Status(conn.error()));
  must(silt::pii::register_functions(*conn, kKey));
  auto threads = conn->scalar("SELECT current_setting('threads')");
  std::printf("DuckDB threads: %s, median of %d runs\n", threads.ok() ? threads->value_or("?").c_str() : "?",
              runs);

  make_names(*conn, "small", 250000);
  make_names(*conn, "large", 2500000);
  hash_table(*conn, "small", 250000, runs);
  hash_table(*conn, "large", 2500000, runs);
  // The same hash on one thread: how much the function gains from DuckDB's parallelism.
  must(conn->execute("SET threads = 1"));
  double one_thread = query_ms(*conn, "SELECT sum(length(silt_pii_hash(name))) FROM large", runs);
  must(conn->execute("RESET threads"));
  std::printf("  2500000 rows  silt_pii_hash on 1 thread %.1f ms\n", one_thread);

  // 250K rows with every policy kind, written to parquet as a pipeline would.
  std::vector<silt::pii::ColumnPolicy> policies;
  for (auto [col, text] : {std::pair{"name", "hash"},
                           {"phone", "mask(4)"},
                           {"born", "generalize(year)"},
                           {"age", "generalize(band:10)"},
                           {"postcode", "generalize(prefix:3)"}}) {
    auto p = silt::pii::parse_policy(col, text);
    must(p.ok() ? silt::ok_status() : silt::Status(p.error()));
    policies.push_back(*p);
  }
  auto list = silt::pii::anonymized_select_list(policies, {{"name", "VARCHAR"},
                                                           {"born", "DATE"},
                                                           {"age", "INTEGER"},
                                                           {"postcode", "VARCHAR"},
                                                           {"phone", "VARCHAR"},
                                                           {"id", "BIGINT"}});
  must(list.ok() ? silt::ok_status() : silt::Status(list.error()));
  std::string out = (std::filesystem::temp_directory_path() / "silt-pii-bench.parquet").string();
  double plain = query_ms(*conn, "COPY small TO '" + out + "' (FORMAT parquet)", runs);
  double anon =
      query_ms(*conn, "COPY (SELECT " + *list + " FROM small) TO '" + out + "' (FORMAT parquet)", runs);
  std::filesystem::remove(out);
  std::printf("250000 rows to parquet: as is %.1f ms, anonymized (hash, mask, 3 generalizations) %.1f ms\n",
              plain, anon);

  per_value(250000);
  return 0;
}
