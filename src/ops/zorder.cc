// Z-order key SQL. See zorder.h. The key is built with plain SQL bit operations on BIGINT: one
// term per (bit, column), which DuckDB evaluates vectorized.
#include "ops/zorder.h"

#include <algorithm>
#include <vector>

#include "util/sql_text.h"

namespace silt::ops {
namespace {

std::string rank_column(size_t i) { return "__silt_zrank" + std::to_string(i); }

constexpr const char* kKeyFunction = "silt_zorder_key";

// silt_zorder_key: the same interleaving as the SQL terms, most significant bit first, the
// first argument leading. Arguments are ranks, never NULL.
void zorder_key(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  idx_t rows = duckdb_data_chunk_get_size(input);
  idx_t n = duckdb_data_chunk_get_column_count(input);
  auto* out = static_cast<int64_t*>(duckdb_vector_get_data(output));
  std::vector<const int64_t*> in(n);
  for (idx_t i = 0; i < n; i++)
    in[i] = static_cast<const int64_t*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(input, i)));
  int bits = zorder_key_bits(n) / int(std::max<idx_t>(n, 1));
  for (idx_t r = 0; r < rows; r++) {
    uint64_t key = 0;
    for (int b = bits - 1; b >= 0; b--) {
      for (idx_t i = 0; i < n; i++) key = (key << 1) | ((uint64_t(in[i][r]) >> b) & 1);
    }
    out[r] = int64_t(key);
  }
}

// The key as SQL terms: bit b of column i lands at b * n + (n - 1 - i).
std::string sql_key(size_t n, int bits) {
  std::string key;
  for (int b = bits - 1; b >= 0; b--) {
    for (size_t i = 0; i < n; i++) {
      int shift = b * int(n) + int(n - 1 - i);
      key += (key.empty() ? "" : " | ") + std::string("(((") + rank_column(i) + " >> " + std::to_string(b) +
             ") & 1) << " + std::to_string(shift) + ")";
    }
  }
  return key;
}

std::string function_key(size_t n) {
  std::string args;
  for (size_t i = 0; i < n; i++) args += (i ? ", " : "") + rank_column(i);
  return std::string(kKeyFunction) + "(" + args + ")";
}

}  // namespace

Status register_zorder_key_function(db::Connection& conn) {
  SILT_ASSIGN_OR_RETURN(auto known, conn.scalar(std::string("SELECT count(*) FROM duckdb_functions() WHERE "
                                                            "function_name = '") +
                                                kKeyFunction + "'"));
  if (known.value_or("0") != "0") return ok_status();
  db::ScalarFunctionSpec spec;
  spec.name = kKeyFunction;
  spec.varargs = DUCKDB_TYPE_BIGINT;
  spec.returns = DUCKDB_TYPE_BIGINT;
  spec.function = zorder_key;
  return conn.register_scalar_function(spec);
}

int zorder_key_bits(size_t columns) {
  return columns == 0 ? 0 : int(std::min<size_t>(20, 63 / columns) * columns);
}

Result<std::string> zorder_keyed(const std::string& relation_sql, const std::vector<std::string>& columns,
                                 ZOrderKeyMethod method) {
  size_t n = columns.size();
  if (n == 0 || n > kMaxZOrderColumns) {
    return Error(ErrorKind::InvalidArgument,
                 "z-order needs 1 to " + std::to_string(kMaxZOrderColumns) + " columns");
  }
  int bits = zorder_key_bits(n) / int(n);
  std::string buckets = std::to_string(int64_t(1) << bits);
  std::string ranks, excluded;
  for (size_t i = 0; i < n; i++) {
    // rank() is 1-based and at most count(*), so the bucket is in [0, 2^bits).
    ranks += ", (rank() OVER (ORDER BY " + quote_ident(columns[i]) + " NULLS LAST) - 1) * " + buckets +
             " // count(*) OVER () AS " + rank_column(i);
    excluded += (i ? ", " : "") + rank_column(i);
  }
  std::string key = method == ZOrderKeyMethod::Sql ? sql_key(n, bits) : function_key(n);
  return "SELECT * EXCLUDE (" + excluded + "), " + key + " AS " + kZOrderKey + " FROM (SELECT *" + ranks +
         " FROM " + relation_sql + " AS __silt_zin)";
}

}  // namespace silt::ops
