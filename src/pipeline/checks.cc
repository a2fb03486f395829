// Check parsing and evaluation. See checks.h.
#include "pipeline/checks.h"

#include <charconv>

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
  check.count_sql = "SELECT count(*) FROM self";
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
    check.count_sql = "SELECT count(*) FROM self WHERE " + col + " IS NULL";
  } else if (kind == "unique") {
    std::string cols = col;
    for (size_t i = 1; i < args.size(); i++) {
      SILT_ASSIGN_OR_RETURN(std::string c, column_arg(text, args[i]));
      cols += ", " + c;
    }
    check.count_sql = "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM self GROUP BY " + cols +
                      " HAVING count(*) > 1)";
  } else if (kind == "accepted_values") {
    if (args.size() < 2) return bad_check(text, "accepted_values needs a column and at least one value");
    std::string values;
    for (size_t i = 1; i < args.size(); i++) values += (i > 1 ? ", " : "") + args[i];
    check.count_sql =
        "SELECT count(*) FROM self WHERE " + col + " IS NOT NULL AND " + col + " NOT IN (" + values + ")";
  } else if (kind == "freshness") {
    if (args.size() != 2) return bad_check(text, "freshness takes a column and an age, e.g. 2 days");
    check.count_sql = "SELECT CASE WHEN max(" + col + ") >= now()::TIMESTAMP - INTERVAL " +
                      quote_literal(args[1]) + " THEN 0 ELSE 1 END FROM self";
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

Result<std::vector<CheckResult>> run_checks(db::Connection& conn, const std::vector<Check>& checks) {
  std::vector<CheckResult> results;
  for (const auto& check : checks) {
    auto value = conn.scalar(check.count_sql);
    if (!value.ok()) return value.error().with_context("check " + check.text);
    CheckResult r;
    r.check = check.text;
    r.blocking = check.blocking;
    if (*value) {
      auto& s = **value;
      std::from_chars(s.data(), s.data() + s.size(), r.value);
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
