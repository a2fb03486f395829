// Delta path canonicalisation. See path.h.
#include "util/path.h"

#include <filesystem>

namespace silt {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' || c == '=' ||
         c == '+' || c == ':' || c == '@' || c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' ||
         c == ')' || c == '*' || c == ',' || c == ';';
}

// Scheme of a URI ("file", "s3", ...) or "" for a plain path.
std::string_view uri_scheme(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos || colon < 2) return {};  // "C:" style or none
  for (size_t i = 0; i < colon; i++) {
    char c = s[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) return {};
  }
  if (s.substr(colon, 2) != ":/") return {};
  return s.substr(0, colon);
}

// file:/x, file:///x and file://localhost/x -> /x (still percent-encoded).
Result<std::string_view> file_uri_path(std::string_view uri) {
  std::string_view rest = uri.substr(5);  // after "file:"
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    auto slash = rest.find('/');
    std::string_view host = rest.substr(0, slash);
    if (!host.empty() && host != "localhost") {
      return Error(ErrorKind::Unsupported, "file URI with a host is not supported: " + std::string(uri));
    }
    rest = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  }
  return rest;
}

}  // namespace

Result<std::string> url_decode(std::string_view s) {
  if (s.find('%') == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return Error(ErrorKind::Corruption, "malformed percent-escape in path: " + std::string(s));
    }
    out.push_back(char(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string url_encode_path(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (is_unreserved(c) && c != '%') {
      out.push_back(char(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string join_path(std::string_view a, std::string_view b) {
  std::string out(a);
  while (!out.empty() && out.back() == '/') out.pop_back();
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  out.push_back('/');
  out.append(b);
  return out;
}

Result<std::string> normalize_table_root(std::string_view location) {
  if (location.empty()) return Error(ErrorKind::InvalidArgument, "empty table path");
  std::string path;
  std::string_view scheme = uri_scheme(location);
  if (scheme == "file") {
    SILT_ASSIGN_OR_RETURN(std::string_view p, file_uri_path(location));
    SILT_ASSIGN_OR_RETURN(path, url_decode(p));
  } else if (!scheme.empty()) {
    return Error(ErrorKind::Unsupported,
                 "storage scheme '" + std::string(scheme) + "' is not supported (local paths only)");
  } else {
    path = std::string(location);
  }
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  if (ec) return Error(ErrorKind::InvalidArgument, "bad table path " + path + ": " + ec.message());
  std::string out = abs.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

Result<std::string> resolve_log_path(std::string_view table_root, std::string_view logged) {
  std::string_view scheme = uri_scheme(logged);
  if (scheme.empty()) {
    if (!logged.empty() && logged.front() == '/') return url_decode(logged);
    SILT_ASSIGN_OR_RETURN(std::string rel, url_decode(logged));
    return join_path(table_root, rel);
  }
  if (scheme != "file") {
    return Error(ErrorKind::Unsupported,
                 "data file on unsupported storage '" + std::string(scheme) + "': " + std::string(logged));
  }
  SILT_ASSIGN_OR_RETURN(std::string_view p, file_uri_path(logged));
  return url_decode(p);
}

}  // namespace silt
