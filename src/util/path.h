// Path and URL helpers for Delta file paths: the log stores data paths as RFC 2396 URIs
// (relative and percent-encoded, or absolute such as file:///...). Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace silt {

// Decodes %XX escapes; Corruption on a malformed escape.
Result<std::string> url_decode(std::string_view s);
// Percent-encodes what Delta writers escape in paths (keeps unreserved chars and '/').
std::string url_encode_path(std::string_view s);
// a + "/" + b with exactly one slash between.
std::string join_path(std::string_view a, std::string_view b);
// Absolute, normalized directory path for a user-supplied table location (local only):
// accepts plain paths and file:// URIs; strips trailing slashes.
Result<std::string> normalize_table_root(std::string_view location);
// Resolves a path from the log against the table root to a local filesystem path.
// Relative paths are URL-decoded and joined; file: URIs are decoded; other schemes are
// Unsupported (named).
Result<std::string> resolve_log_path(std::string_view table_root, std::string_view logged);

}  // namespace silt
