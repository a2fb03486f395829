// Cron expressions (pipeline/cron.h): next fire times against dates worked out by hand from a
// calendar (weekdays checked against Python's datetime), and the errors for bad expressions.
#include <gtest/gtest.h>

#include "pipeline/cron.h"
#include "util/time.h"

namespace silt::pipeline {
namespace {

int64_t at(const char* utc) { return parse_timestamp_ms(utc).value(); }

// The next fire time after `after`, as "YYYY-MM-DD HH:MM:SS" (empty when it never fires).
std::string next(const char* cron, const char* after) {
  auto parsed = parse_cron(cron);
  EXPECT_TRUE(parsed.ok()) << cron << ": " << (parsed.ok() ? "" : parsed.error().message());
  if (!parsed.ok()) return "";
  auto fire = next_fire_ms(*parsed, at(after));
  return fire ? format_timestamp_ms(*fire).substr(0, 19) : "";
}

std::string error_of(const char* cron) {
  auto parsed = parse_cron(cron);
  return parsed.ok() ? "" : parsed.error().message();
}

TEST(Cron, StepsListsAndRanges) {
  EXPECT_EQ(next("*/15 * * * *", "2026-01-01 00:07:30"), "2026-01-01 00:15:00");
  EXPECT_EQ(next("*/15 * * * *", "2026-01-01 23:50:00"), "2026-01-02 00:00:00");
  EXPECT_EQ(next("5-20/5,45 3 * * *", "2026-01-01 03:20:00"), "2026-01-01 03:45:00");
  EXPECT_EQ(next("5-20/5,45 3 * * *", "2026-01-01 03:45:00"), "2026-01-02 03:05:00");
  EXPECT_EQ(next("50/20 * * * *", "2026-01-01 10:51:00"), "2026-01-01 11:50:00");  // 50 only
  EXPECT_EQ(next("0 9-17/4 * * *", "2026-01-01 13:00:00"), "2026-01-01 17:00:00");
}

TEST(Cron, FiresStrictlyAfterTheGivenTime) {
  EXPECT_EQ(next("0 * * * *", "2026-06-01 10:00:00"), "2026-06-01 11:00:00");
  EXPECT_EQ(next("0 * * * *", "2026-06-01 10:00:00.500"), "2026-06-01 11:00:00");
  EXPECT_EQ(next("0 * * * *", "2026-06-01 09:59:59.999"), "2026-06-01 10:00:00");
}

TEST(Cron, MonthEndsAndYearEnds) {
  EXPECT_EQ(next("0 0 31 * *", "2026-04-15 00:00:00"), "2026-05-31 00:00:00");  // April has 30 days
  EXPECT_EQ(next("0 0 30 * *", "2027-01-30 00:00:00"), "2027-03-30 00:00:00");  // February has none
  EXPECT_EQ(next("59 23 31 12 *", "2026-12-31 23:59:00"), "2027-12-31 23:59:00");
  EXPECT_EQ(next("0 0 1 1 *", "2026-12-31 23:59:59"), "2027-01-01 00:00:00");
}

TEST(Cron, LeapYears) {
  EXPECT_EQ(next("0 0 29 2 *", "2025-03-01 00:00:00"), "2028-02-29 00:00:00");
  EXPECT_EQ(next("0 0 29 2 *", "2096-03-01 00:00:00"), "2104-02-29 00:00:00");  // 2100 is no leap year
  EXPECT_EQ(next("0 0 29 2 *", "2000-01-01 00:00:00"), "2000-02-29 00:00:00");  // 2000 is one
  EXPECT_EQ(next("0 0 * 2 *", "2024-02-28 23:00:00"), "2024-02-29 00:00:00");
  EXPECT_EQ(next("0 0 * 2 *", "2023-02-28 23:00:00"), "2024-02-01 00:00:00");
}

TEST(Cron, SundayIsZeroAndSeven) {
  // 2026-11-25 is a Wednesday.
  EXPECT_EQ(next("0 12 * * 0", "2026-11-25 00:00:00"), "2026-11-29 12:00:00");
  EXPECT_EQ(next("0 12 * * 7", "2026-11-25 00:00:00"), "2026-11-29 12:00:00");
  EXPECT_EQ(next("0 12 * * SUN", "2026-11-25 00:00:00"), "2026-11-29 12:00:00");
  EXPECT_EQ(next("0 0 * * 5-7", "2026-11-25 00:00:00"), "2026-11-27 00:00:00");  // Fri, Sat, Sun
  EXPECT_EQ(next("0 0 * * 5-7", "2026-11-28 00:00:00"), "2026-11-29 00:00:00");
  EXPECT_EQ(next("0 0 * * 5-7", "2026-11-29 00:00:00"), "2026-12-04 00:00:00");
}

TEST(Cron, DayOfMonthOrDayOfWeekWhenBothAreRestricted) {
  // The 1st or any Monday: Monday 2026-11-30 comes first, then Tuesday 2026-12-01.
  EXPECT_EQ(next("0 0 1 * MON", "2026-11-25 00:00:00"), "2026-11-30 00:00:00");
  EXPECT_EQ(next("0 0 1 * MON", "2026-11-30 00:00:00"), "2026-12-01 00:00:00");
  // The 13th or any Friday (2026-02-13 is a Friday; the next Friday is the 20th) ...
  EXPECT_EQ(next("0 0 13 * 5", "2026-02-13 00:00:00"), "2026-02-20 00:00:00");
  // ... but a '*' field (even "*/1") means the other field alone decides.
  EXPECT_EQ(next("0 0 13 * *", "2026-02-13 00:00:00"), "2026-03-13 00:00:00");
  EXPECT_EQ(next("0 0 13 * */1", "2026-02-13 00:00:00"), "2026-03-13 00:00:00");
  EXPECT_EQ(next("0 0 * * FRI", "2026-02-13 00:00:00"), "2026-02-20 00:00:00");
}

TEST(Cron, NamesInAnyCase) {
  // Weekdays of January to March; 2026-03-31 is a Tuesday, 2027-01-01 a Friday.
  EXPECT_EQ(next("0 9 * JAN-MAR mon-fri", "2026-03-31 10:00:00"), "2027-01-01 09:00:00");
  EXPECT_EQ(next("0 9 * jan-mar Mon-Fri", "2026-03-30 10:00:00"), "2026-03-31 09:00:00");
  EXPECT_EQ(next("0 0 1 jun,Dec *", "2026-06-01 00:00:00"), "2026-12-01 00:00:00");
}

TEST(Cron, SixFieldsHaveALeadingSecond) {
  EXPECT_EQ(next("*/10 * * * * *", "2026-01-01 10:00:05"), "2026-01-01 10:00:10");
  EXPECT_EQ(next("*/10 * * * * *", "2026-01-01 10:59:55"), "2026-01-01 11:00:00");
  EXPECT_EQ(next("* * * * * *", "2026-01-01 10:00:05.250"), "2026-01-01 10:00:06");
  EXPECT_EQ(next("30 0 0 * * *", "2026-01-01 00:00:30"), "2026-01-02 00:00:30");
  // Five fields fire at second 0.
  EXPECT_EQ(next("* * * * *", "2026-01-01 10:00:05"), "2026-01-01 10:01:00");
}

TEST(Cron, BadExpressionsNameTheField) {
  EXPECT_NE(error_of("60 * * * *").find("minute field '60'"), std::string::npos) << error_of("60 * * * *");
  EXPECT_NE(error_of("0 24 * * *").find("hour field"), std::string::npos);
  EXPECT_NE(error_of("0 0 0 * *").find("day-of-month field"), std::string::npos);
  EXPECT_NE(error_of("0 0 * 13 *").find("month field"), std::string::npos);
  EXPECT_NE(error_of("0 0 * * 8").find("day-of-week field"), std::string::npos);
  EXPECT_NE(error_of("0 0 * FOO *").find("month field"), std::string::npos);
  EXPECT_NE(error_of("MON * * * *").find("minute field"), std::string::npos);  // names only where they fit
  EXPECT_NE(error_of("5-1 * * * *").find("backwards"), std::string::npos);
  EXPECT_NE(error_of("*/0 * * * *").find("step"), std::string::npos);
  EXPECT_NE(error_of("1- * * * *").find("minute field"), std::string::npos);
  EXPECT_NE(error_of("1,,2 * * * *").find("minute field"), std::string::npos);
  EXPECT_NE(error_of("-1 * * * *").find("minute field"), std::string::npos);
  EXPECT_NE(error_of("* * * *").find("expected 5 fields"), std::string::npos);
  EXPECT_NE(error_of("* * * * * * *").find("expected 5 fields"), std::string::npos);
  EXPECT_NE(error_of("").find("expected 5 fields"), std::string::npos);
  EXPECT_NE(error_of("0 0 30 2 *").find("never fires"), std::string::npos);
  EXPECT_NE(error_of("0 0 31 4,6,9,11 *").find("never fires"), std::string::npos);
  EXPECT_EQ(error_of("0 0 30 2 1"), "");  // OR rule: every Monday in February
}

}  // namespace
}  // namespace silt::pipeline
