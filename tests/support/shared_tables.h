// Test support: where the shared conformance tables live, the CI rule for a missing folder
// (fail under CI=true, skip elsewhere), and setting file times for retention tests.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace silt::testing {

inline const std::string kSharedTables = SILT_SOURCE_DIR "/../shared/conformance/delta-rs";

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

// Sets a file's access and modification times to `ms` since the epoch.
inline void set_mtime(const std::string& path, int64_t ms) {
  struct timespec ts[2];
  ts[0].tv_sec = ms / 1000;
  ts[0].tv_nsec = (ms % 1000) * 1'000'000;
  ts[1] = ts[0];
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), ts, 0), 0) << path;
}

}  // namespace silt::testing

// In a test body: fail under CI=true, skip elsewhere, when the shared tables are missing.
#define REQUIRE_SHARED_TABLES()                                                             \
  do {                                                                                      \
    if (!std::filesystem::is_directory(::silt::testing::kSharedTables)) {                   \
      if (::silt::testing::in_ci()) FAIL() << "missing " << ::silt::testing::kSharedTables; \
      GTEST_SKIP() << "shared tables not found at " << ::silt::testing::kSharedTables;      \
    }                                                                                       \
  } while (0)
