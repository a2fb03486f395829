// Size parsing. See byte_size.h.
#include "util/byte_size.h"

#include <cctype>
#include <string>

namespace silt {
namespace {

// Power of 1024 of a unit, or -1.
int unit_power(std::string unit) {
  for (char& c : unit) c = char(std::toupper(static_cast<unsigned char>(c)));
  if (unit.size() == 3 && unit[1] == 'I' && unit[2] == 'B') unit.erase(1, 1);  // KiB -> KB
  if (unit.empty() || unit == "B") return 0;
  if (unit.size() == 2 && unit[1] == 'B') unit.pop_back();
  if (unit.size() != 1) return -1;
  switch (unit[0]) {
    case 'K':
      return 1;
    case 'M':
      return 2;
    case 'G':
      return 3;
    case 'T':
      return 4;
    default:
      return -1;
  }
}

}  // namespace

Result<int64_t> parse_byte_size(std::string_view text) {
  auto bad = [&] {
    return Error(ErrorKind::InvalidArgument, "bad size '" + std::string(text) +
                                                 "': expected a positive whole number of bytes, "
                                                 "optionally with KB, MB, GB or TB");
  };
  size_t i = 0;
  while (i < text.size() && text[i] == ' ') i++;
  size_t digits = i;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) i++;
  if (i == digits || i - digits > 18) return bad();
  int64_t value = std::stoll(std::string(text.substr(digits, i - digits)));
  while (i < text.size() && text[i] == ' ') i++;
  std::string unit(text.substr(i));
  while (!unit.empty() && unit.back() == ' ') unit.pop_back();
  int power = unit_power(unit);
  if (power < 0 || value == 0) return bad();
  for (int p = 0; p < power; p++) {
    if (value > (int64_t(1) << 52)) return bad();
    value *= 1024;
  }
  if (value > (int64_t(1) << 62)) return bad();
  return value;
}

}  // namespace silt
