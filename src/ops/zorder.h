// Z-order (Morton) clustering as DuckDB SQL: rows sorted by a key that interleaves the bits of
// each column's rank, so that rows close in every column land close together and each slice of
// the sorted output covers a small range of every column. Pure SQL text; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace silt::ops {

// Most z-order columns: each gets at least 3 bits of the 63-bit key.
inline constexpr size_t kMaxZOrderColumns = 20;

// A SELECT of the rows of `relation_sql` (a parenthesized subquery or table name) with the same
// columns, ordered by their Z-order key over `columns` (quoted identifiers are made here). Each
// column is mapped to its rank among the rows (NULLs last, ties share a rank) scaled to
// 2^k buckets, k = min(20, 63 / columns), and the key interleaves the k bits of every column,
// most significant first. Ranks, unlike min/max scaling, spread skewed data evenly and work for
// every orderable type. InvalidArgument for no columns or more than kMaxZOrderColumns.
Result<std::string> zorder_select(const std::string& relation_sql, const std::vector<std::string>& columns);

}  // namespace silt::ops
