// Check parsing and evaluation. See checks.h.
#include "pipeline/checks.h"

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
    check.aggregate = "count(*) FILTER (WHERE " + col + " IS NULL)";
  } else if (kind == "unique") {
    std::string cols = col;
    for (size_t i = 1; i < args.size(); i++) {
      SILT_ASSIGN_OR_RETURN(std::string c, column_arg(text, args[i]));
      cols += ", " + c;
    }
    check.count_sql = "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM self GROUP BY " + cols +
                      " HAVING count(*) > 1)";
    if (args.size() == 1) check.unique_column = col;
  } else if (kind == "accepted_values") {
    if (args.size() < 2) return bad_check(text, "accepted_values needs a column and at least one value");
    std::string values;
    for (size_t i = 1; i < args.size(); i++) values += (i > 1 ? ", " : "") + args[i];
    check.aggregate = "count(*) FILTER (WHERE " + col + " IS NOT NULL AND " + col + " NOT IN (" + values + "))";
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

// The values of the aggregate checks, all computed by one scan of `self`. When that statement
// fails, each is run alone so that the error names its check.
Result<std::map<size_t, int64_t>> aggregate_values(db::Connection& conn, const std::vector<Check>& checks) {
  std::string list;
  std::vector<size_t> which;
  for (size_t i = 0; i < checks.size(); i++) {
    if (checks[i].aggregate.empty()) continue;
    list += (list.empty() ? "" : ", ") + checks[i].aggregate;
    which.push_back(i);
  }
  std::map<size_t, int64_t> values;
  if (which.empty()) return values;
  auto rows = conn.query_text("SELECT " + list + " FROM self");
  if (rows.ok() && rows->size() == 1 && (*rows)[0].size() == which.size()) {
    for (size_t k = 0; k < which.size(); k++) values[which[k]] = parse_count((*rows)[0][k]);
    return values;
  }
  for (size_t i : which) {
    auto value = conn.scalar("SELECT " + checks[i].aggregate + " FROM self");
    if (!value.ok()) return value.error().with_context("check " + checks[i].text);
    values[i] = parse_count(*value);
  }
  return values;
}

// Integer types whose values bitstring_agg can take.
bool bitmap_type(const std::string& type) {
  for (const char* t : {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"})
    if (type == t) return true;
  return false;
}

// A unique(col) check on an integer column whose values span a modest range is proven with one
// bitmap of the range (DuckDB's bitstring_agg), which is an order of magnitude cheaper than
// grouping by the key. Returns 0 when every value is distinct, nullopt when the check must be
// counted exactly (duplicates or two NULLs exist, or the shortcut does not apply).
Result<std::optional<int64_t>> unique_by_bitmap(db::Connection& conn, const std::string& column) {
  const std::optional<int64_t> kExact;
  constexpr int64_t kMaxRangeBits = int64_t(1) << 28;  // 32 MiB of bitmap per DuckDB thread
  SILT_ASSIGN_OR_RETURN(auto described, conn.query_text("DESCRIBE SELECT " + column + " FROM self"));
  if (described.size() != 1 || !bitmap_type(described[0][1].value_or(""))) return kExact;
  std::string type = *described[0][1];
  SILT_ASSIGN_OR_RETURN(auto range, conn.query_text("SELECT min(" + column + "), max(" + column + ") FROM self"));
  if (range.empty() || !range[0][0] || !range[0][1]) return kExact;  // no values: exact count is cheap
  int64_t lo = parse_count(range[0][0]), hi = parse_count(range[0][1]);
  if (static_cast<__int128>(hi) - lo >= kMaxRangeBits) return kExact;
  SILT_ASSIGN_OR_RETURN(
      auto counts,
      conn.query_text("SELECT count(" + column + ") - bit_count(bitstring_agg(" + column + ", CAST(" +
                      *range[0][0] + " AS " + type + "), CAST(" + *range[0][1] + " AS " + type +
                      "))), count(*) - count(" + column + ") FROM self"));
  if (counts.size() != 1 || parse_count(counts[0][0]) != 0 || parse_count(counts[0][1]) > 1) return kExact;
  return std::optional<int64_t>(0);
}

}  // namespace

Result<std::vector<CheckResult>> run_checks(db::Connection& conn, const std::vector<Check>& checks) {
  SILT_ASSIGN_OR_RETURN(auto aggregates, aggregate_values(conn, checks));
  std::vector<CheckResult> results;
  for (size_t i = 0; i < checks.size(); i++) {
    const Check& check = checks[i];
    CheckResult r;
    r.check = check.text;
    r.blocking = check.blocking;
    std::optional<int64_t> proven;
    if (!check.unique_column.empty()) {
      auto shortcut = unique_by_bitmap(conn, check.unique_column);
      if (!shortcut.ok()) return shortcut.error().with_context("check " + check.text);
      proven = *shortcut;
    }
    if (proven) {
      r.value = *proven;
    } else if (check.aggregate.empty()) {
      auto value = conn.scalar(check.count_sql);
      if (!value.ok()) return value.error().with_context("check " + check.text);
      r.value = parse_count(*value);
    } else {
      r.value = aggregates.at(i);
    }
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
