// SQL quoting. See sql_text.h.
#include "util/sql_text.h"

#include <cctype>

namespace silt {
namespace {

std::string quote_with(std::string_view s, char q) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back(q);
  for (char c : s) {
    out.push_back(c);
    if (c == q) out.push_back(q);
  }
  out.push_back(q);
  return out;
}

}  // namespace

std::string quote_literal(std::string_view s) { return quote_with(s, '\''); }
std::string quote_ident(std::string_view s) { return quote_with(s, '"'); }

std::string string_list_literal(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); i++) {
    if (i) out += ", ";
    out += quote_literal(items[i]);
  }
  out += "]";
  return out;
}

std::string trim_text(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) b++;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) e--;
  return std::string(text.substr(b, e - b));
}

std::vector<std::string> split_top_level(std::string_view text, char separator) {
  std::vector<std::string> out;
  int depth = 0;
  char quote = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); i++) {
    char c = text[i];
    if (quote) {
      if (c == quote) quote = 0;  // a doubled quote reopens at the next character
      continue;
    }
    if (c == '\'' || c == '"') quote = c;
    if (c == '(' || c == '[' || c == '{') depth++;
    if (c == ')' || c == ']' || c == '}') depth--;
    if (c == separator && depth == 0) {
      out.push_back(trim_text(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim_text(text.substr(start)));
  return out;
}

}  // namespace silt
