// Setting validation per source kind and password lookup. Passwords only ever travel from the
// environment or a file into ServerSettings::password; no message is built from them.
#include "sources/server_settings.h"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace silt::sources {
namespace {

const std::set<std::string> kServerKeys = {"host",         "port",          "database",         "user",
                                           "password_env", "password_file", "connect_timeout_s"};
const std::set<std::string> kSqliteKeys = {"path"};

Error bad(const SourceConfig& s, const std::string& what) {
  return Error(ErrorKind::InvalidArgument, "source " + s.name + ": " + what);
}

std::optional<int> parse_int(const std::string& text) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string setting(const SourceConfig& s, const std::string& key, const std::string& fallback = {}) {
  auto it = s.settings.find(key);
  return it == s.settings.end() ? fallback : it->second;
}

Result<std::optional<std::string>> lookup_password(const SourceConfig& s) {
  if (auto it = s.settings.find("password_env"); it != s.settings.end()) {
    const char* v = std::getenv(it->second.c_str());
    if (!v)
      return Error(ErrorKind::InvalidArgument,
                   "environment variable " + it->second + " (password_env) is not set");
    return std::optional<std::string>(v);
  }
  if (auto it = s.settings.find("password_file"); it != s.settings.end()) {
    std::ifstream in(it->second, std::ios::binary);
    std::stringstream text;
    if (!in || !(text << in.rdbuf())) return Error(ErrorKind::Io, "cannot read password_file " + it->second);
    std::string pw = text.str();
    if (!pw.empty() && pw.back() == '\n') pw.pop_back();
    if (!pw.empty() && pw.back() == '\r') pw.pop_back();
    return std::optional<std::string>(std::move(pw));
  }
  return std::optional<std::string>();
}

}  // namespace

Status validate(const SourceConfig& s) {
  const std::set<std::string>* keys = nullptr;
  std::vector<std::string> required;
  if (s.kind == "sqlite") {
    keys = &kSqliteKeys;
    required = {"path"};
  } else if (s.kind == "postgres" || s.kind == "firebird") {
    keys = &kServerKeys;
    required = {"host", "database", "user"};
  } else {
    return bad(s, "unknown kind '" + s.kind + "' (expected sqlite, postgres or firebird)");
  }
  for (const auto& [key, value] : s.settings) {
    // The value of a misplaced password is never repeated back.
    if (key == "password")
      return bad(s,
                 "setting password is not accepted: name an environment variable (password_env) or a file "
                 "(password_file)");
    if (!keys->count(key)) return bad(s, "unknown setting " + key + " for a " + s.kind + " source");
  }
  for (const std::string& key : required) {
    if (setting(s, key).empty()) return bad(s, "missing setting " + key);
  }
  if (s.settings.count("password_env") && s.settings.count("password_file"))
    return bad(s, "set password_env or password_file, not both");
  if (s.settings.count("port")) {
    auto port = parse_int(setting(s, "port"));
    if (!port || *port < 1 || *port > 65535) return bad(s, "port must be a number from 1 to 65535");
  }
  if (s.settings.count("connect_timeout_s")) {
    auto t = parse_int(setting(s, "connect_timeout_s"));
    if (!t || *t < 1) return bad(s, "connect_timeout_s must be a whole number of seconds, at least 1");
  }
  return ok_status();
}

std::string ServerSettings::scrub(std::string message) const {
  if (password && !password->empty()) {
    for (size_t at; (at = message.find(*password)) != std::string::npos;)
      message.replace(at, password->size(), "***");
  }
  for (char& c : message) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  while (!message.empty() && message.back() == ' ') message.pop_back();
  return message;
}

Result<ServerSettings> server_settings(const SourceConfig& s, int default_port) {
  ServerSettings out;
  out.host = setting(s, "host");
  out.port = parse_int(setting(s, "port", std::to_string(default_port))).value_or(default_port);
  out.database = setting(s, "database");
  out.user = setting(s, "user");
  out.connect_timeout_s = parse_int(setting(s, "connect_timeout_s", "10")).value_or(10);
  SILT_ASSIGN_OR_RETURN(out.password, lookup_password(s));
  return out;
}

}  // namespace silt::sources
