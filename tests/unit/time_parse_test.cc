// util/time parsing to the microsecond (used by the SQLite source and watermark queries), with
// expected epoch values computed by hand: 2024-02-29 is day 19782 since 1970-01-01.
#include <gtest/gtest.h>

#include "util/time.h"

namespace {

constexpr int64_t kDay = 86'400'000'000;

TEST(TimeParse, TimestampsToTheMicrosecond) {
  EXPECT_EQ(*silt::parse_timestamp_us("1970-01-01"), 0);
  EXPECT_EQ(*silt::parse_timestamp_us("2024-02-29"), 19782 * kDay);
  EXPECT_EQ(*silt::parse_timestamp_us("2024-02-29 13:45:10.123456"),
            19782 * kDay + ((13 * 60 + 45) * 60 + 10) * 1'000'000LL + 123456);
  // Offsets move the instant to UTC; seven fraction digits keep six.
  EXPECT_EQ(*silt::parse_timestamp_us("2024-02-29T13:45:10+02:00"),
            *silt::parse_timestamp_us("2024-02-29 11:45:10"));
  EXPECT_EQ(*silt::parse_timestamp_us("2024-02-29 00:00:00.1234567Z"), 19782 * kDay + 123456);
  EXPECT_EQ(*silt::parse_timestamp_us("1969-12-31 23:59:59.5"), -500'000);
  EXPECT_FALSE(silt::parse_timestamp_us("2024-02-30").ok());
  EXPECT_FALSE(silt::parse_timestamp_us("2024-02-29 25:00").ok());
}

TEST(TimeParse, MillisecondsRoundDownBeforeTheEpoch) {
  EXPECT_EQ(*silt::parse_timestamp_ms("2024-02-29 13:45:10.1239"), 19782 * 86'400'000LL + 49'510'123);
  EXPECT_EQ(*silt::parse_timestamp_ms("1969-12-31 23:59:59.9995"), -1);
}

TEST(TimeParse, TimeOfDay) {
  EXPECT_EQ(*silt::parse_time_of_day_us("00:00"), 0);
  EXPECT_EQ(*silt::parse_time_of_day_us("13:45:10.5"), ((13 * 60 + 45) * 60 + 10) * 1'000'000LL + 500'000);
  EXPECT_FALSE(silt::parse_time_of_day_us("13:45:10 ").ok());
  EXPECT_FALSE(silt::parse_time_of_day_us("24:00").ok());
}

}  // namespace
