// Z-order key SQL. See zorder.h. The key is built with plain SQL bit operations on BIGINT: one
// term per (bit, column), which DuckDB evaluates vectorized.
#include "ops/zorder.h"

#include <algorithm>

#include "util/sql_text.h"

namespace silt::ops {
namespace {

std::string rank_column(size_t i) { return "__silt_zrank" + std::to_string(i); }

}  // namespace

int zorder_key_bits(size_t columns) {
  return columns == 0 ? 0 : int(std::min<size_t>(20, 63 / columns) * columns);
}

Result<std::string> zorder_keyed(const std::string& relation_sql, const std::vector<std::string>& columns) {
  size_t n = columns.size();
  if (n == 0 || n > kMaxZOrderColumns) {
    return Error(ErrorKind::InvalidArgument,
                 "z-order needs 1 to " + std::to_string(kMaxZOrderColumns) + " columns");
  }
  int bits = zorder_key_bits(n) / int(n);
  std::string buckets = std::to_string(int64_t(1) << bits);
  std::string ranks, excluded, key;
  for (size_t i = 0; i < n; i++) {
    // rank() is 1-based and at most count(*), so the bucket is in [0, 2^bits).
    ranks += ", (rank() OVER (ORDER BY " + quote_ident(columns[i]) + " NULLS LAST) - 1) * " + buckets +
             " // count(*) OVER () AS " + rank_column(i);
    excluded += (i ? ", " : "") + rank_column(i);
  }
  for (int b = bits - 1; b >= 0; b--) {
    for (size_t i = 0; i < n; i++) {
      int shift = b * int(n) + int(n - 1 - i);
      key += (key.empty() ? "" : " | ") + std::string("(((") + rank_column(i) + " >> " + std::to_string(b) +
             ") & 1) << " + std::to_string(shift) + ")";
    }
  }
  return "SELECT * EXCLUDE (" + excluded + "), " + key + " AS " + kZOrderKey + " FROM (SELECT *" + ranks +
         " FROM " + relation_sql + " AS __silt_zin)";
}

}  // namespace silt::ops
