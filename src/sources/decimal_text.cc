// Decimal text and doubles into scaled integers, the way DuckDB's cast reads them. See decimal_text.h.
#include "sources/decimal_text.h"

#include <cmath>

#include "util/powers_of_ten.h"

namespace silt::sources {
namespace {

// Whether std::to_chars prints m * 10^e (m without trailing zeros, n digits) in fixed notation:
// it prints the shorter of fixed and scientific ("1e+06", "5e-05"), fixed on a tie. Scientific
// takes n digits, a point if n > 1 and at least four characters of exponent.
bool printed_fixed(int n, int e) {
  int scientific = n + (n > 1 ? 1 : 0) + 4;
  if (e >= 0) return n + e <= scientific;  // digits and trailing zeros
  if (n + e >= 1) return true;             // digits and a point
  return 2 + (-e - n) + n <= scientific;   // "0." and leading zeros
}

}  // namespace

DecimalText read_plain_decimal(std::string_view text, int width, int scale, __int128& unscaled) {
  const char* p = text.data();
  const char* end = p + text.size();
  bool negative = p != end && *p == '-';
  if (negative) p++;
  bool any_digit = false;
  __int128 v = 0;
  int integer_digits = 0;
  for (; p != end && *p >= '0' && *p <= '9'; p++) {
    any_digit = true;
    if (v == 0 && *p == '0') continue;  // leading zeros
    // DuckDB fails at this digit whatever follows, so there is no need to read further.
    if (++integer_digits > width - scale) return DecimalText::OutOfRange;
    v = v * 10 + (*p - '0');
  }
  int fraction_digits = 0;
  bool round_up = false;
  if (p != end && *p == '.') {
    for (p++; p != end && *p >= '0' && *p <= '9'; p++) {
      any_digit = true;
      if (fraction_digits < scale) {
        v = v * 10 + (*p - '0');
      } else if (fraction_digits == scale) {
        round_up = *p >= '5';  // only the first dropped digit decides, as in DuckDB's cast
      }
      fraction_digits++;
    }
  }
  if (p != end || !any_digit) return DecimalText::NotPlain;
  for (int i = fraction_digits; i < scale; i++) v *= 10;
  if (round_up) v++;
  if (v >= kPowersOfTen.p[width]) return DecimalText::OutOfRange;
  unscaled = negative ? -v : v;
  return DecimalText::Read;
}

}  // namespace silt::sources

namespace silt::sources {

DecimalText read_double_as_decimal(double v, int width, int scale, __int128& unscaled) {
  // 10^scale is exact as a double up to 10^22.
  static constexpr double kExact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  if (!std::isfinite(v) || scale > 22) return DecimalText::NotPlain;
  double p = kExact[scale];
  double scaled = std::nearbyint(v * p);
  // Below 2^51, two multiples of 10^-scale are further apart than v's round-trip interval is
  // wide, so at most one of them reads back as v, and the shortest text is that one.
  if (!(std::fabs(scaled) < 0x1p51)) return DecimalText::NotPlain;
  int64_t k = int64_t(scaled);
  if (double(k) / p != v) return DecimalText::NotPlain;  // the shortest text has more digits
  if (k != 0) {
    int trailing_zeros = 0;
    int64_t m = k < 0 ? -k : k;
    while (m % 10 == 0) m /= 10, trailing_zeros++;
    int digits = 1;
    while (m >= 10) m /= 10, digits++;
    if (!printed_fixed(digits, trailing_zeros - scale)) return DecimalText::NotPlain;
  }
  if (k >= kPowersOfTen.p[width] || -k >= kPowersOfTen.p[width]) return DecimalText::OutOfRange;
  unscaled = k;
  return DecimalText::Read;
}

}  // namespace silt::sources
