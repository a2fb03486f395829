// SIGKILL at a named point. See fault_injection.h.
#include "util/fault_injection.h"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>

namespace silt {

void crash_point(const char* name) {
  static const char* target = std::getenv("SILT_CRASH_AT");
  if (target && std::strcmp(target, name) == 0) ::kill(::getpid(), SIGKILL);
}

}  // namespace silt
