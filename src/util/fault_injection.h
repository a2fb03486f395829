// Crash points for fault-injection tests: when the environment variable SILT_CRASH_AT names a
// point, the process kills itself with SIGKILL there, exactly as `kill -9` would, so tests
// can replay a crash at a chosen step of a write. A no-op otherwise. Thread-safe.
#pragma once

namespace silt {

void crash_point(const char* name);

}  // namespace silt
