// PII anonymization applied to rows before they are written: per-column policies turned into a
// DuckDB SELECT list. Hashing is keyed HMAC-SHA256 (deterministic for one key, so joins across
// tables still work) and masking keeps a suffix; both run as vectorized DuckDB scalar functions,
// not as per-value SQL. The key is never printed.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duckdb/engine.h"
#include "util/result.h"

namespace silt::pii {

enum class Method { Hash, Mask, Generalize, Drop, Null };

struct ColumnPolicy {
  std::string column;
  Method method = Method::Hash;
  // Mask: characters kept at the end (default 4). Generalize: "month" or "year" (dates and
  // timestamps, to the first day of the period), "prefix:N" (text, first N characters, e.g.
  // postcodes) or "band:N" (numbers, to the lower bound of a band of width N, e.g. ages).
  std::string argument;
};

// Parses a policy as written in an asset header: "hash", "mask", "mask(4)", "generalize(month)",
// "generalize(prefix:3)", "generalize(band:10)", "drop", "null". InvalidArgument naming the
// column and the text otherwise.
Result<ColumnPolicy> parse_policy(std::string_view column, std::string_view text);

// The key from environment variable `env_var`. InvalidArgument naming the variable (never a
// value) when it is unset or empty.
Result<std::string> key_from_env(std::string_view env_var);

// Registers the scalar functions silt_pii_hash(VARCHAR) -> VARCHAR (lowercase hex HMAC-SHA256
// under `key`) and silt_pii_mask(VARCHAR, INTEGER keep) -> VARCHAR on conn's database. Both map
// NULL to NULL.
Status register_functions(db::Connection& conn, const std::string& key);

// The SELECT list that reads `columns` (name, DuckDB type; in order) with the policies applied:
// dropped columns are left out, the others keep their names. InvalidArgument for a policy that
// names no column, or a generalization that does not fit the column's type.
Result<std::string> anonymized_select_list(const std::vector<ColumnPolicy>& policies,
                                           const std::vector<std::pair<std::string, std::string>>& columns);

}  // namespace silt::pii
