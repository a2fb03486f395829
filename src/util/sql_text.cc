// SQL quoting. See sql_text.h.
#include "util/sql_text.h"

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

}  // namespace silt
