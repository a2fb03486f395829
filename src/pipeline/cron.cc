// Cron parsing and next-fire-time search. See cron.h. The search walks forward a day at a
// time (cheap: at most a few years of days for any expression that fires) and, on a matching
// day, takes the first matching second of it.
#include "pipeline/cron.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

namespace silt::pipeline {
namespace {

struct FieldSpec {
  const char* name;
  int lo, hi;                                // allowed values (weekday: 0..7)
  const std::array<const char*, 12>* names;  // names[i] is value lo + i, or null
};

const std::array<const char*, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                 "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const std::array<const char*, 12> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

const FieldSpec kSecond{"second", 0, 59, nullptr}, kMinute{"minute", 0, 59, nullptr},
    kHour{"hour", 0, 23, nullptr}, kDay{"day-of-month", 1, 31, nullptr}, kMonth{"month", 1, 12, &kMonthNames},
    kWeekday{"day-of-week", 0, 7, &kDayNames};

// One value: digits or (where the field has them) a three-letter name.
std::optional<int> parse_value(std::string_view text, const FieldSpec* spec) {
  if (text.empty()) return std::nullopt;
  if (spec && spec->names) {
    for (size_t i = 0; i < spec->names->size() && (*spec->names)[i]; i++) {
      std::string_view name = (*spec->names)[i];
      if (text.size() == 3 && std::equal(text.begin(), text.end(), name.begin(),
                                         [](char a, char b) { return std::toupper(a) == b; }))
        return spec->lo + static_cast<int>(i);
    }
  }
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || v > 1000) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Sets the field's bits from its text; the bit index is the value (weekday 7 folds onto 0).
template <size_t N>
Status parse_field(std::string_view expr, std::string_view text, const FieldSpec& spec,
                   std::bitset<N>& bits) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::InvalidArgument, "cron \"" + std::string(expr) + "\": " + spec.name + " field '" +
                                                 std::string(text) + "': " + why);
  };
  std::string_view rest = text;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    int step = 1, from = spec.lo, to = spec.hi;
    size_t slash = item.find('/');
    if (slash != std::string_view::npos) {
      auto s = parse_value(item.substr(slash + 1), nullptr);
      if (!s || *s == 0) return bad("the step must be a positive number");
      step = *s;
      item = item.substr(0, slash);
    }
    if (item != "*") {
      size_t dash = item.find('-');
      auto a = parse_value(item.substr(0, dash), &spec);
      if (!a) return bad("expected a number" + std::string(spec.names ? " or a name" : "") + " or *");
      from = to = *a;
      if (dash != std::string_view::npos) {
        auto b = parse_value(item.substr(dash + 1), &spec);
        if (!b) return bad("expected a range N-M");
        to = *b;
      } else if (slash != std::string_view::npos) {
        to = spec.hi;  // N/step: from N to the end
      }
      if (from < spec.lo || to > spec.hi)
        return bad("values must be in " + std::to_string(spec.lo) + "-" + std::to_string(spec.hi));
      if (from > to) return bad("a range must not run backwards");
    }
    for (int v = from; v <= to; v += step) bits.set(static_cast<size_t>(v) % N);  // only weekday 7 wraps
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return ok_status();
}

// The first second of the day at or after `from` (seconds into the day) that matches.
std::optional<int64_t> first_second(const CronSchedule& cron, int64_t from) {
  int h0 = static_cast<int>(from / 3600), m0 = static_cast<int>(from / 60 % 60),
      s0 = static_cast<int>(from % 60);
  for (int h = h0; h < 24; h++) {
    if (!cron.hours[h]) continue;
    for (int m = h == h0 ? m0 : 0; m < 60; m++) {
      if (!cron.minutes[m]) continue;
      for (int s = h == h0 && m == m0 ? s0 : 0; s < 60; s++)
        if (cron.seconds[s]) return h * 3600 + m * 60 + s;
    }
  }
  return std::nullopt;
}

bool day_matches(const CronSchedule& cron, std::chrono::sys_days day) {
  std::chrono::year_month_day ymd(day);
  if (!cron.months[static_cast<unsigned>(ymd.month())]) return false;
  bool dom = cron.days[static_cast<unsigned>(ymd.day())];
  bool dow = cron.weekdays[std::chrono::weekday(day).c_encoding()];
  return cron.any_day || cron.any_weekday ? dom && dow : dom || dow;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

// Far enough for any expression that fires at all: February 29th recurs within 8 years.
constexpr int kSearchDays = 366 * 9;

}  // namespace

Result<CronSchedule> parse_cron(std::string_view text) {
  std::vector<std::string> fields;
  std::istringstream in{std::string(text)};
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() != 5 && fields.size() != 6)
    return Error(ErrorKind::InvalidArgument,
                 "cron \"" + std::string(text) +
                     "\": expected 5 fields (minute hour day month weekday) or 6 " +
                     "(with a leading second)");
  CronSchedule cron;
  size_t i = 0;
  if (fields.size() == 6) {
    SILT_TRY(parse_field(text, fields[i++], kSecond, cron.seconds));
  } else {
    cron.seconds.set(0);
  }
  SILT_TRY(parse_field(text, fields[i++], kMinute, cron.minutes));
  SILT_TRY(parse_field(text, fields[i++], kHour, cron.hours));
  cron.any_day = fields[i].starts_with('*');
  SILT_TRY(parse_field(text, fields[i++], kDay, cron.days));
  SILT_TRY(parse_field(text, fields[i++], kMonth, cron.months));
  cron.any_weekday = fields[i].starts_with('*');
  SILT_TRY(parse_field(text, fields[i++], kWeekday, cron.weekdays));
  if (!next_fire_ms(cron, 0))
    return Error(ErrorKind::InvalidArgument, "cron \"" + std::string(text) + "\" never fires");
  return cron;
}

std::optional<int64_t> next_fire_ms(const CronSchedule& cron, int64_t after_ms) {
  int64_t t = floor_div(after_ms, 1000) + 1;  // the first whole second strictly after
  int64_t day = floor_div(t, 86400), from = t - day * 86400;
  for (int i = 0; i < kSearchDays; i++, day++, from = 0) {
    if (!day_matches(cron, std::chrono::sys_days(std::chrono::days(day)))) continue;
    if (auto s = first_second(cron, from)) return (day * 86400 + *s) * 1000;
  }
  return std::nullopt;
}

}  // namespace silt::pipeline
