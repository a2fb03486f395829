// PII anonymization benchmark (issue: PII policies). Times, in one in-memory DuckDB on all cores,
// silt_pii_hash and silt_pii_mask over 250K and 2.5M generated names against DuckDB's built-in
// sha256() and md5() in the same run, plus a 250K-row anonymizing COPY to parquet; and, on one
// thread, the HMAC per value: precomputed key states vs OpenSSL's one-shot HMAC() and EVP copies.
// Usage: pii_bench [runs]
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/resource.h>

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

// Median wall and CPU (user + system, all threads) milliseconds of `runs` calls after a warm-up.
// On a shared machine CPU time is the steadier figure.
struct Timing {
  double wall_ms;
  double cpu_ms;
};

double cpu_now_ms() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return ms(u.ru_utime) + ms(u.ru_stime);
}

Timing median(int runs, const std::function<void()>& f) {
  std::vector<double> wall, cpu;
  f();  // warm-up
  for (int i = 0; i < runs; i++) {
    auto start = std::chrono::steady_clock::now();
    double cpu_start = cpu_now_ms();
    f();
    cpu.push_back(cpu_now_ms() - cpu_start);
    wall.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {wall[wall.size() / 2], cpu[cpu.size() / 2]};
}

void must(const silt::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.error().message().c_str());
    std::exit(1);
  }
}

Timing query_time(Connection& conn, const std::string& sql, int runs) {
  return median(runs, [&] { must(conn.execute(sql)); });
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
    return median(runs, [&] { must(conn.execute("SELECT sum(length(" + expr + ")) FROM " + table)); });
  };
  Timing scan = t("name"), ours = t("silt_pii_hash(name)"), sha = t("sha256(name)"), md5 = t("md5(name)"),
         mask = t("silt_pii_mask(name, 4)");
  std::printf(
      "%9ld rows, wall / CPU ms: scan %.1f / %.1f  silt_pii_hash %.1f / %.1f  sha256 %.1f / %.1f  "
      "md5 %.1f / %.1f  silt_pii_mask %.1f / %.1f\n",
      rows, scan.wall_ms, scan.cpu_ms, ours.wall_ms, ours.cpu_ms, sha.wall_ms, sha.cpu_ms, md5.wall_ms,
      md5.cpu_ms, mask.wall_ms, mask.cpu_ms);
  std::printf("%9s       CPU ratios: hash/sha256 %.2f  hash/md5 %.2f  hash CPU ns/value %.0f\n", "",
              ours.cpu_ms / sha.cpu_ms, ours.cpu_ms / md5.cpu_ms, (ours.cpu_ms - scan.cpu_ms) * 1e6 / rows);
}

// CPU time: on one thread it is the wall time minus what other processes took.
double cpu_ms(int runs, const std::function<void()>& f) { return median(runs, f).cpu_ms; }

// One thread, per value: what the precomputed key states save over OpenSSL's generic paths.
void per_value(int values) {
  std::vector<std::string> names;
  for (int i = 0; i < values; i++) names.push_back("Maria Okafor-" + std::to_string(i));
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  silt::pii::HmacSha256 hmac(kKey);
  char hex[silt::pii::HmacSha256::kHexChars];
  double ours = cpu_ms(3, [&] {
    for (const auto& n : names) hmac.hex(n, hex);
  });
  double one_shot = cpu_ms(3, [&] {
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
  double evp = cpu_ms(3, [&] {
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
      "per value, 1 thread, CPU: precomputed states + hex %.0f ns, EVP context copies %.0f ns, one-shot "
      "HMAC() "
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
  Timing one_thread =
      median(runs, [&] { must(conn->execute("SELECT sum(length(silt_pii_hash(name))) FROM large")); });
  must(conn->execute("RESET threads"));
  std::printf("  2500000 rows, silt_pii_hash on 1 thread: wall %.1f ms, CPU %.1f ms\n", one_thread.wall_ms,
              one_thread.cpu_ms);

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
  Timing plain = query_time(*conn, "COPY small TO '" + out + "' (FORMAT parquet)", runs);
  Timing anon =
      query_time(*conn, "COPY (SELECT " + *list + " FROM small) TO '" + out + "' (FORMAT parquet)", runs);
  std::filesystem::remove(out);
  std::printf(
      "250000 rows to parquet, wall / CPU ms: as is %.1f / %.1f, anonymized (hash, mask, 3 "
      "generalizations) %.1f / %.1f\n",
      plain.wall_ms, plain.cpu_ms, anon.wall_ms, anon.cpu_ms);

  per_value(250000);
  return 0;
}
