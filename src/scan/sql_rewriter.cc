// A small SQL lexer: enough to tell code from strings and comments, to find identifiers
// followed by "(", and to find the matching ")". DuckDB parses the rewritten text for real.
#include "scan/sql_rewriter.h"

#include <algorithm>
#include <cctype>

#include "util/sql_text.h"

namespace silt::scan {
namespace {

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }

// If s[i] starts a string, quoted identifier or comment, returns the index just past it;
// otherwise returns i. An unterminated one runs to the end (DuckDB reports the error).
size_t skip_non_code(std::string_view s, size_t i) {
  char c = s[i];
  if (c == '\'' || c == '"') {
    bool backslash =
        c == '\'' && i > 0 && (s[i - 1] == 'e' || s[i - 1] == 'E') && (i < 2 || !ident_char(s[i - 2]));
    for (size_t j = i + 1; j < s.size(); j++) {
      if (backslash && s[j] == '\\') {
        j++;
        continue;
      }
      if (s[j] == c) {
        if (j + 1 < s.size() && s[j + 1] == c) {
          j++;
          continue;
        }
        return j + 1;
      }
    }
    return s.size();
  }
  if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
    size_t end = s.find('\n', i);
    return end == std::string_view::npos ? s.size() : end + 1;
  }
  if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
    size_t end = s.find("*/", i + 2);
    return end == std::string_view::npos ? s.size() : end + 2;
  }
  if (c == '$' && (i == 0 || !ident_char(s[i - 1]))) {
    size_t j = i + 1;
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) j++;
    if (j < s.size() && s[j] == '$') {
      std::string_view tag = s.substr(i, j - i + 1);
      size_t end = s.find(tag, j + 1);
      return end == std::string_view::npos ? s.size() : end + tag.size();
    }
  }
  return i;
}

// Splits the text between the call's parentheses into arguments.
Result<std::vector<TableFunctionArg>> parse_args(std::string_view inner) {
  std::vector<TableFunctionArg> args;
  int depth = 0;
  size_t start = 0;
  auto flush = [&](size_t end) -> Status {
    std::string text = trim_text(inner.substr(start, end - start));
    if (text.empty()) {
      if (end == inner.size() && args.empty()) return ok_status();
      return Error(ErrorKind::InvalidArgument, "empty argument in table function call");
    }
    TableFunctionArg arg;
    size_t i = 0;
    while (i < text.size() && ident_char(text[i])) i++;
    size_t k = i;
    while (k < text.size() && std::isspace(static_cast<unsigned char>(text[k]))) k++;
    if (i > 0 && ident_start(text[0]) && (text.compare(k, 2, "=>") == 0 || text.compare(k, 2, ":=") == 0)) {
      arg.name = text.substr(0, i);
      std::transform(arg.name.begin(), arg.name.end(), arg.name.begin(), ::tolower);
      arg.expr = trim_text(std::string_view(text).substr(k + 2));
    } else {
      arg.expr = text;
    }
    args.push_back(std::move(arg));
    return ok_status();
  };
  for (size_t i = 0; i < inner.size();) {
    size_t j = skip_non_code(inner, i);
    if (j != i) {
      i = j;
      continue;
    }
    char c = inner[i];
    if (c == '(' || c == '[' || c == '{') depth++;
    if (c == ')' || c == ']' || c == '}') depth--;
    if (c == ',' && depth == 0) {
      SILT_TRY(flush(i));
      start = i + 1;
    }
    i++;
  }
  SILT_TRY(flush(inner.size()));
  return args;
}

// Index of the ")" matching the "(" at `open`, or npos.
size_t matching_paren(std::string_view s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size();) {
    size_t j = skip_non_code(s, i);
    if (j != i) {
      i = j;
      continue;
    }
    if (s[i] == '(') depth++;
    if (s[i] == ')' && --depth == 0) return i;
    i++;
  }
  return std::string_view::npos;
}

}  // namespace

Result<std::string> rewrite_table_functions(std::string_view sql, const std::vector<std::string>& functions,
                                            const CallExpander& expand) {
  std::string out;
  out.reserve(sql.size());
  size_t copied = 0;
  for (size_t i = 0; i < sql.size();) {
    size_t j = skip_non_code(sql, i);
    if (j != i) {
      i = j;
      continue;
    }
    if (!ident_start(sql[i]) || (i > 0 && (ident_char(sql[i - 1]) || sql[i - 1] == '.'))) {
      i++;
      continue;
    }
    size_t end = i;
    while (end < sql.size() && ident_char(sql[end])) end++;
    std::string name(sql.substr(i, end - i));
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    size_t open = end;
    while (open < sql.size() && std::isspace(static_cast<unsigned char>(sql[open]))) open++;
    if (open >= sql.size() || sql[open] != '(' ||
        std::find(functions.begin(), functions.end(), name) == functions.end()) {
      i = end;
      continue;
    }
    size_t close = matching_paren(sql, open);
    if (close == std::string_view::npos) {
      return Error(ErrorKind::InvalidArgument, "unbalanced parentheses in call to " + name);
    }
    TableFunctionCall call;
    call.function = name;
    SILT_ASSIGN_OR_RETURN(call.args, parse_args(sql.substr(open + 1, close - open - 1)));
    SILT_ASSIGN_OR_RETURN(std::string replacement, expand(call));
    out.append(sql.substr(copied, i - copied));
    out.append(replacement);
    copied = close + 1;
    i = close + 1;
  }
  out.append(sql.substr(copied));
  return out;
}

