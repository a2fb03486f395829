// Policy parsing and the anonymizing SELECT list. See anonymize.h. Every expression built here is
// error-free on every value of a column of the stated type: generalizations that could leave the
// type's range use TRY_CAST or try() (NULL instead of an error that would quote a value).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <set>

#include "pii/anonymize.h"
#include "util/sql_text.h"

namespace silt::pii {
namespace {

constexpr int64_t kMaxArgument = 1'000'000'000;  // fits INTEGER (mask keep, prefix length)

std::optional<int64_t> parse_count(std::string_view s, int64_t min) {
  s = trim_view(s);
  int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || n < min || n > kMaxArgument) return std::nullopt;
  return n;
}

// A policy's argument, checked: what the select list needs to build the expression.
struct Checked {
  Method method;
  std::string period;  // generalize month/year
  enum class Shape { None, Period, Prefix, Band } shape = Shape::None;
  int64_t n = 0;  // mask keep, prefix length, band width
};

Error bad_policy(std::string_view column, std::string_view text, std::string_view why) {
  return Error(ErrorKind::InvalidArgument, "PII policy for column " + std::string(column) + " (\"" +
                                               std::string(text) + "\"): " + std::string(why));
}

Result<Checked> check(const ColumnPolicy& p) {
  Checked c;
  c.method = p.method;
  std::string arg = lower_ascii(trim_view(p.argument));
  auto fail = [&](std::string_view why) { return bad_policy(p.column, p.argument, why); };
  switch (p.method) {
    case Method::Mask: {
      auto n = parse_count(arg.empty() ? "4" : arg, 0);
      if (!n) return fail("mask takes a count of characters to keep, e.g. mask(4)");
      c.n = *n;
      return c;
    }
    case Method::Generalize:
      if (arg == "month" || arg == "year") {
        c.shape = Checked::Shape::Period;
        c.period = arg;
        return c;
      }
      for (auto [prefix, shape] :
           {std::pair{"prefix:", Checked::Shape::Prefix}, {"band:", Checked::Shape::Band}}) {
        std::string_view word = prefix;
        if (arg.rfind(word, 0) != 0) continue;
        auto n = parse_count(std::string_view(arg).substr(word.size()), 1);
        if (!n) return fail("the width must be a whole number of at least 1");
        c.shape = shape;
        c.n = *n;
        return c;
      }
      return fail("generalize takes month, year, prefix:N or band:N");
    default:
      if (!arg.empty()) return fail("this method takes no argument");
      return c;
  }
}

// Type families, from the type name as DuckDB spells it (DESCRIBE, duckdb_columns).
enum class Family { Text, Blob, Temporal, Integer, OtherNumber, Other };

Family family_of(std::string_view type) {
  std::string t = lower_ascii(trim_view(type));
  if (t == "varchar" || t == "text" || t == "string") return Family::Text;
  if (t == "blob" || t == "bytea") return Family::Blob;
  if (t == "date" || t.rfind("timestamp", 0) == 0 || t == "datetime") return Family::Temporal;
  static const char* kIntegers[] = {"tinyint",  "smallint",  "integer",  "int",     "bigint",
                                    "utinyint", "usmallint", "uinteger", "ubigint", "int1",
                                    "int2",     "int4",      "int8"};
  if (std::find(std::begin(kIntegers), std::end(kIntegers), t) != std::end(kIntegers)) return Family::Integer;
  if (t == "hugeint" || t == "uhugeint" || t == "float" || t == "real" || t == "double" ||
      t.rfind("decimal", 0) == 0 || t.rfind("numeric", 0) == 0)
    return Family::OtherNumber;
  return Family::Other;
}

std::string as_text(const std::string& col, Family f) {
  return f == Family::Text ? col : "CAST(" + col + " AS VARCHAR)";
}

// The lower bound of v's band, floor(v / n) * n. Integers up to 64 bits are exact in HUGEINT
// (% keeps the dividend's sign, so the remainder is brought into [0, n) first).
std::string band(const std::string& col, const std::string& type, Family f, int64_t n) {
  std::string w = std::to_string(n);
  if (f == Family::Integer) {
    std::string v = "CAST(" + col + " AS HUGEINT)";
    return "TRY_CAST(" + v + " - ((" + v + " % " + w + ") + " + w + ") % " + w + " AS " + type + ")";
  }
  return "TRY_CAST(floor(CAST(" + col + " AS DOUBLE) / " + w + ") * " + w + " AS " + type + ")";
}

Result<std::string> expression(const ColumnPolicy& p, const Checked& c, const std::string& col,
                               const std::string& type) {
  Family f = family_of(type);
  auto misfit = [&](std::string_view what) {
    return Error(ErrorKind::InvalidArgument, "PII policy for column " + p.column + ": generalize(" +
                                                 p.argument + ") needs " + std::string(what) + ", not " +
                                                 type);
  };
  switch (c.method) {
    case Method::Hash:
      return "silt_pii_hash(" + (f == Family::Blob ? col : as_text(col, f)) + ")";
    case Method::Mask:
      return "silt_pii_mask(" + as_text(col, f) + ", " + std::to_string(c.n) + ")";
    case Method::Null:
      return "CAST(NULL AS " + type + ")";
    case Method::Drop:
      return Error(ErrorKind::Internal, "dropped column has no expression");
    case Method::Generalize:
      break;
  }
  switch (c.shape) {
    case Checked::Shape::Period:
      if (f != Family::Temporal) return misfit("a DATE or TIMESTAMP column");
      // The period of the earliest dates starts before DATE's range: the outer try() makes that
      // NULL; the inner one hides the column's min/max from date_trunc, whose statistics
      // propagation would raise the same error while planning, outside any try().
      return "try(CAST(date_trunc('" + c.period + "', try(" + col + ")) AS " + type + "))";
    case Checked::Shape::Prefix:
      return "left(" + as_text(col, f) + ", " + std::to_string(c.n) + ")";
    case Checked::Shape::Band:
      if (f != Family::Integer && f != Family::OtherNumber) return misfit("a numeric column");
      return band(col, type, f, c.n);
    case Checked::Shape::None:
      break;
  }
  return Error(ErrorKind::Internal, "generalization without a shape");
}

// The policy of each column (nullptr: none), or an error for a policy that matches no column or
// a second policy for one column.
Result<std::vector<const ColumnPolicy*>> policy_per_column(
    const std::vector<ColumnPolicy>& policies,
    const std::vector<std::pair<std::string, std::string>>& columns) {
  std::vector<const ColumnPolicy*> by_column(columns.size(), nullptr);
  for (const auto& p : policies) {
    auto it = std::find_if(columns.begin(), columns.end(),
                           [&](auto& c) { return lower_ascii(c.first) == lower_ascii(p.column); });
    if (it == columns.end())
      return Error(ErrorKind::InvalidArgument,
                   "PII policy names column " + p.column + ", which the data does not have");
    auto& slot = by_column[it - columns.begin()];
    if (slot) return Error(ErrorKind::InvalidArgument, "two PII policies for column " + p.column);
    slot = &p;
  }
  return by_column;
}

}  // namespace

