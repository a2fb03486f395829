// Writing JSON text by hand for the log and CLI output: string quoting with the escapes JSON
// requires. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace silt {

// "text" with quotes, backslashes and control characters escaped; UTF-8 passes through.
std::string json_quote(std::string_view s);
// Appends json_quote(s) to out.
void append_json_quoted(std::string& out, std::string_view s);

}  // namespace silt
