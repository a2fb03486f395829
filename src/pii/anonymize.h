// PII anonymization applied to rows before they are written: per-column policies turned into a
// DuckDB SELECT list. Hashing is keyed HMAC-SHA256 (deterministic for one key, so joins across
// tables still work) and masking keeps a suffix; both run as vectorized DuckDB scalar functions,
// not as per-value SQL. No expression this module generates can raise an error on any value, so
// no value can reach an error message through it. The key is never printed.
#pragma once

#include <set>
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
  // Mask: code points kept at the end (default 4). Generalize: "month" or "year" (dates and
  // timestamps, to the first instant of the period), "prefix:N" (first N characters, e.g.
  // postcodes) or "band:N" (numbers, to the lower bound of a band of width N, e.g. ages).
  std::string argument;
};

// Parses a policy as written in an asset header: "hash", "mask", "mask(4)", "generalize(month)",
// "generalize(year)", "generalize(prefix:3)", "generalize(band:10)", "drop", "null" (case and
// blanks around words ignored). InvalidArgument naming the column and the text otherwise.
Result<ColumnPolicy> parse_policy(std::string_view column, std::string_view text);

// The key from environment variable `env_var`. InvalidArgument naming the variable (never a
// value) when it is unset or empty.
Result<std::string> key_from_env(std::string_view env_var);

// Registers on conn's database, visible to all its connections:
//   silt_pii_hash(VARCHAR or BLOB) -> VARCHAR: lowercase hex HMAC-SHA256 of the bytes under `key`;
//   silt_pii_mask(VARCHAR, INTEGER keep) -> VARCHAR: see pii/mask.h.
// Both map NULL to NULL and never fail. May be called any number of times, from any connection
// of the database: once the functions exist, a call with the same key does nothing, a call with
// another key fails (InvalidArgument) instead of silently hashing under the first key. An empty
// key is InvalidArgument.
Status register_functions(db::Connection& conn, const std::string& key);

// The SELECT list that reads `columns` (name, DuckDB type as DuckDB spells it; in order) with the
// policies applied. REQUIRES: the types come from DuckDB (DESCRIBE, information_schema): they
// are written into the SQL as they are; names are quoted. Dropped columns are left out; the others keep their
// names, and columns without a policy pass through unchanged. Result types:
//   hash, mask:        VARCHAR (any type is cast to VARCHAR first; BLOB is hashed as bytes);
//   generalize month/year: the column's type (DATE, TIMESTAMP*), truncated to the period;
//                      +-infinity stay; NULL where the period starts outside the type's range
//                      (its earliest values) or DuckDB cannot truncate (dates past TIMESTAMP's);
//   generalize prefix: VARCHAR (non-text columns are cast to VARCHAR first);
//   generalize band:   the column's type (integers, DECIMAL, FLOAT, DOUBLE): the band's lower
//                      bound, floor(v / N) * N, and NULL when that bound does not fit the type;
//   null:              NULL of the column's type.
// Column names match case-insensitively, as DuckDB identifiers do. InvalidArgument for a policy
// that names no column, two policies for one column, a generalization that does not fit the
// column's type, or when every column is dropped.
Result<std::string> anonymized_select_list(const std::vector<ColumnPolicy>& policies,
                                           const std::vector<std::pair<std::string, std::string>>& columns);

// The columns (spelled as in `columns`) that a policy keeps in the output: what
// ops::WriteOptions::no_stats_columns must hold, so no PII column gets min/max stats. The same
// errors as anonymized_select_list for policies that match no column or repeat one.
Result<std::set<std::string>> protected_columns(
    const std::vector<ColumnPolicy>& policies,
    const std::vector<std::pair<std::string, std::string>>& columns);

// For errors of statements that read PII columns: DuckDB messages can quote the offending value
// (cast and constraint errors do, some without quotes). Keeps silt's context and DuckDB's error
// class ("writing t: Conversion Error: ...") and withholds the rest.
Error without_values(const Error& error);

}  // namespace silt::pii
