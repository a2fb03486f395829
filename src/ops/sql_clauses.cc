// SET assignments and condition splitting: a small scanner that knows where strings, quoted
// identifiers and brackets start and end, so separators inside them are ignored.
#include "ops/sql_clauses.h"

#include <cctype>

#include "util/sql_text.h"

namespace silt::ops {
namespace {

// Offsets of the characters of `text` outside strings, quoted identifiers and brackets. A
// doubled quote inside a string closes and reopens it, which skips it correctly.
std::vector<size_t> top_level_offsets(std::string_view text) {
  std::vector<size_t> out;
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < text.size(); i++) {
    char c = text[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '(' || c == '[' || c == '{') {
      depth++;
    } else if (c == ')' || c == ']' || c == '}') {
      depth--;
    } else if (depth == 0) {
      out.push_back(i);
    }
  }
  return out;
}

// The first top-level '=' that is an assignment, not part of a comparison operator.
size_t assignment_sign(std::string_view item) {
  for (size_t i : top_level_offsets(item)) {
    if (item[i] != '=') continue;
    char before = i > 0 ? item[i - 1] : ' ', after = i + 1 < item.size() ? item[i + 1] : ' ';
    if (std::string_view("<>!=:").find(before) == std::string_view::npos && after != '=' && after != '>')
      return i;
  }
  return std::string_view::npos;
}

}  // namespace

std::string unquote_identifier(std::string name) {
  if (name.size() < 2 || name.front() != '"' || name.back() != '"') return name;
  std::string out;
  for (size_t i = 1; i + 1 < name.size(); i++) {
    out += name[i];
    if (name[i] == '"') i++;  // "" stands for one quote
  }
  return out;
}

std::vector<Keyword> top_level_keywords(std::string_view text) {
  std::vector<Keyword> out;
  auto is_word = [](char c) { return std::isalnum((unsigned char)c) || c == '_'; };
  int case_depth = 0;
  size_t end = 0;  // end of the last word seen
  for (size_t i : top_level_offsets(text)) {
    if (i < end || !is_word(text[i]) || (i > 0 && is_word(text[i - 1]))) continue;
    end = i;
    while (end < text.size() && is_word(text[end])) end++;
    std::string word(text.substr(i, end - i));
    for (char& c : word) c = char(std::toupper((unsigned char)c));
    if (word == "CASE") {
      case_depth++;
    } else if (word == "END" && case_depth > 0) {
      case_depth--;
    } else if (case_depth == 0) {
      out.push_back({i, std::move(word)});
    }
  }
  return out;
}

std::vector<std::string> split_conjuncts(std::string_view condition) {
  auto words = top_level_keywords(condition);
  // OR binds looser than AND, and the AND of BETWEEN is no conjunction: such text stays whole.
  for (const Keyword& w : words)
    if (w.word == "OR" || w.word == "BETWEEN") return {trim_text(condition)};
  std::vector<std::string> out;
  size_t start = 0;
  for (const Keyword& w : words) {
    if (w.word != "AND") continue;
    out.push_back(trim_text(condition.substr(start, w.offset - start)));
    start = w.offset + 3;
  }
  out.push_back(trim_text(condition.substr(start)));
  return out;
}

Result<std::vector<Assignment>> parse_assignments(std::string_view set_clause) {
  std::vector<Assignment> out;
  for (std::string_view item : split_top_level(set_clause, ',')) {
    size_t eq = assignment_sign(item);
    if (eq == std::string_view::npos) {
      return Error(ErrorKind::InvalidArgument,
                   "SET item '" + trim_text(item) + "' is not of the form column = expression");
    }
    Assignment a{unquote_identifier(trim_text(item.substr(0, eq))), trim_text(item.substr(eq + 1))};
    if (a.column.empty() || a.expression.empty()) {
      return Error(ErrorKind::InvalidArgument,
                   "SET item '" + trim_text(item) + "' is not of the form column = expression");
    }
    out.push_back(std::move(a));
  }
  return out;
}

Result<ColumnValues> bind_assignments(const delta::StructType& schema, const std::vector<Assignment>& set,
                                      const std::string& clause) {
  if (set.empty()) return Error(ErrorKind::InvalidArgument, clause + " needs at least one assignment");
  ColumnValues out;
  for (const Assignment& a : set) {
    const delta::StructField* f = delta::find_field(schema, a.column);
    if (!f)
      return Error(ErrorKind::InvalidArgument, clause + " " + a.column + ": the table has no such column");
    if (!out.emplace(f->name, a.expression).second)
      return Error(ErrorKind::InvalidArgument, clause + " " + a.column + ": column assigned more than once");
  }
  return out;
}

std::string cast_to_column(const delta::StructField& field, const std::string& expression) {
  return "CAST((" + expression + ") AS " + delta::duckdb_type(field.type) + ")";
}

}  // namespace silt::ops