namespace {

std::string lower_copy(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ::tolower);
  return out;
}

bool is_clause_end(const std::string& word) {
  static const char* const kWords[] = {
      "where",     "group",   "order",      "having", "limit",   "on",   "using",   "union",  "except",
      "intersect", "qualify", "window",     "select", "natural", "left", "right",   "inner",  "full",
      "cross",     "join",    "positional", "asof",   "anti",    "semi", "lateral", "offset", "returning"};
  for (const char* w : kWords)
    if (word == w) return true;
  return false;
}

}  // namespace

TableReferences find_table_references(std::string_view sql) {
  TableReferences refs;
  // Per open parenthesis: whether it belongs to a call with FROM syntax (not a clause there)
  // and whether its FROM list is still open (a comma then starts another table).
  struct Level {
    bool call = false;
    bool in_from_list = false;
  };
  std::vector<Level> levels(1);
  bool expect_table = false;
  std::string prev_word;
  for (size_t i = 0; i < sql.size();) {
    size_t j = skip_non_code(sql, i);
    if (j != i) {
      i = j;
      continue;
    }
    char c = sql[i];
    if (c == '(') {
      // Only these functions take FROM inside their parentheses.
      bool call =
          prev_word == "extract" || prev_word == "substring" || prev_word == "trim" || prev_word == "overlay";
      levels.push_back({call, false});
      expect_table = false;
      prev_word.clear();
      i++;
      continue;
    }
    if (c == ')') {
      if (levels.size() > 1) levels.pop_back();
      prev_word.clear();
      i++;
      continue;
    }
    if (c == ',' && levels.back().in_from_list) expect_table = true;
    if (!ident_start(c) || (i > 0 && (ident_char(sql[i - 1]) || sql[i - 1] == '.'))) {
      if (!std::isspace(static_cast<unsigned char>(c))) prev_word.clear();
      i++;
      continue;
    }
    // A dotted chain of unquoted identifiers.
    TableReference ref;
    ref.begin = i;
    size_t end = i;
    while (true) {
      size_t start = end;
      while (end < sql.size() && ident_char(sql[end])) end++;
      ref.parts.push_back(lower_copy(sql.substr(start, end - start)));
      if (end + 1 < sql.size() && sql[end] == '.' && ident_start(sql[end + 1])) {
        end++;
        continue;
      }
      break;
    }
    ref.end = end;
    size_t next = end;
    while (next < sql.size() && std::isspace(static_cast<unsigned char>(sql[next]))) next++;
    bool followed_by_paren = next < sql.size() && sql[next] == '(';
    const std::string& word = ref.parts.front();
    if (ref.parts.size() == 1 && word == "as" && followed_by_paren && !prev_word.empty() &&
        prev_word != "as") {
      refs.ctes.push_back(prev_word);
    }
    if (ref.parts.size() == 1 && (word == "from" || word == "join")) {
      bool clause = !levels.back().call && prev_word != "distinct";
      expect_table = clause;
      if (clause && word == "from") levels.back().in_from_list = true;
    } else if (expect_table) {
      if (!followed_by_paren && !(ref.parts.size() == 1 && word == "lateral")) refs.tables.push_back(ref);
      expect_table = false;
    } else if (ref.parts.size() == 1 && is_clause_end(word)) {
      levels.back().in_from_list = false;
    }
    prev_word = ref.parts.size() == 1 ? word : std::string();
    i = end;
  }
  return refs;
}

std::vector<std::string> split_statements(std::string_view sql) {
  std::vector<std::string> out;
  size_t start = 0;
  auto flush = [&](size_t end) {
    std::string stmt = trim_text(sql.substr(start, end - start));
    // A statement that is only comments is dropped too.
    bool has_code = false;
    for (size_t i = 0; i < stmt.size();) {
      size_t j = skip_non_code(stmt, i);
      if (j != i && (stmt[i] == '-' || stmt[i] == '/')) {
        i = j;
        continue;
      }
      if (!std::isspace(static_cast<unsigned char>(stmt[i]))) {
        has_code = true;
        break;
      }
      i++;
    }
    if (has_code) out.push_back(std::move(stmt));
  };
  for (size_t i = 0; i < sql.size();) {
    size_t j = skip_non_code(sql, i);
    if (j != i) {
      i = j;
      continue;
    }
    if (sql[i] == ';') {
      flush(i);
      start = i + 1;
    }
    i++;
  }
  flush(sql.size());
  return out;
}

}  // namespace silt::scan
