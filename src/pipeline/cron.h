// Cron expressions for pipeline schedules: the five fields of Vixie cron (minute hour
// day-of-month month day-of-week), or six with a leading seconds field, and the next time one
// fires. Times are UTC. Pure value types and functions, thread-safe.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string_view>

#include "util/result.h"

namespace silt::pipeline {

struct CronSchedule {
  std::bitset<60> seconds;  // {0} for a five-field expression
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;     // 1..31
  std::bitset<13> months;   // 1..12
  std::bitset<7> weekdays;  // 0 = Sunday (7 in the text is Sunday too)
  // Vixie's rule: when both day fields are restricted (neither starts with '*'), a day matches
  // if EITHER matches ("0 0 1 * MON" fires on the 1st and on every Monday); otherwise both must.
  bool any_day = false, any_weekday = false;
};

// Fields separated by blanks; each a comma list of `*`, `N`, `N-M`, with an optional `/step`
// (`*/15`, `10-40/10`, `5/20` = 5 to the field's end by 20). Month and weekday fields also take
// names (JAN..DEC, SUN..SAT, any case). InvalidArgument naming the expression and the field for
// bad text, out-of-range values, and expressions that never fire ("0 0 30 2 *").
Result<CronSchedule> parse_cron(std::string_view text);

// The first fire time strictly after `after_ms` (ms since the epoch, UTC), on a whole second.
// nullopt only for a schedule that never fires (parse_cron rejects those).
std::optional<int64_t> next_fire_ms(const CronSchedule& cron, int64_t after_ms);

}  // namespace silt::pipeline
