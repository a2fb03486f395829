// UTC timestamp parsing and formatting with std::chrono (no locale, no TZ database).
#include "util/time.h"

#include <chrono>
#include <cstdio>

namespace silt {
namespace {

bool read_int(std::string_view s, size_t& pos, size_t digits, int& out) {
  if (pos + digits > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < digits; i++) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  pos += digits;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    pos++;
    return true;
  }
  return false;
}

// Reads "HH:MM[:SS[.f...]]" at pos into microseconds since midnight.
bool read_time_of_day(std::string_view s, size_t& pos, int64_t& micros) {
  int h, mi, sec = 0;
  if (!read_int(s, pos, 2, h) || !expect(s, pos, ':') || !read_int(s, pos, 2, mi)) return false;
  if (expect(s, pos, ':') && !read_int(s, pos, 2, sec)) return false;
  int64_t frac = 0;
  if (expect(s, pos, '.')) {
    int64_t scale = 100000;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac += (s[pos] - '0') * scale;
      scale /= 10;
      pos++;
    }
    if (pos == start) return false;
  }
  if (h > 23 || mi > 59 || sec > 60) return false;
  micros = ((int64_t(h) * 60 + mi) * 60 + sec) * 1'000'000 + frac;
  return true;
}

}  // namespace

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<int64_t> parse_time_of_day_us(std::string_view s) {
  size_t pos = 0;
  int64_t micros;
  if (!read_time_of_day(s, pos, micros) || pos != s.size())
    return Error(ErrorKind::InvalidArgument,
                 "bad time '" + std::string(s) + "' (expected HH:MM[:SS[.ffffff]])");
  return micros;
}

Result<int64_t> parse_timestamp_us(std::string_view s) {
  using namespace std::chrono;
  auto bad = [&] {
    return Error(ErrorKind::InvalidArgument,
                 "bad timestamp '" + std::string(s) + "' (expected YYYY-MM-DD[ HH:MM:SS[.fff]][Z|+HH:MM])");
  };
  size_t pos = 0;
  int y, mo, d;
  int64_t time_us = 0;
  if (!read_int(s, pos, 4, y) || !expect(s, pos, '-') || !read_int(s, pos, 2, mo) || !expect(s, pos, '-') ||
      !read_int(s, pos, 2, d)) {
    return bad();
  }
  if (pos < s.size() && (s[pos] == ' ' || s[pos] == 'T')) {
    pos++;
    if (!read_time_of_day(s, pos, time_us)) return bad();
  }
  int64_t offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    pos++;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    pos++;
    int oh, om = 0;
    if (!read_int(s, pos, 2, oh)) return bad();
    if (expect(s, pos, ':') || (pos < s.size())) {
      if (!read_int(s, pos, 2, om)) return bad();
    }
    offset_min = sign * (oh * 60 + om);
  }
  if (pos != s.size()) return bad();
  year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok()) return bad();
  int64_t days = sys_days(ymd).time_since_epoch().count();
  return ((days * 24 * 60) - offset_min) * 60'000'000 + time_us;
}

Result<int64_t> parse_timestamp_ms(std::string_view s) {
  SILT_ASSIGN_OR_RETURN(int64_t us, parse_timestamp_us(s));
  // Floor division, so times before 1970 round down like the fraction digits do.
  return us >= 0 ? us / 1000 : -((-us + 999) / 1000);
}

std::string format_timestamp_ms(int64_t ms) {
  using namespace std::chrono;
  int64_t day_ms = 86400000;
  int64_t days = ms >= 0 ? ms / day_ms : -((-ms + day_ms - 1) / day_ms);
  int64_t rem = ms - days * day_ms;
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d.%03d", int(ymd.year()), unsigned(ymd.month()),
                unsigned(ymd.day()), int(rem / 3600000), int(rem / 60000 % 60), int(rem / 1000 % 60),
                int(rem % 1000));
  return buf;
}

}  // namespace silt
