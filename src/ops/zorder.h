// Z-order (Morton) clustering as DuckDB SQL: a key that interleaves the bits of each column's
// rank, so that rows close in every column get close keys, and every range of keys sharing a
// prefix is a box covering a small range of every column. Pure SQL text; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "duckdb/engine.h"
#include "util/result.h"

namespace silt::ops {

// Most z-order columns: each gets at least 3 bits of the 63-bit key.
inline constexpr size_t kMaxZOrderColumns = 20;
// Name of the key column zorder_keyed() adds.
inline constexpr const char* kZOrderKey = "__silt_zkey";

// Bits of the key for `columns` z-order columns: k per column, k = min(20, 63 / columns).
int zorder_key_bits(size_t columns);

// How the key's bits are interleaved: by SQL bit operations (one term per bit and column), or by
// the C++ scalar function silt_zorder_key, which register_zorder_key_function() adds to a
// connection. Both give the same key.
enum class ZOrderKeyMethod { Sql, Function };

// Registers silt_zorder_key(BIGINT, ...) -> BIGINT, the interleaving of its arguments' low
// zorder_key_bits(n) / n bits, on `conn` (once; later calls do nothing).
Status register_zorder_key_function(db::Connection& conn);

// A SELECT of the rows of `relation_sql` (a parenthesized subquery or table name) with the same
// columns plus kZOrderKey, a non-negative BIGINT below 2^zorder_key_bits(). Each column is mapped
// to its rank among the rows (NULLs last, ties share a rank) scaled to 2^k buckets, and the key
// interleaves the k bits of every column, most significant first, the first column leading.
// Ranks, unlike min/max scaling, spread skewed data evenly and work for every orderable type.
// The rows are not sorted. InvalidArgument for no columns or more than kMaxZOrderColumns.
// REQUIRES: for ZOrderKeyMethod::Function, register_zorder_key_function() on the connection
// that runs the SELECT.
Result<std::string> zorder_keyed(const std::string& relation_sql, const std::vector<std::string>& columns,
                                 ZOrderKeyMethod method = ZOrderKeyMethod::Function);

}  // namespace silt::ops