Result<ColumnPolicy> parse_policy(std::string_view column, std::string_view text) {
  std::string_view t = trim_view(text);
  size_t open = t.find('(');
  std::string name = lower_ascii(trim_view(t.substr(0, open)));
  std::string_view argument;
  if (open != std::string_view::npos) {
    if (t.back() != ')') return bad_policy(column, text, "missing closing parenthesis");
    argument = t.substr(open + 1, t.size() - open - 2);
  }
  static const std::pair<const char*, Method> kMethods[] = {{"hash", Method::Hash},
                                                            {"mask", Method::Mask},
                                                            {"generalize", Method::Generalize},
                                                            {"drop", Method::Drop},
                                                            {"null", Method::Null}};
  auto it = std::find_if(std::begin(kMethods), std::end(kMethods), [&](auto& m) { return name == m.first; });
  if (it == std::end(kMethods))
    return bad_policy(column, text,
                      "expected hash, mask(N), generalize(month|year|prefix:N|band:N), drop or null");
  if (it->second == Method::Generalize && trim_view(argument).empty())
    return bad_policy(column, text, "generalize takes month, year, prefix:N or band:N");
  ColumnPolicy policy{std::string(column), it->second, std::string(trim_view(argument))};
  SILT_TRY(check(policy));
  return policy;
}

Result<std::string> anonymized_select_list(const std::vector<ColumnPolicy>& policies,
                                           const std::vector<std::pair<std::string, std::string>>& columns) {
  SILT_ASSIGN_OR_RETURN(auto by_column, policy_per_column(policies, columns));
  std::string list;
  for (size_t i = 0; i < columns.size(); i++) {
    const auto& [name, type] = columns[i];
    std::string col = quote_ident(name);
    std::string expr = col;
    if (const ColumnPolicy* p = by_column[i]) {
      SILT_ASSIGN_OR_RETURN(Checked c, check(*p));
      if (c.method == Method::Drop) continue;
      SILT_ASSIGN_OR_RETURN(expr, expression(*p, c, col, type));
      expr += " AS " + col;
    }
    list += (list.empty() ? "" : ", ") + expr;
  }
  if (list.empty()) return Error(ErrorKind::InvalidArgument, "every column is dropped by its PII policy");
  return list;
}

Result<std::set<std::string>> protected_columns(
    const std::vector<ColumnPolicy>& policies,
    const std::vector<std::pair<std::string, std::string>>& columns) {
  SILT_ASSIGN_OR_RETURN(auto by_column, policy_per_column(policies, columns));
  std::set<std::string> out;
  for (size_t i = 0; i < columns.size(); i++) {
    if (by_column[i] && by_column[i]->method != Method::Drop) out.insert(columns[i].first);
  }
  return out;
}

}  // namespace silt::pii
