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

std::string_view trim_view(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::string trim_text(std::string_view text) { return std::string(trim_view(text)); }

std::string subquery(std::string_view query) {
  while (!query.empty() && (std::isspace(static_cast<unsigned char>(query.back())) || query.back() == ';'))
    query.remove_suffix(1);
  return "(" + std::string(query) + "\n)";
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
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
