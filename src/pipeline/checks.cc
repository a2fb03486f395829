// Check parsing and evaluation. See checks.h.
#include "pipeline/checks.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

#include "util/json_text.h"
#include "util/sql_text.h"

namespace silt::pipeline {
namespace {

Error bad_check(std::string_view text, const std::string& why) {
  return Error(ErrorKind::InvalidArgument, "bad check '" + std::string(text) + "': " + why);
}

// A column argument as written (an identifier, possibly quoted); never a whole expression.
Result<std::string> column_arg(std::string_view check, const std::string& arg) {
  if (arg.empty()) return bad_check(check, "missing column");
  bool quoted = arg.size() >= 2 && arg.front() == '"' && arg.back() == '"';
  if (!quoted)
    for (char c : arg)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
        return bad_check(check, "not a column name: " + arg);
  return arg;
}

// The column's name when written as a plain identifier; empty when quoted.
std::string plain_column(const std::string& arg) { return arg.front() == '"' ? std::string() : arg; }

Result<int64_t> number_arg(std::string_view check, const std::string& text) {
  // Accepts integers and scientific notation such as 1e9.
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return bad_check(check, "not a number: " + text);
  return static_cast<int64_t>(v);
}

Status build_row_count(Check& check, std::string_view text, const std::vector<std::string>& args) {
  check.aggregate = "count(*)";
  check.min = 0;
  check.max = INT64_MAX;
  for (const auto& arg : args) {
    if (arg.empty()) continue;
    auto eq = arg.find('=');
    if (eq == std::string::npos) return bad_check(text, "expected min=N or max=N");
    std::string key = trim_text(arg.substr(0, eq));
    SILT_ASSIGN_OR_RETURN(int64_t n, number_arg(text, trim_text(arg.substr(eq + 1))));
    if (key == "min") {
      check.min = n;
    } else if (key == "max") {
      check.max = n;
    } else {
      return bad_check(text, "unknown argument " + key);
    }
  }
  return ok_status();
}

Status build(Check& check, std::string_view text, const std::string& kind,
             const std::vector<std::string>& args) {
  if (kind == "row_count") return build_row_count(check, text, args);
  if (kind == "sql") {
    if (args.size() != 1 || args[0].empty()) return bad_check(text, "sql(...) takes one SELECT");
    check.count_sql = "SELECT count(*) FROM (" + args[0] + ")";
    return ok_status();
  }
  if (args.empty()) return bad_check(text, "missing column");
  SILT_ASSIGN_OR_RETURN(std::string col, column_arg(text, args[0]));
  if (kind == "not_null") {
    if (args.size() != 1) return bad_check(text, "not_null takes one column");
    check.column = plain_column(col);
    check.aggregate = "count(*) FILTER (WHERE " + col + " IS NULL)";
  } else if (kind == "unique") {
    std::string cols = col;
    for (size_t i = 1; i < args.size(); i++) {
      SILT_ASSIGN_OR_RETURN(std::string c, column_arg(text, args[i]));
      cols += ", " + c;
    }
    check.count_sql = "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM self GROUP BY " + cols +
                      " HAVING count(*) > 1)";
    if (args.size() == 1) check.column = plain_column(col);
  } else if (kind == "accepted_values") {
    if (args.size() < 2) return bad_check(text, "accepted_values needs a column and at least one value");
    std::string values;
    for (size_t i = 1; i < args.size(); i++) values += (i > 1 ? ", " : "") + args[i];
    check.aggregate =
        "count(*) FILTER (WHERE " + col + " IS NOT NULL AND " + col + " NOT IN (" + values + "))";
  } else if (kind == "freshness") {
    if (args.size() != 2) return bad_check(text, "freshness takes a column and an age, e.g. 2 days");
    check.aggregate = "CASE WHEN max(" + col + ") >= now()::TIMESTAMP - INTERVAL " + quote_literal(args[1]) +
                      " THEN 0 ELSE 1 END";
  } else {
    return bad_check(text, "unknown check " + kind +
                               " (expected not_null, unique, accepted_values, row_count, freshness, sql)");
  }
  return ok_status();
}

}  // namespace

Result<Check> parse_check(std::string_view text_in) {
  std::string text = trim_text(text_in);
  Check check;
  check.text = text;
  std::string_view body = text;
  if (body.starts_with("warn ")) {
    check.blocking = false;
    body = body.substr(5);
    while (!body.empty() && body.front() == ' ') body.remove_prefix(1);
  }
  auto open = body.find('(');
  if (open == std::string_view::npos || body.back() != ')')
    return bad_check(text, "expected name(arguments)");
  std::string kind = trim_text(body.substr(0, open));
  std::string inner(body.substr(open + 1, body.size() - open - 2));
  std::vector<std::string> args =
      kind == "sql" ? std::vector<std::string>{trim_text(inner)} : split_top_level(inner, ',');
  if (args.size() == 1 && args[0].empty() && kind != "sql") args.clear();
  SILT_TRY(build(check, text, kind, args));
  check.kind = kind;
  return check;
}

Result<std::vector<Check>> parse_checks(std::string_view text) {
  std::vector<Check> out;
  for (const auto& item : split_top_level(text, ';')) {
    if (item.empty()) continue;
    SILT_ASSIGN_OR_RETURN(auto check, parse_check(item));
    out.push_back(std::move(check));
  }
  return out;
}

namespace {

int64_t parse_count(const std::optional<std::string>& text) {
  int64_t v = 0;
  if (text) std::from_chars(text->data(), text->data() + text->size(), v);
  return v;
}

// Integer types whose values bitstring_agg can take.
bool bitmap_type(const std::string& type) {
  for (const char* t : {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"})
    if (type == t) return true;
  return false;
}

// A unique(col) check on an integer column whose values span a modest range is proven with one
// bitmap of the range (DuckDB's bitstring_agg), an order of magnitude cheaper than grouping by
// the key. Returns two aggregates for the shared scan: values minus distinct values, and NULLs
// (GROUP BY makes one group of them); both small enough mean the check's value is 0. Nothing
// when the shortcut does not apply and the check must be counted exactly.
Result<std::optional<std::pair<std::string, std::string>>> bitmap_aggregates(
    db::Connection& conn, const std::string& column, const KnownFacts::Column* facts) {
  const std::optional<std::pair<std::string, std::string>> kExact;
  // Each DuckDB thread holds a bitmap of the range, outside DuckDB's memory limit: 64 MiB in all.
  SILT_ASSIGN_OR_RETURN(auto threads, conn.scalar("SELECT current_setting('threads')"));
  const int64_t kMaxRangeBits = (int64_t(64) << 23) / std::max<int64_t>(1, parse_count(threads));
  SILT_ASSIGN_OR_RETURN(auto described, conn.query_text("DESCRIBE SELECT " + column + " FROM self"));
  if (described.size() != 1 || !bitmap_type(described[0][1].value_or(""))) return kExact;
  std::string type = *described[0][1];
  std::optional<int64_t> lo, hi;
  if (facts && facts->min && facts->max) {
    lo = facts->min, hi = facts->max;
  } else {
    SILT_ASSIGN_OR_RETURN(auto range,
                          conn.query_text("SELECT min(" + column + "), max(" + column + ") FROM self"));
    if (range.empty() || !range[0][0] || !range[0][1]) return kExact;  // no values: exact count is cheap
    lo = parse_count(range[0][0]), hi = parse_count(range[0][1]);
  }
  if (static_cast<__int128>(*hi) - *lo >= kMaxRangeBits) return kExact;
  auto literal = [&](int64_t v) { return "CAST(" + std::to_string(v) + " AS " + type + ")"; };
  return std::optional(std::make_pair("count(" + column + ") - bit_count(bitstring_agg(" + column + ", " +
                                          literal(*lo) + ", " + literal(*hi) + "))",
                                      "count(*) - count(" + column + ")"));
}

// What the statistics already say for a check: row_count from the row count, not_null from the
// columns' null counts.
std::optional<int64_t> known_value(const Check& check, const KnownFacts& known) {
  if (check.kind == "row_count") return known.rows;
  if (check.kind != "not_null" || check.column.empty()) return std::nullopt;
  auto it = known.columns.find(lower_ascii(check.column));
  return it == known.columns.end() ? std::nullopt : it->second.null_count;
}

}  // namespace

Result<std::vector<CheckResult>> run_checks(db::Connection& conn, const std::vector<Check>& checks,
                                            const KnownFacts& known) {
  std::vector<std::optional<int64_t>> values(checks.size());
  // One scan computes every aggregate; `owner` says which check each belongs to, `first_at`
  // where a check's own (one, or a bitmap's two) begin.
  std::vector<std::string> aggregates;
  std::vector<size_t> owner;
  std::map<size_t, size_t> first_at;
  for (size_t i = 0; i < checks.size(); i++) {
    const Check& check = checks[i];
    if ((values[i] = known_value(check, known))) continue;
    if (!check.aggregate.empty()) {
      first_at[i] = aggregates.size();
      aggregates.push_back(check.aggregate);
      owner.push_back(i);
    } else if (check.kind == "unique" && !check.column.empty()) {
      auto it = known.columns.find(lower_ascii(check.column));
      auto bitmap = bitmap_aggregates(conn, check.column, it == known.columns.end() ? nullptr : &it->second);
      if (!bitmap.ok()) return bitmap.error().with_context("check " + check.text);
      if (!*bitmap) continue;
      first_at[i] = aggregates.size();
      aggregates.insert(aggregates.end(), {(*bitmap)->first, (*bitmap)->second});
      owner.insert(owner.end(), {i, i});
    }
  }
  std::vector<int64_t> computed(aggregates.size());
  if (!aggregates.empty()) {
    std::string list;
    for (const auto& a : aggregates) list += (list.empty() ? "" : ", ") + a;
    auto rows = conn.query_text("SELECT " + list + " FROM self");
    if (rows.ok() && rows->size() == 1 && (*rows)[0].size() == aggregates.size()) {
      for (size_t k = 0; k < aggregates.size(); k++) computed[k] = parse_count((*rows)[0][k]);
    } else {
      // Each alone, so that the error names its check.
      for (size_t k = 0; k < aggregates.size(); k++) {
        auto value = conn.scalar("SELECT " + aggregates[k] + " FROM self");
        if (!value.ok()) return value.error().with_context("check " + checks[owner[k]].text);
        computed[k] = parse_count(*value);
      }
    }
  }
  std::vector<CheckResult> results;
  for (size_t i = 0; i < checks.size(); i++) {
    const Check& check = checks[i];
    if (auto at = first_at.find(i); !values[i] && at != first_at.end()) {
      size_t k = at->second;
      if (!check.aggregate.empty())
        values[i] = computed[k];
      else if (computed[k] == 0 && computed[k + 1] <= 1)  // the bitmap proved every value distinct
        values[i] = 0;
    }
    if (!values[i]) {
      auto value = conn.scalar(check.count_sql);
      if (!value.ok()) return value.error().with_context("check " + check.text);
      values[i] = parse_count(*value);
    }
    CheckResult r;
    r.check = check.text;
    r.blocking = check.blocking;
    r.value = *values[i];
    r.passed = r.value >= check.min && r.value <= check.max;
    results.push_back(std::move(r));
  }
  return results;
}

std::string checks_json(const std::vector<CheckResult>& results) {
  std::string out = "[";
  for (size_t i = 0; i < results.size(); i++) {
    const auto& r = results[i];
    if (i) out += ",";
    out += "{\"check\":";
    append_json_quoted(out, r.check);
    out += ",\"passed\":" + std::string(r.passed ? "true" : "false") +
           ",\"blocking\":" + std::string(r.blocking ? "true" : "false") +
           ",\"value\":" + std::to_string(r.value) + "}";
  }
  return out + "]";
}

}  // namespace silt::pipeline
