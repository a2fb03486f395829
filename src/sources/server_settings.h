// Settings of a source checked against what its kind accepts, and the connection settings of a
// server source with its password looked up (environment variable or file, never the settings).
#pragma once

#include <optional>
#include <string>

#include "sources/source.h"
#include "util/result.h"

namespace silt::sources {

struct ServerSettings {
  std::string host;
  int port = 0;
  std::string database;
  std::string user;
  std::optional<std::string> password;  // none: the server decides (trust, peer)
  int connect_timeout_s = 10;
  // "host:port", for messages.
  std::string address() const { return host + ":" + std::to_string(port); }
  // A server's message made one line, with any occurrence of the password masked: servers do
  // not echo it, but a message built from it must never leave this module even if one did.
  std::string scrub(std::string message) const;
};

// REQUIRES: validate(source) is ok. Errors carry no "source NAME" prefix (copy_query adds it).
// Reads the password from the variable named by password_env
// or the file named by password_file (one trailing newline dropped). Errors name the variable or
// the file, never the password.
Result<ServerSettings> server_settings(const SourceConfig& source, int default_port);

}  // namespace silt::sources
