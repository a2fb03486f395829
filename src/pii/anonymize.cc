// The key from the environment and value-free error messages. See anonymize.h.
#include "pii/anonymize.h"

#include <cstdlib>

namespace silt::pii {

Result<std::string> key_from_env(std::string_view env_var) {
  const char* value = std::getenv(std::string(env_var).c_str());
  if (value == nullptr || *value == '\0')
    return Error(ErrorKind::InvalidArgument, "environment variable " + std::string(env_var) +
                                                 " (the PII hashing key) is not set or empty");
  return std::string(value);
}

Error without_values(const Error& error) {
  constexpr std::string_view kWithheld = " (details withheld: the statement reads PII columns)";
  const std::string& m = error.message();
  size_t error_word = m.find(" Error: ");
  if (error_word == std::string::npos) return Error(error.kind(), "error" + std::string(kWithheld));
  // Everything before DuckDB's first " Error: " is silt's context and the class ("Conversion").
  return Error(error.kind(), m.substr(0, error_word) + " Error" + std::string(kWithheld));
}

}  // namespace silt::pii
