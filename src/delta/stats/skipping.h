// Data skipping: decides from a file's statistics and partition values whether it may hold rows
// matching a predicate. Guarantee: a file is reported as skippable only when its statistics PROVE
// that no row matches; anything unknown (missing stats, unparseable values, types without a usable
// order, casts we do not model) keeps the file. Value types; a SkippingFilter is immutable after
// construction and may be shared across threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "delta/model/actions.h"
#include "delta/stats/file_stats.h"
#include "util/result.h"

namespace silt::delta {

// How a column's values (and its statistics) compare. Columns of other types (binary, complex)
// have no kind: only IS [NOT] NULL can skip on them.
enum class StatKind {
  Int,           // byte, short, integer, long
  Float,         // float: stats may be the float's shortest decimal form, so bounds are widened
  Double,        // double: max never bounds > / >= (a NaN, above all in DuckDB, may be left out)
  Decimal,       // decimal(p, s): stats are JSON numbers (or strings); compared exactly where possible
  String,        // string: stats are UTF-8 prefixes, compared bytewise
  Bool,          // boolean
  Date,          // date: stats "YYYY-MM-DD"
  Timestamp,     // timestamp: stats ISO 8601 in UTC, truncated to milliseconds
  TimestampNtz,  // timestamp_ntz: as Timestamp; partition values carry no zone and need none
};

// The kind of a Delta primitive type name ("long", "decimal(10,2)", "timestamp_ntz", ...);
// nullopt for types without data skipping.
std::optional<StatKind> stat_kind_for_delta_type(std::string_view type_name);

// A constant in a predicate. `kind` says how to read `value`:
//   Int: int64; Double: double; Decimal: exact text "[-]digits[.digits]"; String: the string;
//   Bool: bool; Date: "YYYY-MM-DD"; Timestamp: "YYYY-MM-DD[ |T]HH:MM:SS[.ffffff][Z|+HH[:MM]]"
//   (no zone means UTC: callers must run DuckDB with TimeZone 'UTC' for identical semantics).
// A literal is converted to the column's kind the way DuckDB casts it; one that cannot be
// converted makes its conjunct unusable (never skips).
struct Literal {
  StatKind kind;
  StatValue value;

  static Literal integer(int64_t v) { return {StatKind::Int, v}; }
  static Literal real(double v) { return {StatKind::Double, v}; }
  static Literal decimal(std::string text) { return {StatKind::Decimal, std::move(text)}; }
  static Literal string(std::string v) { return {StatKind::String, std::move(v)}; }
  static Literal boolean(bool v) { return {StatKind::Bool, v}; }
  static Literal date(std::string text) { return {StatKind::Date, std::move(text)}; }
  static Literal timestamp(std::string text) { return {StatKind::Timestamp, std::move(text)}; }
  bool operator==(const Literal&) const = default;
};

// One test of one column, with SQL semantics: a comparison with a NULL value is not a match.
struct ColumnPredicate {
  enum class Op { Eq, Ne, Lt, Le, Gt, Ge, IsNull, IsNotNull, In };
  ColumnPath column;  // physical path, as the statistics are keyed
  Op op = Op::Eq;
  std::vector<Literal> values;  // one for comparisons, none for IsNull / IsNotNull, 1+ for In
  bool operator==(const ColumnPredicate&) const = default;
};

// conjuncts AND (each disjunction: OR of its predicates). An empty Predicate is TRUE.
struct Predicate {
  std::vector<ColumnPredicate> conjuncts;
  std::vector<std::vector<Predicate>> disjunctions;

  bool empty() const { return conjuncts.empty() && disjunctions.empty(); }
  bool operator==(const Predicate&) const = default;
};

// Kind of each column a predicate may name; a column missing here never skips.
using ColumnKinds = std::map<ColumnPath, StatKind>;

namespace skipping_internal {
// The order a comparison happens in, following DuckDB's implicit casts. Int holds int64:
// integers, booleans (0/1), dates (days) and timestamps (microseconds since the epoch).
// Decimal keys are int64, exact canonical text, or double (an approximation: ties are unknown).
enum class Domain { Int, Double, Decimal, Bytes };
using Key = std::variant<int64_t, double, std::string>;
struct BoundLiteral {
  Domain domain;
  Key key;
};
struct Term {  // a ColumnPredicate with its literals converted for the column's kind
  ColumnPath column;
  StatKind kind = StatKind::Int;
  ColumnPredicate::Op op = ColumnPredicate::Op::Eq;
  std::vector<BoundLiteral> literals;
  bool usable = false;  // false: unknown kind or unconvertible literal; never skips
};
struct Node {  // a bound Predicate
  std::vector<Term> terms;
  std::vector<std::vector<Node>> any_of;
};
}  // namespace skipping_internal

// A Predicate bound to column kinds: literals are converted once, so testing a file only reads
// the statistics of the columns the predicate names.
class SkippingFilter {
 public:
  SkippingFilter(const Predicate& predicate, const ColumnKinds& kinds);

  // The columns whose statistics matter: pass to parse_file_stats(json, wanted).
  const std::vector<ColumnPath>& stats_columns() const { return stats_columns_; }

  // False only when `stats` prove that no row can match.
  bool may_contain_match(const FileStats& stats) const;
  // Evaluates conjuncts on partition columns exactly (a column is a partition column when its
  // one-name path is a key of `partitions`); other conjuncts are unknown, i.e. may match.
  bool partition_may_match(const PartitionValues& partitions) const;
  // Both at once: partition columns from `partitions`, every other column from `stats`. Better
  // than the two separately when a disjunction mixes partition and data columns.
  bool may_match(const FileStats& stats, const PartitionValues& partitions) const;

 private:
  skipping_internal::Node root_;
  std::vector<ColumnPath> stats_columns_;
};

// One-shot conveniences; build a SkippingFilter to test many files.
bool may_contain_match(const Predicate& predicate, const FileStats& stats, const ColumnKinds& kinds);
bool partition_may_match(const Predicate& predicate, const PartitionValues& partitions,
                         const ColumnKinds& kinds);

// Extracts a skipping predicate from the `where_clause` node of DuckDB's json_serialize_sql
// output. Kept: column <op> constant (either side), IS [NOT] NULL, [NOT] IN (constants),
// BETWEEN, NOT of those, AND, and OR of extractable branches; constants may be wrapped in casts
// (e.g. '2021-01-01'::DATE). Anything else is dropped, which only makes skipping weaker.
// nullopt when nothing is left; InvalidArgument when the text is not JSON.
Result<std::optional<Predicate>> predicate_from_serialized_where(std::string_view where_clause_json);
// The same, given the whole json_serialize_sql output of one SELECT statement.
Result<std::optional<Predicate>> predicate_from_serialized_select(std::string_view serialized_sql);

}  // namespace silt::delta
