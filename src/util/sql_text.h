// Quoting for SQL text that silt generates for DuckDB. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace silt {

// 'text' with single quotes doubled.
std::string quote_literal(std::string_view s);
// "name" with double quotes doubled.
std::string quote_ident(std::string_view s);
// ['a', 'b'] as a DuckDB list literal of strings.
std::string string_list_literal(const std::vector<std::string>& items);

// Splits `text` at each `separator` outside quotes ('...', "...") and brackets ((), [], {});
// items are trimmed, empty ones kept (so callers can reject them).
std::vector<std::string> split_top_level(std::string_view text, char separator);
// `text` without leading and trailing whitespace (std::isspace).
std::string_view trim_view(std::string_view text);
std::string trim_text(std::string_view text);

// A query parenthesized for use as a subquery: "(query\n)". Trailing whitespace and semicolons
// are dropped (they would end the statement early); the newline ends a trailing -- comment,
// which would otherwise swallow the closing parenthesis.
std::string subquery(std::string_view query);

// `text` with ASCII letters lower-cased (names compare case-insensitively in Delta and DuckDB).
std::string lower_ascii(std::string_view text);

}  // namespace silt
