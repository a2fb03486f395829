// Names of error kinds, for messages and tests.
#include "util/result.h"

namespace silt {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Io:
      return "io";
    case ErrorKind::NotFound:
      return "not found";
    case ErrorKind::Corruption:
      return "corruption";
    case ErrorKind::InvalidArgument:
      return "invalid argument";
    case ErrorKind::Unsupported:
      return "unsupported";
    case ErrorKind::Conflict:
      return "conflict";
    case ErrorKind::Internal:
      return "internal";
  }
  return "unknown";
}

}  // namespace silt
