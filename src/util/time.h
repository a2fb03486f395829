// Time helpers: wall clock in ms, parsing user timestamps and formatting log timestamps.
// All times are UTC. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace silt {

int64_t now_ms();
// Parses "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS[.fff]" or ISO 8601 "YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM]"
// (no zone means UTC) into ms since the epoch. InvalidArgument on anything else.
Result<int64_t> parse_timestamp_ms(std::string_view text);
// As parse_timestamp_ms, to the microsecond (fraction digits beyond six are dropped).
Result<int64_t> parse_timestamp_us(std::string_view text);
// "HH:MM[:SS[.ffffff]]" into microseconds since midnight. InvalidArgument on anything else.
Result<int64_t> parse_time_of_day_us(std::string_view text);
// "YYYY-MM-DD HH:MM:SS.fff" in UTC.
std::string format_timestamp_ms(int64_t ms);

}  // namespace silt
