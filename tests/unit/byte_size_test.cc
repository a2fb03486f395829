// Size strings as the CLI takes them: units in powers of 1024, as Spark reads "128MB".
#include "util/byte_size.h"

#include <gtest/gtest.h>

namespace silt {
namespace {

TEST(ByteSize, UnitsArePowersOf1024) {
  EXPECT_EQ(*parse_byte_size("1048576"), 1048576);
  EXPECT_EQ(*parse_byte_size("512KB"), 512 * 1024);
  EXPECT_EQ(*parse_byte_size("128MB"), 134217728);
  EXPECT_EQ(*parse_byte_size("1GB"), 1073741824);
  EXPECT_EQ(*parse_byte_size("2TB"), 2199023255552);
  EXPECT_EQ(*parse_byte_size("7 b"), 7);
  EXPECT_EQ(*parse_byte_size("64k"), 65536);
  EXPECT_EQ(*parse_byte_size("3MiB"), 3145728);
  EXPECT_EQ(*parse_byte_size(" 10 gb "), 10737418240);
}

TEST(ByteSize, AnythingElseIsAnErrorNamingTheText) {
  for (const char* bad : {"", "MB", "12XB", "1.5GB", "-1", "0", "0KB", "10 MBs", "1e6", "99999999999TB",
                          "1234567890123456789"}) {
    auto r = parse_byte_size(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(r.error().message().find("'" + std::string(bad) + "'"), std::string::npos)
        << r.error().message();
  }
}

}  // namespace
}  // namespace silt
